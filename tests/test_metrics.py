"""Metrics against hand-computed cases, scikit-learn / sacrebleu references and bootstrap properties."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from rouge_score import rouge_scorer
from sacrebleu import sentence_chrf
from sklearn.metrics import f1_score

from bench.metrics import (
    FIELD_TYPES,
    FrenchTokenizer,
    bootstrap,
    classification_scores,
    extraction_scores,
    normalise_field,
    per_item_scores,
    scores_for,
    summary_scores,
)
from bench.metrics.bootstrap import mean_of
from bench.metrics.classification import confusion_contributions, macro_f1_from_sums

# ------------------------------------------------------------------ classification

GOLD = ["a", "b", "a", "c"]
PRED = ["a", "a", "a", "c"]


def test_accuracy_hand_computed() -> None:
    # 3 of 4 predictions equal the gold label -> 0.75
    assert classification_scores(GOLD, PRED, ["a", "b", "c"])["accuracy"].value == pytest.approx(0.75)


def test_macro_f1_with_a_label_never_predicted() -> None:
    # a: TP=2 FP=1 FN=0 -> F1 = 4/5 = 0.8 ; b (never predicted): TP=0 FN=1 -> 0 ; c: TP=1 -> 1
    # macro = (0.8 + 0 + 1) / 3 = 0.6
    score = classification_scores(GOLD, PRED, ["a", "b", "c"])["macro_f1"]
    assert score.value == pytest.approx(0.6)
    assert score.value == pytest.approx(f1_score(GOLD, PRED, labels=["a", "b", "c"], average="macro",
                                                 zero_division=0))


def test_macro_f1_counts_declared_label_absent_from_gold_and_pred_as_zero() -> None:
    # same as above plus "d", absent everywhere: F1_d = 0 (zero_division=0) -> 1.8 / 4 = 0.45
    labels = ["a", "b", "c", "d"]
    score = classification_scores(GOLD, PRED, labels)["macro_f1"]
    assert score.value == pytest.approx(0.45)
    assert score.value == pytest.approx(f1_score(GOLD, PRED, labels=labels, average="macro", zero_division=0))


def test_prediction_outside_labels_and_none() -> None:
    # gold [a, b, b], pred [a, "zzz", None]: a -> F1 1 ; b -> TP 0, FN 2 -> 0 ; macro 0.5, accuracy 1/3
    scores = classification_scores(["a", "b", "b"], ["a", "zzz", None], {"a": "desc", "b": "desc"})
    assert scores["macro_f1"].value == pytest.approx(0.5)
    assert scores["accuracy"].value == pytest.approx(1 / 3)


def test_macro_f1_matches_sklearn_on_random_data() -> None:
    rng = np.random.default_rng(1)
    labels = ["caf", "cpam", "impots", "mairie", "prefecture"]
    gold = list(rng.choice(labels[:4], size=300))  # "prefecture" never in gold
    pred = list(rng.choice([*labels, "autre"], size=300))
    expected = f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    assert classification_scores(gold, pred, labels)["macro_f1"].value == pytest.approx(expected)


def test_macro_f1_bootstrap_matches_sklearn_per_resample() -> None:
    # The vectorised resampling must give, resample by resample, what scikit-learn gives on those items.
    rng = np.random.default_rng(2)
    labels = ["x", "y", "z"]
    gold = np.array(rng.choice(labels, size=40))
    pred = np.where(rng.random(40) < 0.6, gold, rng.choice(labels, size=40))
    resamples, seed = 60, 7
    idx = np.random.default_rng(seed).integers(0, 40, size=(resamples, 40))
    reference = [f1_score(gold[i], pred[i], labels=labels, average="macro", zero_division=0) for i in idx]
    weights = np.stack([np.bincount(i, minlength=40) for i in idx]).astype(np.float64)
    counts = confusion_contributions(list(gold), list(pred), labels)
    assert macro_f1_from_sums(weights @ counts) == pytest.approx(reference)


# ------------------------------------------------------------------ summaries

def test_rouge_l_french_tokeniser_vs_stock() -> None:
    ref, hyp = "élève à l'école", "élève de l'école"
    # ours: [élève, à, l, école] vs [élève, de, l, école]: LCS = 3, P = R = 3/4 -> F = 0.75
    assert summary_scores([ref], [hyp])["rouge_l"].value == pytest.approx(0.75)
    # stock tokenizer keeps [a-z0-9] only: ref [l, ve, l, cole], hyp [l, ve, de, l, cole]
    # LCS = 4, P = 4/5, R = 4/4 -> F = 2 * 0.8 / 1.8 = 0.888..., i.e. wrong
    stock = rouge_scorer.RougeScorer(["rougeL"]).score(ref, hyp)["rougeL"].fmeasure
    assert stock == pytest.approx(8 / 9)


def test_rouge_l_keeps_accents_that_change_meaning() -> None:
    # "le pêcheur" (fisherman) vs "le pécheur" (sinner): the stock tokenizer sees [le, p, cheur] on both
    # sides -> 1.0; ours: [le, pêcheur] vs [le, pécheur], LCS = 1, P = R = 1/2 -> 0.5
    ref, hyp = "le pêcheur", "le pécheur"
    assert rouge_scorer.RougeScorer(["rougeL"]).score(ref, hyp)["rougeL"].fmeasure == 1.0
    assert per_item_scores("summarisation", [ref], [hyp])[0]["rouge_l"] == pytest.approx(0.5)
    # the lenient option folds accents: both become [le, pecheur]
    assert FrenchTokenizer(strip_accents=True).tokenize(ref) == FrenchTokenizer().tokenize("Le Pecheur")


def test_french_tokenizer() -> None:
    assert FrenchTokenizer().tokenize("L'Élève  À  l’école, aujourd'hui_") == [
        "l", "élève", "à", "l", "école", "aujourd", "hui"]


def test_rouge_l_partial_overlap() -> None:
    # ref 6 tokens, hyp "le chat dort" all in order: LCS = 3, P = 1, R = 1/2 -> F = 2/3
    item = per_item_scores("summarisation", ["Le chat dort sur le canapé."], ["le chat dort"])[0]
    assert item["rouge_l"] == pytest.approx(2 / 3)


def test_chrf_against_sacrebleu_and_hand_cases() -> None:
    ref = "Le demandeur doit fournir un justificatif de domicile."
    hyp = "Il faut un justificatif de domicile."
    item = per_item_scores("summarisation", [ref], [hyp])[0]
    assert item["chrf"] == pytest.approx(sentence_chrf(hyp, [ref]).score / 100)
    assert 0.0 < item["chrf"] < 1.0
    # identical -> 1 ; no character in common -> 0
    assert per_item_scores("summarisation", ["été à Noël"], ["été à Noël"])[0]["chrf"] == pytest.approx(1.0)
    assert per_item_scores("summarisation", ["abc"], ["xyz"])[0]["chrf"] == 0.0
    # hyp "ab", ref "abc": 1-grams P = 2/2, R = 2/3 ; 2-grams P = 1/1, R = 1/2 ; higher orders absent from hyp
    # avg P = 1, avg R = 7/12 ; F_beta=2 = 5 * P * R / (4P + R) = (35/12) / (55/12) = 7/11
    assert per_item_scores("summarisation", ["abc"], ["ab"])[0]["chrf"] == pytest.approx(7 / 11)


def test_summary_scores_are_means_of_items_and_none_scores_zero() -> None:
    # item 1 identical (1, 1), item 2 disjoint (0, 0), item 3 missing output (0, 0) -> means 1/3
    scores = summary_scores(["un deux trois", "abc", "quatre"], ["un deux trois", "xyz", None])
    assert scores["rouge_l"].value == pytest.approx(1 / 3)
    assert scores["chrf"].value == pytest.approx(1 / 3)


# ------------------------------------------------------------------ extraction

FIELDS = [{"name": "name", "type": "text"}, {"name": "birth", "type": "date"},
          {"name": "phone", "type": "phone"}, {"name": "email", "type": "email"}]
X_GOLD: list[dict[str, str | None]] = [
    {"name": "Dupont", "birth": "1987-03-03", "phone": None, "email": "a@b.fr"},
    {"name": "Martin", "birth": None, "phone": "0612345678", "email": None},
    {"name": "Léa", "birth": None, "phone": None, "email": None},
]
X_PRED: list[dict[str, str | None]] = [
    # name TP, birth TP (normalised), phone both null (nothing), email FN -> tp 2 fp 0 fn 1, 3/4 right
    {"name": "DUPONT", "birth": "3 mars 1987", "phone": None, "email": None},
    # name FP+FN, birth FP (gold null), phone TP, email FP (gold null) -> tp 1 fp 3 fn 1, 1/4 right
    {"name": "Martine", "birth": "1990-01-01", "phone": "+33 6 12 34 56 78", "email": "x@y.fr"},
    # name TP, missing keys are null = gold null, extra key ignored -> tp 1, 4/4 right, exact
    {"name": "Lea", "extra": "ignored"},
]


def test_extraction_counting_rule_with_nulls() -> None:
    # totals TP = 4, FP = 3, FN = 2 -> P = 4/7, R = 4/6, F1 = 8 / (8 + 3 + 2) = 8/13 ; doc_exact = 1/3
    scores = extraction_scores(X_GOLD, X_PRED, FIELDS)
    assert scores["field_precision"].value == pytest.approx(4 / 7)
    assert scores["field_recall"].value == pytest.approx(4 / 6)
    assert scores["field_f1"].value == pytest.approx(8 / 13)
    assert scores["doc_exact"].value == pytest.approx(1 / 3)


def test_extraction_per_item_audit() -> None:
    items = per_item_scores("extraction", X_GOLD, X_PRED, fields=FIELDS)
    assert [(i["tp"], i["fp"], i["fn"]) for i in items] == [(2, 0, 1), (1, 3, 1), (1, 0, 0)]
    assert [i["fields_correct"] for i in items] == [3, 1, 4]
    assert [i["fields_total"] for i in items] == [4, 4, 4]
    assert [i["exact"] for i in items] == [0, 0, 1]


def test_extraction_accepts_fieldspec_objects_and_none_prediction() -> None:
    @dataclass(frozen=True)
    class Spec:
        name: str
        type: str

    # pred None (unparseable output): every gold non-null field is a FN -> P = 0 (0/0), R = 0, doc not exact
    scores = extraction_scores([{"amount": "1250.00"}], [None], [Spec("amount", "amount")])
    assert scores["field_recall"].value == 0.0
    assert scores["field_precision"].value == 0.0
    assert scores["doc_exact"].value == 0.0
    with pytest.raises(ValueError, match="unknown type"):
        extraction_scores([{"x": "1"}], [{"x": "1"}], [Spec("x", "money")])


# ------------------------------------------------------------------ normalisers

@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("1987-03-03", "date", "1987-03-03"),
    ("03/03/1987", "date", "1987-03-03"),
    ("3/3/87", "date", "1987-03-03"),
    ("3.3.1987", "date", "1987-03-03"),
    ("25/12/2023", "date", "2023-12-25"),  # day first, as written in France
    ("3/4/87", "date", "1987-04-03"),
    ("le 3 mars 1987", "date", "1987-03-03"),
    ("3 MARS 1987", "date", "1987-03-03"),
    ("lundi 3 mars 1987", "date", "1987-03-03"),
    ("1er mars 1987", "date", "1987-03-01"),
    ("1ᵉʳ mars 1987", "date", "1987-03-01"),
    ("15 août 2024", "date", "2024-08-15"),
    ("15 aout 2024", "date", "2024-08-15"),
    ("3 févr. 1987", "date", "1987-02-03"),
    ("1/1/05", "date", "2005-01-01"),
    ("1987-03-03T10:00:00", "date", "1987-03-03"),
    ("31/02/1987", "date", "31 02 1987"),  # impossible date: stays non-null, so it counts as wrong
    ("1 250,00 €", "amount", "1250.00"),
    ("1\u202f250,00\u00a0€", "amount", "1250.00"),  # narrow no-break and no-break spaces
    ("1250.5", "amount", "1250.50"),
    ("1.250,00 EUR", "amount", "1250.00"),
    ("1,250.00", "amount", "1250.00"),
    ("1.250", "amount", "1250.00"),  # French thousands dot
    ("12,5 euros", "amount", "12.50"),
    ("1250.00", "amount", "1250.00"),
    (1250.5, "amount", "1250.50"),
    ("  Jean-Pierre   LEFÈVRE. ", "text", "jean pierre lefevre"),
    ("Œuvre d'Ève", "text", "oeuvre d eve"),
    ("+33 6 12 34 56 78", "phone", "0612345678"),
    ("0033 6 12 34 56 78", "phone", "0612345678"),
    ("+33 (0)6 12 34 56 78", "phone", "0612345678"),
    ("06.12.34.56.78", "phone", "0612345678"),
    ("+262 692 12 34 56", "phone", "0692123456"),
    (612345678, "phone", "0612345678"),
    ("Jean.Dupont@Exemple.FR ", "email", "jean.dupont@exemple.fr"),
    ("75 001", "postcode", "75001"),
    ("75001 Paris", "postcode", "75001"),
    (6000, "postcode", "06000"),
    ("1 87 03 75 123 456 78", "nir", "187037512345678"),
    ("2 87 03 2a 123 456 78", "nir", "287032A12345678"),
    ("123 456 789 00012", "siret", "12345678900012"),
    ("fr76 3000 6000 0112 3456 7890 189", "iban", "FR7630006000011234567890189"),
    ("IBAN : FR76 3000", "iban", "FR763000"),
    ("ab 123 cd", "plate", "AB-123-CD"),
    ("AB123CD", "plate", "AB-123-CD"),
    ("ab-123-cd", "plate", "AB-123-CD"),
    ("Dossier 2023/00-42", "reference", "DOSSIER20230042"),
])
def test_normalise_field(value: str | int | float, kind: str, expected: str) -> None:
    assert normalise_field(value, kind) == expected


@pytest.mark.parametrize("kind", FIELD_TYPES)
@pytest.mark.parametrize("value", [None, "", "  ", "null", "N/A", "None"])
def test_normalise_nulls(value: str | None, kind: str) -> None:
    assert normalise_field(value, kind) is None


@pytest.mark.parametrize(("canonical", "kind"), [
    ("1987-03-03", "date"), ("1250.00", "amount"), ("0.50", "amount"), ("75001", "postcode"),
    ("0612345678", "phone"), ("a@b.fr", "email"), ("187037512345678", "nir"), ("12345678900012", "siret"),
    ("FR7630006000011234567890189", "iban"), ("AB-123-CD", "plate"), ("REF2023", "reference"),
])
def test_normalisers_keep_canonical_gold_forms(canonical: str, kind: str) -> None:
    assert normalise_field(canonical, kind) == canonical


def test_unknown_field_type() -> None:
    with pytest.raises(ValueError, match="unknown field type"):
        normalise_field("x", "money")


# ------------------------------------------------------------------ bootstrap

def _binary(n: int, p: float, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    gold = list(rng.choice(["a", "b", "c"], size=n))
    pred = [g if ok else "b" for g, ok in zip(gold, rng.random(n) < p, strict=True)]
    return gold, pred


def test_ci_contains_value_and_is_deterministic() -> None:
    gold, pred = _binary(200, 0.7, 3)
    first = classification_scores(gold, pred, ["a", "b", "c"], seed=5)
    again = classification_scores(gold, pred, ["a", "b", "c"], seed=5)
    other = classification_scores(gold, pred, ["a", "b", "c"], seed=6)
    for name, score in first.items():
        assert score.ci_low < score.value < score.ci_high, name
        assert score == again[name]
        if score.method != "wilson":  # a resampling interval depends on its seed; Wilson's does not
            assert (score.ci_low, score.ci_high) != (other[name].ci_low, other[name].ci_high)
        assert (score.n, score.resamples, score.seed) == (200, 1000, 5)
    assert (first["accuracy"].method, first["macro_f1"].method) == ("wilson", "bca")


def test_ci_contains_value_for_extraction_and_summaries() -> None:
    rng = np.random.default_rng(4)
    gold = [{"f": str(i), "g": None if i % 3 else "x"} for i in range(120)]
    pred = [{"f": str(i) if rng.random() < 0.8 else "0", "g": "x" if rng.random() < 0.5 else None}
            for i in range(120)]
    for name, score in extraction_scores(gold, pred, [{"name": "f"}, {"name": "g"}]).items():
        assert score.ci_low < score.value < score.ci_high, name
    refs = [f"le dossier numéro {i} est complet" for i in range(80)]
    hyps = [f"dossier {i} complet" if i % 2 else f"le dossier numéro {i} est incomplet" for i in range(80)]
    for name, score in summary_scores(refs, hyps).items():
        assert score.ci_low < score.value < score.ci_high, name


def test_ci_narrows_as_n_grows() -> None:
    small = classification_scores(*_binary(50, 0.7, 8), ["a", "b", "c"])["accuracy"]
    large = classification_scores(*_binary(2000, 0.7, 8), ["a", "b", "c"])["accuracy"]
    assert (large.ci_high - large.ci_low) < 0.5 * (small.ci_high - small.ci_low)


def test_single_item_interval_is_wide_not_a_point() -> None:
    wrong = classification_scores(["a"], ["b"], ["a", "b"])["accuracy"]
    assert (wrong.value, wrong.ci_low, wrong.method) == (0.0, 0.0, "wilson")
    assert wrong.ci_high == pytest.approx(0.7935, abs=1e-4)  # Wilson: z² / (1 + z²)
    rouge = summary_scores(["le chat dort"], ["le chat"], seed=3)["rouge_l"]
    assert rouge.value == pytest.approx(0.8)  # P 1, R 2/3 -> F 0.8
    assert rouge.ci_low < 0.5 and rouge.ci_high == pytest.approx(1.0, abs=0.05)
    assert (rouge.n, rouge.seed) == (1, 3)


@pytest.mark.parametrize("kind", ["classification", "summarisation", "extraction"])
def test_empty_input_raises(kind: str) -> None:
    with pytest.raises(ValueError, match="n == 0"):
        scores_for(kind, [], [], labels=["a"], fields=[{"name": "f"}])


def test_bootstrap_rejects_bad_resamples() -> None:
    with pytest.raises(ValueError, match="resamples"):
        bootstrap(np.ones(3), mean_of(3), resamples=0)


# ------------------------------------------------------------------ dispatch

def test_scores_for_dispatch_and_to_dict() -> None:
    cls = scores_for("classification", GOLD, PRED, resamples=200, seed=1)  # labels default to gold's a, b, c
    assert set(cls) == {"accuracy", "macro_f1"}
    assert cls["macro_f1"].value == pytest.approx(0.6)
    acc = cls["accuracy"]
    assert acc.to_dict() == {"value": 0.75, "ci_low": acc.ci_low, "ci_high": acc.ci_high, "n": 4,
                             "resamples": 200, "seed": 1, "method": "wilson"}
    assert set(scores_for("summarisation", ["a b"], ["a b"])) == {"rouge_l", "chrf"}
    ext = scores_for("extraction", X_GOLD, X_PRED, fields=FIELDS)
    assert set(ext) == {"field_precision", "field_recall", "field_f1", "doc_exact"}
    assert per_item_scores("classification", GOLD, PRED) == [{"correct": c} for c in (1.0, 0.0, 1.0, 1.0)]


def test_bad_calls() -> None:
    with pytest.raises(ValueError, match="unknown task kind"):
        scores_for("translation", ["a"], ["a"])
    with pytest.raises(ValueError, match="differ in length"):
        classification_scores(["a", "b"], ["a"], ["a", "b"])
    with pytest.raises(ValueError, match="fields"):
        scores_for("extraction", [{"f": "1"}], [{"f": "1"}])
