"""Does the offline scenario answer as the single-request one did? Predictions compared item by item.

Batching must not change what a model answers beyond numerical noise (padding, another summation order):
an offline cell's predictions are compared with those of the same model's single-request cell of the run,
and the record says how many items differ and how far each quality figure moved. A mismatch is flagged in
the record and the report; the offline figures are still kept, since the difference is itself evidence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.run.plan import cell_id, split_cell_id
from bench.run.results import load_records
from bench.run.samplefile import latest_samples

LISTED = 5  # differing items named in the record


def _predictions(samples: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    return {(str(s.get("test_set", "test")), str(s.get("item_id"))): json.dumps(s.get("prediction"), sort_keys=True)
            for s in samples}


def compare_predictions(single: Sequence[Mapping[str, Any]], offline: Sequence[Mapping[str, Any]],
                        single_quality: Mapping[str, Any], offline_quality: Mapping[str, Any]) -> dict[str, Any]:
    """Items compared, those that differ (a few named), and the change of each quality figure."""
    ref, new = _predictions(single), _predictions(offline)
    common = sorted(set(ref) & set(new))
    differ = [key for key in common if ref[key] != new[key]]
    deltas = {}
    for metric, score in offline_quality.items():
        before = single_quality.get(metric)
        if isinstance(score, Mapping) and isinstance(before, Mapping):
            deltas[metric] = float(score["value"]) - float(before["value"])
    return {"status": "mismatch" if differ else "match", "compared_items": len(common),
            "differing_items": len(differ), "differing_examples": [f"{s}/{i}" for s, i in differ[:LISTED]],
            "quality_delta": deltas}


def check_offline(run_dir: Path, offline_id: str, samples: Sequence[Mapping[str, Any]],
                  quality: Mapping[str, Any]) -> dict[str, Any]:
    """The offline cell `offline_id` against its single-request cell in the same run."""
    task, model, _ = split_cell_id(offline_id)
    single_id = cell_id(task, model)
    records = [r for r in load_records(run_dir) if r.cell_id == single_id and r.ok]
    if not records:
        return {"status": "no single-request record", "single_cell_id": single_id}
    single = latest_samples(run_dir).get(single_id, [])
    single_quality = {name: score.model_dump() for name, score in records[-1].quality.items()}
    out = compare_predictions(single, samples, single_quality, quality)
    return {**out, "single_cell_id": single_id}
