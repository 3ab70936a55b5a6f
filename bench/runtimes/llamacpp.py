"""llama.cpp for GGUF models, in-process through the `xllamacpp` bindings (prebuilt CPU wheel).

`load` returns a `LlamaCppModel`: text in, text out, optionally constrained by a GBNF grammar, with the
token counts and timings llama.cpp reports for every request; or text in, the distribution of the next
token out (`next_tokens`), for scoring answers without generating them. No task logic here.

Model options (models.yaml `options`):
- `n_ctx` (default 4096): context window; task inputs are capped at ~400 words (~1,000 tokens) and the
  longest prompt (routing with label descriptions and examples) stays under 3,000 tokens.
- `chat` (default true): apply the chat template stored in the GGUF; false for base models, which are
  prompted with plain text.
- `n_parallel` (default 1): slots, i.e. sequences decoded together by continuous batching (the offline
  scenario sets it); each slot has a KV cache of its own of `n_ctx` tokens, so memory grows with it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.spec.config import ModelSpec
from bench.spec.options import LlamaCppOptions, read_options

DEFAULT_CTX = 4096


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int  # tokens of the prompt, cached ones included
    cached_tokens: int  # prompt tokens reused from the previous request (shared prefix)
    completion_tokens: int
    prompt_ms: float  # time to evaluate the non-cached prompt tokens
    generation_ms: float  # time to generate the completion tokens
    finish_reason: str  # stop | length
    # With `n_probs`: the most probable next tokens at the first generated position, (text, log-probability)
    # from the model's own distribution over the whole vocabulary (before any grammar or sampling).
    top: tuple[tuple[str, float], ...] = ()


class GenerationError(RuntimeError):
    """llama.cpp refused a request (bad grammar, prompt longer than the context, ...)."""


class LlamaCppModel:
    def __init__(self, path: Path, threads: int, n_ctx: int = DEFAULT_CTX, chat: bool = True,
                 seed: int = 0, n_parallel: int = 1) -> None:
        # ggml synchronises its threads with OpenMP barriers; libgomp's default is to spin while waiting.
        # With as many threads as cores, any other busy process (a shared server, a CI neighbour) then
        # stalls every barrier: 0.8 generated tok/s instead of 21.6 for Qwen-0.5B on this 2-core machine
        # under load. Passive waiting keeps the figures meaningful; the user's own setting wins. It must be
        # set before libgomp loads, i.e. before xllamacpp is imported.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = str(path)
        if n_parallel < 1:
            raise ValueError(f"n_parallel must be at least 1, not {n_parallel}")
        # Every slot gets a KV cache of its own, sized to one request's budget (`n_ctx`): the server splits
        # the context evenly between slots when the cache is not unified.
        params.n_ctx = n_ctx * n_parallel
        params.n_parallel = n_parallel
        params.kv_unified = False
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        params.sampling.seed = seed
        params.verbosity = 0  # errors only: the server logs every request at the default level
        # Keep reusing the shared prompt prefix of consecutive requests (what a deployed service does),
        # but no host-memory cache of whole past prompts: a repeated test item must not come back for free,
        # and that cache would add up to gigabytes to the measured memory.
        params.cache_prompt = True
        params.cache_ram_mib = 0
        params.fit_params = False  # CPU only: nothing to fit to device memory
        self.path = path
        self.n_ctx = n_ctx  # per slot
        self.n_parallel = n_parallel
        self.chat = chat
        self._slot = threading.local()  # the slot this thread's requests go to (see pin_slot)
        self._server = xlc.Server(params)

    def pin_slot(self, index: int) -> None:
        """Send this thread's requests to slot `index`: a thread serving one request after another then
        keeps reusing the prompt it left in that slot's KV cache (a label-scoring request reads the same
        prompt several times), instead of landing on whichever slot is free and evaluating it again."""
        if not 0 <= index < self.n_parallel:
            raise ValueError(f"slot {index} does not exist: this model has {self.n_parallel} slot(s)")
        self._slot.index = index

    def generate(self, prompt: str, *, system: str | None = None, examples: Sequence[tuple[str, str]] = (),
                 max_tokens: int = 64, grammar: str | None = None, stop: list[str] | None = None) -> Generation:
        """Greedy decoding of at most `max_tokens`; `grammar` (GBNF) constrains what may be generated.

        `examples` are (request, answer) pairs shown before `prompt`: earlier chat turns for chat models,
        "request answer" paragraphs for plain-text models.
        """
        request: dict[str, Any] = {"max_tokens": max_tokens}
        if grammar is not None:
            request["grammar"] = grammar
        if stop:
            request["stop"] = stop
        return self._complete(request, prompt, system, examples)

    def next_tokens(self, prompt: str, *, system: str | None = None, examples: Sequence[tuple[str, str]] = (),
                    answer_start: str = "", n_probs: int = 100) -> Generation:
        """The `n_probs` most probable first tokens of the answer, after `answer_start` when given.

        `answer_start` is the beginning of the answer, written as if the model had produced it (the
        assistant turn is prefilled for chat models; the text is appended for plain-text models), so that
        the distribution of what follows it can be read. Only the new tokens are evaluated: the prompt is
        reused from llama.cpp's cache, and one token is generated (counted in `completion_tokens`).
        """
        request: dict[str, Any] = {"max_tokens": 1, "n_probs": n_probs}
        return self._complete(request, prompt, system, examples, answer_start)

    def _complete(self, request: dict[str, Any], prompt: str, system: str | None,
                  examples: Sequence[tuple[str, str]], answer_start: str = "") -> Generation:
        request.update(temperature=0.0, top_k=1, cache_prompt=True)
        slot = getattr(self._slot, "index", None)
        if slot is not None:
            request["id_slot"] = slot
        if self.chat:
            messages = [{"role": "system", "content": system}] if system else []
            for asked, answered in examples:
                messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
            messages.append({"role": "user", "content": prompt})
            if answer_start:  # llama.cpp continues a final assistant message instead of opening a new one
                messages.append({"role": "assistant", "content": answer_start})
            request["messages"] = messages
            result = self._server.handle_chat_completions(request)
        else:
            blocks = [system] if system else []
            blocks += [f"{asked} {answered}" for asked, answered in examples]
            request["prompt"] = "\n\n".join([*blocks, prompt]) + answer_start
            result = self._server.handle_completions(request)
        return _parse(result, chat=self.chat)


def _parse(result: Any, *, chat: bool) -> Generation:
    if not isinstance(result, dict) or "error" in result:
        error = result.get("error", result) if isinstance(result, dict) else result
        message = error.get("message", error) if isinstance(error, dict) else error
        raise GenerationError(f"llama.cpp: {message}")
    choice = result["choices"][0]
    text = choice["message"]["content"] if chat else choice["text"]
    usage = result.get("usage", {})
    timings = result.get("timings", {})
    return Generation(
        text=text or "",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        cached_tokens=int(timings.get("cache_n", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
        prompt_ms=float(timings.get("prompt_ms", 0.0)),
        generation_ms=float(timings.get("predicted_ms", 0.0)),
        finish_reason=str(choice.get("finish_reason") or ""),
        top=_top_tokens(choice),
    )


def _top_tokens(choice: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """(text, log-probability) of the first position's most probable tokens, when `n_probs` asked for them."""
    content = (choice.get("logprobs") or {}).get("content") or []
    if not content:
        return ()
    return tuple((_token_text(entry), float(entry["logprob"])) for entry in content[0].get("top_logprobs", []))


def _token_text(entry: dict[str, Any]) -> str:
    """A token's text from its bytes (a piece of a multi-byte character decodes to U+FFFD)."""
    raw = entry.get("bytes")
    return bytes(raw).decode("utf-8", errors="replace") if raw is not None else str(entry.get("token", ""))


def gguf_file(spec: ModelSpec, root: Path) -> Path:
    """The model's weights: the one `.gguf` among its pinned files (or in its folder, when none is pinned)."""
    ggufs = [name for name in spec.files if name.endswith(".gguf")] or \
        ([p.name for p in root.glob("*.gguf")] if not spec.files else [])
    if len(ggufs) != 1:
        raise ValueError(f"model '{spec.id}': expected exactly one .gguf file in 'files' (found {sorted(ggufs)})")
    return root / ggufs[0]


def load(spec: ModelSpec, root: Path | None, threads: int) -> LlamaCppModel:
    if root is None:
        raise ValueError(f"model '{spec.id}': llama.cpp needs a GGUF file on disk")
    options = read_options(LlamaCppOptions, spec.options)
    return LlamaCppModel(gguf_file(spec, root), threads, n_ctx=options.n_ctx, chat=options.chat,
                         n_parallel=options.n_parallel)
