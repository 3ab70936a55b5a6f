"""Candidates of the rules extractor: French patterns for each field type, and OCR repair before matching.

Typed fields (dates, amounts, phones, identifiers, references) are found by regular expressions, including
dates and amounts written in words ("le vingt-deux novembre mille neuf cent quarante-neuf", "trente-cinq
euros": the words are read by text2num). Text fields (names, communes, streets) take runs of capitalised
words (with name particles: "de La Roche"), street addresses and "Label : value" remainders (forms and
tables). A candidate carries its value in canonical form; which candidate is which field is decided
elsewhere, from its context (`rules_features`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from text_to_num import text2num

from bench.metrics import normalise_field

# ------------------------------------------------------------------ OCR repair

_ALNUM = re.compile(r"[^\W_]+")
_EMAIL_LIKE = re.compile(r"\S+@\S+")
_ORDINAL = re.compile(r"\d+(?:er|re|[eè]re|e|[eè]me|i[eè]me|nde?|h)s?", re.IGNORECASE)
_TO_DIGIT = str.maketrans("OolI", "0011")


_VOWELS = set("aeiouyéèêëàâîïôûùAEIOUYÉÈÊËÀÂÎÏÔÛÙ")


def _one(token: str, i: int) -> str:
    """What a "1" read inside a word stands for: "i" before "ll" (ju1llet) or between consonants (V1gnes)."""
    before = token[i - 1] if i else ""
    after = token[i + 1:i + 3]
    consonants = before.isalpha() and before not in _VOWELS and after[:1].isalpha() and after[:1] not in _VOWELS
    return "i" if after.lower() == "ll" or (consonants and after[:1].lower() != "l") else "l"


def _letters_for(token: str, edges: bool = True) -> str:
    """Digits 0, 1 and 3 read by an OCR inside a word become the letters they stand for ("Grenob1e")."""
    upper = all(c.isupper() for c in token if c.isalpha())
    out = list(token)
    for run in re.finditer(r"\d+", token):
        before = token[run.start() - 1] if run.start() else ""
        after = token[run.end()] if run.end() < len(token) else ""
        inside = before.isalpha() and after.isalpha()
        at_edge = edges and not upper and run.group() in ("0", "1") and (before.isalpha() or after.isalpha())
        if not (inside or at_edge):
            continue
        for i in range(run.start(), run.end()):
            c = token[i]
            if c == "0":
                out[i] = "O" if upper or i == 0 else "o"  # "0rléans" is a capital
            elif c == "1":
                out[i] = "I" if upper else _one(token, i)
            else:
                out[i] = "E" if upper else "e"
    return "".join(out)


def ocr_clean(text: str) -> str:
    """Undo the usual OCR confusions, one character for one (offsets are kept).

    In a token made of digits and O/o/l/I only, the letters become digits ("O6 73 l9" -> "06 73 19");
    in a word whose only digits are 0, 1 or 3, those digits become letters ("LANNI0N", "Vi1le", "Tann3urs").
    Ordinals ("1er", "3e") and identifiers with other digits are left as written; in e-mail addresses only
    a digit between two letters is read as a letter ("h0arau", not "dupont1").
    """
    emails = [m.span() for m in _EMAIL_LIKE.finditer(text)]

    def fix(match: re.Match[str]) -> str:
        token = match.group()
        if not any(c.isdigit() for c in token):
            return token
        in_email = any(s <= match.start() < e for s, e in emails)
        if not in_email and all(c.isdigit() or c in "OolI" for c in token):
            return token.translate(_TO_DIGIT)
        digits = {c for c in token if c.isdigit()}
        if digits <= {"0", "1", "3"} and sum(c.isalpha() for c in token) >= 2 and not _ORDINAL.fullmatch(token):
            return _letters_for(token, edges=not in_email)
        return token

    return _ALNUM.sub(fix, text)


# ------------------------------------------------------------------ numbers and months in words

_NUMBER_WORDS = ("zéro|zero|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
                 "quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|mil")
_NW = rf"(?:{_NUMBER_WORDS})(?![\w'’])"
NUMBER_IN_WORDS = rf"(?<![\w'’]){_NW}(?:(?:[\s\-]+et[\s\-]+|[\s\-]+){_NW})*"
_MONTH_NAMES = (r"janv(?:ier|\.)?|f[ée]v(?:rier|r?\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[uû]t"
                r"|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?")
_MONTHS = {"jan": 1, "fe": 2, "mar": 3, "av": 4, "mai": 5, "juin": 6, "juil": 7, "ao": 8, "se": 9, "oc": 10,
           "no": 11, "de": 12, "dé": 12, "fé": 2}


def words_to_number(words: str) -> int | None:
    """The value of a French number written in words ("quatre-vingt-dix-sept" -> 97), None if it is not one."""
    try:
        return int(text2num(re.sub(r"\s+", " ", words.lower().strip()), "fr"))
    except ValueError:
        return None


def _month(name: str) -> int | None:
    name = name.lower()
    return next((m for prefix, m in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0])) if name.startswith(prefix)),
                None)


def _iso(year: int | None, month: int | None, day: int | None) -> str | None:
    if year is None or month is None or day is None:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_in_words(match: re.Match[str]) -> str | None:
    day_text = match["day"].lower()
    day = 1 if day_text in ("premier", "1er", "1ᵉʳ") else int(day_text) if day_text.isdigit() \
        else words_to_number(day_text)
    year = int(match["year"]) if match["year"].isdigit() else words_to_number(match["year"])
    if year is None or not 1900 <= year <= 2100:
        return None
    return _iso(year, _month(match["month"]), day)


def _amount_in_words(match: re.Match[str]) -> str | None:
    value = words_to_number(match["n"])
    return None if value is None or value == 0 else f"{value}.00"


# ------------------------------------------------------------------ patterns

_D = r"(?<![\w/.\-])"  # not glued to a preceding word, digit or separator
_EURO = r"(?:€|euros?\b|eur\b)"
_DAY_WORD = rf"premier|1er|1ᵉʳ|\d{{1,2}}|{NUMBER_IN_WORDS}"
PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "date": [
        re.compile(_D + r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\w/])"),
        re.compile(_D + r"\d{4}-\d{2}-\d{2}(?!\d)"),
        re.compile(_D + r"\d{1,2}\s*\|\s*\d{1,2}\s*\|\s*\d{4}(?!\d)"),  # boxes of a paper form: 06 | 03 | 1978
        re.compile(_D + r"(?:1er|1ᵉʳ|\d{1,2})\s+(?:" + _MONTH_NAMES + r")\s+\d{4}(?!\d)", re.IGNORECASE),
    ],
    "amount": [
        re.compile(r"(?<![\w.,])\d{1,3}(?:[  \u202f.]\d{3})+(?:,\d{1,2})?\s?" + _EURO, re.IGNORECASE),
        re.compile(r"(?<![\w.,])\d+(?:[.,]\d{1,2})?\s?" + _EURO, re.IGNORECASE),
        re.compile(r"(?:€|EUR)\s?\d{1,3}(?:[  \u202f.]?\d{3})*(?:[.,]\d{1,2})?(?![\d])"),
        re.compile(r"(?<![\w.,])\d+,\d{2}\s?e\b"),  # "42,60 e": the euro sign of a text message
    ],
    "phone": [re.compile(r"(?<![\w+])(?:(?:\+|00)\s?(?:33|262|590|594|596)\s?(?:\(0\)\s?)?[1-9]|0[1-9])"
                         r"(?:[\s.\-]?\d{2}){4}(?!\d)")],
    "email": [re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")],
    "nir": [re.compile(r"(?<![\w])[12][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[ABab])[\s.]?\d{3}[\s.]?\d{3}"
                       r"[\s.]{0,3}\d{2}(?![\w])")],
    "siret": [re.compile(r"(?<![\w])\d{3}[\s.]?\d{3}[\s.]?\d{3}[\s.]?\d{5}(?![\w])")],
    "iban": [re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?(?![\w])")],
    "plate": [re.compile(r"(?<![\w\-])[A-Z]{2}[\s\-]?\d{3}[\s\-]?[A-Z]{2}(?![\w\-])", re.IGNORECASE)],
    "postcode": [re.compile(r"(?<![\w.,])(?:\d{5}|\d{2} \d{3})(?![\w.,]|\s\d)")],
    "reference": [
        # Letters and digits joined by separators: "DOS-2023-00451", "2024/IR/00871", "C-0318".
        re.compile(r"(?<![\w\-/])(?=[\w\-/.]*\d)(?=[\w\-/.]*[A-Za-z])[A-Za-z0-9]+(?:[\-/.][A-Za-z0-9]+)+"
                   r"(?![\w\-/])"),
        # Digits joined by dashes or slashes: "2025-03-4471" (dates are not references).
        re.compile(r"(?<![\w\-/.])\d+(?:[\-/]\d+)+(?![\w\-/])"),
        # Groups of digits, maybe after a code and before a key letter: "PC 038 110 23 00017", "2290417 R".
        re.compile(r"(?<![\w\-/.])(?:[A-Z]{2}[ \-]?)?\d+(?: \d+)+(?: [A-Z](?![\w'’]))?(?![\w\-/]|,\d)"),
        re.compile(r"(?<![\w\-/.])[A-Z]{2}[ \-]?\d{3,}(?![\w\-/]|,\d)"),  # "CS 0412": a code and a number
        re.compile(r"(?<![\w\-/.])\d{5,}(?: ?[A-Z](?![\w'’]))?(?![\w\-/]|,\d)"),
        # Codes of capitals and digits: "25A8KZ4P2".
        re.compile(r"(?<![\w\-/])(?=[A-Z0-9]*\d[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z][A-Z0-9]*[A-Z])[A-Z0-9]{6,20}"
                   r"(?![\w\-/])"),
    ],
}
_WORD_DATE = re.compile(rf"(?<![\w'’])(?P<day>{_DAY_WORD})\s+(?P<month>{_MONTH_NAMES})\s+"
                        rf"(?P<year>\d{{4}}|{NUMBER_IN_WORDS})(?![\w'’])", re.IGNORECASE)
_WORD_AMOUNT = re.compile(rf"(?P<n>{NUMBER_IN_WORDS})\s+(?:d['’])?{_EURO}", re.IGNORECASE)
_DIGIT_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}")
_REFERENCE_MIN_DIGITS = 4
Reader = Callable[[re.Match[str]], str | None]


# ------------------------------------------------------------------ checksums

def _mod97_nir(value: str) -> bool:
    digits = re.sub(r"\s|\.", "", value).upper().replace("2A", "19").replace("2B", "18")
    return len(digits) == 15 and digits.isdigit() and 97 - int(digits[:13]) % 97 == int(digits[13:])


def _luhn(value: str) -> bool:
    digits = [int(c) for c in re.sub(r"\D", "", value)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return bool(digits) and total % 10 == 0


def _iban_ok(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    moved = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


CHECKSUMS = {"nir": _mod97_nir, "siret": _luhn, "iban": _iban_ok}


# ------------------------------------------------------------------ typed candidates

@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    type: str
    source: str  # which generator found it: a regex, a capitalised run, a label line, an entity label
    extra: tuple[str, ...] = ()  # features a generator adds (e.g. the NER label covering the span)
    value: str | None = None  # the canonical value when the text alone does not give it ("trente euros")


def reference_shape(value: str) -> re.Pattern[str]:
    """A pattern for values shaped like `value`: same runs of letters and digits, same separators."""
    parts = []
    for run in re.finditer(r"[A-Za-z]+|\d+|[^A-Za-z\d]+", value):
        token = run.group()
        if token.isdigit():
            parts.append(rf"\d{{{len(token)}}}")
        elif token.isalpha():
            parts.append(rf"[A-Z]{{{len(token)}}}" if token.isupper() else rf"[A-Za-z]{{{len(token)}}}")
        else:
            parts.append(r"\s?" + re.escape(token.strip()) + r"\s?" if token.strip() else r"\s?")
    return re.compile(r"(?<![\w\-/])" + "".join(parts) + r"(?![\w\-/])")


def _keep(kind: str, text: str) -> bool:
    if kind == "reference":
        years = re.fullmatch(r"(\d{4})\s?[-/]\s?(\d{4})", text)  # "2024-2025" is a school year
        return sum(c.isdigit() for c in text) >= _REFERENCE_MIN_DIGITS and not _DIGIT_DATE.fullmatch(text) \
            and not (years and int(years[2]) - int(years[1]) == 1)
    return True


def typed_candidates(text: str, kind: str, extra_patterns: Iterable[re.Pattern[str]] = ()) -> list[Candidate]:
    seen: set[tuple[int, int]] = set()
    found: list[Candidate] = []
    for number, pattern in enumerate([*PATTERNS.get(kind, []), *extra_patterns]):
        for match in pattern.finditer(text):
            span = (match.start(), match.end())
            if span in seen or not _keep(kind, match.group()):
                continue
            seen.add(span)
            found.append(Candidate(*span, match.group(), kind, f"re{number}"))
    readers: dict[str, tuple[re.Pattern[str], Reader]] = {"date": (_WORD_DATE, _date_in_words),
                                                          "amount": (_WORD_AMOUNT, _amount_in_words)}
    words = [readers[kind]] if kind in readers else []
    for pattern, read in words:
        for match in pattern.finditer(text):
            value = read(match)
            if value is not None and (match.start(), match.end()) not in seen:
                found.append(Candidate(match.start(), match.end(), match.group(), kind, "words", (), value))
    # "250,00 €" inside "1 250,00 €" is not a candidate of its own: keep the longest overlapping match.
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Candidate] = []
    for cand in found:
        if kept and cand.start < kept[-1].end:
            continue
        kept.append(cand)
    return kept


# ------------------------------------------------------------------ text candidates

_CAPITALISED = r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][\w'’\-]*"
_PARTICLE = r"(?:de|du|des|da|dos|van|von|der|di|del|ben|bin|el)"  # "Arnaud de La Roche", "Rémi da Silva"
# Titles, greetings and "J'ai" are no one's name, commune or street; nor are initials alone ("A-P").
_NOT_A_NAME = re.compile(r"(?:(?:M|Mme|Mlle|Mr|Me|Dr|Monsieur|Madame|Mademoiselle|Docteur|Ma[iî]tre|Bonjour|Bonsoir"
                         r"|Merci|Cordialement|Salut|Coucou|Bjr|Slt|Objet|Re|Tr|Fwd)\.?[ \-,]*)+(?:Le|La)?"
                         r"|(?:J|C|Qu|N|S|M|T)['’].*|[^\W\d_](?:[.\- ]+[^\W\d_])*\.?", re.IGNORECASE)
_CAP_RUN = re.compile(rf"(?<![\w'’\-]){_CAPITALISED}(?:(?:[ \-]|[ ]{_PARTICLE}[ ]){_CAPITALISED})*")
# "Label : value" — the value ends at the line's end, a tab, a wide gap, ";" or the next "Label :".
_LABEL_VALUE = re.compile(r"\w[ \t]*:[ \t]*([^\s:;\[(*«\"'][^\n\t:;]{0,79}?)(?=[ \t]{2,}|[\t;]|[ \t]*\n|[ \t]*$"
                          r"|[ \t]+\w[\w' -]{0,30}[ \t]*:)")
_TABLE_CELL = re.compile(r"(?<=\|)[ \t]*([^|\n]*?\w[^|\n]*?)[ \t]*(?=\|)")
_STREET_TYPES = (r"rue|avenue|av\.|boulevard|bd|place|pl\.|quai|all[ée]e|chemin|impasse|route|cours|square|"
                 r"passage|voie|sentier|lotissement|r[ée]sidence|hameau|lieu-dit|lieudit|faubourg|esplanade|"
                 r"parvis|cit[ée]|mont[ée]e|traverse|ruelle|venelle|sente|rampe|clos|promenade|rond-point|"
                 r"chauss[ée]e|villa|domaine|grand[e']?[ \-]rue|c[ôo]te|lev[ée]e")
# "12 bis rue des Lilas": a number, a street type, then the name up to a comma, a line break or a postcode.
_STREET_START = re.compile(r"(?<![\w,])(?:\d{1,4}(?:\s?(?:bis|ter|b|t)\b)?,?\s+)?(?:" + _STREET_TYPES + r")\b",
                           re.IGNORECASE)
_STREET_END = re.compile(r"\s*(?:[,;|\t()\n]|\.(?!\w)|\s{2}|\s[-–—]\s|\d{5}\b|$)")
_STREET_SOFT_END = re.compile(r"\s+(?:à|a)\s+(?=[A-ZÀ-Ý])")  # "à Uzès": the commune, or "rue des Fours à Chaux"
_NAMED = re.compile(r"\s+(?:(?:de|du|des)\s+(?:la\s+|l['’])?|d['’]|la\s+|le\s+|les\s+)?[A-ZÀ-Ý]")
MAX_STREET = 60


def _streets(text: str) -> Iterable[tuple[int, int, str]]:
    """Street addresses: "12 bis rue des Lilas", "lieu-dit Kerbiriou", and with their complement before
    them on the line ("Résidence Les Saules, bât. C, 14 allée des Peupliers")."""
    for start_match in _STREET_START.finditer(text):
        start = start_match.start()
        numbered = text[start].isdigit()
        if not numbered and not _NAMED.match(text, start_match.end()):
            continue  # "en cours de", "sur place": a street without a number needs a name
        end_match = _STREET_END.search(text, start_match.end())
        hard = end_match.start() if end_match else len(text)
        ends = [hard]
        soft = _STREET_SOFT_END.search(text, start_match.end(), hard)
        if soft:
            ends.insert(0, soft.start())
        for end in ends:
            if end - start_match.end() < 2 or end - start > MAX_STREET:
                continue
            yield start, end, "address" if numbered else "address_nonum"
            line_start = text.rfind("\n", 0, start) + 1
            head = text[line_start:start]
            anchor = max(head.rfind(":"), head.rfind("|")) + 1
            segments = head[anchor:].split(",")
            if len(segments) < 2 or segments[-1].strip():
                continue
            offset = line_start + anchor
            for k in range(len(segments) - 2, max(-1, len(segments) - 5), -1):
                seg_start = offset + sum(len(s) + 1 for s in segments[:k])
                while seg_start < start and text[seg_start] in " \t":
                    seg_start += 1
                if end - seg_start > 2 * MAX_STREET or not text[seg_start:seg_start + 1].isupper():
                    continue
                yield seg_start, end, f"address_ext{len(segments) - 1 - k}"


def text_candidates(text: str, max_tokens: int) -> list[Candidate]:
    """Sub-runs of capitalised words (first/last names, communes), street addresses and the values of
    "Label : value" lines and table cells."""
    found: dict[tuple[int, int], Candidate] = {}
    for run in _CAP_RUN.finditer(text):
        words = list(re.finditer(r"[^ ]+", run.group()))
        for i in range(len(words)):
            for j in range(i, min(len(words), i + max_tokens)):
                if re.fullmatch(_PARTICLE, words[j].group()):
                    continue  # a name does not end with "de"
                start, end = run.start() + words[i].start(), run.start() + words[j].end()
                found.setdefault((start, end), Candidate(start, end, text[start:end], "text", "caps"))
    for start, end, source in _streets(text):
        found[(start, end)] = Candidate(start, end, text[start:end], "text", source)
    for pattern in (_LABEL_VALUE, _TABLE_CELL):
        for line in pattern.finditer(text):
            start, end = line.span(1)
            known = found.get((start, end))
            found[(start, end)] = Candidate(start, end, text[start:end], "text", known.source if known else "label",
                                            ("after_label",))
    return [c for c in found.values() if not re.search(r"[@<>]", c.text) and re.search(r"[^\W\d_]", c.text)
            and not _NOT_A_NAME.fullmatch(c.text)]


def output_value(cand: Candidate) -> str | None:
    """Typed values are given in their canonical form; text as written, trimmed."""
    if cand.value is not None:
        return cand.value
    if cand.type == "text":
        return cand.text.strip(" ,.;")
    if cand.type == "date":
        return normalise_field(re.sub(r"\s*\|\s*", "/", cand.text), "date")
    return normalise_field(cand.text, cand.type)
