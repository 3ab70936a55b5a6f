"""Rules extraction of French form fields: regular expressions find candidates, context decides which is which.

1. Candidates (`rules_candidates`). The text is first repaired of the usual OCR confusions ("O6 73 l9",
   "LANNI0N"). Every typed field has French patterns: dates ("03/03/1987", "3 mars 1987", "le vingt-deux
   novembre mille neuf cent quarante-neuf"; a date without its year is no candidate), amounts ("1 250,00 €",
   "trente-cinq euros"), phones, e-mails, NIR, SIRET, IBAN, SIV plates, postcodes and case references (the
   shapes of the train references, codes joined by dashes or slashes, groups of digits as "PC 038 110 23
   00017" or "2290417 R"). Text fields (names, communes…) take runs of capitalised words, street addresses
   and "Label : value" remainders of lines and table cells.
2. Choice (`rules_features`). A letter holds several dates, phones and people; which date is the birth date
   and whose name is the writer's is told by the words around the candidate ("né le", "Date de naissance :",
   "mon fils") and by the part of the document it sits in (signature, quoted reply, forwarded message,
   addressee block). Those cues are learned on the train split: per field, a logistic regression over sparse
   context features of the candidates. Per document and field the best candidate wins if its probability
   clears a threshold chosen on dev; a span serves one field at most.
No neural network is involved: this is the floor the neural extractors must beat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from bench.methods import Method
from bench.methods.rules_candidates import (
    CHECKSUMS,
    Candidate,
    ocr_clean,
    output_value,
    reference_shape,
    text_candidates,
    typed_candidates,
)
from bench.methods.rules_features import Document, features
from bench.metrics import normalise_field
from bench.spec.config import FieldSpec
from bench.spec.tasks import Item
from bench.text import fold

__all__ = ["CHECKSUMS", "Candidate", "RegexExtract", "output_value", "reference_shape", "typed_candidates"]

MAX_TEXT_TOKENS = 4
Rows = dict[str, list[dict[str, float]]]


class RegexExtract(Method):
    kinds = frozenset({"extraction"})
    THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

    def candidates(self, text: str) -> dict[str, list[Candidate]]:
        """Candidates per field type; subclasses add their own (named entities)."""
        types: set[str] = {spec.type for spec in self._fields}
        out: dict[str, list[Candidate]] = {
            kind: typed_candidates(text, kind, self._shapes if kind == "reference" else ())
            for kind in types if kind != "text"}
        if "text" in types:
            out["text"] = text_candidates(text, self._max_tokens)
        return out

    def _featurised(self, raw: str) -> tuple[dict[str, list[Candidate]], Rows]:
        text = ocr_clean(raw)
        doc = Document(text)
        by_type = self.candidates(text)
        years = [int(c.value[:4]) for c in by_type.get("date", []) if c.value]
        doc.max_year = max(years, default=0)
        rows = {kind: [features(doc, c, i, len(cands), self._vocab) for i, c in enumerate(cands)]
                for kind, cands in by_type.items()}
        return by_type, rows

    def _scored(self, text: str) -> Iterator[tuple[str, list[Candidate], np.ndarray[Any, Any]]]:
        by_type, rows_by_type = self._featurised(text)
        for spec in self._fields:
            cands = by_type.get(spec.type, [])
            model = self._models.get(spec.name)
            if not cands or model is None:
                yield spec.name, cands, np.zeros(len(cands))
                continue
            weights, bias = model
            if weights is None:  # the train split had positives only: every candidate is the value
                yield spec.name, cands, np.ones(len(cands))
                continue
            # The logistic regression's decision, read from its weights: cheaper than a vectoriser per call.
            scores = [bias + sum(weights.get(name, 0.0) * value for name, value in row.items())
                      for row in rows_by_type[spec.type]]
            yield spec.name, cands, 1.0 / (1.0 + np.exp(-np.asarray(scores)))

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        if not train:
            raise ValueError(f"task '{self.task.name}' has no train split: the extraction cues are learned on it")
        self._fields: list[FieldSpec] = list(self.task.spec.fields or [])
        references = [str(item.target[f.name]) for item in train if isinstance(item.target, dict)
                      for f in self._fields if f.type == "reference" and item.target.get(f.name)]
        self._shapes = list({reference_shape(r).pattern: reference_shape(r) for r in references}.values())
        text_lengths = [len(str(item.target[f.name]).split()) for item in train if isinstance(item.target, dict)
                        for f in self._fields if f.type == "text" and item.target.get(f.name)]
        self._max_tokens = min(MAX_TEXT_TOKENS, max(text_lengths, default=2))
        # Words the train texts write in lower case: "Merci" or "Date" at the head of a line are no names.
        self._vocab = frozenset(fold(w) for item in train for w in re.findall(r"(?<![\w'’-])[a-zà-ÿ]{2,}", item.text))
        self._models: dict[str, tuple[dict[str, float] | None, float]] = {}
        self.thresholds = {f.name: 0.5 for f in self._fields}
        rows: dict[str, list[dict[str, float]]] = {f.name: [] for f in self._fields}
        labels: dict[str, list[int]] = {f.name: [] for f in self._fields}
        hits = dict.fromkeys((f.name for f in self._fields), 0)
        totals = dict.fromkeys((f.name for f in self._fields), 0)
        for item in train:
            assert isinstance(item.target, dict)
            by_type, rows_by_type = self._featurised(item.text)
            for spec in self._fields:
                gold = normalise_field(item.target.get(spec.name), spec.type)
                matched = False
                for cand, row in zip(by_type.get(spec.type, []), rows_by_type.get(spec.type, []), strict=True):
                    positive = gold is not None and normalise_field(output_value(cand), spec.type) == gold
                    matched |= positive
                    rows[spec.name].append(row)
                    labels[spec.name].append(int(positive))
                totals[spec.name] += gold is not None
                hits[spec.name] += matched
        for spec in self._fields:
            y = labels[spec.name]
            if not y or not any(y):
                continue  # nothing learnable: the field stays empty
            if all(y):
                self._models[spec.name] = (None, 0.0)
                continue
            vectoriser = DictVectorizer()
            x = vectoriser.fit_transform(rows[spec.name])
            classifier = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced",
                                            random_state=self.context.seed).fit(x, y)
            weights = {name: float(w) for name, w in zip(vectoriser.get_feature_names_out(), classifier.coef_[0],
                                                           strict=True) if w}
            self._models[spec.name] = (weights, float(classifier.intercept_[0]))
        tuned_on = dev or train
        self.thresholds = self._tune_thresholds(tuned_on)
        return {"thresholds": self.thresholds, "tuned_on": "dev" if dev else "train",
                "candidate_recall_train": {n: hits[n] / totals[n] if totals[n] else 0.0 for n in hits},
                "reference_shapes": len(self._shapes), "fields_learned": sorted(self._models)}

    def _tune_thresholds(self, items: list[Item]) -> dict[str, float]:
        """Per field, the probability above which the best candidate is kept: the best field F1 on `items`."""
        best_per_doc = [dict((name, (cands, probs)) for name, cands, probs in self._scored(item.text))
                        for item in items]
        chosen: dict[str, float] = {}
        for spec in self._fields:
            def f1(threshold: float, spec: FieldSpec = spec) -> float:
                tp = fp = fn = 0
                for item, scored in zip(items, best_per_doc, strict=True):
                    assert isinstance(item.target, dict)
                    gold = normalise_field(item.target.get(spec.name), spec.type)
                    cands, probs = scored[spec.name]
                    pred = None
                    if len(cands) and probs.max() >= threshold:
                        pred = normalise_field(output_value(cands[int(np.argmax(probs))]), spec.type)
                    tp += pred is not None and pred == gold
                    fp += pred is not None and pred != gold
                    fn += gold is not None and pred != gold
                return 2 * tp / max(1, 2 * tp + fp + fn)

            # Of the thresholds that tie for the best F1, the middle one: new writers' documents score their
            # candidates a little differently, and the middle of the plateau leaves room on both sides.
            scores = {t: f1(t) for t in self.THRESHOLDS}
            best = [t for t in self.THRESHOLDS if scores[t] >= max(scores.values()) - 1e-9]
            chosen[spec.name] = best[len(best) // 2]
        return chosen

    def predict(self, text: str) -> dict[str, str | None]:
        options: list[tuple[float, str, Candidate]] = []
        for name, cands, probs in self._scored(text):
            options.extend((float(p), name, c) for p, c in zip(probs, cands, strict=True)
                           if p >= self.thresholds.get(name, 0.5))
        result: dict[str, str | None] = {spec.name: None for spec in self._fields}
        used: list[tuple[int, int]] = []
        for _, name, cand in sorted(options, key=lambda o: -o[0]):  # most confident first; a span serves once
            if result[name] is not None or any(cand.start < e and s < cand.end for s, e in used):
                continue
            result[name] = output_value(cand)
            used.append((cand.start, cand.end))
        return result
