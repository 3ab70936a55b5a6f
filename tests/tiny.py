"""Tiny models and tasks built by the tests themselves: no model package, no network."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np

TOPICS = {
    "caf": ["allocations familiales", "prime d'activité", "aide au logement", "RSA", "prestations familiales"],
    "impots": ["déclaration de revenus", "taxe foncière", "prélèvement à la source", "avis d'imposition",
               "crédit d'impôt"],
    "mairie": ["acte de naissance", "inscription sur les listes électorales", "livret de famille",
               "permis de construire", "état civil"],
}
OPENINGS = ["Bonjour,", "Madame, Monsieur,", "Bonsoir,", "Salut,"]
REQUESTS = ["je vous écris au sujet de mon {t}.", "pouvez-vous m'aider pour ma demande de {t} ?",
            "j'ai un problème avec le dossier {t}.", "je voudrais des informations sur {t}."]


def write_task(root: Path, name: str = "mini_route", *, seed: int = 7, n_train: int = 30, n_dev: int = 9,
               n_test: int = 15, min_f1: float = 0.5) -> Path:
    """A small French routing task in the standard layout."""
    rng = random.Random(seed)
    directory = root / name
    (directory / "data").mkdir(parents=True)
    labels = sorted(TOPICS)

    def mail(index: int, split: str) -> dict[str, str]:
        label = labels[index % len(labels)]
        text = f"{rng.choice(OPENINGS)} {rng.choice(REQUESTS).format(t=rng.choice(TOPICS[label]))} Merci."
        return {"id": f"{split}-{index}", "text": text, "label": label}

    for split, count in (("train", n_train), ("dev", n_dev), ("test", n_test)):
        rows = [mail(i, split) for i in range(count)]
        (directory / "data" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (directory / "task.yaml").write_text(f"""\
name: {name}
version: 1
kind: classification
description: Route a mail to the service that handles it (test fixture).
data:
  format: jsonl
  splits: {{train: data/train.jsonl, dev: data/dev.jsonl, test: data/test.jsonl}}
  columns: {{id: id, input: text, target: label}}
labels:
  caf: Caisse d'allocations familiales
  impots: Finances publiques
  mairie: Mairie, état civil
good_enough: {{metric: macro_f1, min: {min_f1}}}
metrics: [accuracy, macro_f1]
""", encoding="utf-8")
    return directory


def write_suites(tasks_dir: Path, test_items: int | None = None) -> Path:
    items = f"items: {{test: {test_items}}}" if test_items else "items: {}"
    path = tasks_dir / "suites.yaml"
    path.write_text(f"""\
suites:
  quick:
    description: test suite
    {items}
    min_energy_window_s: 0.3
    warmup_requests: 1
    cell_timeout_s: 120
""", encoding="utf-8")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tiny_encoder(directory: Path, dim: int = 16, seed: int = 0) -> dict[str, str]:
    """An ONNX 'encoder' (token embedding lookup) and a word-level tokenizer.json; returns file -> sha256."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers

    directory.mkdir(parents=True, exist_ok=True)
    words = sorted({w.strip(",.?'").lower() for topic in TOPICS.values() for phrase in topic for w in phrase.split()}
                   | {w.lower() for r in REQUESTS for w in r.replace("{t}", "").split()})
    vocab = {"[UNK]": 0, "[PAD]": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(directory / "tokenizer.json"))

    table = np.random.default_rng(seed).standard_normal((len(vocab), dim)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])],
        [numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(directory / "model.onnx"))
    return {"model.onnx": sha256(directory / "model.onnx"), "tokenizer.json": sha256(directory / "tokenizer.json")}


def write_models(path: Path, encoder_dir: Path | None, task: str = "mini_route",
                 files: dict[str, str] | None = None) -> Path:
    lines = ["models:", "  - id: tfidf-logreg", "    family: tfidf", "    runtime: onnxruntime",
             "    source: {trained: tfidf_logreg}", "    licence: BSD-3-Clause", f"    tasks: {{{task}: tfidf_logreg}}"]
    if encoder_dir is not None and files is not None:
        lines += ["  - id: tiny-encoder", "    family: tiny", "    params: 1000", "    runtime: onnxruntime",
                  f"    source: {{path: {encoder_dir}}}", "    files:"]
        lines += [f"      {name}: {digest}" for name, digest in files.items()]
        lines += ["    licence: MIT", f"    tasks: {{{task}: embedding_head}}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
