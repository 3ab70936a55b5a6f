"""The collapse flag: one answer for most test items while the gold is spread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tiny import write_task

from bench.metrics.collapse import collapse


def test_collapse_flags_one_answer_for_most_items_while_the_gold_is_spread() -> None:
    gold = ["caf", "cpam", "impots", "urssaf", "caf"]
    assert collapse(["urssaf", "urssaf", "urssaf", "urssaf", "caf"], gold) == {
        "answer": "urssaf", "share": 0.8, "gold_share": 0.2, "n": 5}
    assert collapse(["caf", "cpam", "impots", "urssaf", "urssaf"], gold) is None  # spread answers
    assert collapse(["caf", "caf", "caf"], ["caf", "caf", "impots"]) is None  # the gold itself is mostly caf
    assert collapse(["a", "a", "b", "b"], ["a", "b", "c", "d"]) is None  # exactly half is not more than half
    assert collapse([], []) is None
    with pytest.raises(ValueError):
        collapse(["a"], [])


def test_the_cell_records_the_flag_per_test_set(tmp_path: Path) -> None:
    """bench.run.cell._score adds `collapse` (the test split) and `collapse_sets` to the record.

    Run in a child process: importing bench.run.cell guards the process against the network for good.
    """
    task_dir = write_task(tmp_path)
    script = f"""
import json
from pathlib import Path
from bench.run.cell import _score
from bench.spec.tasks import load_task
task = load_task(Path({str(task_dir)!r}))
n = len(task.splits["test"])
out = _score(task, ["caf"] * n, Path({str(tmp_path / "samples.jsonl")!r}), lambda texts: ["caf"] * len(texts),
             resamples=50, seed=0)
print(json.dumps({{"collapse": out["collapse"], "sets": sorted(out["collapse_sets"])}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["collapse"]["answer"] == "caf" and result["collapse"]["share"] == 1.0
    assert result["collapse"]["gold_share"] == pytest.approx(1 / 3, abs=0.05)
    assert result["sets"] == ["test"]
