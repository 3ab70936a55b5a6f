"""The merge refuses shards it cannot prove to be one run, naming each difference; mixed hardware is kept apart."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import bench.cli
import bench.merge_cli
from bench.decide.baseline import load_side
from bench.decide.compare import compare
from bench.decide.rank import rank_records
from bench.run.proof import differences
from bench.run.results import read_records

PLAN = ["route__small", "route__large"]
SLICES = [["route__small"], ["route__large"]]
INTEL, AMD = "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz", "AMD EPYC 7763 64-Core Processor"


def _manifest(index: int) -> dict[str, Any]:
    return {
        "run_id": f"20261201T000000Z-0123abcd-shard{index}of2", "created_at": "2026-12-01T00:00:00+00:00",
        "frugal_bench_version": "0.1.0", "git_sha": "0123abcd" * 5, "git_dirty": False,
        "settings": {"suite": "standard", "threads": 2, "items": {"train": None, "test": 50}, "seed": 0,
                     "min_energy_window_s": 10, "models_dir": f"/node{index}/models",
                     "profile": {"profile": None, "threads": 2}},
        "hardware": {"cpu_model": INTEL, "cpu_logical_cores": 2, "python": "3.11.9"},
        "packages": {"numpy": "2.1.0", "onnxruntime": "1.20.0"},
        "tasks": {"route": {"version": 1, "data_sha256": {"data/test.jsonl": "a" * 64, "data/train.jsonl": "b" * 64},
                            "gate": {"metric": "macro_f1", "min": 0.5}}},
        "models": {"small": {"files_sha256": {}, "source": {"trained": "tfidf_logreg"}, "params": 10},
                   "large": {"files_sha256": {"model.onnx": "c" * 64}, "source": {"path": "/m"}, "params": 1000}},
        "cells": SLICES[index],
        "shard": {"index": index, "count": 2, "plan": PLAN, "slices": SLICES, "host": f"host{index}",
                  "costs_source": "estimate"},
    }


def _record(cell_id: str, run_id: str, energy: float) -> dict[str, Any]:
    model = cell_id.split("__")[1]
    return {"run_id": run_id, "cell_id": cell_id, "task": "route", "model_id": model, "status": "ok",
            "attempt": f"att-{model}", "gate": {"metric": "macro_f1", "min": 0.5}, "params": 10 if model == "small"
            else 1000, "data_sha256": {"data/test.jsonl": "a" * 64, "data/train.jsonl": "b" * 64},
            "quality": {"macro_f1": {"value": 0.9, "ci_low": 0.8, "ci_high": 0.95, "n": 50}},
            "energy_wh_per_1000_requests": energy, "peak_rss_mb": 100.0, "latency_p95_ms": 1.0, "wall_s": 5.0,
            "hardware": {"cpu_model": INTEL}}


def _write(root: Path, manifests: list[dict[str, Any]], cells: list[list[str]] | None = None) -> list[Path]:
    folders = []
    for index, manifest in enumerate(manifests):
        folder = root / "shards" / manifest["run_id"]
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        mine = cells[index] if cells is not None else manifest["cells"]
        rows = [_record(c, manifest["run_id"], 0.01 if index == 0 else 0.02) for c in mine]
        (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (folder / "samples.jsonl").write_text("".join(
            json.dumps({"run_id": manifest["run_id"], "cell_id": c, "attempt": f"att-{c.split('__')[1]}",
                        "item_id": f"i{k}"}) + "\n" for c in mine for k in range(3)), encoding="utf-8")
        folders.append(folder)
    return folders


def _merge(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    for module in (bench.cli, bench.merge_cli):
        monkeypatch.setattr(module, "console", Console(width=400, no_color=True))
    monkeypatch.setattr(sys, "argv", ["frugal-bench", "merge", *args])
    try:
        bench.cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_shards_with_different_data_hashes_are_refused_with_the_difference_named(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _manifest(0), _manifest(1)
    second["tasks"]["route"]["data_sha256"]["data/test.jsonl"] = "f" * 64
    code, output = _merge(monkeypatch, capsys, *map(str, _write(workspace, [first, second])))
    assert code == 2, output
    assert "cannot merge these 2 runs" in output
    line = next(x for x in output.splitlines() if "tasks.route.data_sha256.data/test.jsonl differs" in x)
    assert "aaaa" in line and "ffff" in line and "shard 0/2" in line and "shard 1/2" in line
    assert "data/train.jsonl" not in output  # only what differs is named
    assert not (workspace / "results").exists() or not list((workspace / "results").glob("*-merged"))


def test_shards_on_different_cpu_models_are_refused_unless_kept_apart(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _manifest(0), _manifest(1)
    second["hardware"]["cpu_model"] = AMD
    folders = [str(f) for f in _write(workspace, [first, second])]
    code, output = _merge(monkeypatch, capsys, *folders)
    assert code == 2, output
    line = next(x for x in output.splitlines() if "hardware.cpu_model differs" in x)
    assert INTEL in line and AMD in line and "--allow-mixed-hardware" in line

    code, output = _merge(monkeypatch, capsys, *folders, "--allow-mixed-hardware", "--key", "params")
    assert code == 0, output
    assert "2 hardware classes" in output and "kept apart" in output
    merged = (workspace / "results" / "latest").resolve()
    records = read_records(merged)
    assert [r["hardware_class"] for r in records] == [f"{INTEL}, 2 threads", f"{AMD}, 2 threads"]
    # Costs never meet across classes: the task is ranked once per class.
    tasks = sorted(r.task for r in rank_records(records))
    assert tasks == [f"route [{AMD}, 2 threads]", f"route [{INTEL}, 2 threads]"]
    manifest = json.loads((merged / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["merged"]["mixed_hardware"] is True and manifest["merged"]["machines"] == 2
    assert [c["shards"] for c in manifest["merged"]["hardware_classes"]] == [["0/2"], ["1/2"]]
    report = (merged / "report.md").read_text(encoding="utf-8")
    assert "2 fragments produits par 2 machines, de 2 classes matérielles" in report
    assert "classée une fois par classe" in report
    # The regression gate against an unsharded reference: quality is checked, one recommendation is not made.
    reference = load_side(str(merged), workspace / "results")
    reference.records = [r.model_copy(update={"hardware_class": None}) for r in reference.records]
    result = compare(reference, load_side(str(merged), workspace / "results"), costs="never")
    assert not result.regressions
    assert any("ran on several hardware classes" in note for note in result.notes)


def test_missing_duplicated_and_unexpected_cells_are_named(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folders = [str(f) for f in _write(workspace, [_manifest(0), _manifest(1)], cells=[[], [*PLAN, "route__ghost"]])]
    code, output = _merge(monkeypatch, capsys, *folders)
    assert code == 2, output
    assert "cell route__small duplicated" not in output
    assert "cell route__ghost recorded by shard 1/2" in output and "is not in the plan" in output
    folders = [str(f) for f in _write(workspace / "again", [_manifest(0), _manifest(1)], cells=[PLAN, []])]
    code, output = _merge(monkeypatch, capsys, folders[0])  # shard 1/2 never given, its cell recorded by 0/2
    assert code == 0, output  # every planned cell is there exactly once
    folders = [str(f) for f in _write(workspace / "third", [_manifest(0), _manifest(1)], cells=[PLAN, SLICES[1]])]
    code, output = _merge(monkeypatch, capsys, *folders)
    assert code == 2 and "cell route__large duplicated: recorded by shard 0/2" in output
    folders = [str(f) for f in _write(workspace / "fourth", [_manifest(0), _manifest(1)], cells=[SLICES[0], []])]
    code, output = _merge(monkeypatch, capsys, *folders)
    assert code == 2
    assert "cell route__large missing: no shard recorded it (finish it with `frugal-bench run --resume " \
           "20261201T000000Z-0123abcd-shard1of2 --shard 1/2`)" in output
    code, output = _merge(monkeypatch, capsys, folders[0])
    assert code == 2 and "cell route__large missing: no shard recorded it (shard 1/2 was not given)" in output


def test_code_packages_weights_settings_and_plans_must_agree(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _manifest(0), _manifest(1)
    second["git_sha"] = "fedcba98" * 5
    second["packages"]["onnxruntime"] = "1.19.2"
    second["models"]["large"]["files_sha256"]["model.onnx"] = "d" * 64
    second["settings"]["items"]["test"] = 40
    second["settings"]["threads"] = 4  # and a different hardware class
    second["shard"]["slices"] = [["route__large"], ["route__small"]]
    code, output = _merge(monkeypatch, capsys, *map(str, _write(workspace, [first, second], cells=[["route__small"],
                                                                                                 ["route__large"]])))
    assert code == 2
    for named in ("git_sha differs", "packages.onnxruntime differs: 1.20.0 in shard 0/2", "1.19.2 in shard 1/2",
                  "models.large.files_sha256.model.onnx differs", "settings.items.test differs: 50 in",
                  "hardware.threads differs: 2 in", "partition differs"):
        assert named in output, named
    assert "models_dir" not in output  # where each machine keeps its models is not a difference


def test_same_shard_twice_a_plain_run_and_a_cell_that_saw_other_data(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    first = _manifest(0)
    twin = copy.deepcopy(first)
    twin["run_id"] += "-again"
    folders = [str(f) for f in _write(workspace, [first, twin, _manifest(1)])]
    code, output = _merge(monkeypatch, capsys, *folders)
    assert code == 2 and "shard 0/2 given 2 times" in output and "cell route__small duplicated" in output
    code, output = _merge(monkeypatch, capsys, folders[0], folders[0])
    assert code == 2 and "the same run folder given twice" in output
    plain = _manifest(1)
    del plain["shard"]
    plain["run_id"] = "20261201T000000Z-plain"
    code, output = _merge(monkeypatch, capsys, folders[0], str(_write(workspace / "p", [plain])[0]))
    assert code == 2 and "not a shard" in output and "--shard K/N" in output
    # A cell that hashed other data than its manifest pinned (the data changed while the shard ran).
    folders = _write(workspace / "q", [_manifest(0), _manifest(1)])
    path = folders[1] / "records.jsonl"
    row = json.loads(path.read_text(encoding="utf-8"))
    row["data_sha256"]["data/test.jsonl"] = "e" * 64
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    code, output = _merge(monkeypatch, capsys, *map(str, folders))
    assert code == 2 and "data of task route.data/test.jsonl differs" in output and "(as the cells hashed it)" in output
    code, output = _merge(monkeypatch, capsys, str(workspace / "nowhere"))
    assert code == 2 and "no run" in output


def test_differences_name_nested_fields() -> None:
    assert differences("x", {"a": {"k": 1, "same": 2}, "b": {"k": 3, "same": 2}}) == ["x.k differs: 1 in a; 3 in b"]
    assert differences("x", {"a": {"k": 1}, "b": {}}) == ["x.k differs: 1 in a; absent in b"]
    assert differences("x", {"a": [1, 2], "b": [1, 2]}) == []


def test_every_difference_is_named_at_once(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _manifest(0), _manifest(1)
    second["tasks"]["route"]["data_sha256"]["data/test.jsonl"] = "f" * 64
    second["hardware"]["cpu_model"] = AMD
    code, output = _merge(monkeypatch, capsys, *map(str, _write(workspace, [first, second], cells=[SLICES[0], []])))
    assert code == 2
    assert "data_sha256.data/test.jsonl differs" in output and "hardware.cpu_model differs" in output
    assert "cell route__large missing" in output
