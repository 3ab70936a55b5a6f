"""The package's import graph has no circle, counting imports made inside functions.

A circle held together by function-local imports still couples the modules: one cannot be read, tested
or moved without the other. Imports under `if TYPE_CHECKING:` are for the type checker only.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bench"


def _module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`."""
    out: list[ast.AST] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out.extend(n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        out.extend([node, *_runtime_nodes(node)])
    return out


def imports(name: str, source: str, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports at run time (its own parent packages aside)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {t for t in targets if t in known and t != name and not name.startswith(f"{t}.")}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _module_names()
    return {name: imports(name, path.read_text(encoding="utf-8"), set(modules)) for name, path in modules.items()}


def test_the_import_graph_has_no_circle() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_function_local_imports_count_and_type_checking_ones_do_not() -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bench.c import y\n"
              "def f() -> None:\n    from bench.b import x\n")
    assert imports("bench.a", source, {"bench.a", "bench.b", "bench.c"}) == {"bench.b"}


def test_the_cache_folder_module_is_a_leaf() -> None:
    assert import_graph()["bench.weights.cache"] == set()


def test_tables_printed_to_a_pipe_keep_each_row_on_one_line(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from rich.table import Table

    from bench.terminal import make_console

    monkeypatch.delenv("COLUMNS", raising=False)
    table = Table("model", "Energy (kWh/year)", "CO2e (kg/year)", "Compute hours per year", "Cores at peak")
    table.add_row("qwen2.5-coder-0.5b-q4", "1 234", "56.7", "8 760", "4")
    make_console().print(table)  # pytest captures stdout: not a terminal
    lines = capsys.readouterr().out.splitlines()
    assert any("Energy (kWh/year)" in line and "Cores at peak" in line for line in lines)
    assert any("qwen2.5-coder-0.5b-q4" in line and "8 760" in line for line in lines)
