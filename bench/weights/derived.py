"""Derived variants of a rung, made by the harness and cached outside git, every file hashed.

Two derivations, asked for by a base model's options in models.yaml (see `config.derived_models`):
- `onnx`: an fp32 ONNX export of a transformers encoder (torch.onnx, dynamo exporter), checked against
  PyTorch on inputs of another shape before it is accepted;
- `int8`: a dynamic int8 quantisation of an fp32 ONNX model (onnxruntime.quantization, per-channel weights).

A variant's cache folder is keyed by the sha256 of its base files, the tool versions and the settings, so
a new base or a new onnxruntime gives a new variant. Its `manifest.json` records the sha256 of every file;
each use re-hashes the files and refuses a mismatch. When the variant is missing at run time it is made in a
separate process, so that the export's memory does not count in the cell's peak RSS.

Usage: python -m bench.weights.derived MODEL_SPEC.json MODELS_DIR  (makes one variant; `frugal-bench install` does it)
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.hashing import sha256_file
from bench.spec.config import DerivedSource, ModelSpec
from bench.spec.errors import BenchError, HashMismatch
from bench.weights.cache import cache_dir, publish
from bench.weights.pinned import ResolvedWeights, pinned_weights

VARIANT_MANIFEST = "manifest.json"  # a derived variant's own file list (not a run's manifest)
ONNX_NAME = "model.onnx"
OPSET = 18
INT8_SETTINGS: dict[str, Any] = {"weight_type": "QInt8", "per_channel": True, "reduce_range": False}
# Files a tokenizer or a config may need next to the exported graph (weights are not copied).
SIDE_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json")
EXPORT_TOLERANCE = 1e-3  # max |ONNX - PyTorch| on the hidden states, fp32


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "missing"


def _tools(kind: str) -> dict[str, str]:
    if kind == "onnx":
        return {d: _version(d) for d in ("torch", "transformers", "onnxscript", "onnx")}
    return {"onnxruntime": _version("onnxruntime"), "onnx": _version("onnx")}


def _source(spec: ModelSpec) -> DerivedSource:
    if not isinstance(spec.source, DerivedSource):
        raise BenchError(f"model '{spec.id}' is not a derived model")
    return spec.source


def variant_key(spec: ModelSpec, base: ResolvedWeights) -> dict[str, Any]:
    """Everything the variant's bytes depend on."""
    source = _source(spec)
    return {"derived": source.derived, "base_id": source.base.id,
            "base_sha256": base.sha256 or {"unpinned_root": str(base.root)}, "tools": _tools(source.derived),
            "settings": INT8_SETTINGS if source.derived == "int8" else {"opset": OPSET}}


