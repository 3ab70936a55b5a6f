"""Invented facts in a summary: the error that matters most in a public-service summary.

A *fact* here is what a reader acts on and a model can get wrong without changing the summary's gist:
- numbers (amounts, percentages, counts; "1 250,50 €" and "1250.5" are one number),
- dates ("3 mars 2024", "03/03/2024") and years,
- durations ("4 mois", "deux ans" — a number with its unit of time),
- named bodies (Caf, CPAM, préfecture, tribunal…, and acronyms written in capitals).
A fact of the summary that the source does not contain (after normalisation: case, accents, number
formats) is *invented*. The check is deliberately literal: a paraphrase that changes "quatre" into "4" is
accepted (number words are read), one that turns "4 mois" into "120 jours" is flagged. It is a screen, not a
proof of faithfulness: an invented claim made only of ordinary words is not caught.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_WORD_NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "mille": 1000,
}
_UNITS = {"jour": "jour", "jours": "jour", "semaine": "semaine", "semaines": "semaine", "mois": "mois",
          "an": "an", "ans": "an", "annee": "an", "annees": "an", "heure": "heure", "heures": "heure"}
_MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
           "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
# Bodies a citizen is sent to; matched as whole words, accent- and case-insensitively.
BODIES = (
    "caf", "cpam", "assurance maladie", "urssaf", "msa", "france travail", "pole emploi", "carsat", "cnav",
    "agirc arrco", "prefecture", "sous prefecture", "mairie", "tribunal", "conseil departemental",
    "departement", "mdph", "impots", "dgfip", "ants", "adil", "douane", "notaire", "huissier",
    "commissaire de justice", "cci", "chambre de metiers", "inpi", "cnil", "defenseur des droits",
    "conseil de prud hommes", "cour d appel", "juge", "procureur", "banque de france", "ccas", "anah",
    "securite sociale", "apec", "crous", "education nationale", "consulat", "ambassade", "police", "gendarmerie",
)
_BODY = re.compile(r"\b(" + "|".join(sorted((re.escape(b) for b in BODIES), key=len, reverse=True)) + r")\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_NUMBER = re.compile(r"(?<![\w])\d{1,3}(?:[ .\u202f\u00a0]\d{3})+(?:,\d+)?|(?<![\w])\d+(?:[.,]\d+)?")
_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(_MONTHS) + r")(?:\s+(\d{4}))?\b")
_DMY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _number(token: str) -> str:
    compact = re.sub(r"[ .\u202f\u00a0](?=\d{3}\b)", "", token).replace(",", ".")
    try:
        value = float(compact)
    except ValueError:
        return compact
    return f"{value:g}"


def facts(text: str) -> set[str]:
    """The checkable facts of a text, each as a normalised string with its kind ("num:4", "dur:4 mois"…)."""
    found: set[str] = set()
    plain = _plain(text)
    for day, month, year in _DATE.findall(plain):
        found.add(f"date:{int(day)}-{_MONTHS[month]}" + (f"-{year}" if year else ""))
    for day, month, year in _DMY.findall(plain):
        found.add(f"date:{int(day)}-{int(month)}-{year}")
    without_dates = _DMY.sub(" ", _DATE.sub(" ", plain))
    for token in _NUMBER.findall(without_dates):
        found.add(f"num:{_number(token)}")
    words = re.findall(r"[^\W_]+", plain)
    for i, word in enumerate(words):
        if word in _WORD_NUMBERS and not (word in ("un", "une") and (i + 1 >= len(words)
                                                                    or words[i + 1] not in _UNITS)):
            found.add(f"num:{_WORD_NUMBERS[word]:g}")
        if word in _UNITS and i > 0:
            previous = words[i - 1]
            amount = _WORD_NUMBERS.get(previous) if not previous.replace(".", "").isdigit() else float(previous)
            if amount is not None:
                found.add(f"dur:{float(amount):g} {_UNITS[word]}")
    found.update(f"body:{m}" for m in _BODY.findall(re.sub(r"[^\w]+", " ", plain)))
    found.update(f"body:{a.casefold()}" for a in _ACRONYM.findall(unicodedata.normalize("NFKC", text)))
    return found


def invented_facts(source: str, summary: str | None) -> list[str]:
    """Facts of `summary` that `source` does not contain, sorted."""
    if not summary:
        return []
    have = facts(source)
    # A year or a day alone in the source covers the same figure in the summary, and vice versa.
    numbers = {f.split(":", 1)[1] for f in have if f.startswith("num:")}
    numbers |= {part for f in have if f.startswith("date:") for part in f[5:].split("-")}
    numbers.add("1")  # "un", "une", "premier" are everywhere in French: a "1" is never an invented figure
    invented = []
    for fact in facts(summary):
        kind, value = fact.split(":", 1)
        if fact in have or (kind == "num" and value in numbers):
            continue
        if kind == "date" and all(part in numbers for part in value.split("-")):
            continue
        invented.append(fact)
    return sorted(invented)


def words(text: str | None) -> int:
    return len((text or "").split())


def within_budget(summary: str | None, budget: int | None) -> str:
    """The summary cut to `budget` words (None: no budget): the scores never reward running long."""
    if not summary or budget is None:
        return summary or ""
    parts = summary.split()
    return summary if len(parts) <= budget else " ".join(parts[:budget])


def per_item(sources: Sequence[str], summaries: Sequence[str | None], budget: int | None
             ) -> list[dict[str, float]]:
    """{invented (0/1), invented_facts (count), over_budget (0/1), words} per summary."""
    out = []
    for source, summary in zip(sources, summaries, strict=True):
        made_up = invented_facts(source, summary)
        out.append({"invented": float(bool(made_up)), "invented_facts": float(len(made_up)),
                    "over_budget": float(budget is not None and words(summary) > budget),
                    "words": float(words(summary))})
    return out
