"""Several test sets per task, the gate on each, limits on error rates, and the whole ladder on one's own data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiny
from typer.testing import CliRunner

from bench.cli import app
from bench.decide.rank import rank_records
from bench.report.i18n import loss_text
from bench.run.plan import load_models, load_tasks, plan_cells, task_kinds
from bench.spec.config import SuiteSpec
from bench.spec.errors import ConfigError

GATE = {"metric": "field_f1", "min": 0.90, "sets": {"test": 0.90, "test_handwritten": 0.90}}


def score(value: float, low: float, high: float, n: int = 200) -> dict[str, Any]:
    return {"value": value, "ci_low": low, "ci_high": high, "n": n, "resamples": 1000, "seed": 0, "method": "bca"}


def record(model: str, first: dict[str, Any], second: dict[str, Any], energy: float) -> dict[str, Any]:
    return {"task": "extract", "model_id": model, "cell_id": f"extract__{model}", "status": "ok", "gate": GATE,
            "quality": {"field_f1": first}, "quality_sets": {"test": {"field_f1": first},
                                                            "test_handwritten": {"field_f1": second}},
            "energy_wh_per_1000_requests": energy, "peak_rss_mb": 100.0, "latency_p95_ms": 1.0, "params": 0}


def test_a_candidate_failing_on_one_set_is_not_recommended_and_the_set_is_named() -> None:
    rules = record("rules", score(0.984, 0.979, 0.988), score(0.762, 0.734, 0.789), energy=0.01)
    big = record("big", score(0.95, 0.93, 0.97), score(0.93, 0.91, 0.95), energy=5.0)
    [ranking] = rank_records([rules, big])
    assert ranking.sets == ["test", "test_handwritten"]
    assert ranking.recommended == "big"
    loss = ranking.losses["rules"]
    assert (loss.reason, loss.deciding_set) == ("fail", "test_handwritten")
    text = loss_text(loss, ranking, "en")
    assert "fails on test_handwritten" in text and "0.762 [0.734 ; 0.789]" in text.replace(", ", " ; ")


def test_a_stated_per_set_gate_applies_to_its_set_only() -> None:
    gate = {**GATE, "sets": {"test": 0.90, "test_handwritten": 0.75}}
    rules = record("rules", score(0.984, 0.979, 0.988), score(0.80, 0.77, 0.83), energy=0.01)
    rules["gate"] = gate
    [ranking] = rank_records([rules])
    assert ranking.recommended == "rules"
    assert ranking.table.iloc[0]["test_handwritten:verdict"] == "pass"


def test_old_single_set_records_still_rank() -> None:
    old = {"task": "route", "model_id": "m", "cell_id": "route__m", "status": "ok",
           "gate": {"metric": "macro_f1", "min": 0.8},
           "quality": {"macro_f1": {"value": 0.9, "ci_low": 0.85, "ci_high": 0.95, "n": 300}},
           "energy_wh_per_1000_requests": 1.0}
    [ranking] = rank_records([old])
    assert ranking.sets == ["test"] and ranking.recommended == "m"


def test_an_error_rate_limit_keeps_an_unfaithful_summariser_out() -> None:
    gate = {"metric": "rouge_l", "min": 0.3, "limits": {"invented_rate": 0.05}}

    def summariser(model: str, invented: dict[str, Any], energy: float) -> dict[str, Any]:
        quality = {"rouge_l": score(0.45, 0.42, 0.48), "invented_rate": invented}
        return {"task": "summ", "model_id": model, "cell_id": f"summ__{model}", "status": "ok", "gate": gate,
                "quality": quality, "quality_sets": {"test": quality}, "energy_wh_per_1000_requests": energy}

    liar = summariser("liar", score(0.20, 0.15, 0.26), energy=0.1)
    careful = summariser("careful", score(0.0, 0.0, 0.019), energy=1.0)
    few = summariser("few", score(0.0, 0.0, 0.2, n=15), energy=0.5)
    [ranking] = rank_records([liar, careful, few])
    assert ranking.recommended == "careful"
    assert ranking.losses["liar"].reason == "fail" and ranking.losses["liar"].deciding_metric == "invented_rate"
    assert ranking.losses["few"].reason == "insufficient"  # 0 of 15 cannot show a rate under 5 %
    assert "invented" in loss_text(ranking.losses["liar"], ranking, "en")


# ------------------------------------------------------------------ own data: the whole ladder

MODELS = """\
models:
  - id: rules
    family: r
    runtime: rules
    source: {rules: builtin}
    licence: MIT
  - id: tfidf
    family: t
    runtime: onnxruntime
    source: {trained: tfidf_logreg}
    licence: MIT
    tasks: {shipped: tfidf_logreg}
