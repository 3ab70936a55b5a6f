"""Frugality keys, registered here and nowhere else: what the passing candidates are ranked by.

The order of `FRUGALITY` is the tie-break order: the chosen key first, then the others in this order
(bench.rank.key_order). A new key is one entry: the record column it reads and its words in reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FrugalityKey:
    name: str
    column: str  # the record (and ranking table) column holding the cost, lower is cheaper
    the: Mapping[str, str]  # language -> the cost as the object of "× the ..." in reports
    noun: Mapping[str, str]  # language -> the cost named on its own
    # Compared exactly, without the tie tolerance of measured costs (a count, not a reading).
    exact: bool = False


FRUGALITY: dict[str, FrugalityKey] = {key.name: key for key in (
    FrugalityKey("energy", "energy_wh_per_1000_requests", {"fr": "l'énergie", "en": "the energy"},
                 {"fr": "énergie pour 1000 requêtes", "en": "energy per 1000 requests"}),
    FrugalityKey("memory", "peak_rss_mb", {"fr": "la mémoire", "en": "the memory"},
                 {"fr": "mémoire maximale (RSS)", "en": "peak memory (RSS)"}),
    FrugalityKey("latency", "latency_p95_ms", {"fr": "la latence p95", "en": "the p95 latency"},
                 {"fr": "latence p95", "en": "p95 latency"}),
    FrugalityKey("params", "params", {"fr": "les paramètres", "en": "the parameters"},
                 {"fr": "nombre de paramètres", "en": "parameter count"}, exact=True),
    FrugalityKey("co2", "co2_g_per_1000_requests", {"fr": "le CO2e", "en": "the CO2e"},
                 {"fr": "CO2e pour 1000 requêtes", "en": "CO2e per 1000 requests"}),
)}
