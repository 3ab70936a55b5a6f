"""Tune a method on the dev split: quality with its interval, per-item time and answer spread, never on test.

Usage: python -m bench.tools.dev_eval --model ID --task NAME [--method M] [--items 40] [--threads 1]
           [--set key=value ...] [--grid key=v1,v2 ...] [--models-dir DIR] [--out FILE.jsonl]

A seeded sample of `--items` dev items is held out for scoring; the method is fitted on train and on the
remaining dev items only (a method that calibrates on dev never sees the items it is scored on). Each
`--grid` combination refits the method on the same loaded model. One JSON line per combination: the
task's metrics with 95 % intervals, n, the mean and p50 time per item, tokens/s from the method's own
totals, the most frequent answer and its share (classification) and the fit's own record.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def parse_value(raw: str) -> str | int | float | bool:
    if raw in ("true", "false"):
        return raw == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def combinations(grid: list[str]) -> list[dict[str, Any]]:
    axes = [(key, [parse_value(v) for v in values.split(",")])
            for key, _, values in (entry.partition("=") for entry in grid)]
    return [dict(zip([key for key, _ in axes], chosen, strict=True))
            for chosen in itertools.product(*[values for _, values in axes])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--method")
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], help="model option key=value")
    parser.add_argument("--grid", action="append", default=[], help="model option key=v1,v2,...")
    parser.add_argument("--models-dir", type=Path, default=Path.cwd())
    parser.add_argument("--tasks-dir", type=Path, default=Path(__file__).resolve().parents[2] / "tasks")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    from bench.kinds import KINDS
    from bench.measure.latency import TokenCounts, token_rates
    from bench.methods import MethodContext, default_method, get_method
    from bench.metrics import scores_for
    from bench.run.plan import load_models
    from bench.runtimes import get_runtime
    from bench.spec.tasks import load_task
    from bench.weights.resolve import resolve_and_verify

    root = Path(__file__).resolve().parents[2]
    base = next(m for m in load_models(root / "models.yaml").models if m.id == args.model)
    task = load_task(args.tasks_dir / args.task)
    method_name = args.method or base.tasks.get(task.name) or default_method(base, task.spec.kind)
    if method_name is None:
        raise SystemExit(f"model '{base.id}' has no method for {task.spec.kind} tasks")
    dev = list(task.splits["dev"])
    held = set(random.Random(args.seed).sample(range(len(dev)), min(args.items, len(dev))))
    scored = [item for index, item in enumerate(dev) if index in held]
    tuning = [item for index, item in enumerate(dev) if index not in held]
    weights = resolve_and_verify(base, args.models_dir)
    model = get_runtime(base.runtime).load(base, weights.root, args.threads)
    fixed = dict(parse_value_pair(entry) for entry in args.set)
    for combo in combinations(args.grid) or [{}]:
        options = {**base.options, **fixed, **combo}
        spec = base.model_copy(update={"options": options})
        method = get_method(method_name)(model, spec, task, MethodContext(args.threads, Path("/tmp"), args.seed))
        t0 = time.perf_counter()
        fit = method.fit(task.splits["train"], tuning)
        fit_s = time.perf_counter() - t0
        counts_before = TokenCounts.read(method)
        usage_before = dict(method.usage()) if hasattr(method, "usage") else {}
        durations, preds = [], []
        for item in scored:
            t0 = time.perf_counter()
            preds.append(method.predict(item.text))
            durations.append(time.perf_counter() - t0)
        spec_t = task.spec
        quality = scores_for(spec_t.kind, [i.target for i in scored], preds,
                             labels=sorted(spec_t.labels) if spec_t.labels else None, fields=spec_t.fields,
                             resamples=1000, seed=args.seed,
                             also=[i.also for i in scored] if spec_t.data.columns.also else None,
                             sources=[i.text for i in scored] if KINDS[spec_t.kind].reads_sources else None,
                             budget=spec_t.length_budget_words)
        row: dict[str, Any] = {
            "model": base.id, "task": task.name, "method": method_name, "options": combo or fixed,
            "n": len(scored), "quality": {name: score.to_dict() for name, score in quality.items()
                                          if name in spec_t.metrics},
            "item_s_mean": statistics.fmean(durations), "item_s_p50": statistics.median(durations),
            "fit_s": fit_s, "tokens": token_rates(counts_before, TokenCounts.read(method), len(scored),
                                                  sum(durations)),
            "usage": window_usage(usage_before, method), "fit": fit}
        if KINDS[spec_t.kind].labelled:
            answer, count = max(((p, preds.count(p)) for p in set(preds)), key=lambda pc: (pc[1], pc[0]))
            row["top_answer"] = {"answer": answer, "share": count / len(preds)}
        line = json.dumps(row, ensure_ascii=False, default=str)
        print(line, flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
    return 0


def parse_value_pair(entry: str) -> tuple[str, str | int | float | bool]:
    key, _, value = entry.partition("=")
    return key, parse_value(value)


def window_usage(before: dict[str, Any], method: Any) -> dict[str, Any]:
    """The method's own counters over the scored items only (fit and calibration left out)."""
    if not before:
        return {}
    after = method.usage()
    return {key: after[key] - before[key] if isinstance(after[key], int) else after[key] for key in after}


if __name__ == "__main__":
    sys.exit(main())