"""


@pytest.fixture
def ladder(tmp_path: Path) -> Iterator[Path]:
    tiny.write_task(tmp_path / "tasks", "shipped")
    tiny.write_task(tmp_path / "tasks", "my_mail")
    tiny.write_suites(tmp_path / "tasks", test_items=10)
    (tmp_path / "models.yaml").write_text(MODELS, encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def test_a_task_of_ones_own_is_served_by_every_capable_model_without_editing_models_yaml(ladder: Path) -> None:
    tasks = load_tasks(ladder / "tasks")
    cells = plan_cells(load_models(ladder / "models.yaml", task_kinds(ladder / "tasks")), tasks,
                       SuiteSpec(description="all"))
    by_id = {c.id: c.method for c in cells}
    # The shipped task keeps its declared candidates; the user's task gets the default method of every
    # runtime that can classify (the rules runtime cannot).
    assert by_id == {"shipped__tfidf": "tfidf_logreg", "my_mail__tfidf": "tfidf_logreg"}


def test_a_task_can_restrict_its_candidates(ladder: Path) -> None:
    yaml_path = ladder / "tasks" / "my_mail" / "task.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8") + "candidates: [rules]\n", encoding="utf-8")
    cells = plan_cells(load_models(ladder / "models.yaml"), load_tasks(ladder / "tasks"), SuiteSpec(description="x"))
    assert [c.id for c in cells] == ["shipped__tfidf"]


def test_an_unknown_task_in_models_yaml_is_refused_with_its_line(ladder: Path) -> None:
    (ladder / "models.yaml").write_text(MODELS.replace("{shipped: tfidf_logreg}", "{shiped: tfidf_logreg}"),
                                        encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_models(ladder / "models.yaml", task_kinds(ladder / "tasks"))
    assert "models.yaml:12" in str(err.value) and "unknown task 'shiped'" in str(err.value)
    done = subprocess.run([sys.executable, "-c", "from bench.cli import main; main()", "run", "--suite", "quick"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "unknown task 'shiped'" in done.stdout + done.stderr


def test_a_method_of_the_wrong_kind_is_refused_with_its_line(ladder: Path) -> None:
    (ladder / "models.yaml").write_text(MODELS.replace("{shipped: tfidf_logreg}", "{shipped: lead_k}"),
                                        encoding="utf-8")
    with pytest.raises(ConfigError, match="serves summarisation tasks"):
        load_models(ladder / "models.yaml", task_kinds(ladder / "tasks"))


def test_a_run_scores_every_test_set_and_ranks_on_each(ladder: Path) -> None:
    task_dir = ladder / "tasks" / "my_mail"
    rows = [json.loads(line) for line in (task_dir / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    other = [{**row, "id": f"own-{row['id']}"} for row in rows[:8]]
    (task_dir / "data" / "own.jsonl").write_text("".join(json.dumps(r) + "\n" for r in other), encoding="utf-8")
    text = (task_dir / "task.yaml").read_text(encoding="utf-8").replace(
        "  columns: {id: id, input: text, target: label}\n",
        "  columns: {id: id, input: text, target: label}\n"
        "  test_sets:\n    own: {path: data/own.jsonl, provenance: eight mails of our own}\n")
    (task_dir / "task.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--suite", "quick", "--task", "my_mail", "--threads", "1"])
    assert result.exit_code == 0, result.output
    run_dir = (ladder / "results" / "latest").resolve()
    [rec] = [json.loads(line) for line in (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rec["method"] == "tfidf_logreg" and set(rec["quality_sets"]) == {"test", "own"}
    assert rec["quality_sets"]["own"]["macro_f1"]["n"] == 8
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {s["test_set"] for s in samples} == {"test", "own"}
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tasks"]["my_mail"]["test_sets"]["own"] == {"items": 8, "provenance": "eight mails of our own"}
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "own" in report and ("Transfert" in report or "Transfer" in report)
