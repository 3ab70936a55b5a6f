"""Read a user's text file as UTF-8, or say where it is not and how to convert it.

A byte-order mark is accepted and dropped: spreadsheets write one in their "CSV UTF-8" export.
"""

from __future__ import annotations

from pathlib import Path

from bench.spec.errors import ConfigError

BOM = "\ufeff"


def _guess(raw: bytes) -> str:
    """A hint for the message; only the encodings a French office machine is likely to produce."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "looks like UTF-16: save it again as UTF-8"
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return "encoding not recognised: save it again as UTF-8"
    return "looks like latin-1/cp1252: convert with `iconv -f cp1252 -t utf-8 FILE > FILE.utf8`"


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 text without its BOM; otherwise a ConfigError naming the line of the first bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(path, line, None, f"not UTF-8 ({_guess(raw)})") from None
    return text.removeprefix(BOM)


def read_text(path: Path) -> str:
    """The whole file as text; unreadable or non-UTF-8 files are ConfigErrors naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, None, None, f"cannot read file: {exc.strerror}") from exc
    return decode(raw, path)
