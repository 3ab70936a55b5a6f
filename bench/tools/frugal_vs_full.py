"""Full vs frugal evaluation, side by side per task: recommendation, CPU time, energy, items scored.

    python -m bench.tools.frugal_vs_full --suite quick [--task T] [--model M] [--results DIR]
        runs the suite twice in one invocation (a full run, then a `--frugal` one: two run folders) and
        prints both;
    python -m bench.tools.frugal_vs_full --suite quick --full RUN_DIR
        runs the frugal one only and compares it with an earlier full run of the same selection (its
        single-request cells: a run of both scenarios serves);
    python -m bench.tools.frugal_vs_full --full RUN_DIR --frugal RUN_DIR
        runs nothing: compares two earlier runs of the same selection (a suite too long for one sitting can be
        run, and resumed, as two runs: `frugal-bench run --suite S [--frugal]`, then `--resume`);
    python -m bench.tools.frugal_vs_full --replay RUN_DIR
        runs nothing: from a full run's samples.jsonl, replays the frugal stopping rule on the same items in
        the same order, and prints the decisions and the estimated share of CPU time saved (for suites too
        large to run twice).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.decide.macrobound import macro_f1_bound
from bench.decide.rank import frugality_sort, key_order, rank_records
from bench.decide.stopping import decide
from bench.run.footprint import FOOTPRINT
from bench.run.frugal import DEFAULTS, gate_verdict
from bench.run.frugalcell import conditions_of
from bench.run.record import cpu_s
from bench.run.results import read_records, resolve_run, scenario_of
from bench.run.runview import current_records


def _recommendations(run_dir: Path, key: str) -> dict[str, str]:
    return {r.task: r.recommended or "none passes" for r in rank_records(current_records(read_records(run_dir)),
                                                                          key=key)}


def _single(run_dir: Path) -> list[dict[str, Any]]:
    """The run's single-request records: frugal evaluation decides on that scenario."""
    return [r for r in read_records(run_dir) if scenario_of(r) == "single"]


def _per_task(run_dir: Path) -> dict[str, dict[str, float]]:
    """CPU seconds and items scored per task, from the records."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"cpu_s": 0.0, "items": 0.0})
    for record in _single(run_dir):
        out[str(record["task"])]["cpu_s"] += cpu_s(record)
        out[str(record["task"])]["items"] += sum((record.get("n_items_by_set") or {}).values())
    return out


def side_by_side(full: Path, frugal: Path, key: str = "energy") -> str:
    """The table of both runs, task by task, then their whole footprints."""
    rec_full, rec_frugal = _recommendations(full, key), _recommendations(frugal, key)
    cost_full, cost_frugal = _per_task(full), _per_task(frugal)
    rows = [f"{'task':<20} {'full: recommends':<26} {'frugal: recommends':<26} same  "
            f"{'CPU s full':>10} {'frugal':>8} {'items full':>10} {'frugal':>7}"]
    for task in sorted(set(rec_full) | set(rec_frugal)):
        a, b = rec_full.get(task, "–"), rec_frugal.get(task, "–")
        rows.append(f"{task:<20} {a:<26} {b:<26} {'yes' if a == b else 'NO':<5} "
                    f"{cost_full[task]['cpu_s']:>10.1f} {cost_frugal[task]['cpu_s']:>8.1f} "
                    f"{cost_full[task]['items']:>10.0f} {cost_frugal[task]['items']:>7.0f}")
    for name, run_dir in (("full", full), ("frugal", frugal)):
        data = json.loads((run_dir / FOOTPRINT).read_text(encoding="utf-8"))
        if len(_single(run_dir)) != len(read_records(run_dir)):  # a run of both scenarios: its single cells
            cells = sum(cpu_s(r) for r in _single(run_dir))
            rows.append(f"{name} run {run_dir.name}: {cells:.1f} s CPU in its single-request cells (of "
                        f"{data['total_cpu_s']:.1f} s for the whole run, offline cells included)")
            continue
        rows.append(f"{name} run {run_dir.name}: {data['total_cpu_s']:.1f} s CPU (runner "
                    f"{data['runner_cpu_s']:.1f} s), ~{data['energy_wh_estimate']:.3f} Wh (estimate), "
                    f"{data['items_scored']} items scored")
    return "\n".join(rows)


def _run(args: list[str]) -> Path:
    """One `frugal-bench run`; its folder is the one results/latest points to afterwards."""
    done = subprocess.run([sys.executable, "-m", "bench", "run", *args], check=False)
    if done.returncode not in (0, 3):  # 3: some cells failed, the run and its footprint exist
        raise SystemExit(done.returncode)
    results = Path(args[args.index("--results") + 1]) if "--results" in args else Path("results")
    return resolve_run(results, "latest").resolve()


def replay(run_dir: Path, level: float, batch: int, key: str) -> str:
    """The frugal decisions a full run's samples lead to, item for item in the order they were scored."""
    records = [r for r in current_records(_single(run_dir)) if r.get("status") == "ok"]
    rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    with (run_dir / "samples.jsonl").open(encoding="utf-8") as handle:
        attempts = {(r["cell_id"], r["attempt"]) for r in records}
        for line in handle:
            sample = json.loads(line)
            if (sample.get("cell_id"), sample.get("attempt")) in attempts:
                rows[sample["cell_id"]][sample.get("test_set", "test")].append(sample)
    full_rec = _recommendations(run_dir, key)
    lines, total_cpu, saved_cpu = [], sum(cpu_s(r) for r in _single(run_dir)), 0.0
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[str(record["task"])].append(record)
    for task, candidates in sorted(by_task.items()):
        passing: str | None = None
        scored = total = 0
        for record in frugality_sort(candidates, key_order(key)):
            sets = rows[record["cell_id"]]
            per_item = float(record.get("cpu_time_s_per_1000_requests") or 0.0) / 1000.0
            size = sum(len(v) for v in sets.values())
            total += size
            if passing is not None:
                saved_cpu += per_item * size
                lines.append(f"  {record['model_id']}: not needed: costlier than {passing}, which passes")
                continue
            used, verdict, why = _walk(sets, record["gate"], 1.0 - level, batch)
            verdict = verdict or gate_verdict(record)
            scored += used
            saved_cpu += per_item * (size - used)
            lines.append(f"  {record['model_id']}: {verdict} after {used} of {size} items ({why})")
            passing = record["model_id"] if verdict == "pass" else None
        same = "same" if (passing or "none passes") == full_rec.get(task) else "DIFFERENT"
        lines.insert(len(lines) - len(candidates), f"{task}: full recommends {full_rec.get(task)}, frugal "
                                                   f"{passing or 'none passes'} ({same}); {scored} of {total} items")
    share = saved_cpu / total_cpu if total_cpu else 0.0
    lines.append(f"estimated CPU time saved: {saved_cpu:.1f} s of {total_cpu:.1f} s ({share:.0%}), an estimate: "
                 "items not scored × each candidate's CPU time per request (probes and scoring not counted)")
    return "\n".join(lines)


