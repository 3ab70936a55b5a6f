"""Rows of a task's data file (CSV or JSONL), each with the line it starts on.

CSV as spreadsheets write it: a UTF-8 byte-order mark is dropped, and the delimiter is the one of
`,` `;` (the French default) tab or `|` whose header holds the columns the task names. A record that
spans several lines (a quoted newline) is named by its first line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.spec.errors import ConfigError
from bench.spec.textfile import decode

DELIMITERS = (",", ";", "\t", "|")
Row = tuple[int, dict[str, Any]]


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, end = [], 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if fields:
                out.append((start, fields))
    except csv.Error as exc:
        raise ValueError(f"{reader.line_num}:{exc}") from exc
    return out


def _header_of(text: str, delimiter: str) -> list[str]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return next(csv.reader([first], delimiter=delimiter), [])


def _delimiter(text: str, path: Path, required: Sequence[str]) -> str:
    for delimiter in DELIMITERS:
        if all(column in _header_of(text, delimiter) for column in required):
            return delimiter
    # Show the header as the delimiter that splits it most would read it: the likeliest intended one.
    best = max(DELIMITERS, key=lambda d: len(_header_of(text, d)))
    found = _header_of(text, best)
    missing = [c for c in required if c not in found]
    raise ConfigError(path, 1, missing[0] if missing else None,
                      f"the header has no column {', '.join(repr(c) for c in missing)}: found {found} (delimiter "
                      f"{best!r}; tried {' '.join(repr(d) for d in DELIMITERS)}); rename the columns or set "
                      "data.columns in task.yaml")


def read_csv(path: Path, raw: bytes, required: Sequence[str]) -> list[Row]:
    text = decode(raw, path)
    delimiter = _delimiter(text, path, required)
    try:
        records = _records(text, delimiter)
    except ValueError as exc:
        where, _, reason = str(exc).partition(":")
        raise ConfigError(path, int(where), None, f"not valid CSV ({reason})") from None
    if not records:
        return []
    header = records[0][1]
    rows: list[Row] = []
    for line, fields in records[1:]:
        if len(fields) > len(header):
            raise ConfigError(path, line, None, f"{len(fields)} fields where the header has {len(header)} "
                              f"(delimiter {delimiter!r}): an unquoted {delimiter!r} inside a value?")
        rows.append((line, dict(zip(header, [*fields, *[None] * (len(header) - len(fields))], strict=True))))
    return rows


def read_jsonl(path: Path, raw: bytes) -> list[Row]:
    rows: list[Row] = []
    # split on "\n" only: JSON strings may hold U+2028 and friends, which splitlines() would cut.
    for number, line in enumerate(decode(raw, path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(path, number, None, f"not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ConfigError(path, number, None, "each line must be a JSON object")
        rows.append((number, row))
    return rows


def read_rows(path: Path, fmt: str, required: Sequence[str] = ()) -> list[Row]:
    """Rows with their 1-based line numbers; a line that does not parse is an error naming it.

    `required`: the columns the task reads, used to find a CSV's delimiter and to check its header once
    (rather than reporting every row as missing them).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, None, None, f"cannot read file: {exc.strerror}") from exc
    return read_csv(path, raw, required) if fmt == "csv" else read_jsonl(path, raw)
