"""Files a model needs that ship elsewhere (e.g. a tokenizer inside a zip): unpacked once into the cache,
hashed on every use, and shown to the runtime beside the model's own files in one folder of links."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from bench.hashing import sha256_file
from bench.spec.config import Asset, ModelSpec
from bench.spec.errors import BenchError, HashMismatch
from bench.weights.cache import cache_dir, publish
from bench.weights.roots import model_root, source_root


def asset_file(spec: ModelSpec, name: str, asset: Asset, models_file_dir: Path) -> Path:
    """The asset, extracted once into the cache; its sha256 is checked every time it is used."""
    cached = cache_dir() / "assets" / asset.sha256 / name
    if not cached.is_file():
        root = source_root(asset.source, models_file_dir) if asset.source else model_root(spec, models_file_dir)
        assert root is not None
        origin = root / asset.path
        if not origin.is_file():
            raise BenchError(f"model '{spec.id}': asset '{name}' not found: {origin}")
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=cached.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            if asset.member is None:
                with origin.open("rb") as src:
                    shutil.copyfileobj(src, out)
            else:
                with zipfile.ZipFile(origin) as archive:
                    try:
                        member = archive.open(asset.member)
                    except KeyError:
                        raise BenchError(f"model '{spec.id}': {origin} has no member '{asset.member}'") from None
                    with member:
                        shutil.copyfileobj(member, out)
        Path(tmp_name).chmod(0o644)  # mkstemp makes it private; the cache is shared by runs
        publish(Path(tmp_name), cached)
    actual = sha256_file(cached)
    if actual != asset.sha256:
        where = f"{asset.path}:{asset.member}" if asset.member else asset.path
        raise HashMismatch(f"model '{spec.id}': asset '{name}' ({where}) has sha256 {actual}, models.yaml pins "
                           f"{asset.sha256}; refusing to load it")
    return cached


def model_view(spec: ModelSpec, root: Path, extra: dict[str, Path]) -> Path:
    """A folder of links: the model's own files plus its assets, so a runtime sees one model folder."""
    listing = {name: str(root / name) for name in spec.files} | {name: str(p) for name, p in extra.items()}
    key = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()[:16]
    view = cache_dir() / "views" / f"{spec.id}-{key}"
    if view.is_dir():
        return view
    view.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=view.parent, prefix=".tmp-"))
    for name, target in listing.items():
        link = tmp / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    tmp.chmod(0o755)
    publish(tmp, view)
    return view
