"""Frugality keys, registered here and nowhere else: what the passing candidates are ranked by.

The order of `FRUGALITY` is the tie-break order: the chosen key first, then the others in this order
(bench.decide.rank.key_order). A new key is one entry: the record column it reads and its words in reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.run.record import CO2_G_PER_1000, ENERGY_WH_PER_1000, LATENCY_P95_MS, PEAK_RSS_MB


@dataclass(frozen=True)
class FrugalityKey:
    name: str
    column: str  # the record (and ranking table) column holding the cost, lower is cheaper
    the: Mapping[str, str]  # language -> the cost as the object of "× the ..." in reports
    noun: Mapping[str, str]  # language -> the cost named on its own
    # Compared exactly, without the tie tolerance of measured costs (a count, not a reading).
    exact: bool = False


FRUGALITY: dict[str, FrugalityKey] = {key.name: key for key in (
    FrugalityKey("energy", ENERGY_WH_PER_1000, {"fr": "l'énergie", "en": "the energy"},
                 {"fr": "énergie pour 1000 requêtes", "en": "energy per 1000 requests"}),
    FrugalityKey("memory", PEAK_RSS_MB, {"fr": "la mémoire", "en": "the memory"},
                 {"fr": "mémoire maximale (RSS)", "en": "peak memory (RSS)"}),
    FrugalityKey("latency", LATENCY_P95_MS, {"fr": "la latence p95", "en": "the p95 latency"},
                 {"fr": "latence p95", "en": "p95 latency"}),
    FrugalityKey("params", "params", {"fr": "les paramètres", "en": "the parameters"},
                 {"fr": "nombre de paramètres", "en": "parameter count"}, exact=True),
    FrugalityKey("co2", CO2_G_PER_1000, {"fr": "le CO2e", "en": "the CO2e"},
                 {"fr": "CO2e pour 1000 requêtes", "en": "CO2e per 1000 requests"}),
)}
