"""Two shards of a tiny suite run as two concurrent processes, merged: exactly the cells of an unsharded run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import faultkit
import pytest
from faultkit import fault_model, trained_model, write_workspace
from typer.testing import CliRunner

from bench.cli import app

MODELS = ("tfidf-logreg", "alpha", "beta")
VOLATILE = ("run_id", "attempt")  # differ between any two runs, sharded or not


def _bench(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "250"})


def _finish(process: subprocess.Popen[str], timeout_s: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout_s)
    assert process.returncode == 0, output
    return output


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _stable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in VOLATILE}


def test_two_concurrent_shards_merge_into_exactly_the_unsharded_plan(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_workspace(tmp_path, [trained_model(), *(fault_model(m) for m in MODELS[1:])])
    run = ("run", "--suite", "quick", "--threads", "1")
    # Both shards share one results folder, as two jobs on one machine would.
    shards = [_bench(root, *run, "--shard", f"{k}/2") for k in (0, 1)]
    assert all(p.poll() is None for p in shards)
    outputs = [_finish(p) for p in shards]
    _finish(_bench(root, *run, "--results", "unsharded"))

    shard_dirs = [next((root / "results").glob(f"*-shard{k}of2")) for k in (0, 1)]
    windows = []
    for k, shard_dir in enumerate(shard_dirs):
        manifest = json.loads((shard_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["shard"]["index"] == k and len(manifest["shard"]["plan"]) == 3
        assert f"shard {k}/2:" in outputs[k]
        records = faultkit.records(shard_dir)
        assert {r["cell_id"] for r in records} == set(manifest["cells"]) == set(manifest["shard"]["slices"][k])
        windows.append((min(r["started_at"] for r in records), max(r["finished_at"] for r in records)))
    assert windows[0][0] < windows[1][1] and windows[1][0] < windows[0][1], "the shards did not run concurrently"

    merged_output = _finish(_bench(root, "merge", *(str(d) for d in shard_dirs)))
    assert "merged 2 shards, 3 cells, 1 hardware class" in merged_output
    merged = (root / "results" / "latest").resolve()
    assert merged.name.endswith("-merged")
    unsharded = (root / "unsharded" / "latest").resolve()

    # Exactly the unsharded plan: same cell ids in the same order, same quality, same samples.
    expected, got = faultkit.records(unsharded), faultkit.records(merged)
    assert [r["cell_id"] for r in got] == [r["cell_id"] for r in expected] == [f"mini_route__{m}" for m in MODELS]
    assert all(r["status"] == "ok" for r in got), [r.get("error") for r in got]
    assert [r["quality"] for r in got] == [r["quality"] for r in expected]
    assert [r["data_sha256"] for r in got] == [r["data_sha256"] for r in expected]
    assert {r["run_id"] for r in got} == {merged.name}
    assert {r["shard_run_id"] for r in got} == {d.name for d in shard_dirs}
    assert all(r["hardware"]["cpu_model"] for r in got)  # each cell keeps its own fingerprint
    by_cell = {r["cell_id"]: r["attempt"] for r in got}
    assert all(s["attempt"] == by_cell[s["cell_id"]] for s in faultkit.samples(merged))
    assert sorted(map(json.dumps, map(_stable, faultkit.samples(merged)))) == \
        sorted(map(json.dumps, map(_stable, faultkit.samples(unsharded))))
    assert len(faultkit.samples(merged)) == 3 * faultkit.TEST_ITEMS

    manifest = json.loads((merged / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cells"] == [r["cell_id"] for r in expected]
    assert [s["run_id"] for s in manifest["merged"]["shards"]] == [d.name for d in shard_dirs]
    assert manifest["merged"]["machines"] == 1 and len(manifest["merged"]["hardware_classes"]) == 1
    assert all((merged / "cells" / cell / "cell.log").is_file() for cell in manifest["cells"])

    # It ranks, reports and compares like any other run.
    monkeypatch.chdir(root)
    assert "mini_route" in _cli("rank", "latest")
    _cli("report", "latest", "--lang", "en")
    report = (merged / "report.md").read_text(encoding="utf-8")
    assert "merged (`frugal-bench merge`) from 2 shards produced by 1 machine, in 1 hardware class" in report
    assert "no regression" in _cli("compare", str(unsharded), str(merged), "--costs", "never", "--key", "params")
