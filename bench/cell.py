"""One cell (model × task), run in its own process so memory, crashes and energy belong to one model.

Usage (by the runner only): python -m bench.cell CELL.json RESULT.json SAMPLES.jsonl
The parent reads RESULT.json; the OS reports peak RSS and CPU time of this process to the parent.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.offline import enforce_offline

enforce_offline()  # before any model library is imported

from bench.config import ModelSpec  # noqa: E402
from bench.measure.energy import EnergyMeter, EnergySettings  # noqa: E402
from bench.measure.latency import Latency  # noqa: E402
from bench.measure.loop import measured_loop  # noqa: E402
from bench.measure.memory import peak_rss_mb, rss_mb  # noqa: E402
from bench.methods import MethodContext, get_method  # noqa: E402
from bench.metrics import per_item_scores, scores_for  # noqa: E402
from bench.runtimes import get_runtime  # noqa: E402
from bench.sources import resolve_and_verify  # noqa: E402
from bench.tasks import load_task  # noqa: E402


def run_cell(cell: dict[str, Any], samples_path: Path) -> dict[str, Any]:
    spec = ModelSpec.model_validate(cell["model"])
    method_name = spec.tasks[cell["task"]]
    limits = cell["items"]
    task = load_task(Path(cell["task_dir"])).limited(limits.get("train"), limits.get("test"), seed=cell["seed"])
    threads = int(cell["threads"])
    out: dict[str, Any] = {"method": method_name, "n_train_items": len(task.splits["train"]),
                           "n_dev_items": len(task.splits["dev"]), "n_test_items": len(task.splits["test"])}

    weights = resolve_and_verify(spec, Path(cell["models_dir"]))
    out.update(weights_sha256=weights.sha256, weights_bytes=weights.size_bytes, hash_status=weights.status)

    rss_before = rss_mb()
    t0 = time.perf_counter()
    model = get_runtime(spec.runtime).load(spec, weights.root, threads) if weights.root is not None else None
    out["load_time_s"] = time.perf_counter() - t0
    out["rss_after_load_mb"] = rss_mb()
    out["rss_model_increase_mb"] = out["rss_after_load_mb"] - rss_before

    artifacts = Path(cell["artifacts_dir"])
    artifacts.mkdir(parents=True, exist_ok=True)
    method = get_method(method_name)(model, spec, task, MethodContext(threads, artifacts, cell["seed"]))
    t0 = time.perf_counter()
    out["fit"] = method.fit(task.splits["train"], task.splits["dev"])
    out["fit_time_s"] = time.perf_counter() - t0
    out["trained_artifacts_sha256"] = method.artifacts
    out["params"] = spec.params if spec.params is not None else method.trained_params

    test = task.splits["test"]
    inputs = [item.text for item in test]
    cpu0 = os.times()
    with EnergyMeter(EnergySettings(**cell["energy"])) as meter:
        loop = measured_loop(method.predict, inputs, min_window_s=cell["min_energy_window_s"],
                             warmup=cell["warmup_requests"])
    cpu1 = os.times()
    requests = len(loop.durations_ns)
    out.update(Latency.from_ns(loop.durations_ns).to_dict())
    out.update(meter.reading(requests))
    out.update(measure_passes=loop.passes, measure_window_s=loop.window_s,
               cpu_time_s_per_1000_requests=((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system))
               * 1000.0 / requests)

    gold = [item.target for item in test]
    spec_t = task.spec
    labels = sorted(spec_t.labels) if spec_t.labels else None
    quality = scores_for(spec_t.kind, gold, loop.predictions, labels=labels, fields=spec_t.fields,
                         resamples=cell["resamples"], seed=cell["seed"])
    out["quality"] = {name: score.to_dict() for name, score in quality.items() if name in spec_t.metrics}
    per_item = per_item_scores(spec_t.kind, gold, loop.predictions, fields=spec_t.fields)
    with samples_path.open("w", encoding="utf-8") as handle:
        for item, pred, scores in zip(test, loop.predictions, per_item, strict=True):
            handle.write(json.dumps({"item_id": item.id, "prediction": pred, "gold": item.target,
                                     "scores": scores}, ensure_ascii=False) + "\n")
    out["peak_rss_self_mb"] = peak_rss_mb()
    return out


def main(argv: list[str]) -> int:
    cell_path, result_path, samples_path = (Path(a) for a in argv[1:4])
    cell = json.loads(cell_path.read_text(encoding="utf-8"))
    try:
        result = {"status": "ok", **run_cell(cell, samples_path)}
    except Exception as exc:  # the cell fails alone; the parent records why
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=8)}
    tmp = result_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, result_path)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
