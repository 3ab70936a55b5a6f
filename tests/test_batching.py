"""Offline scenario, per runtime family: predictions served all at once equal those served one by one.

Every model here is built by the test: a scikit-learn pipeline exported to ONNX, an ONNX encoder, a
random-weight BERT (PyTorch), a blank spaCy pipeline with an entity ruler, a tiny GGUF (llama.cpp).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny
from test_llamacpp import build_tiny_gguf, make_method, with_prompt
from test_methods_nonllm import FIRST, LAST, HashingEncoder, context, extraction_task, spec, summary_task
from test_runtimes import build_tiny_bert

from bench.methods import get_method
from bench.methods.batching import Batching, chunks, length_sorted
from bench.runtimes import get_runtime, offline_spec
from bench.spec.config import ModelSpec
from bench.spec.tasks import Task, load_task
from bench.weights.resolve import resolve_and_verify


def _route_task(tmp_path: Path) -> Task:
    return load_task(tiny.write_task(tmp_path / "tasks", n_train=60))


def _both_ways(method: Any, texts: list[str], size: int | None = None) -> tuple[list[Any], list[Any], Batching]:
    plan = method.batching(size)
    return [method.predict(text) for text in texts], list(method.predict_batch(texts, plan)), plan


def _onnx_encoder(tmp_path: Path) -> Any:
    files = tiny.build_tiny_encoder(tmp_path / "enc")
    model = ModelSpec.model_validate({"id": "enc", "family": "t", "runtime": "onnxruntime", "licence": "MIT",
                                      "source": {"path": str(tmp_path / "enc")}, "files": files})
    return get_runtime("onnxruntime").load(model, resolve_and_verify(model, tmp_path).root, 1)


def test_length_sorted_batches_come_back_in_input_order() -> None:
    texts = ["ccc", "a", "bbbb", "dd", "e"]
    seen: list[list[str]] = []

    def run(batch: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        seen.append(batch)
        return np.array([[len(t)] for t in batch], dtype=np.float32)

    out = length_sorted(texts, 2, run)
    assert out[:, 0].tolist() == [3, 1, 4, 2, 1]
    assert seen == [["a", "e"], ["dd", "ccc"], ["bbbb"]]  # shortest first: little padding in each batch
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    with pytest.raises(ValueError, match="at least 1"):
        chunks([1], 0)


def test_sklearn_pipeline_runs_on_a_matrix_with_the_same_labels(tmp_path: Path) -> None:
    task = _route_task(tmp_path)
    method = get_method("tfidf_logreg")(None, spec("tfidf_logreg", task.name), task, context(tmp_path))
    method.fit(task.splits["train"], task.splits["dev"])
    texts = [item.text for item in task.splits["test"]]
    serial, batched, plan = _both_ways(method, texts, size=3)  # batches of 3: the last one is shorter
    assert plan.mode == "batched" and plan.size == 3
    assert batched == serial
    assert method.batching(None).size == 256


def test_onnx_encoder_pads_sorted_batches_and_answers_as_one_by_one(tmp_path: Path) -> None:
    encoder = _onnx_encoder(tmp_path)
    texts = ["rsa", "je voudrais des informations sur taxe foncière", "carte d'identité perdue", "taxe"]
    one_by_one = np.vstack([encoder.embed([t]) for t in texts])
    assert np.allclose(length_sorted(texts, 3, encoder.embed_batch), one_by_one, atol=1e-5)

    task = _route_task(tmp_path)
    for name in ("embedding_head", "centroid"):
        method = get_method(name)(encoder, spec(name, task.name), task, context(tmp_path))
        method.fit(task.splits["train"], task.splits["dev"])
        serial, batched, plan = _both_ways(method, [item.text for item in task.splits["test"]], size=4)
        assert plan.mode == "batched" and plan.sorted_by_length, name
        assert batched == serial, name


def test_extractive_summaries_embed_every_sentence_in_one_stream(tmp_path: Path) -> None:
    encoder = _onnx_encoder(tmp_path)
    task = summary_task()
    method = get_method("extractive")(encoder, spec("extractive", task.name), task, context(tmp_path))
    method.fit(task.splits["train"], task.splits["dev"])
    serial, batched, plan = _both_ways(method, [item.text for item in task.splits["test"]], size=5)
    assert plan.mode == "batched" and batched == serial


def test_pytorch_encoder_batched_forward_matches_one_by_one(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from bench.runtimes.hf import HfEncoder

    encoder = HfEncoder(build_tiny_bert(tmp_path / "bert"), threads=1)
    texts = ["le service des impôts", "la mairie", "une demande de logement social auprès de la caf", "caf"]
    one_by_one = np.vstack([encoder.embed([t]) for t in texts])
    assert np.allclose(length_sorted(texts, 4, encoder.embed_batch), one_by_one, atol=1e-5)
    task = _route_task(tmp_path)
    method = get_method("centroid")(encoder, spec("centroid", task.name), task, context(tmp_path))
    method.fit(task.splits["train"], task.splits["dev"])
    serial, batched, plan = _both_ways(method, [item.text for item in task.splits["test"]], size=8)
    assert plan.mode == "batched" and batched == serial


def test_spacy_pipe_finds_the_same_entities_as_one_call_per_text(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": name.lower()} for name in [*FIRST, *LAST]])
    task = extraction_task(lowercase_names=True)
    method = get_method("ner_regex")(nlp, spec("ner_regex", "mini_extract"), task, context(tmp_path))
    method.fit(task.splits["train"], task.splits["dev"])
    serial, batched, plan = _both_ways(method, [item.text for item in task.splits["test"]], size=7)
    assert plan.mode == "batched" and "nlp.pipe" in plan.reason
    assert batched == serial
    assert method._piped == {}  # nothing kept from the batch once it is served


def test_llamacpp_slots_decode_in_parallel_with_the_same_answers(tmp_path: Path) -> None:
    (tmp_path / "gguf").mkdir()
    gguf = build_tiny_gguf(tmp_path / "gguf" / "tiny.gguf")
    base = ModelSpec.model_validate({"id": "tiny", "family": "t", "runtime": "llamacpp", "licence": "MIT",
                                     "source": {"path": str(gguf.parent)}, "files": {gguf.name: tiny.sha256(gguf)},
                                     "options": {"n_ctx": 2048}})
    loaded = offline_spec(base, 3)
    assert loaded.options["n_parallel"] == 3 and "n_parallel" not in base.options
    model = get_runtime("llamacpp").load(loaded, gguf.parent, 1)
    task_dir = with_prompt(tiny.write_task(tmp_path / "tasks"), "llm_route", "classify_mail")
    method, task = make_method("llm_route", model, task_dir, tmp_path, shots=1)
    method.fit(task.splits["train"], task.splits["dev"])
    texts = [item.text for item in task.splits["test"][:6]]
    serial, batched, plan = _both_ways(method, texts)
    assert plan == Batching("parallel", 3, plan.reason) and "KV cache of 2048 tokens" in plan.reason
    assert batched == serial
    assert method.usage()["requests"] == 12  # every request counted once, from whichever slot served it


def test_a_method_without_a_batched_path_falls_back_to_serial_and_says_why(tmp_path: Path) -> None:
    task = extraction_task()
    rules = get_method("regex_extract")(None, spec("regex_extract", "mini_extract"), task, context(tmp_path))
    rules.fit(task.splits["train"], task.splits["dev"])
    serial, batched, plan = _both_ways(rules, [item.text for item in task.splits["test"]], size=16)
    assert plan.mode == "serial" and plan.size == 1 and "no batched path" in plan.reason
    assert batched == serial

    route = _route_task(tmp_path)  # an encoder whose runtime has no padded batch forward
    centroid = get_method("centroid")(HashingEncoder(), spec("centroid", route.name), route, context(tmp_path))
    centroid.fit(route.splits["train"], route.splits["dev"])
    serial, batched, plan = _both_ways(centroid, [item.text for item in route.splits["test"]])
    assert plan.mode == "serial" and "HashingEncoder" in plan.reason and batched == serial
    assert plan.to_dict() == {"mode": "serial", "size": 1, "reason": plan.reason, "sorted_by_length": False}


def test_a_serial_summariser_embeds_each_document_in_one_call_as_a_single_request_does(tmp_path: Path) -> None:
    """Without a padded batch forward, the offline scenario serves documents as the single scenario does:
    one encoder call per document (its sentences together), not one call per sentence."""
    calls: list[int] = []

    class CountingEncoder(HashingEncoder):
        def embed(self, texts: list[str]) -> Any:
            calls.append(len(texts))
            return super().embed(texts)

    task = summary_task()
    method = get_method("extractive")(CountingEncoder(), spec("extractive", task.name), task, context(tmp_path))
    method.fit(task.splits["train"], task.splits["dev"])
    texts = [item.text for item in task.splits["test"]]
    calls.clear()
    single = [method.predict(text) for text in texts]
    single_calls = list(calls)
    calls.clear()
    plan = method.batching(None)
    assert plan.mode == "serial"
    assert list(method.predict_batch(texts, plan)) == single
    assert calls == single_calls and len(calls) == len(texts)


def test_a_runtime_without_slots_is_loaded_as_it_is() -> None:
    model = ModelSpec.model_validate({"id": "r", "family": "t", "runtime": "rules", "licence": "MIT",
                                      "source": {"rules": "builtin"}})
    assert offline_spec(model, 8) is model


def test_each_worker_thread_keeps_its_own_llamacpp_slot(tmp_path: Path) -> None:
    """Label scoring reads one prompt several times: the requests of one thread must reach the slot whose
    KV cache holds that prompt, not whichever slot is free."""
    (tmp_path / "gguf").mkdir()
    gguf = build_tiny_gguf(tmp_path / "gguf" / "tiny.gguf")
    base = ModelSpec.model_validate({"id": "tiny", "family": "t", "runtime": "llamacpp", "licence": "MIT",
                                     "source": {"path": str(gguf.parent)}, "files": {gguf.name: tiny.sha256(gguf)},
                                     "options": {"n_ctx": 2048}})
    model = get_runtime("llamacpp").load(offline_spec(base, 2), gguf.parent, 1)
    seen: list[tuple[str, object]] = []
    real = model._server

    class Spy:
        def handle_chat_completions(self, request: dict[str, object]) -> object:
            seen.append((threading.current_thread().name, request.get("id_slot")))
            return real.handle_chat_completions(request)

        def handle_completions(self, request: dict[str, object]) -> object:
            seen.append((threading.current_thread().name, request.get("id_slot")))
            return real.handle_completions(request)

    model._server = Spy()
    task_dir = with_prompt(tiny.write_task(tmp_path / "tasks"), "llm_score", "classify_mail")
    method, task = make_method("llm_score", model, task_dir, tmp_path, shots=1)
    method.fit(task.splits["train"], task.splits["dev"])
    seen.clear()
    texts = [item.text for item in task.splits["test"][:6]]
    method.predict_batch(texts, method.batching(None))
    slots_of: dict[str, set[object]] = {}
    for thread, slot in seen:
        slots_of.setdefault(thread, set()).add(slot)
    assert all(len(slots) == 1 and None not in slots for slots in slots_of.values())
    assert len({next(iter(s)) for s in slots_of.values()}) == len(slots_of)  # one slot per thread
    with pytest.raises(ValueError, match="slot 2 does not exist"):
        model.pin_slot(2)
