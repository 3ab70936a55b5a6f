"""The options a model may set in models.yaml, typed per runtime and per method.

A model's `options` are checked when models.yaml is read, before any cell starts: a key that neither its
runtime, nor a method serving it, nor a derivation knows is refused with its line (a typo such as
`max_lenght: 128` must not silently run with the default), and so is a value of the wrong type or range.
Runtimes and methods read their options through these classes, never with `.get(name, default)`, so a
default lives in one place. This module imports no model library: the parent process checks options.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

OptionValue = str | int | float | bool


class Options(BaseModel):
    """Each class reads only its own keys: a model's options are shared by its runtime and its methods."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class DerivationOptions(Options):
    export_onnx: bool = False  # add an fp32 ONNX export of a transformers model as a rung of its own
    quantise: Literal["int8"] | None = None  # add a dynamic int8 variant of the (exported) ONNX model


class EncoderOptions(Options):
    max_length: int = Field(256, ge=8, le=8192)  # tokens kept per input
    prefix: str = ""  # prepended to every input (e.g. "query: " for E5 models)
    max_batch: int = Field(1, ge=1)  # inputs embedded per forward pass when fitting


class TransformersOptions(EncoderOptions):
    pooling: Literal["mean", "cls"] = "mean"


class LlamaCppOptions(Options):
    n_ctx: int = Field(4096, ge=256)  # context window, tokens
    chat: bool = True  # apply the GGUF's chat template; false for base models
    n_parallel: int = Field(1, ge=1)  # sequences served at once (offline scenario), each with its own n_ctx


class SpacyOptions(Options):
    components: str = ""  # comma-separated pipes to load; empty loads the whole pipeline


class FaultOptions(Options):
    fault: Literal["raise", "segfault", "oom", "hang", "no_weights", "network", "reach", "none"] = "none"
    at: Literal["load", "embed"] = "load"
    hold_file: str | None = None
    reserve_mb: int = Field(0, ge=0)
    oom_limit_mb: int = Field(4096, ge=1)
    reach_port: int = Field(9, ge=1, le=65535)


class CentroidOptions(Options):
    shots: int | None = Field(None, ge=1)  # train examples per label; all when unset


class PromptOptions(Options):
    shots: int | None = Field(None, ge=0)  # examples in the prompt; the method's own default when unset
    max_input_words: int = Field(600, ge=10)  # keeps every prompt inside n_ctx


class LlmScoreOptions(PromptOptions):
    n_probs: int = Field(100, ge=1)  # next-token candidates read per step
    example_words: int | None = Field(None, ge=1)
    calibration: Literal["dev", "content_free", "none"] = "content_free"
    calibration_strength: float = Field(1.0, ge=0.0, le=1.0)
    calibration_items: int = Field(28, ge=1)


class LlmExtractOptions(PromptOptions):
    constraint: Literal["none", "grammar"] = "none"
    max_tokens: int | None = Field(None, ge=1)  # 16 + 12 per field when unset


class LlmSummariseOptions(PromptOptions):
    tokens_per_word: float = Field(2.2, gt=0)  # sizes max_tokens from the task's word budget
    summary_max_tokens: int | None = Field(None, ge=1)


OptionsT = TypeVar("OptionsT", bound=Options)


def read_options(kind: type[OptionsT], options: Mapping[str, OptionValue]) -> OptionsT:
    """The typed options one runtime or method reads (checked already when models.yaml was loaded)."""
    return kind.model_validate(dict(options))


def option_problems(options: Mapping[str, OptionValue], schemas: Iterable[type[Options]],
                    owners: str) -> dict[str, str]:
    """Option key -> what is wrong with it, for the schemas that apply to one model ({} when all is well)."""
    schemas = list(dict.fromkeys(schemas))
    known = sorted({name for schema in schemas for name in schema.model_fields})
    problems: dict[str, str] = {}
    for key in options:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems[key] = f"unknown option '{key}' for {owners} ({hint}known: {known or 'none'})"
    for schema in schemas:
        try:
            schema.model_validate(dict(options))
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else "?"
                problems.setdefault(key, f"option '{key}': {error['msg']} (got {options.get(key)!r})")
    return problems
