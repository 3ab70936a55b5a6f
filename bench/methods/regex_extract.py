"""Rules extraction of French form fields: regular expressions find candidates, context decides which is which.

1. Candidates. Every typed field has French patterns: dates ("03/03/1987", "3 mars 1987", "1er janvier
   2020", ISO), amounts with a currency ("1 250,00 €"), phones (0X XX XX XX XX, +33), e-mails, NIR, SIRET,
   IBAN, SIV plates, postcodes and case references (the shapes of the train references, plus a generic
   alphanumeric pattern). Text fields (names, communes…) take runs of capitalised words and "Label : value"
   remainders of lines.
2. Choice. A letter holds several dates or phones; which one is the birth date is told by the words
   around it ("né le", "Date de naissance :"). Those cues are learned on the train split: per field, a
   logistic regression over sparse context features of the candidates (words to the left, the line's label,
   the word to the right, the span's shape, its checksum). Per document and field the best candidate wins
   if its probability clears a threshold chosen on dev; a span serves one field at most.
No neural network is involved: this is the floor the neural extractors must beat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.config import FieldSpec
from bench.methods import Method
from bench.metrics import normalise_field
from bench.tasks import Item
from bench.text import fold

# ------------------------------------------------------------------ patterns

_MONTH_NAMES = (r"janv(?:ier|\.)?|f[ée]v(?:rier|r?\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[uû]t"
                r"|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?")
_D = r"(?<![\w/.\-])"  # not glued to a preceding word, digit or separator
PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "date": [
        re.compile(_D + r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\w/])"),
        re.compile(_D + r"\d{4}-\d{2}-\d{2}(?!\d)"),
        re.compile(_D + r"\d{1,2}\s*\|\s*\d{1,2}\s*\|\s*\d{4}(?!\d)"),  # boxes of a paper form: 06 | 03 | 1978
        re.compile(_D + r"(?:1er|1ᵉʳ|\d{1,2})\s+(?:" + _MONTH_NAMES + r")\s+\d{4}(?!\d)", re.IGNORECASE),
    ],
    "amount": [
        re.compile(r"(?<![\w.,])\d{1,3}(?:[  \u202f.]\d{3})+(?:,\d{1,2})?\s?(?:€|euros?\b|EUR\b)"),
        re.compile(r"(?<![\w.,])\d+(?:[.,]\d{1,2})?\s?(?:€|euros?\b|EUR\b)"),
        re.compile(r"(?:€|EUR)\s?\d{1,3}(?:[  \u202f.]?\d{3})*(?:[.,]\d{1,2})?(?![\d])"),
    ],
    "phone": [re.compile(r"(?<![\w+])(?:(?:\+|00)\s?(?:33|262|590|594|596)\s?(?:\(0\)\s?)?[1-9]|0[1-9])"
                         r"(?:[\s.\-]?\d{2}){4}(?!\d)")],
    "email": [re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")],
    "nir": [re.compile(r"(?<![\w])[12][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[ABab])[\s.]?\d{3}[\s.]?\d{3}"
                       r"[\s.]?\d{2}(?![\w])")],
    "siret": [re.compile(r"(?<![\w])\d{3}[\s.]?\d{3}[\s.]?\d{3}[\s.]?\d{5}(?![\w])")],
    "iban": [re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?(?![\w])")],
    "plate": [re.compile(r"(?<![\w\-])[A-Z]{2}[\s\-]?\d{3}[\s\-]?[A-Z]{2}(?![\w\-])", re.IGNORECASE)],
    "postcode": [re.compile(r"(?<![\w.,])(?:\d{5}|\d{2} \d{3})(?![\w.,]|\s\d)")],
    "reference": [re.compile(r"(?<![\w\-/])(?=[\w\-/.]*\d)(?=[\w\-/.]*[A-Za-z])[A-Za-z0-9]+(?:[\-/.][A-Za-z0-9]+)+"
                             r"(?![\w\-/])")],
}
_CAPITALISED = r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][\w'’\-]*"
_CAP_RUN = re.compile(rf"(?<![\w'’\-]){_CAPITALISED}(?:[ \-]{_CAPITALISED})*")
# "Label : value" — the value ends at the line's end, a tab, a wide gap, ";" or the next "Label :".
_LABEL_VALUE = re.compile(r"\w[ \t]*:[ \t]*([^\s:;][^\n\t:;]{0,79}?)(?=[ \t]{2,}|[\t;]|[ \t]*\n|[ \t]*$"
                          r"|[ \t]+\w[\w' -]{0,30}[ \t]*:)")
_STREET_TYPES = (r"rue|avenue|av\.|boulevard|bd|place|pl\.|quai|all[ée]e|chemin|impasse|route|cours|square|"
                 r"passage|voie|sentier|lotissement|r[ée]sidence|hameau|lieu-dit|faubourg|esplanade|parvis|cit[ée]|mont[ée]e")
# "12 bis rue des Lilas": a number, a street type, then the name up to a comma, a line break or a postcode.
_ADDRESS = re.compile(r"(?<![\w,])\d{1,4}(?:\s?(?:bis|ter|b|t)\b)?,?\s+(?:" + _STREET_TYPES
                      + r")\b[^\n,;.]{1,50}?(?=\s*(?:,|;|\.|\n|$|\d{5}\b))", re.IGNORECASE)
_TOKEN = re.compile(r"\w+|[^\w\s]|\n")
CONTEXT = 5  # tokens to the left
MAX_TEXT_TOKENS = 4


def _shape(token: str) -> str:
    """Digits become their length (a postcode is '<d5>'), words are folded; punctuation stays."""
    if token == "\n":
        return "<nl>"
    if token.isdigit():
        return f"<d{min(len(token), 6)}>"
    return fold(token)


def _span_shape(text: str) -> str:
    shape = re.sub(r"[A-Z]+", "A", re.sub(r"[a-zà-ÿ]+", "a", re.sub(r"\d+", "9", text)))
    return shape[:12]


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


# ------------------------------------------------------------------ candidates

@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    type: str
    source: str  # which generator found it: a regex, a capitalised run, a label line, an entity label
    extra: tuple[str, ...] = ()  # features a generator adds (e.g. the NER label covering the span)


def typed_candidates(text: str, kind: str, extra_patterns: Iterable[re.Pattern[str]] = ()) -> list[Candidate]:
    seen: set[tuple[int, int]] = set()
    found: list[Candidate] = []
    for number, pattern in enumerate([*PATTERNS.get(kind, []), *extra_patterns]):
        for match in pattern.finditer(text):
            span = (match.start(), match.end())
            if span in seen:
                continue
            seen.add(span)
            found.append(Candidate(*span, match.group(), kind, f"re{number}"))
    # "250,00 €" inside "1 250,00 €" is not a candidate of its own: keep the longest overlapping match.
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Candidate] = []
    for cand in found:
        if kept and cand.start < kept[-1].end:
            continue
        kept.append(cand)
    return kept


def text_candidates(text: str, max_tokens: int) -> list[Candidate]:
    """Sub-runs of capitalised words (first/last names, communes) and the values of "Label : value" lines."""
    found: dict[tuple[int, int], Candidate] = {}
    for run in _CAP_RUN.finditer(text):
        words = list(re.finditer(r"[^ ]+", run.group()))
        for i in range(len(words)):
            for j in range(i, min(len(words), i + max_tokens)):
                start, end = run.start() + words[i].start(), run.start() + words[j].end()
                found.setdefault((start, end), Candidate(start, end, text[start:end], "text", "caps"))
    for street in _ADDRESS.finditer(text):
        start, end = street.span()
        found[(start, end)] = Candidate(start, end, text[start:end], "text", "address")
    for line in _LABEL_VALUE.finditer(text):
        start, end = line.span(1)
        known = found.get((start, end))
        found[(start, end)] = Candidate(start, end, text[start:end], "text", known.source if known else "label",
                                        ("after_label",))
    return list(found.values())


# ------------------------------------------------------------------ features

@dataclass
class Document:
    """A text with its tokens, so that context features are cheap for every candidate."""

    text: str
    starts: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for match in _TOKEN.finditer(self.text):
            self.starts.append(match.start())
            self.tokens.append(_shape(match.group()))

    def left(self, position: int, count: int) -> list[str]:
        index = int(np.searchsorted(self.starts, position)) - 1
        return self.tokens[max(0, index - count + 1):index + 1][::-1]  # nearest first

    def right(self, position: int) -> str:
        index = int(np.searchsorted(self.starts, position))
        return self.tokens[index] if index < len(self.tokens) else "<end>"

    def line_label(self, position: int) -> list[str]:
        """The words before a colon on the candidate's line: a form's field label."""
        line_start = self.text.rfind("\n", 0, position) + 1
        head = self.text[line_start:position]
        if ":" not in head:
            return []
        return [_shape(t) for t in re.findall(r"\w+", head.rsplit(":", 1)[0])][-4:]


def features(doc: Document, cand: Candidate, rank: int, total: int) -> dict[str, float]:
    feats: dict[str, float] = {f"src={cand.source}": 1.0, f"shape={_span_shape(cand.text)}": 1.0}
    left = doc.left(cand.start, CONTEXT)
    for distance, token in enumerate(left):
        feats[f"w={token}"] = 1.0
        if distance < 2:
            feats[f"L{distance}={token}"] = 1.0
    if len(left) >= 2:
        feats[f"L01={left[1]}_{left[0]}"] = 1.0
    for token in doc.line_label(cand.start):
        feats[f"label={token}"] = 1.0
    feats[f"R={doc.right(cand.end)}"] = 1.0
    feats["first"] = float(rank == 0)
    feats["last"] = float(rank == total - 1)
    if cand.type == "text":
        words = cand.text.split()
        feats[f"ntok={min(len(words), 5)}"] = 1.0
        feats["upper"] = float(cand.text.isupper())
        feats["title"] = float(all(w[:1].isupper() and not w.isupper() for w in words))
    check = CHECKSUMS.get(cand.type)
    if check is not None:
        feats["checksum"] = float(check(cand.text))
    for name in cand.extra:
        feats[name] = 1.0
    return feats


def output_value(cand: Candidate) -> str | None:
    """Typed values are given in their canonical form; text as written, trimmed."""
    if cand.type == "text":
        return cand.text.strip(" ,.;")
    if cand.type == "date":
        return normalise_field(re.sub(r"\s*\|\s*", "/", cand.text), "date")
    return normalise_field(cand.text, cand.type)


# ------------------------------------------------------------------ the method

class RegexExtract(Method):
    kinds = frozenset({"extraction"})
    THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)

    def candidates(self, text: str) -> dict[str, list[Candidate]]:
        """Candidates per field type; subclasses add their own (named entities)."""
        types: set[str] = {spec.type for spec in self._fields}
        out: dict[str, list[Candidate]] = {
            kind: typed_candidates(text, kind, self._shapes if kind == "reference" else ())
            for kind in types if kind != "text"}
        if "text" in types:
            out["text"] = text_candidates(text, self._max_tokens)
        return out

    def _scored(self, text: str) -> Iterator[tuple[str, list[Candidate], np.ndarray[Any, Any]]]:
        doc = Document(text)
        by_type = self.candidates(text)
        rows_by_type = {kind: [features(doc, c, i, len(cands)) for i, c in enumerate(cands)]
                        for kind, cands in by_type.items()}
        for spec in self._fields:
            cands = by_type.get(spec.type, [])
            model = self._models.get(spec.name)
            if not cands or model is None:
                yield spec.name, cands, np.zeros(len(cands))
                continue
            vectoriser, classifier = model
            if classifier is None:  # the train split had positives only: every candidate is the value
                yield spec.name, cands, np.ones(len(cands))
                continue
            probs = classifier.predict_proba(vectoriser.transform(rows_by_type[spec.type]))[:, 1]
            yield spec.name, cands, probs

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
        self._models: dict[str, tuple[Any, Any]] = {}
        self._cache: dict[str, dict[str, list[Candidate]]] = {}
        self.thresholds = {f.name: 0.5 for f in self._fields}
        rows: dict[str, list[dict[str, float]]] = {f.name: [] for f in self._fields}
        labels: dict[str, list[int]] = {f.name: [] for f in self._fields}
        recall_ceiling: dict[str, float] = {}
        for spec in self._fields:
            hits = total = 0
            for item in train:
                assert isinstance(item.target, dict)
                gold = normalise_field(item.target.get(spec.name), spec.type)
                doc = Document(item.text)
                cands = self._cached_candidates(item.text).get(spec.type, [])
                matched = False
                for rank, cand in enumerate(cands):
                    positive = gold is not None and normalise_field(output_value(cand), spec.type) == gold
                    matched |= positive
                    rows[spec.name].append(features(doc, cand, rank, len(cands)))
                    labels[spec.name].append(int(positive))
                total += gold is not None
                hits += matched
            recall_ceiling[spec.name] = hits / total if total else 0.0
        for spec in self._fields:
            y = labels[spec.name]
            if not y or not any(y):
                continue  # nothing learnable: the field stays empty
            vectoriser = DictVectorizer()
            x = vectoriser.fit_transform(rows[spec.name])
            classifier = None
            if not all(y):
                classifier = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced",
                                                random_state=self.context.seed).fit(x, y)
            self._models[spec.name] = (vectoriser, classifier)
        self._cache = {}  # only fitting reads the same texts twice
        tuned_on = dev or train
        self.thresholds = self._tune_thresholds(tuned_on)
        return {"thresholds": self.thresholds, "tuned_on": "dev" if dev else "train",
                "candidate_recall_train": recall_ceiling, "reference_shapes": len(self._shapes),
                "fields_learned": sorted(self._models)}

    def _cached_candidates(self, text: str) -> dict[str, list[Candidate]]:
        if text not in self._cache:
            self._cache[text] = self.candidates(text)
        return self._cache[text]

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

            chosen[spec.name] = max(self.THRESHOLDS, key=lambda t: (f1(t), t))
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
