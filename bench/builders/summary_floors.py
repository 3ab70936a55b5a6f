"""Extractive floors and copy rate of the summarise_notes test sets, as quoted in its data card.

    python -m bench.builders.summary_floors            # reads tasks/summarise_notes/data/*.jsonl

For each test set: ROUGE-L (bench.metrics.summary.rouge_l, mean and 95 % bootstrap interval) of zero-cost
rules — the first sentence and the first three sentences of the body (lead-1, lead-3, split as the lead-k
rung splits them), the lead-k rung itself (k chosen on the dev split, as the rung chooses it), the first 20
and 50 words — and the copy rate: the share of the reference's word 3-grams found in the body, averaged over
pairs (1.0 = every phrase of the reference is copied from the body; 0 = none is).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.builders.common import TASKS_DIR, markdown_table
from bench.methods.lead_k import K_GRID, split_sentences
from bench.metrics.summary import FrenchTokenizer, rouge_l, summary_scores

SETS = {"test": "test.jsonl", "test_other_source": "test_other_source.jsonl"}
_TOKENIZER = FrenchTokenizer()


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _TOKENIZER.tokenize(text)
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def copy_rate(reference: str, body: str) -> float:
    """Share of the reference's word 3-grams that also occur in the body."""
    wanted = trigrams(reference)
    return len(wanted & trigrams(body)) / len(wanted) if wanted else 0.0


def lead(body: str, k: int) -> str:
    return " ".join(split_sentences(body)[:k])


def read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rung_k(dev: Sequence[dict[str, str]]) -> int:
    """The k the lead-k rung keeps: best mean ROUGE-L on dev, the smaller k on a tie."""
    def mean(k: int) -> float:
        return sum(rouge_l(row["summary"], lead(row["text"], k)) for row in dev) / len(dev)

    scores = {k: mean(k) for k in K_GRID}
    return max(K_GRID, key=lambda k: (scores[k], -k))


def first_words(body: str, n: int) -> str:
    return " ".join(body.split()[:n])


def floors(rows: Sequence[dict[str, str]], k_rung: int) -> dict[str, str]:
    """Measure name -> figure for one test set (ROUGE-L as "mean [95 % interval]")."""
    references = [row["summary"] for row in rows]
    bodies = [row["text"] for row in rows]
    rules: dict[str, Callable[[str], str]] = {
        "lead-1 ROUGE-L": lambda b: lead(b, 1), "lead-3 ROUGE-L": lambda b: lead(b, 3),
        f"lead-k rung ROUGE-L (k = {k_rung}, chosen on dev)": lambda b: lead(b, k_rung),
        "first 20 words ROUGE-L": lambda b: first_words(b, 20),
        "first 50 words ROUGE-L": lambda b: first_words(b, 50)}
    out: dict[str, str] = {}
    for name, rule in rules.items():
        score = summary_scores(references, [rule(b) for b in bodies])["rouge_l"]
        out[name] = f"{score.value:.3f} [{score.ci_low:.3f}, {score.ci_high:.3f}]"
    rates = [copy_rate(r, b) for r, b in zip(references, bodies, strict=True)]
    out["copy rate (reference 3-grams found in the body)"] = f"{sum(rates) / len(rates):.2f}"
    out["references with ≥ 80 % of their 3-grams in the body"] = f"{sum(r >= 0.8 for r in rates) / len(rates):.0%}"
    return out


def table(data_dir: Path) -> str:
    """One row per measure, one column per test set present in `data_dir`."""
    k = rung_k(read(data_dir / "dev.jsonl"))
    columns: dict[str, dict[str, str]] = {}
    for name, filename in SETS.items():
        path = data_dir / filename
        if path.is_file():
            rows = read(path)
            columns[f"{name} ({len(rows)} pairs)"] = floors(rows, k)
    measures = list(next(iter(columns.values())))
    return markdown_table(["measure", *columns], [[m, *(c[m] for c in columns.values())] for m in measures])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.builders.summary_floors", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=TASKS_DIR / "summarise_notes" / "data")
    args = parser.parse_args(argv)
    print(table(args.data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
