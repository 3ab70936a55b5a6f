"""Every case of the catalogue (hostile_cases.py), run through the command line.

Whatever the case, the output never holds a traceback and the command never touches the network; a
refusal (exit 2) names the file, the line and the field in the fragment the case expects, and never
leaves a run folder behind. Cases that used to hang run in a child with a memory limit and a deadline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile_cases import CASES, MINIMUM_CASES
from hostile_cli import cli, guarded, squeeze


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name: str, workspace: Path, no_network: list[Any], monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    if case.breaker is not None:
        case.breaker(workspace)
    before = set((workspace / "results").glob("*")) if (workspace / "results").is_dir() else set()
    if case.max_s is not None:
        code, output, seconds = guarded(case.command, workspace)
    else:
        code, output, seconds = cli(monkeypatch, capsys, case.command, workspace)
    squeezed = squeeze(output)
    assert "Traceback" not in output, output
    assert squeeze(case.expect) in squeezed, output
    assert code == case.code, output
    if case.max_s is not None:
        assert seconds < case.max_s, f"{seconds:.2f} s"
    assert not no_network, f"the command tried the network: {no_network}"
    if code == 2:
        after = set((workspace / "results").glob("*")) if (workspace / "results").is_dir() else set()
        assert after == before, "a refused command left a run folder behind"


def test_the_catalogue_cannot_silently_shrink() -> None:
    assert len(CASES) >= MINIMUM_CASES, sorted(CASES)


def test_every_method_declares_the_task_kinds_its_class_serves() -> None:
    """models.yaml is checked against METHOD_KINDS without importing the methods: it must not drift."""
    from bench.methods import METHOD_KINDS, METHODS, get_method

    assert set(METHOD_KINDS) == set(METHODS)
    for name, kind in METHOD_KINDS.items():
        assert get_method(name).kinds == {kind}, name
