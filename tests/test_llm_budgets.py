"""LLM answers within their budgets: summaries end within the task's word budget, every cut counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_llamacpp import make_method, with_prompt, write_summary_task

from bench.methods.llm_summarise import within_budget


def test_a_summary_within_the_budget_is_kept() -> None:
    assert within_budget("Une phrase. Une autre.", 10) == "Une phrase. Une autre."


def test_a_long_summary_is_cut_back_to_its_last_sentence_within_the_budget() -> None:
    text = "Un deux trois. Quatre cinq six. Sept huit neuf dix onze."
    assert within_budget(text, 8) == "Un deux trois. Quatre cinq six."
    assert within_budget(text, 2) == "Un deux"  # no sentence ends within the budget: its words only


def test_a_summary_stopped_mid_sentence_loses_the_unfinished_sentence() -> None:
    assert within_budget("Une phrase finie. Une autre qui", 60, cut_off=True) == "Une phrase finie."
    assert within_budget("Rien de fini", 60, cut_off=True) == "Rien de fini"  # nothing better to keep


def test_summary_budget_comes_from_the_task_and_cuts_are_counted(tiny_model: Any, tmp_path: Path) -> None:
    task_dir = with_prompt(write_summary_task(tmp_path), "llm_summarise", "summarise_notes")
    yaml = task_dir / "task.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("good_enough:", "length_budget_words: 5\ngood_enough:"),
                    encoding="utf-8")
    method, task = make_method("llm_summarise", tiny_model, task_dir, tmp_path, shots=1)
    fit = method.fit(task.splits["train"], task.splits["dev"])
    assert fit["length_budget_words"] == 5 and fit["max_tokens"] == 19  # ceil(5 x 2.2) + 8
    assert "jamais plus de 5" in method.system
    summaries = [method.predict(item.text) for item in task.splits["test"]]
    assert all(len(summary.split()) <= 5 for summary in summaries)
    usage = method.usage()
    assert usage["length_budget_words"] == 5
    assert usage["truncated_outputs"] == method.truncated_outputs and "trimmed_outputs" in usage
    json.dumps(usage)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_llamacpp import build_tiny_gguf, sha256, spec_for

    from bench.runtimes import get_runtime

    pytest.importorskip("xllamacpp")
    gguf = build_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
    spec = spec_for({"path": str(gguf.parent)}, {gguf.name: sha256(gguf)})
    return get_runtime("llamacpp").load(spec, gguf.parent, threads=1)
