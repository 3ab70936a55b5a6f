"""Model options are typed per runtime and per method, and checked when models.yaml is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.methods import METHOD_OPTIONS, METHODS
from bench.run.plan import load_models
from bench.runtimes import RUNTIME_OPTIONS, RUNTIMES
from bench.spec.errors import ConfigError, ConfigErrors
from bench.spec.options import LlmScoreOptions, read_options

PIN = "ab" * 32
HEAD = ["models:", "  - id: tfidf", "    family: tfidf", "    runtime: onnxruntime",
        "    source: {trained: tfidf_logreg}", "    licence: MIT", "    tasks: {route: tfidf_logreg}"]


def _models(tmp_path: Path, *model: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text("\n".join([*HEAD, *model]) + "\n", encoding="utf-8")
    return path


def _llm(options: str, tasks: str = "{route: llm_score}") -> tuple[str, ...]:
    return ("  - id: llm", "    family: tiny", "    runtime: llamacpp", "    source: {path: weights}",
            f"    files: {{m.gguf: {PIN}}}", "    licence: MIT", f"    tasks: {tasks}", f"    options: {options}")


def test_every_runtime_and_method_declares_its_options() -> None:
    assert set(RUNTIME_OPTIONS) == set(RUNTIMES)
    assert set(METHOD_OPTIONS) == set(METHODS)


def test_a_misspelt_option_is_refused_with_its_line_and_the_likely_name(tmp_path: Path) -> None:
    path = _models(tmp_path, "  - id: enc", "    family: tiny", "    runtime: onnxruntime",
                   "    source: {path: weights}", f"    files: {{m.onnx: {PIN}}}", "    licence: MIT",
                   "    tasks: {route: embedding_head}",
                   "    options:", "      max_lenght: 128")
    with pytest.raises(ConfigError) as caught:
        load_models(path)
    assert caught.value.field == "models.1.options.max_lenght"
    assert caught.value.line == 16
    assert "did you mean 'max_length'" in str(caught.value)


def test_an_option_of_the_wrong_type_or_range_is_refused(tmp_path: Path) -> None:
    path = _models(tmp_path, *_llm("{n_ctx: big, calibration: sometimes, shots: -1}"))
    with pytest.raises(ConfigErrors) as caught:
        load_models(path)
    fields = {error.field for error in caught.value.errors}
    assert fields == {"models.1.options.n_ctx", "models.1.options.calibration", "models.1.options.shots"}


def test_options_of_the_methods_that_serve_a_model_are_accepted(tmp_path: Path) -> None:
    # llm_score options are known for a llama.cpp model even when no task names the method: a task of
    # one's own data is served by the runtime's default methods.
    path = _models(tmp_path, *_llm("{n_ctx: 2048, chat: false, calibration: dev, constraint: grammar}",
                                   tasks="{}"))
    model = load_models(path).models[1]
    assert read_options(LlmScoreOptions, model.options).calibration == "dev"


def test_an_option_no_runtime_or_method_of_that_model_reads_is_refused(tmp_path: Path) -> None:
    path = _models(tmp_path, "  - id: ner", "    family: tiny", "    runtime: spacy", "    source: {path: w}",
                   f"    files: {{m: {PIN}}}", "    licence: MIT", "    tasks: {route: ner_regex}",
                   "    options: {n_ctx: 2048}")
    with pytest.raises(ConfigError, match="unknown option 'n_ctx'"):
        load_models(path)


def test_defaults_live_in_the_option_classes() -> None:
    options = read_options(LlmScoreOptions, {"shots": 2})
    assert (options.shots, options.calibration, options.calibration_items) == (2, "content_free", 28)


def test_the_shipped_models_file_passes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    assert load_models(root / "models.yaml").models
