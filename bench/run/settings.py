"""What a run was asked for: suite, item counts, limits, threads, energy statement (kept in the manifest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure.energy import EnergySettings


@dataclass(frozen=True)
class RunSettings:
    suite: str
    items: dict[str, int | None]
    min_energy_window_s: float
    warmup_requests: int
    cell_timeout_s: float
    threads: int
    energy: EnergySettings = field(default_factory=EnergySettings)
    seed: int = 0
    resamples: int = 1000
    models_dir: Path = Path(".")
    memory_cap_mb: float | None = None  # resident memory of a cell (and its children); None: no cap
    pin_cpus: bool = False  # pin each cell to `threads` CPUs (target-hardware profile)
    profile: dict[str, Any] | None = None  # the resolved target profile (bench.spec.profiles), in every record
    scenarios: tuple[str, ...] = ("single",)  # what the run measures (bench.run.plan.SCENARIOS)
    batch_size: int | None = None  # offline: items per forward (None: each runtime family's default)
    parallel: int | None = None  # offline: sequences in flight for runtimes with slots (None: default)
    # Frugal evaluation (bench.run.frugal): level, batch, probe_items, key, score_all; None: full evaluation.
    frugal: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "energy"}
        data["energy"] = self.energy.__dict__
        data["models_dir"] = str(self.models_dir)
        data["scenarios"] = list(self.scenarios)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], models_dir: Path) -> RunSettings:
        """The settings a run recorded in its manifest (fields added later keep their defaults)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("energy", "models_dir")}
        if "scenarios" in known:
            known["scenarios"] = tuple(known["scenarios"])
        return cls(**known, energy=EnergySettings(**data.get("energy", {})), models_dir=models_dir)
