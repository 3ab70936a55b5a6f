"""Target-hardware profiles (profiles.yaml): approximate a smaller machine on a bigger one.

A profile caps the threads of every runtime (and may pin the cell to as many CPUs), and may state the
target's CPU/RAM power and the PUE of the room it sits in, for the energy estimate. Command-line options
override a profile's values; the resolved profile is recorded in the manifest and in every record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from bench.measure.threads import available_cpus
from bench.spec.config import Identifier, Strict
from bench.spec.errors import BenchError
from bench.spec.yamlfile import load_model

PROFILES_FILE = Path("profiles.yaml")


class Profile(Strict):
    description: str
    threads: int = Field(ge=1)
    pin_cpus: bool = False  # also restrict the cell to `threads` CPUs, so helper threads cannot spread
    cpu_watts: float | None = Field(None, gt=0)  # full-load power of the target CPU running `threads` threads
    ram_watts: float | None = Field(None, ge=0)
    pue: float | None = Field(None, ge=1.0)


class ProfilesFile(Strict):
    profiles: dict[Identifier, Profile]


def load_profile(path: Path, name: str) -> Profile:
    if not path.is_file():
        raise BenchError(f"profile '{name}' asked for, but {path} does not exist")
    profiles = load_model(ProfilesFile, path).profiles
    if name not in profiles:
        raise BenchError(f"unknown profile '{name}' in {path} (known: {sorted(profiles)})")
    return profiles[name]


@dataclass(frozen=True)
class Target:
    """What the cells run under, after merging the command line over the profile over the defaults."""

    profile: str | None
    threads: int
    pin_cpus: bool
    cpu_watts: float | None
    ram_watts: float | None
    pue: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_target(profile_name: str | None, profiles_file: Path, *, threads: int | None = None,
                   cpu_watts: float | None = None, ram_watts: float | None = None,
                   pue: float | None = None) -> Target:
    """Command line > profile > defaults (all available CPUs, codecarbon's estimates, PUE 1)."""
    profile = load_profile(profiles_file, profile_name) if profile_name else None

    def pick(cli: Any, key: str, default: Any) -> Any:
        if cli is not None:
            return cli
        value = getattr(profile, key) if profile is not None else None
        return default if value is None else value

    chosen_threads = int(pick(threads or None, "threads", available_cpus()))
    if chosen_threads < 1:
        raise BenchError(f"threads must be at least 1 (got {chosen_threads})")
    return Target(profile_name, chosen_threads, bool(pick(None, "pin_cpus", False)), pick(cpu_watts, "cpu_watts", None),
                  pick(ram_watts, "ram_watts", None), float(pick(pue, "pue", 1.0)))
