"""Canonical forms of extracted field values, so that "3 mars 1987" and "1987-03-03" compare equal.

Every normaliser is idempotent on the canonical gold forms of CONTRACTS.md. A value that is empty (or
"null", "none", "n/a", "-") becomes None. A typed value that cannot be parsed (a date "31/02/1987")
falls back to its text form, so it stays non-null and counts as a wrong prediction, never as a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FIELD_TYPES = ("text", "date", "amount", "postcode", "phone", "email", "nir", "siret", "iban", "plate",
               "reference")
_NULLS = {"", "null", "none", "n/a", "-"}
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})

# Accent-free, lowercase keys: names and usual abbreviations.
_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d)")
_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})(?:er)?\s+([a-z]+)\.?,?\s+(\d{4}|\d{2})(?!\d)")
# Overseas departments dial +262/590/594/596 then a 9-digit national number without its leading 0.
_FRENCH_CODES = ("33", "262", "590", "594", "596")


def _nfkc(value: str) -> str:
    # NFKC turns no-break and narrow no-break spaces into spaces and "1ᵉʳ" into "1er".
    return unicodedata.normalize("NFKC", value).strip()


def _plain(value: str) -> str:
    """Casefolded, accent- and ligature-free."""
    text = _nfkc(value).casefold().translate(_LIGATURES)
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _text(value: str) -> str | None:
    return re.sub(r"[\W_]+", " ", _plain(value)).strip() or None


def _year(y: str) -> int:
    # Two-digit years follow the POSIX strptime pivot: 69-99 -> 19xx, 00-68 -> 20xx.
    year = int(y)
    if len(y) == 2:
        year += 1900 if year >= 69 else 2000
    return year


def _date(value: str) -> str | None:
    s = _plain(value)
    candidates: list[tuple[int, int, int]] = []
    if m := _ISO.search(s):
        candidates.append((int(m[1]), int(m[2]), int(m[3])))
    if m := _DMY.search(s):
        candidates.append((_year(m[3]), int(m[2]), int(m[1])))  # French order: day first
    for m in _D_MONTH_Y.finditer(s):
        if m[2] in _MONTHS:
            candidates.append((_year(m[3]), _MONTHS[m[2]], int(m[1])))
    for year, month, day in candidates:
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            continue
    return _text(value)


def _amount(value: str) -> str | None:
    s = re.sub(r"(?<=\d)[\s'’](?=\d)", "", _nfkc(value))  # "1 250" / "1'250" -> "1250"
    m = re.search(r"[-+]?\d[\d.,]*", s)
    if not m:
        return _text(value)
    num = m.group().rstrip(".,")
    if "." in num and "," in num:
        # The separator that comes last is the decimal one: "1.250,00" and "1,250.00".
        dec, thousands = (",", ".") if num.rfind(",") > num.rfind(".") else (".", ",")
        num = num.replace(thousands, "").replace(dec, ".")
    elif num.count(",") > 1 or num.count(".") > 1:
        num = num.replace(",", "").replace(".", "")
    elif "," in num:
        num = num.replace(",", ".")  # French decimal comma
    elif "." in num and len(num) - num.index(".") - 1 == 3:
        num = num.replace(".", "")  # French thousands dot: "1.250" is 1250
    try:
        return f"{Decimal(num).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"
    except InvalidOperation:
        return _text(value)


def _phone(value: str) -> str | None:
    s = _nfkc(value)
    digits = re.sub(r"\D", "", s)
    if not digits:
        return _text(value)
    international: str | None = None
    if s.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif len(digits) == 11 and digits.startswith("33"):
        international = digits
    if international is not None:
        code = next((c for c in _FRENCH_CODES if international.startswith(c)), None)
        if code is None:
            return international  # a foreign number: keep its digits
        rest = international[len(code):]
        return "0" + rest.removeprefix("0")  # "+33 (0)6 ..." carries the trunk 0 too
    if len(digits) == 9 and not digits.startswith("0"):
        return "0" + digits  # the leading 0 lost by a number-typed JSON value
    return digits


def _postcode(value: str) -> str | None:
    s = _nfkc(value)
    if m := re.search(r"(?<!\d)(\d{2})\s?(\d{3})(?!\d)", s):
        return m[1] + m[2]
    digits = re.sub(r"\D", "", s)
    if len(digits) == 4:
        return "0" + digits  # "6000" for 06000: a number-typed JSON value loses the 0
    return digits or _text(value)


def _compact(value: str) -> str | None:
    """Identifiers (NIR, SIRET): no spaces, dots or dashes, upper case (Corsican NIR keep 2A/2B)."""
    return re.sub(r"[\s.\-]+", "", _nfkc(value)).upper() or None


def _iban(value: str) -> str | None:
    compact = _compact(value) or ""
    return re.sub(r"^IBAN:?", "", compact) or None


def _plate(value: str) -> str | None:
    s = _nfkc(value).upper()
    if m := re.fullmatch(r"([A-Z]{2})[\s\-]*(\d{3})[\s\-]*([A-Z]{2})", s):
        return f"{m[1]}-{m[2]}-{m[3]}"  # SIV format
    return re.sub(r"[\s\-]+", "-", s) or None  # older formats ("123 ABC 75"): keep, with dashes


def _reference(value: str) -> str | None:
    """Case-file references: separators carry no meaning, so keep upper-case letters and digits only."""
    return re.sub(r"[\W_]+", "", _plain(value)).upper() or None


def _email(value: str) -> str | None:
    s = re.sub(r"\s+", "", _nfkc(value)).lower().removeprefix("mailto:")
    return s.strip("<>") or None


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "text": _text, "date": _date, "amount": _amount, "postcode": _postcode, "phone": _phone,
    "email": _email, "nir": _compact, "siret": _compact, "iban": _iban, "plate": _plate,
    "reference": _reference,
}


def normalise_field(value: str | int | float | None, type: str) -> str | None:
    """Canonical form of `value` for a field of `type` (one of FIELD_TYPES); None for a missing value.

    Numbers (from number-typed JSON) are accepted and read as their decimal text.
    """
    try:
        normaliser = _NORMALISERS[type]
    except KeyError:
        raise ValueError(f"unknown field type {type!r} (expected one of {', '.join(FIELD_TYPES)})") from None
    if value is None:
        return None
    text = str(value)
    if _nfkc(text).casefold() in _NULLS:
        return None
    return normaliser(text)