def variant_dir(spec: ModelSpec, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / "derived" / f"{spec.id}-{digest}"


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / VARIANT_MANIFEST
    if not path.is_file():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _base_weights(spec: ModelSpec, models_file_dir: Path) -> ResolvedWeights:
    """The verified base: pinned files, or itself a variant (the int8 of an ONNX export)."""
    base = _source(spec).base
    if isinstance(base.source, DerivedSource):
        return derived_weights(base, models_file_dir)
    return pinned_weights(base, models_file_dir)


def is_derived(spec: ModelSpec, models_file_dir: Path) -> bool:
    """Whether the variant is already in the cache (its base is verified on the way)."""
    base = _base_weights(spec, models_file_dir)
    return _read_manifest(variant_dir(spec, variant_key(spec, base))) is not None


def derived_weights(spec: ModelSpec, models_file_dir: Path, *, in_process: bool = False) -> ResolvedWeights:
    """Verify the base, make the variant if it is not cached, and check every file against its manifest."""
    base = _base_weights(spec, models_file_dir)
    key = variant_key(spec, base)
    folder = variant_dir(spec, key)
    if _read_manifest(folder) is None:
        if in_process:
            make_variant(spec, base, key, folder)
        else:
            _make_in_child(spec, models_file_dir)
    manifest = _read_manifest(folder)
    if manifest is None:
        raise BenchError(f"model '{spec.id}': the derived variant was not made in {folder}")
    found: dict[str, str] = {}
    for name, expected in manifest["files"].items():
        actual = sha256_file(folder / name)
        if actual != expected:
            raise HashMismatch(f"model '{spec.id}': cached {folder / name} has sha256 {actual}, its manifest "
                               f"records {expected}; refusing to load it (delete {folder} to rebuild it)")
        found[name] = actual
    weights = [name for name in found if name.endswith(".onnx")]
    size = sum((folder / name).stat().st_size for name in weights)
    return ResolvedWeights(folder, found, size, "derived")


def _make_in_child(spec: ModelSpec, models_file_dir: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        handle.write(spec.model_dump_json())
    try:
        done = subprocess.run([sys.executable, "-m", "bench.weights.derived", handle.name, str(models_file_dir)],
                              capture_output=True, text=True, check=False)
    finally:
        Path(handle.name).unlink(missing_ok=True)
    if done.returncode != 0:
        raise BenchError(f"model '{spec.id}': deriving the variant failed:\n{done.stderr[-2000:]}")


def make_variant(spec: ModelSpec, base: ResolvedWeights, key: dict[str, Any], folder: Path) -> None:
    """Build the variant in a temporary folder, hash it, then move it into place in one step."""
    if base.root is None:
        raise BenchError(f"model '{spec.id}': its base has no files to derive from")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        if key["derived"] == "onnx":
            export_onnx(base.root, tmp / ONNX_NAME)
        else:
            base_onnx = [name for name in _listed(base) if name.endswith(".onnx")]
            if not base_onnx:
                raise BenchError(f"model '{spec.id}': its base '{key['base_id']}' has no .onnx file to quantise")
            quantise_int8(base.root / base_onnx[0], tmp / ONNX_NAME)
        for name in SIDE_FILES:
            if (base.root / name).is_file():
                shutil.copyfile(base.root / name, tmp / name)
        files = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        manifest = {**key, "model_id": spec.id, "files": files}
        (tmp / VARIANT_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
        publish(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _listed(weights: ResolvedWeights) -> list[str]:
    assert weights.root is not None
    return sorted(weights.sha256) if weights.sha256 else sorted(p.name for p in weights.root.iterdir())


def quantise_int8(source: Path, target: Path) -> None:
    """Dynamic quantisation: int8 weights, activations quantised on the fly (no calibration data needed)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=INT8_SETTINGS["per_channel"],
                     reduce_range=INT8_SETTINGS["reduce_range"])
    if target.stat().st_size >= source.stat().st_size:
        raise BenchError(f"quantising {source} did not make it smaller: nothing to quantise?")


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export a transformers encoder's last hidden state to one fp32 ONNX file, offline, and check it."""
    import inspect

    import numpy as np
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, trust_remote_code=False)
    model.eval()
    accepted = inspect.signature(model.forward).parameters
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted]
    if names[:2] != ["input_ids", "attention_mask"]:
        raise BenchError(f"{model_dir}: the encoder does not take input_ids and attention_mask")

    class LastHidden(torch.nn.Module):
        # Keyword call: positional arguments of transformers' forward differ between versions.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
            given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            hidden: torch.Tensor = self.inner(**{n: given[n] for n in names}).last_hidden_state
            return hidden

    def sample(batch: int, length: int, seed: int) -> tuple[torch.Tensor, ...]:
        generator = torch.Generator().manual_seed(seed)
        ids = torch.randint(5, min(1000, model.config.vocab_size), (batch, length), generator=generator)
        mask = torch.ones_like(ids)
        mask[-1, length // 2:] = 0  # one padded row, so the mask path is traced
        values = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
        return tuple(values[n] for n in names)

    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    wrapper = LastHidden(model)
    torch.onnx.export(wrapper, sample(2, 12, 0), str(target), dynamo=True, external_data=False,
                      input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                      opset_version=OPSET)
    from bench.runtimes.onnx import session

    check = sample(3, 21, 1)
    with torch.inference_mode():
        expected = wrapper(*check).numpy()
    got = session(target, 1).run(None, {n: t.numpy() for n, t in zip(names, check, strict=True)})[0]
    mask = check[names.index("attention_mask")].numpy()[..., None] if "attention_mask" in names else 1
    error = float(np.abs((got - expected) * mask).max())
    if error > EXPORT_TOLERANCE:
        raise BenchError(f"ONNX export of {model_dir} differs from PyTorch by {error:.3g} (> {EXPORT_TOLERANCE})")


def main(argv: list[str]) -> int:
    from bench.run.offline import enforce_offline

    enforce_offline()
    spec = ModelSpec.model_validate_json(Path(argv[1]).read_text(encoding="utf-8"))
    derived_weights(spec, Path(argv[2]), in_process=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
