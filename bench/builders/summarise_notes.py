"""summarise_notes: a service-public.fr fiche body -> its official one-paragraph summary (dc:description).

Pairs are real DILA text, not synthetic: the builder only selects, cleans, deduplicates and splits them.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence

from bench.builders.common import SPLITS, Splits, markdown_table, word_count
from bench.builders.vdd import Page

PAGE_TYPES = ("Fiche d'information", "Fiche Question-réponse", "Fiche d'information conditionnée",
              "Fiche Question-réponse conditionnée")
MIN_BODY_WORDS = 100
MAX_BODY_WORDS = 400  # whitespace-separated words; ~600-700 tokens for common French subword tokenizers
MIN_SUMMARY_WORDS = 8
SIZES = {"train": 150, "dev": 50, "test": 200}
NEAR_DUPLICATE = 0.6  # Jaccard similarity of summary word sets above which two pairs are one


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[^\W_]+", text.casefold()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def candidate_pairs(pages: Sequence[Page]) -> tuple[list[Page], Counter[str]]:
    """Pages that make a usable pair, sorted by id, and the count of each reason for dropping one."""
    dropped: Counter[str] = Counter()
    kept: list[Page] = []
    seen_bodies: set[str] = set()
    seen_summaries: list[frozenset[str]] = []
    for page in sorted(pages, key=lambda p: p.id):
        if page.type not in PAGE_TYPES:
            continue
        body, summary = page.body, page.description
        n = word_count(body)
        if word_count(summary) < MIN_SUMMARY_WORDS:
            dropped["summary shorter than 8 words"] += 1
        elif n < MIN_BODY_WORDS:
            dropped[f"body under {MIN_BODY_WORDS} words"] += 1
        elif n > MAX_BODY_WORDS:
            dropped[f"body over {MAX_BODY_WORDS} words"] += 1
        elif _norm(summary) in _norm(body):
            # The summary is copied in the body (usually as its introduction): copying is not summarising.
            dropped["summary copied verbatim in the body"] += 1
        elif _norm(body) in seen_bodies:
            dropped["duplicate body"] += 1
        elif any(_jaccard(_words(summary), other) >= NEAR_DUPLICATE for other in seen_summaries):
            dropped["near-duplicate summary"] += 1
        else:
            seen_bodies.add(_norm(body))
            seen_summaries.append(_words(summary))
            kept.append(page)
    return kept, dropped


def build(pages: Sequence[Page], seed: int, sizes: dict[str, int] | None = None) -> Splits:
    """train/dev/test pairs; one page gives at most one pair, so splits never share a source."""
    sizes = sizes or SIZES
    kept, _ = candidate_pairs(pages)
    rng = random.Random(seed)
    rng.shuffle(kept)
    splits: Splits = {}
    start = 0
    for split in ("test", "dev", "train"):  # test first: it is the one that must reach its size
        chosen = sorted(kept[start:start + sizes[split]], key=lambda p: p.id)
        start += sizes[split]
        splits[split] = [
            {"id": f"sum-{split}-{i + 1:04d}", "text": page.body, "summary": page.description,
             "source_id": page.id, "url": page.url, "title": page.title, "audience": page.audience,
             "body_words": word_count(page.body), "summary_words": word_count(page.description)}
            for i, page in enumerate(chosen)
        ]
    return {s: splits[s] for s in SPLITS}


def stats_markdown(splits: Splits, pages: Sequence[Page], seed: int) -> str:
    kept, dropped = candidate_pairs(pages)

    def spread(values: list[int]) -> str:
        values = sorted(values)
        return f"{values[0]}–{values[-1]} (median {values[len(values) // 2]})" if values else "–"

    rows = [[s, len(splits[s]), spread([r["body_words"] for r in splits[s]]),
             spread([r["summary_words"] for r in splits[s]]),
             ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["audience"] for r in splits[s]).items()))]
            for s in SPLITS]
    drops = [[reason, count] for reason, count in sorted(dropped.items())]
    return "\n\n".join([
        f"Seed: `{seed}`. Candidate pairs after filtering: {len(kept)}.",
        markdown_table(["split", "pairs", "body words", "summary words", "audience"], rows),
        "Pages of the four types dropped, by reason:",
        markdown_table(["reason", "pages"], drops),
    ])
