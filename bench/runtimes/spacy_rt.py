"""spaCy pipelines (e.g. the French fr_core_news_sm/md packages) loaded from a verified folder.

Option `components`: comma-separated pipes to keep (default: all); the others are not even loaded, so a
method that needs only NER does not pay for the parser and the lemmatiser in memory or latency.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.spec.config import ModelSpec
from bench.spec.options import SpacyOptions, read_options


def pipeline_dir(root: Path) -> Path:
    """The folder holding config.cfg: the root itself (a saved pipeline) or a package's `<name>-<version>`."""
    if (root / "config.cfg").is_file():
        return root
    found = sorted(p.parent for p in root.glob("*/config.cfg"))
    if len(found) != 1:
        raise ValueError(f"{root}: expected one spaCy pipeline folder (with config.cfg), found {len(found)}")
    return found[0]


def load(spec: ModelSpec, root: Path | None, threads: int) -> Any:
    import spacy

    if root is None:
        raise ValueError(f"model '{spec.id}': a spaCy model needs its folder")
    folder = pipeline_dir(root)
    wanted = read_options(SpacyOptions, spec.options).components.strip()
    exclude: list[str] = []
    if wanted:
        keep = {name.strip() for name in wanted.split(",") if name.strip()}
        pipeline = json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("pipeline", []) \
            if (folder / "meta.json").is_file() else []
        unknown = sorted(keep - set(pipeline)) if pipeline else []
        if unknown:
            raise ValueError(f"model '{spec.id}': components {unknown} are not in the pipeline {pipeline}")
        exclude = [name for name in pipeline if name not in keep]
    return spacy.load(folder, exclude=exclude)
