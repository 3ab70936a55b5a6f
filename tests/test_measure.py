"""Measurements on known inputs: statistics, the window logic, tokens, memory, energy method, profiles, duty cycle.

No test here asserts a wall-clock time: the loop runs on a fake clock, and speed lives in tests/benchmarks.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.measure.duty import ModelCallTimer, duty_cycle
from bench.measure.energy import EnergyMeter, EnergySettings, describe_cpu_method
from bench.measure.hardware import fingerprint, loaded_library_versions
from bench.measure.latency import Latency, TokenCounts, token_rates
from bench.measure.loop import measured_loop
from bench.measure.memory import MB, RssSampler, maxrss_to_mb, peak_rss_mb, rss_mb
from bench.measure.threads import PIN_ENV, THREAD_ENV, thread_env
from bench.spec.errors import BenchError, ConfigError
from bench.spec.profiles import load_profile, resolve_target

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- latency statistics


def test_latency_statistics_on_known_durations() -> None:
    durations_ns = [ms * 1_000_000 for ms in range(1, 101)]  # 1, 2, ..., 100 ms
    latency = Latency.from_ns(durations_ns, window_s=10.0)
    assert latency.latency_p50_ms == pytest.approx(50.5)
    assert latency.latency_p95_ms == pytest.approx(95.05)  # linear interpolation between order statistics
    assert latency.latency_p99_ms == pytest.approx(99.01)
    assert latency.latency_mean_ms == pytest.approx(50.5)
    assert latency.latency_std_ms == pytest.approx(math.sqrt(sum((x - 50.5) ** 2 for x in range(1, 101)) / 99))
    assert (latency.latency_min_ms, latency.latency_max_ms) == (1.0, 100.0)
    assert latency.throughput_requests_per_s == pytest.approx(10.0)  # 100 requests over a 10 s window
    assert latency.requests_measured == 100
    assert latency.batch_size == 1


def test_latency_throughput_without_window_is_requests_over_time_in_requests() -> None:
    latency = Latency.from_ns([2_000_000] * 50)  # 50 requests of 2 ms
    assert latency.throughput_requests_per_s == pytest.approx(500.0)
    assert latency.latency_std_ms == 0.0
    assert set(latency.to_dict()) >= {"latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms",
                                      "latency_std_ms", "throughput_requests_per_s"}


def test_latency_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no request"):
        Latency.from_ns([])


# ---------------------------------------------------------------- the measured loop on a fake clock


class FakeModel:
    """predict takes exactly `step_ns` on a fake clock; records when the window opens and closes."""

    def __init__(self, step_ns: int) -> None:
        self.now = 1_000_000_000
        self.step_ns = step_ns
        self.calls = 0
        self.calls_at_enter: int | None = None
        self.calls_at_exit: int | None = None

    def clock(self) -> int:
        return self.now

    def predict(self, text: str) -> str:
        self.now += self.step_ns
        self.calls += 1
        return text.upper()

    def __enter__(self) -> FakeModel:
        self.calls_at_enter = self.calls
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls_at_exit = self.calls


def test_window_repeats_whole_passes_until_long_enough() -> None:
    model = FakeModel(step_ns=10_000_000)  # 10 ms per request, 5 inputs: 50 ms per pass
    inputs = ["a", "b", "c", "d", "e"]
    loop = measured_loop(model.predict, inputs, min_window_s=0.12, warmup=2, window=model, clock=model.clock)
    assert loop.passes == 3  # 50 ms, 100 ms (< 120 ms), 150 ms: stop
    assert loop.requests == 15
    assert loop.durations_ns.tolist() == [10_000_000] * 15
    assert loop.window_s == pytest.approx(0.15)
    assert loop.inference_s == pytest.approx(0.15)
    assert loop.warmup_s == pytest.approx(0.02)
    assert loop.predictions == ["A", "B", "C", "D", "E"]  # first pass only, in input order
    # The window (energy meter, sampler) opens after the warm-up and closes after the last timed request.
    assert (model.calls_at_enter, model.calls_at_exit) == (2, 17)


def test_a_probe_cuts_its_first_pass_once_the_window_is_long_enough() -> None:
    inputs = [f"t{i}" for i in range(20)]
    slow = FakeModel(step_ns=10_000_000)  # 10 ms per request: 50 ms of window is 5 requests
    loop = measured_loop(slow.predict, inputs, min_window_s=0.05, warmup=1, clock=slow.clock, cut_after=3)
    assert (loop.passes, loop.requests) == (1, 5)
    assert loop.predictions == [text.upper() for text in inputs[:5]]  # the first inputs, in order
    few = FakeModel(step_ns=10_000_000)  # never fewer than `cut_after` requests, however long each is
    assert measured_loop(few.predict, inputs, min_window_s=0.0, warmup=0, clock=few.clock, cut_after=3).requests == 3
    fast = FakeModel(step_ns=1_000)  # a whole pass is shorter than the window: whole passes, as without a cut
    loop = measured_loop(fast.predict, inputs, min_window_s=0.0001, warmup=0, clock=fast.clock, cut_after=3)
    assert loop.passes == 5 and loop.predictions == [text.upper() for text in inputs]


def test_window_shorter_than_one_pass_times_one_pass() -> None:
    model = FakeModel(step_ns=1_000)
    loop = measured_loop(model.predict, ["x", "y", "z"], min_window_s=0.0, warmup=0, clock=model.clock)
    assert (loop.passes, loop.requests) == (1, 3)


def test_warmup_longer_than_the_inputs_cycles_over_them() -> None:
    model = FakeModel(step_ns=1_000)
    measured_loop(model.predict, ["x", "y"], min_window_s=0.0, warmup=5, clock=model.clock)
    assert model.calls == 5 + 2


def test_empty_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        measured_loop(str.upper, [], min_window_s=1.0)


def test_the_real_clock_loop_returns_int64_durations() -> None:
    loop = measured_loop(str.upper, ["a", "b"], min_window_s=0.0, warmup=1)
    assert loop.durations_ns.dtype == np.int64 and loop.requests == 2 and (loop.durations_ns >= 0).all()
    assert loop.cpu_user_s >= 0 and loop.cpu_system_s >= 0


# ---------------------------------------------------------------- tokens of generative methods


class FakeGenerator:
    def __init__(self, timed: bool) -> None:
        self.tokens_in, self.tokens_out, self.cached_tokens = 0, 0, 0
        if timed:
            self.prompt_ms, self.generation_ms = 0.0, 0.0

    def predict(self, text: str) -> str:
        self.tokens_in += 100
        self.cached_tokens += 20
        self.tokens_out += 10
        if hasattr(self, "prompt_ms"):
            self.prompt_ms += 80.0
            self.generation_ms += 200.0
        return "ok"


def test_token_rates_from_runtime_timings() -> None:
    method = FakeGenerator(timed=True)
    method.predict("warm-up: not in the window")
    before = TokenCounts.read(method)
    for _ in range(4):
        method.predict("x")
    rates = token_rates(before, TokenCounts.read(method), requests=4, inference_s=2.0)
    assert rates["tokens_in_total"] == 400 and rates["tokens_out_total"] == 40
    assert rates["tokens_out_per_request_mean"] == 10
    assert rates["tokens_in_per_s"] == pytest.approx((400 - 80) / 0.32)  # evaluated prompt tokens ÷ prompt time
    assert rates["tokens_out_per_s"] == pytest.approx(40 / 0.8)
    assert rates["tokens_per_s_basis"].startswith("runtime timings")


def test_token_rates_from_wall_time_without_runtime_timings() -> None:
    method = FakeGenerator(timed=False)
    before = TokenCounts.read(method)
    method.predict("x")
    rates = token_rates(before, TokenCounts.read(method), requests=1, inference_s=0.5)
    assert rates["tokens_out_per_s"] == pytest.approx(20.0)
    assert rates["tokens_per_s_basis"].startswith("request wall time")


def test_methods_without_token_counters_report_no_token_fields() -> None:
    assert TokenCounts.read(object()) is None
    assert token_rates(None, None, requests=10, inference_s=1.0) == {}


# ---------------------------------------------------------------- memory


def test_rss_figures_are_in_megabytes() -> None:
    assert MB == 1_000_000
    assert 5 < rss_mb() <= peak_rss_mb() + 1  # a Python process is more than 5 MB
    assert maxrss_to_mb(1000) == pytest.approx(1.024)  # Linux reports KiB


def test_sampler_sees_an_allocation_inside_its_window() -> None:
    sampler = RssSampler(interval_s=0.01).start()
    with sampler.window():
        block = bytearray(b"\x01") * (64 * MB)  # touched pages: resident
        sampler.sample()
        del block
    sampler.stop()
    figures = sampler.figures()
    assert figures["peak_rss_window_sampled_mb"] >= 64
    assert figures["peak_rss_sampled_mb"] >= figures["peak_rss_window_sampled_mb"]
    assert figures["rss_samples"] >= 3


# ---------------------------------------------------------------- the energy method on record


def test_cpu_method_sentences() -> None:
    rapl = describe_cpu_method("intel_rapl", None, stated_w=None, threads=2, machine_cpus=2, cpu_model="x",
                               in_tdp_table=None)
    assert rapl["measured"] is True and rapl["cpu"] == "measured (RAPL energy counters)"
    stated = describe_cpu_method("cpu_load", 30.0, stated_w=15.0, threads=2, machine_cpus=4, cpu_model="x",
                                 in_tdp_table=None)
    assert stated["cpu_source"] == "stated" and "stated CPU power 15 W for 2 threads" in stated["cpu"]
    table = describe_cpu_method("cpu_load", 65.0, stated_w=None, threads=8, machine_cpus=8,
                                cpu_model="Intel Xeon", in_tdp_table=True)
    assert table["cpu_source"] == "tdp_table" and table["measured"] is False
    unknown = describe_cpu_method("cpu_load", 8.0, stated_w=None, threads=2, machine_cpus=2,
                                  cpu_model="AMD EPYC", in_tdp_table=False)
    assert unknown["cpu_source"] == "per_thread_default"
    assert "unknown to codecarbon, default 4 W per thread × 2 threads = 8 W" in unknown["cpu"]


def _burn(seconds: float) -> None:
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_stated_cpu_wattage_is_what_the_record_says() -> None:
    meter = EnergyMeter(EnergySettings(cpu_watts=7.5, ram_watts=2.0, carbon_intensity_g_per_kwh=50.0), threads=1)
    with meter:
        _burn(0.3)
    reading = meter.reading(requests=10)
    method = reading["energy_method"]
    assert reading["energy_measured"] is False and method["measured"] is False
    assert method["cpu_source"] == "stated" and method["cpu_watts_stated"] == 7.5
    assert method["cpu"].startswith("estimate: stated CPU power 7.5 W for 1 threads")
    # codecarbon divides by this machine's CPUs: it must be given 7.5 W × CPUs ÷ threads.
    assert method["cpu_power_assumed_w"] == pytest.approx(7.5 * method["machine_logical_cpus"])
    assert method["ram_source"] == "stated" and method["ram_power_w"] == pytest.approx(2.0)
    assert method["carbon_intensity_source"] == "stated"
    assert reading["energy_window_wh"] > 0  # 2 W of RAM over 0.3 s at least
    assert reading["grid_carbon_intensity_g_per_kwh"] == pytest.approx(50.0)
    assert reading["energy_wh_per_1000_requests"] == pytest.approx(reading["energy_window_wh"] * 100)
    assert reading["pue"] == 1.0


def test_without_a_statement_the_record_names_codecarbon_s_method() -> None:
    meter = EnergyMeter(EnergySettings(), threads=2)
    with meter:
        _burn(0.2)
    method = meter.reading(requests=1)["energy_method"]
    assert method["cpu_watts_stated"] is None
    if method["measured"]:
        assert method["cpu"].startswith("measured")
    else:  # this VM: no RAPL, CPU unknown to codecarbon
        assert method["cpu"].startswith("estimate: ") and method["cpu_source"] != "stated"
        assert method["cpu_power_assumed_w"] is not None and method["cpu_power_assumed_w"] > 0


# ---------------------------------------------------------------- hardware fingerprint


def test_fingerprint_and_library_versions() -> None:
    info = fingerprint()
    assert info["cpu_logical_cores"] >= 1 and info["ram_total_gb"] > 0 and info["os"]
    versions = loaded_library_versions()
    assert versions["numpy"] == np.__version__
    assert "os" not in versions  # the standard library is not a dependency


# ---------------------------------------------------------------- threads and target profiles


def test_thread_env_caps_every_pool_and_pins_only_on_request() -> None:
    env = thread_env(3)
    assert all(env[name] == "3" for name in THREAD_ENV) and PIN_ENV not in env
    assert thread_env(1, pin_cpus=True)[PIN_ENV] == "1"


def _profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.yaml"
    path.write_text("profiles:\n  small:\n    description: two cores\n    threads: 2\n    pin_cpus: true\n"
                    "    cpu_watts: 15\n    pue: 1.4\n", encoding="utf-8")
    return path


def test_command_line_overrides_the_profile_which_overrides_defaults(tmp_path: Path) -> None:
    path = _profiles(tmp_path)
    target = resolve_target("small", path)
    assert (target.threads, target.pin_cpus, target.cpu_watts, target.ram_watts, target.pue) == (2, True, 15, None, 1.4)
    target = resolve_target("small", path, threads=1, cpu_watts=9.0, pue=1.0)
    assert (target.threads, target.cpu_watts, target.pue) == (1, 9.0, 1.0)
    assert target.to_dict()["profile"] == "small"
    default = resolve_target(None, tmp_path / "absent.yaml")
    assert default.profile is None and default.threads >= 1 and default.pue == 1.0 and not default.pin_cpus


def test_profile_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = _profiles(tmp_path)
    with pytest.raises(BenchError, match="unknown profile 'big'"):
        load_profile(path, "big")
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles:\n  small:\n    description: x\n    threads: 0\n", encoding="utf-8")
    with pytest.raises((ConfigError, BenchError), match=r"bad\.yaml:4"):
        load_profile(bad, "small")


def test_the_shipped_profiles_file_is_valid() -> None:
    for name in ("poste-agent", "vm-2vcpu", "un-coeur"):
        assert load_profile(ROOT / "profiles.yaml", name).threads >= 1


# ---------------------------------------------------------------- duty cycle


def test_duty_cycle_accounts_for_the_rest_of_the_wall_time() -> None:
    records: list[dict[str, Any]] = [
        {"status": "ok", "wall_s": 10.0, "phase_times_s": {"startup_s": 1.0, "fit_inference_s": 1.5,
                                                           "fit_other_s": 0.5, "warmup_s": 0.5, "inference_s": 6.0}},
        {"status": "failed", "wall_s": 2.0},
    ]
    duty = duty_cycle(records, wall_s=16.0)
    assert duty.inference == {"timed requests": 6.0, "warm-up": 0.5, "during fit": 1.5}
    assert duty.ratio == pytest.approx(8.0 / 16.0)
    assert duty.parts["failed cells"] == 2.0
    assert duty.parts["process spawn and exit"] == pytest.approx(0.5)
    assert duty.parts["harness outside cells (start-up, plan, manifest, report)"] == pytest.approx(4.0)
    assert duty.summary().startswith("duty cycle 0.50: 8.0 s inside model inference")


class Encoder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> int:
        if len(texts) > 2:  # splits big batches by calling itself, as the ONNX and HF runtimes do
            return sum(self.embed(texts[i:i + 2]) for i in range(0, len(texts), 2))
        self.seen += texts
        return len(texts)


def test_model_call_timer_counts_calls_during_fit_and_then_steps_aside() -> None:
    model = Encoder()
    with ModelCallTimer(model) as timer:
        assert model.embed(["a", "b"]) == 2 and isinstance(model, Encoder)
        assert model.embed(["c", "d", "e"]) == 3  # one timed call, not three
    assert timer.calls == 2 and timer.seconds > 0 and model.seen == ["a", "b", "c", "d", "e"]
    assert "embed" not in vars(model)  # the measured loop calls the model directly
    with ModelCallTimer(None) as nothing:
        pass
    assert nothing.calls == 0


def test_contention_counts_other_processes_and_not_the_measured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.measure import contention

    clock = iter([100.0, 102.0])  # a 2 s window
    machine = iter([(50.0, 1.0), (54.0, 1.5)])  # 4 busy CPU s on the machine, 0.5 s stolen
    own = iter([10.0, 11.0])  # 1 of them was the measured process
    monkeypatch.setattr(contention.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(contention, "_busy_s", lambda: next(machine))
    monkeypatch.setattr(contention, "_own_s", lambda: next(own))
    with contention.ContentionMeter() as meter:
        pass
    figures = meter.figures()
    assert figures["window_other_cpu_cores"] == pytest.approx(1.5)
    assert figures["window_steal_cores"] == pytest.approx(0.25)
    assert figures["window_machine_shared"] is True


def test_contention_sees_a_process_spinning_beside_the_window() -> None:
    import multiprocessing
    import time

    from bench.measure.contention import ContentionMeter

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass

    context = multiprocessing.get_context("fork")
    other = context.Process(target=spin, args=(1.5,))
    other.start()
    try:
        with ContentionMeter() as meter:
            time.sleep(1.0)  # the measured process itself is idle
    finally:
        other.join()
    assert meter.other_cores is not None and meter.other_cores > 0.5
