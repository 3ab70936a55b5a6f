"""The planner: one cell per (model, task) where the model declares the task and the suite selects both."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiny

from bench.run.plan import load_models, load_suite, load_tasks, plan_cells
from bench.spec.config import ItemLimits, SuiteSpec
from bench.spec.errors import BenchError, ConfigError


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    tasks = tmp_path / "tasks"
    tiny.write_task(tasks, "route_a")
    tiny.write_task(tasks, "route_b")
    tiny.write_suites(tasks)
    (tmp_path / "models.yaml").write_text("""\
models:
  - id: small
    family: f
    runtime: onnxruntime
    source: {trained: tfidf_logreg}
    licence: MIT
    tasks: {route_a: tfidf_logreg, route_b: tfidf_logreg}
  - id: only-a
    family: f
    runtime: onnxruntime
    source: {trained: tfidf_logreg}
    licence: MIT
    tasks: {route_a: tfidf_logreg}
""", encoding="utf-8")
    return tmp_path


def test_cells_only_where_the_model_declares_the_task(workspace: Path) -> None:
    cells = plan_cells(load_models(workspace / "models.yaml"), load_tasks(workspace / "tasks"),
                       SuiteSpec(description="all"))
    assert [c.id for c in cells] == ["route_a__small", "route_a__only-a", "route_b__small"]


def test_suite_and_filters_select(workspace: Path) -> None:
    models = load_models(workspace / "models.yaml")
    tasks = load_tasks(workspace / "tasks")
    suite = SuiteSpec(description="b only", tasks=["route_b"], models=["small", "only-a"], items=ItemLimits(test=5))
    assert [c.id for c in plan_cells(models, tasks, suite)] == ["route_b__small"]
    assert [c.id for c in plan_cells(models, tasks, SuiteSpec(description="x"), ["only-a"])] == ["route_a__only-a"]
    with pytest.raises(BenchError, match="unknown model"):
        plan_cells(models, tasks, SuiteSpec(description="x"), ["nope"])


def test_unknown_suite_and_task_are_refused(workspace: Path) -> None:
    with pytest.raises(BenchError, match="unknown suite 'nightly'"):
        load_suite(workspace / "tasks" / "suites.yaml", "nightly")
    with pytest.raises(BenchError, match="unknown task"):
        load_tasks(workspace / "tasks", ["route_c"])


def test_unknown_runtime_is_refused_with_its_field(workspace: Path) -> None:
    path = workspace / "models.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("runtime: onnxruntime", "runtime: tensorflow", 1),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_models(path)
    assert excinfo.value.field == "models.0.runtime"
    assert "unknown runtime 'tensorflow'" in str(excinfo.value)


def test_limited_task_draws_the_same_items_every_time(workspace: Path) -> None:
    task = load_tasks(workspace / "tasks")["route_a"]
    first, second = task.limited(10, 5, seed=1), task.limited(10, 5, seed=1)
    assert first.sizes()["test"] == 5 and first.sizes()["train"] == 10
    assert [i.id for i in first.splits["test"]] == [i.id for i in second.splits["test"]]


def test_smaller_limits_draw_a_subset_of_larger_ones(workspace: Path) -> None:
    task = load_tasks(workspace / "tasks")["route_a"]
    small = {i.id for i in task.limited(None, 4, seed=3).splits["test"]}
    large = {i.id for i in task.limited(None, 11, seed=3).splits["test"]}
    assert len(small) == 4 and len(large) == 11 and small < large


def test_suite_caps_items_per_model(workspace: Path) -> None:
    from bench.run.runner import cell_items

    models = load_models(workspace / "models.yaml")
    tasks = load_tasks(workspace / "tasks")
    suite = SuiteSpec(description="x", items=ItemLimits(test=10), model_items={"only-a": ItemLimits(test=3)})
    cells = {c.id: c for c in plan_cells(models, tasks, suite)}
    assert cell_items({"train": None, "test": 10}, cells["route_a__only-a"]) == {"train": None, "test": 3}
    assert cell_items({"train": None, "test": 10}, cells["route_a__small"]) == {"train": None, "test": 10}
    assert cell_items({"train": None, "test": 2}, cells["route_a__only-a"]) == {"train": None, "test": 2}
    with pytest.raises(BenchError, match="unknown model"):
        plan_cells(models, tasks, SuiteSpec(description="x", model_items={"ghost": ItemLimits(test=1)}))


def test_suite_keeps_a_slow_rung_to_some_tasks(workspace: Path) -> None:
    models = load_models(workspace / "models.yaml")
    tasks = load_tasks(workspace / "tasks")
    everywhere = {c.id for c in plan_cells(models, tasks, SuiteSpec(description="x"))}
    kept = {c.id for c in plan_cells(models, tasks, SuiteSpec(description="x", model_tasks={"only-a": []}))}
    assert any(cell.endswith("__only-a") for cell in everywhere)
    assert kept == {cell for cell in everywhere if not cell.endswith("__only-a")}
    with pytest.raises(BenchError, match="unknown model"):
        plan_cells(models, tasks, SuiteSpec(description="x", model_tasks={"ghost": ["route_a"]}))
    suites = workspace / "tasks" / "suites.yaml"
    suites.write_text("suites:\n  s: {description: x, model_tasks: {only-a: [route_z]}}\n", encoding="utf-8")
    with pytest.raises(BenchError, match=r"unknown task.*route_z"):
        load_suite(suites, "s")
