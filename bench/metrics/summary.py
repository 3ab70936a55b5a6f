"""ROUGE-L and chrF for French summaries.

Choices:
- ROUGE-L is `rouge-score`'s `rougeL` F-measure (LCS over the whole text, no sentence split), with
  `FrenchTokenizer` instead of the stock one: the stock tokenizer keeps only [a-z0-9], so "élève" becomes
  "l ve" and "élève" / "élevé" compare as identical. No stemming (the bundled stemmer is English).
  Accents are kept by default: in French they carry meaning (a/à, ou/où, élève/élevé), and a summary for
  a citizen should spell them.
- chrF is sacrebleu's CHRF with its defaults (character 6-grams, beta = 2, no word n-grams), computed per
  item and averaged (mean sentence-level chrF). Averaging per item keeps the metric decomposable, so the
  bootstrap resamples exactly the per-item values that the audit lines show.
- Both are reported on a 0-1 scale (sacrebleu's 0-100 divided by 100). A missing hypothesis (None)
  scores as the empty string, i.e. 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics.chrf import CHRF

from bench.metrics import faithfulness
from bench.metrics.bootstrap import FloatArray, Score, bootstrap, mean_of
from bench.metrics.faithfulness import within_budget

_WORD = re.compile(r"[^\W_]+")  # runs of Unicode letters/digits: keeps é, à, ç, œ; splits on ' - , etc.


def strip_accents(text: str) -> str:
    """Remove combining marks after canonical decomposition ("école" -> "ecole")."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class FrenchTokenizer:
    """Tokenizer object for `rouge_score.RougeScorer`: NFKC, casefold, Unicode word runs.

    "L'élève à l'école" -> ["l", "élève", "à", "l", "école"]. With strip_accents=True accents are
    dropped before splitting, for lenient matching of unaccented output.
    """

    def __init__(self, strip_accents: bool = False) -> None:
        self.strip_accents = strip_accents

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).casefold()
        if self.strip_accents:
            text = strip_accents(text)
        return _WORD.findall(text)


_ROUGE = rouge_scorer.RougeScorer(["rougeL"], tokenizer=FrenchTokenizer())
_CHRF = CHRF()


def rouge_l(reference: str, hypothesis: str | None) -> float:
    """ROUGE-L F-measure of one pair (0 if either side has no token)."""
    return float(_ROUGE.score(reference, hypothesis or "")["rougeL"].fmeasure)


def chrf(reference: str, hypothesis: str | None) -> float:
    """Sentence-level chrF of one pair, 0-1."""
    return float(_CHRF.sentence_score(hypothesis or "", [reference]).score) / 100.0


def per_item(references: Sequence[str], hypotheses: Sequence[str | None], sources: Sequence[str] | None = None,
             budget: int | None = None) -> list[dict[str, float]]:
    """ROUGE-L and chrF of each summary cut to the length budget; with the sources, the faithfulness
    check of each summary as written (`bench.metrics.faithfulness`)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"references and hypotheses differ in length {len(references)} != {len(hypotheses)}")
    cut = [within_budget(h, budget) for h in hypotheses]
    items = [{"rouge_l": rouge_l(r, h), "chrf": chrf(r, h)} for r, h in zip(references, cut, strict=True)]
    if sources is not None:
        for item, checks in zip(items, faithfulness.per_item(sources, hypotheses, budget), strict=True):
            item.update(checks)
    return items


def summary_scores(references: Sequence[str], hypotheses: Sequence[str | None], *, resamples: int = 1000,
                   seed: int = 0, sources: Sequence[str] | None = None, budget: int | None = None
                   ) -> dict[str, Score]:
    """`rouge_l` and `chrf` (means over items, of summaries cut to the budget) and, with the sources,
    `invented_rate` (share of summaries with a fact the source lacks) and `over_budget_rate` (Wilson)."""
    items = per_item(references, hypotheses, sources, budget)
    out: dict[str, Score] = {}
    for key in ("rouge_l", "chrf"):
        values: FloatArray = np.array([item[key] for item in items], dtype=np.float64)
        out[key] = bootstrap(values, mean_of(len(values)), resamples=resamples, seed=seed)
    if sources is not None:
        for key, column in (("invented_rate", "invented"), ("over_budget_rate", "over_budget")):
            flags: FloatArray = np.array([item[column] for item in items], dtype=np.float64)
            out[key] = bootstrap(flags, mean_of(len(flags)), resamples=resamples, seed=seed, proportion=True)
    return out