def _decision_rows(samples: list[dict[str, Any]], alpha: float) -> tuple[list[dict[str, float]], Any]:
    """The per-item scores of one set's samples, with the macro-F1 bound's values for a classification."""
    scores = [dict(s["scores"]) for s in samples]
    if not samples or "correct" not in scores[0]:
        return scores, None
    gold = [str(s["gold"]) for s in samples]
    also = [s.get("also") or [] for s in samples]
    bound = macro_f1_bound(gold, also, alpha=alpha)
    if bound is None:
        return scores, None
    return bound.with_values(scores, gold, [s.get("prediction") for s in samples], also), bound


def _walk(samples: dict[str, list[dict[str, Any]]], gate: dict[str, Any], alpha: float, batch: int
          ) -> tuple[int, str | None, str]:
    """Items the frugal cell would score, and its verdict when early stops decided it.

    None when a set ran to its end: the frugal cell then uses the fixed-n interval, as the full run did,
    so the full run's verdict is the one to take.
    """
    from bench.decide.rank import items_needed

    sets, bounds = {}, {}
    for name, rows in samples.items():
        sets[name], bounds[name] = _decision_rows(rows, alpha)
    seen = dict.fromkeys(sets, 0)
    open_sets = [s for s in sets if sets[s]]
    while open_sets:
        for name in list(open_sets):
            seen[name] = min(len(sets[name]), seen[name] + batch)
            conditions = conditions_of(gate, name)
            decision = decide(conditions, sets[name][:seen[name]], alpha, items_needed(conditions[0].bound),
                              bounds[name])
            if decision.state == "fail":
                return sum(seen.values()), "fail", f"stopped on {name}: {decision.reason}"
            if decision.state == "pass" or seen[name] >= len(sets[name]):
                open_sets.remove(name)
    early = all(seen[s] < len(sets[s]) for s in sets)
    return sum(seen.values()), "pass" if early else None, "every set passed early" if early else "scored to the end"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replay", type=Path, help="a full run's folder: replay the stopping rule on its samples")
    parser.add_argument("--level", type=float, default=DEFAULTS["level"])
    parser.add_argument("--batch", type=int, default=DEFAULTS["batch"])
    parser.add_argument("--key", default=DEFAULTS["key"])
    parser.add_argument("--full", type=Path, help="an earlier full run of the same selection: run the frugal one only")
    parser.add_argument("--frugal", type=Path, help="with --full: an earlier frugal run to compare, run nothing")
    args, run_args = parser.parse_known_args(argv)
    if args.replay is not None:
        print(replay(args.replay, args.level, args.batch, args.key))
        return 0
    if args.frugal is not None and args.full is None:
        parser.error("--frugal RUN_DIR compares with a full run: give it with --full RUN_DIR")
    common = [*run_args, "--key", args.key]
    full = args.full.resolve() if args.full is not None else _run([*common, "--full-evaluation"])
    frugal = (args.frugal.resolve() if args.frugal is not None else
              _run([*common, "--frugal", "--frugal-level", str(args.level), "--frugal-batch", str(args.batch)]))
    print(side_by_side(full, frugal, args.key))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
