"""Procurement projection: safe parsing of the volume and the yearly arithmetic, checked by hand."""

from __future__ import annotations

import math

import pytest

from bench.decide.projection import Assumptions, VolumeError, parse_volume, project, project_rows
from bench.run.results import flatten

RECORD = flatten({"cell_id": "classify_mail__e5", "task": "classify_mail", "model_id": "e5", "status": "ok",
                  "threads": 2, "energy_wh_per_1000_requests": 0.5, "co2_g_per_1000_requests": 0.028,
                  "throughput_requests_per_s": 20.0,
                  "energy_method": {"measured": False, "carbon_intensity_g_per_kwh": 56.0}})


@pytest.mark.parametrize(("expression", "expected"), [
    ("10000 agents x 20 mails/day x 220 days", 44_000_000),
    ("10 000 agents × 20 mails/jour × 220 jours", 44_000_000),
    ("10,000 x 20 x 220", 44_000_000),
    ("10000x20x220", 44_000_000),
    ("10_000 * 20 * 220", 44_000_000),
    ("44e6", 44_000_000),
    ("44 000 000", 44_000_000),
    ("2,5 M", 2_500_000),
    ("1.5k agents x 4 mails/day x 5 days/week x 44 weeks", 1_320_000),
    ("20 mails par jour x 220 jours par an", 4_400),
    ("3 millions de courriers", 3_000_000),
    ("1200 mails/month x 12 months/year", 14_400),
])
def test_parse_volume(expression: str, expected: float) -> None:
    assert parse_volume(expression).requests_per_year == pytest.approx(expected)


def test_parse_plain_numbers_and_describe() -> None:
    assert parse_volume(1_000_000).requests_per_year == 1_000_000
    volume = parse_volume("10000 agents x 20 mails/day x 220 days")
    assert [f.count for f in volume.factors] == [10000, 20, 220]
    assert volume.describe() == "10000 agents × 20 mails/day × 220 days = 44,000,000 requests/year"


@pytest.mark.parametrize("expression", [
    "", "agents", "__import__('os').system('true')", "2**40", "1000 mails/day", "5 mails/day x 52 weeks",
    "10 x (20 + 3)", "1e400", "-5", "10 mails/", "x" * 400, "0 x 5",
])
def test_parse_volume_refuses_what_it_cannot_read_safely(expression: str) -> None:
    with pytest.raises(VolumeError):
        parse_volume(expression)


def test_a_per_day_volume_says_how_to_fix_it() -> None:
    with pytest.raises(VolumeError, match=r"per day: .* e\.g\. '1000 mails/day x 220 days'"):
        parse_volume("1000 mails/day")


def test_projection_arithmetic_by_hand() -> None:
    p = project(RECORD, parse_volume("10000 agents x 20 mails/day x 220 days"))
    # 0.5 Wh per 1000 requests × 44e6 requests = 22,000 Wh = 22 kWh
    assert p.energy_kwh == pytest.approx(22.0)
    # 0.028 g per 1000 requests × 44e6 = 1232 g = 1.232 kg
    assert p.co2_kg == pytest.approx(1.232)
    # 44e6 requests / 20 req/s = 2.2e6 s = 611.1 h busy, × 2 threads = 1222.2 core-hours
    assert p.busy_hours == pytest.approx(611.111, rel=1e-5)
    assert p.compute_hours == pytest.approx(1222.222, rel=1e-5)
    # 611 h of work over 1607 service hours: 0.38 of one instance -> 1 instance of 2 threads
    assert (p.instances, p.cores) == (1, 2)
    assert p.carbon_intensity_g_per_kwh == 56.0 and p.energy_measured is False


def test_cores_grow_with_peak_factor_and_lower_throughput() -> None:
    volume = parse_volume(44e6)
    peak = project(RECORD, volume, Assumptions(peak_factor=3.0))
    assert (peak.instances, peak.cores) == (2, 4)  # 611 h × 3 / 1607 h = 1.14 -> 2 instances
    slow = project({**RECORD, "throughput_requests_per_s": 5.0}, volume)
    assert slow.busy_hours == pytest.approx(2444.444, rel=1e-5)
    assert (slow.instances, slow.cores) == (2, 4)  # 2444 / 1607 = 1.52
    exact = project({**RECORD, "throughput_requests_per_s": 44e6 / (1607 * 3600)}, volume)
    assert exact.instances == 1  # exactly one instance's worth of work needs one instance, not two
    office = project(RECORD, volume, Assumptions(service_hours_per_year=8 * 220))
    assert office.instances == 1
    with pytest.raises(ValueError):
        Assumptions(peak_factor=0.5)


def test_missing_rates_give_unknowns_not_guesses() -> None:
    volume = parse_volume(1e6)
    from_latency = project({"latency_mean_ms": 50.0, "threads": 1, "energy_wh_per_1000_requests": 1.0}, volume)
    assert from_latency.throughput_rps == pytest.approx(20.0)
    assert from_latency.energy_kwh == pytest.approx(1.0)
    unknown = project({"model_id": "x"}, volume)
    assert math.isnan(unknown.energy_kwh) and math.isnan(unknown.compute_hours)
    assert unknown.cores is None and unknown.threads == 1


def test_throughput_under_its_current_and_former_names() -> None:
    volume = parse_volume(3600)
    assert project({**RECORD, "throughput_requests_per_s": 1.0}, volume).busy_hours == pytest.approx(1.0)
    # A record of the oldest runs names it `throughput_rps`: reading it gives the current name.
    old = flatten({"cell_id": "t__m", "status": "ok", "throughput_rps": 20.0})
    assert project(old, volume).throughput_rps == 20.0


def test_project_rows_skips_failed_cells() -> None:
    rows = [RECORD, {"model_id": "dead", "status": "failed"}]
    assert [p.model_id for p in project_rows(rows, parse_volume(1000))] == ["e5"]
