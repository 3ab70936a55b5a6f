"""What the report says about a run merged from shards: how many machines produced it, on which classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.report.i18n import check_lang

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "merged": ("Run fusionné (`frugal-bench merge`) de {shards} fragment{s_shards} produit{s_shards} par "
                   "{machines} machine{s_machines}, de {classes} classe{s_classes} matérielle{s_classes}."),
        "class": "Classe matérielle {label} : fragment{s_shards} {shards}, {cells} cellule{s_cells}.",
        "mixed": ("Les coûts (latence, énergie, mémoire) ne sont comparés qu'au sein d'une même classe : une tâche "
                  "dont les cellules ont tourné sur plusieurs classes est classée une fois par classe."),
    },
    "en": {
        "merged": ("Run merged (`frugal-bench merge`) from {shards} shard{s_shards} produced by {machines} "
                   "machine{s_machines}, in {classes} hardware class{es_classes}."),
        "class": "Hardware class {label}: shard{s_shards} {shards}, {cells} cell{s_cells}.",
        "mixed": ("Costs (latency, energy, memory) are compared only within one class: a task whose cells ran on "
                  "several classes is ranked once per class."),
    },
}


def _plural(count: int, suffix: str = "s") -> str:
    return suffix if count > 1 else ""


def shard_lines(manifest: Mapping[str, Any], lang: str) -> list[str]:
    """Bullets for the machine section; nothing for a run that was not merged."""
    merged = manifest.get("merged")
    if not isinstance(merged, Mapping):
        return []
    strings = STRINGS[check_lang(lang)]
    shards = list(merged.get("shards") or [])
    classes = list(merged.get("hardware_classes") or [])
    machines = int(merged.get("machines") or 0)
    lines = [strings["merged"].format(shards=len(shards), machines=machines, classes=len(classes),
                                      s_shards=_plural(len(shards)), s_machines=_plural(machines),
                                      s_classes=_plural(len(classes)), es_classes=_plural(len(classes), "es"))]
    for cls in classes:
        members = [str(s) for s in cls.get("shards") or []]
        cells = int(cls.get("cells") or 0)
        lines.append(strings["class"].format(label=cls.get("label"), shards=", ".join(members),
                                             s_shards=_plural(len(members)), cells=cells, s_cells=_plural(cells)))
    if len(classes) > 1:
        lines.append(strings["mixed"])
    return lines
