"""Procurement projection: what a yearly volume of requests costs with each candidate, at the measured rates.

The volume is a plain number ("44e6", "44 000 000") or a product of counts with units
("10000 agents x 20 mails/day x 220 days"). It is parsed with a small grammar, never evaluated. Period
units (day, week, month, year and their French names) must cancel out, so that "1000 mails/day" alone
is refused instead of being read as a yearly volume.

Per candidate, from its record:
  energy (kWh/year)    = Wh per 1000 requests × volume / 1000 / 1000
  CO2 (kg/year)        = g CO2e per 1000 requests × volume / 1000 / 1000
  compute-hours        = volume / throughput (requests/s) / 3600 × threads   (core-hours at the measured rate)
  cores needed         = ceil(volume / throughput / 3600 × peak factor / service hours) × threads
Energy counts busy time only: idle servers, network and storage are outside the measurement.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.numbers import as_float
from bench.run.record import CO2_G_PER_1000, ENERGY_WH_PER_1000, THROUGHPUT, is_ok

SERVICE_HOURS_PER_YEAR = 1607.0  # legal yearly working time in the French civil service (decree 2000-815)
PEAK_FACTOR = 1.0

PERIODS: dict[str, str] = {
    **dict.fromkeys(("day", "days", "d", "jour", "jours", "j", "working-day", "working-days"), "day"),
    **dict.fromkeys(("week", "weeks", "wk", "semaine", "semaines", "sem"), "week"),
    **dict.fromkeys(("month", "months", "mo", "mois"), "month"),
    **dict.fromkeys(("year", "years", "yr", "y", "an", "ans", "année", "années", "annee", "annees"), "year"),
}
PER_WORDS = frozenset({"per", "par", "a", "each", "chaque"})  # "20 mails a day", "220 jours par an"
SCALES: dict[str, float] = {"k": 1e3, "m": 1e6, "million": 1e6, "millions": 1e6, "md": 1e9, "g": 1e9,
                            "milliard": 1e9, "milliards": 1e9, "billion": 1e9, "billions": 1e9}
_SEPARATOR = re.compile(r"\s+[x×*]\s+|\s*[×*]\s*|(?<=\d)x(?=\s*\d)")
_NUMBER = re.compile(r"""^\s*(?P<num>\d{1,3}(?:[ \u00a0\u202f_,]\d{3})+(?:\.\d+)?   # 10 000 / 10,000 / 10_000
                              |\d+(?:[.,]\d+)?(?:e[+-]?\d+)?)                   # 220 / 1.5 / 2,5 / 44e6
                     \s*(?P<unit>.*?)\s*$""", re.VERBOSE | re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


class VolumeError(ValueError):
    """A volume expression that cannot be read safely."""


@dataclass(frozen=True)
class Factor:
    count: float  # with any scale word applied ("10k" -> 10000)
    unit: str
    text: str  # as written


@dataclass(frozen=True)
class Volume:
    requests_per_year: float
    expression: str
    factors: tuple[Factor, ...]

    def describe(self) -> str:
        if len(self.factors) <= 1 and not (self.factors and self.factors[0].unit):
            return f"{self.requests_per_year:,.0f} requests/year"
        parts = " × ".join(f.text for f in self.factors)
        return f"{parts} = {self.requests_per_year:,.0f} requests/year"


def _number(text: str) -> float:
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:[ _,]\d{3})+(?:\.\d+)?", text):
        return float(re.sub(r"[ _,]", "", text))  # thousands separators
    return float(text.replace(",", "."))  # a French decimal comma


def _factor(text: str, periods: dict[str, int]) -> Factor:
    match = _NUMBER.match(text)
    if match is None:
        raise VolumeError(f"'{text.strip()}' does not start with a number")
    count = _number(match.group("num"))
    unit = match.group("unit")
    words = unit.split("/")
    if any(not part.strip() for part in words[1:]):
        raise VolumeError(f"'{text.strip()}': nothing after '/'")
    for position, part in enumerate(words):
        tokens = _WORD.findall(part.lower())
        below = position > 0  # after a '/' or a 'per', a period divides
        leftover = _WORD.sub("", part).strip(" .'’")
        if leftover:
            raise VolumeError(f"'{text.strip()}': unexpected '{leftover}' (only a number and unit words)")
        if position == 0 and tokens and tokens[0] in SCALES:  # "10k agents", "2 millions de mails"
            count *= SCALES[tokens[0]]
        for token in tokens:
            if token in PER_WORDS:
                below = True
            elif token in PERIODS:
                periods[PERIODS[token]] = periods.get(PERIODS[token], 0) + (-1 if below else 1)
    if not math.isfinite(count) or count < 0:
        raise VolumeError(f"'{text.strip()}': not a usable count")
    return Factor(count, unit, " ".join(text.split()))


def parse_volume(expression: str | float | int) -> Volume:
    """Requests per year from a number or an 'a x b x c' product of counts with units (no eval)."""
    if isinstance(expression, int | float):
        if not math.isfinite(expression) or expression < 0:
            raise VolumeError(f"volume {expression} is not a usable count")
        return Volume(float(expression), str(expression), (Factor(float(expression), "", str(expression)),))
    text = expression.strip()
    if not text or len(text) > 300:
        raise VolumeError("give the volume as a number or as e.g. '10000 agents x 20 mails/day x 220 days'")
    periods: dict[str, int] = {}
    factors = tuple(_factor(part, periods) for part in _SEPARATOR.split(text))
    total = math.prod(f.count for f in factors)
    per = [p for p in ("day", "week", "month") if periods.get(p, 0) < 0]
    if per:
        raise VolumeError(f"'{text}' counts requests per {per[0]}: multiply by the number of {per[0]}s in a year, "
                          f"e.g. '{text} x 220 {per[0]}s'")
    if total <= 0:
        raise VolumeError(f"'{text}' gives no request")
    return Volume(total, text, factors)


@dataclass(frozen=True)
class Assumptions:
    service_hours_per_year: float = SERVICE_HOURS_PER_YEAR
    peak_factor: float = PEAK_FACTOR

    def __post_init__(self) -> None:
        if not self.service_hours_per_year > 0 or not self.peak_factor >= 1:
            raise ValueError("service hours must be > 0 and the peak factor ≥ 1")


@dataclass(frozen=True)
class Projection:
    task: str
    model_id: str
    requests_per_year: float
    energy_kwh: float
    co2_kg: float
    compute_hours: float  # core-hours of CPU busy at the measured throughput
    busy_hours: float  # hours one instance (with `threads` threads) is busy
    instances: int | None
    cores: int | None
    threads: int
    throughput_rps: float
    carbon_intensity_g_per_kwh: float
    energy_measured: bool | None




def throughput_of(row: Mapping[str, Any]) -> float:
    """Requests per second as measured; a cell that measured none is read from its mean latency."""
    value = as_float(row.get(THROUGHPUT))
    if value > 0:
        return value
    mean_ms = as_float(row.get("latency_mean_ms"))
    return 1000.0 / mean_ms if mean_ms > 0 else math.nan


def project(row: Mapping[str, Any], volume: Volume, assumptions: Assumptions = Assumptions()) -> Projection:
    """Yearly figures for one cell's row (bench.run.results.flatten); unknown inputs give NaN, not guesses."""
    v = volume.requests_per_year
    energy_kwh = as_float(row.get(ENERGY_WH_PER_1000)) * v / 1000.0 / 1000.0
    co2_kg = as_float(row.get(CO2_G_PER_1000)) * v / 1000.0 / 1000.0
    throughput = throughput_of(row)
    threads = int(as_float(row.get("threads"))) if as_float(row.get("threads")) >= 1 else 1
    busy_hours = v / throughput / 3600.0 if throughput > 0 else math.nan
    instances = cores = None
    if math.isfinite(busy_hours):
        load = busy_hours * assumptions.peak_factor / assumptions.service_hours_per_year
        instances = max(1, math.ceil(load - 1e-9))
        cores = instances * threads
    measured = row.get("energy_measured")
    return Projection(
        task=str(row.get("task", "")), model_id=str(row.get("model_id", "")), requests_per_year=v,
        energy_kwh=energy_kwh, co2_kg=co2_kg, compute_hours=busy_hours * threads, busy_hours=busy_hours,
        instances=instances, cores=cores, threads=threads, throughput_rps=throughput,
        carbon_intensity_g_per_kwh=as_float(row.get("carbon_intensity_g_per_kwh")),
        energy_measured=measured if isinstance(measured, bool) else None)


def project_rows(rows: list[Mapping[str, Any]], volume: Volume, assumptions: Assumptions = Assumptions()
                 ) -> list[Projection]:
    """Projections for the cells that ran (failed cells have no rates to project)."""
    return [project(r, volume, assumptions) for r in rows if is_ok(r)]
