"""spaCy named entities + the rules extractor: PER/LOC spans become candidates for text fields.

The French spaCy pipelines tag PER, LOC, ORG and MISC only (no dates, amounts or identifiers), so typed
fields stay with the regular expressions of `regex_extract`; names and communes gain the entities as
candidates, and every text candidate learns from the entity label covering it (`ent=PER`…).
"""

from __future__ import annotations

import re
from typing import Any

from bench.methods.batching import DEFAULT_BATCH, Batching
from bench.methods.regex_extract import Candidate, RegexExtract

Entities = list[tuple[int, int, str]]


def _entities(doc: Any) -> Entities:
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]


class NerRegex(RegexExtract):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._piped: dict[str, Entities] = {}  # entities of the current batch's texts (from nlp.pipe)

    def batching(self, size: int | None) -> Batching:
        size = size or DEFAULT_BATCH["spacy"]
        return Batching("batched", size, f"spaCy nlp.pipe, {size} texts per batch")

    def predict_batch(self, texts: list[str], plan: Batching) -> list[dict[str, str | None]]:
        if plan.mode == "batched":
            nlp: Any = self.model
            self._piped = {text: _entities(doc) for text, doc in zip(texts, nlp.pipe(texts, batch_size=plan.size),
                                                                      strict=True)}
        try:
            return [self.predict(text) for text in texts]
        finally:
            self._piped = {}

    def candidates(self, text: str) -> dict[str, list[Candidate]]:
        out = super().candidates(text)
        if "text" not in out:
            return out
        nlp: Any = self.model
        entities = self._piped.get(text)
        if entities is None:
            entities = _entities(nlp(text))
        by_span = {(c.start, c.end): c for c in out["text"]}
        for start, end, label in entities:
            # The entity and its word sub-spans: "Paul Lefèvre" is a PER, its last word a last name.
            words = list(re.finditer(r"\S+", text[start:end]))
            for i in range(len(words)):
                for j in range(i, min(len(words), i + self._max_tokens)):
                    s, e = start + words[i].start(), start + words[j].end()
                    where = "all" if (i, j) == (0, len(words) - 1) else "first" if i == 0 else \
                        "last" if j == len(words) - 1 else "mid"
                    tags = (f"ent={label}", f"ent_{where}") if where == "all" else (f"in={label}", f"ent_{where}")
                    known = by_span.get((s, e))
                    by_span[(s, e)] = Candidate(s, e, text[s:e], "text", known.source if known else f"ner_{label}",
                                                (*(known.extra if known else ()), *tags))
        out["text"] = list(by_span.values())
        return out
