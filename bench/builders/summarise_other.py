"""summarise_notes, second test set from another source: a professionals' or associations' fiche -> its introduction.

The main splits pair a short *particuliers* body (100-400 words, introduction included) with the page's
`dc:description`. This set changes everything a summariser could have fitted to: the audience
(*professionnels*, *associations*), the length (400-900 words) and the reference, which is the page's own
Introduction paragraph, taken OUT of the body so that it cannot be copied. It shows whether a summariser's
score and rank transfer; it is never used for training or tuning.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bench.builders.common import Row, markdown_table, word_count
from bench.builders.summarise_notes import PAGE_TYPES
from bench.builders.vdd import Page

SET_NAME = "test_other_source"
AUDIENCES = ("professionnels", "associations")
MIN_BODY_WORDS = 400
MAX_BODY_WORDS = 900
MIN_REFERENCE_WORDS = 15  # shorter introductions are a title-like line, not a summary
SIZE = 150
NEAR_DUPLICATE = 0.6  # Jaccard similarity of reference word sets, as for the main splits
SHINGLE = 5  # words per shingle for the body near-duplicate test
BODY_OVERLAP = 0.5  # share of one body's 5-word shingles found in the other above which two bodies are one

# An introduction that speaks of the page ("la liste ci-dessous", "cette page traite de") or leads into a list
# ("... :") is partly navigation, not a summary of the content.
_POINTER = re.compile(r"ci-dessous|ci-après|cette fiche|cette page|:$", re.IGNORECASE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def shingles(text: str, n: int = SHINGLE) -> frozenset[str]:
    """Runs of `n` words (joined: a string caches its hash, which keeps the comparisons fast)."""
    words = _tokens(text)
    return frozenset(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))


class PairIndex:
    """Pairs already taken, to test a new one for near-duplicates without scanning every body.

    Bodies are kept as shingle sets under an inverted index; references as word sets.
    """

    def __init__(self) -> None:
        self._sizes: list[int] = []
        self._where: dict[str, list[int]] = {}
        self._references: list[frozenset[str]] = []

    def add(self, body: str, reference: str) -> None:
        body_shingles = shingles(body)
        for shingle in body_shingles:
            self._where.setdefault(shingle, []).append(len(self._sizes))
        self._sizes.append(len(body_shingles))
        self._references.append(frozenset(_tokens(reference)))

    def body_overlap(self, body: str) -> float:
        """Largest share of the smaller shingle set found in the other: 1.0 when one body contains another."""
        body_shingles = shingles(body)
        shared = Counter(i for shingle in body_shingles for i in self._where.get(shingle, ()))
        return max((n / min(len(body_shingles), self._sizes[i]) for i, n in shared.items()), default=0.0)

    def near(self, body: str, reference: str) -> bool:
        words = frozenset(_tokens(reference))
        return (self.body_overlap(body) >= BODY_OVERLAP
                or any(_jaccard(words, other) >= NEAR_DUPLICATE for other in self._references))


def body_of(page: Page) -> str:
    """Texte + ListeSituations: the page without its introduction."""
    return "\n".join(part for part in (page.text, page.situations_text) if part)


def _reference_problem(reference: str) -> str | None:
    if word_count(reference) < MIN_REFERENCE_WORDS:
        return f"introduction missing or under {MIN_REFERENCE_WORDS} words"
    if _POINTER.search(reference.strip()):
        return "introduction speaks of the page or leads into a list"
    return None


def candidate_pairs(pages: Sequence[Page], used: Sequence[Mapping[str, Any]]) -> tuple[list[Page], Counter[str]]:
    """Usable pages (sorted by id) and the count of each reason for dropping one.

    `used` are the rows of the train/dev/test splits: their pages, and pages whose body or reference is a
    near-duplicate of theirs, are left out.
    """
    used_ids = {str(row["source_id"]) for row in used}
    used_pairs, seen = PairIndex(), PairIndex()
    for row in used:
        used_pairs.add(str(row["text"]), str(row["summary"]))
    dropped: Counter[str] = Counter()
    kept: list[Page] = []
    for page in sorted(pages, key=lambda p: p.id):
        if page.type not in PAGE_TYPES or page.audience not in AUDIENCES:
            continue
        body, reference = body_of(page), page.introduction
        n = word_count(body)
        problem = _reference_problem(reference)
        if page.id in used_ids:
            dropped["page in the train/dev/test splits"] += 1
        elif problem:
            dropped[problem] += 1
        elif n < MIN_BODY_WORDS:
            dropped[f"body under {MIN_BODY_WORDS} words"] += 1
        elif n > MAX_BODY_WORDS:
            dropped[f"body over {MAX_BODY_WORDS} words"] += 1
        elif _norm(reference) in _norm(body):
            dropped["introduction repeated in the body"] += 1
        elif used_pairs.near(body, reference):
            dropped["near-duplicate of a train/dev/test pair"] += 1
        elif seen.near(body, reference):
            dropped["near-duplicate of another page of this set"] += 1
        else:
            seen.add(body, reference)
            kept.append(page)
    return kept, dropped


def build(pages: Sequence[Page], used: Sequence[Mapping[str, Any]], seed: int, size: int = SIZE) -> list[Row]:
    """`size` pairs drawn with `seed` from the usable pages, in id order."""
    kept, _ = candidate_pairs(pages, used)
    random.Random(seed).shuffle(kept)
    chosen = sorted(kept[:size], key=lambda p: p.id)
    return [
        {"id": f"sum-other-{i + 1:04d}", "text": body_of(page), "summary": page.introduction,
         "source_id": page.id, "url": page.url, "title": page.title, "audience": page.audience,
         "page_type": page.type, "reference": "introduction",
         "reference_is_description": _norm(page.introduction) == _norm(page.description),
         "body_words": word_count(body_of(page)), "summary_words": word_count(page.introduction)}
        for i, page in enumerate(chosen)
    ]


def stats_markdown(rows: Sequence[Row], pages: Sequence[Page], used: Sequence[Mapping[str, Any]]) -> str:
    kept, dropped = candidate_pairs(pages, used)

    def spread(values: list[int]) -> str:
        values = sorted(values)
        return f"{values[0]}–{values[-1]} (median {values[len(values) // 2]})" if values else "–"

    def counts(key: str) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(Counter(str(r[key]) for r in rows).items()))

    same = sum(1 for r in rows if r["reference_is_description"])
    table = markdown_table(
        ["set", "pairs", "body words", "reference words", "audience", "page type"],
        [[SET_NAME, len(rows), spread([r["body_words"] for r in rows]), spread([r["summary_words"] for r in rows]),
          counts("audience"), counts("page_type")]])
    return "\n\n".join([
        f"Set `{SET_NAME}` (same seed): candidate pairs after filtering: {len(kept)}.\n"
        f"Reference identical to the page's `dc:description` in {same} of {len(rows)} pairs.",
        table,
        f"*{' and '.join(AUDIENCES).capitalize()}* pages of the four types dropped, by reason:",
        markdown_table(["reason", "pages"], [[reason, count] for reason, count in sorted(dropped.items())]),
    ])
