"""Errors a user can act on: each names the file, the line and the field at fault."""

from __future__ import annotations

from pathlib import Path


class BenchError(Exception):
    """Base class for errors reported to the user without a traceback."""


class ConfigError(BenchError):
    """A configuration or data file is invalid."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = str(self.path) + (f":{line}" if line is not None else "")
        what = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{what} {reason}")


class ConfigErrors(BenchError):
    """Several problems found in one pass, so the user can fix them all at once."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class HashMismatch(BenchError):
    """A weights file does not have the sha256 declared in models.yaml."""
