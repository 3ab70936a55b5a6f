"""Task kinds, metrics, charts and frugality keys are each registered in one table: every entry is complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench.decide.frugality_keys import FRUGALITY
from bench.decide.rank import EXACT_KEYS, FRUGALITY_KEYS, KEY_ORDER
from bench.kinds import KINDS, METRICS, METRICS_BY_KIND, KindRules, task_kind
from bench.report.i18n import LANGS, STRINGS, key_name, key_noun, metric_name
from bench.spec.config import TaskSpec

CHARTS_MODULE = Path(__file__).resolve().parents[1] / "bench" / "report" / "charts.py"


def test_every_kind_has_a_rules_module_with_each_rule() -> None:
    rules = [name for name in dir(KindRules) if not name.startswith("_")]
    for kind in KINDS.values():
        module = kind.rules()
        assert [name for name in rules if not callable(getattr(module, name, None))] == [], kind.name
        assert kind.metrics, f"kind {kind.name} has no metric"


def test_every_metric_belongs_to_a_kind_and_is_named_in_each_language() -> None:
    for metric in METRICS.values():
        assert metric.kind in KINDS
        assert metric.column is not None or not metric.proportion
        assert metric.column is not None or metric.sequential != "mean"  # a mean stops on its per-item column
        for lang in LANGS:
            assert metric_name(metric.name, lang) == metric.words[lang] != ""
    assert set(METRICS) == {m for metrics in METRICS_BY_KIND.values() for m in metrics}


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="expected one of classification, summarisation, extraction"):
        task_kind("translation")
    with pytest.raises(ValueError, match="unknown task kind 'translation'"):
        TaskSpec.model_validate({
            "name": "t", "version": 1, "kind": "translation", "description": "", "good_enough": {"metric": "m",
                                                                                                 "min": 0.5},
            "data": {"path": "d.jsonl", "columns": {"target": "y"}}, "metrics": ["m"]})


def test_a_kind_that_needs_a_declaration_says_so() -> None:
    spec = {"name": "t", "version": 1, "kind": "extraction", "description": "",
            "good_enough": {"metric": "field_f1", "min": 0.5}, "data": {"path": "d.jsonl", "columns": {"target": "y"}},
            "metrics": ["field_f1"]}
    with pytest.raises(ValueError, match=KINDS["extraction"].missing):
        TaskSpec.model_validate(spec)


def test_frugality_keys_are_derived_from_their_table() -> None:
    assert tuple(FRUGALITY) == KEY_ORDER
    assert {name: key.column for name, key in FRUGALITY.items()} == FRUGALITY_KEYS
    assert {"params"} == EXACT_KEYS
    for name in FRUGALITY:
        for lang in LANGS:
            assert key_name(name, lang) != name and key_noun(name, lang) != name


def test_every_chart_has_its_caption_in_each_language() -> None:
    # Read from the source: importing the charts module loads matplotlib.
    tree = ast.parse(CHARTS_MODULE.read_text(encoding="utf-8"))
    table = next(node for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)
                 and isinstance(node.target, ast.Name) and node.target.id == "CHARTS")
    assert isinstance(table.value, ast.Dict)
    kinds = [ast.literal_eval(key) for key in table.value.keys if key is not None]
    assert kinds == ["quality_vs_energy", "quality_vs_size", "latency", "memory", "co2"]
    for lang in LANGS:
        assert [kind for kind in kinds if f"cap_{kind}" not in STRINGS[lang]] == []
