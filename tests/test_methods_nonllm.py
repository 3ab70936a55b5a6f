"""The non-LLM methods on tasks and encoders the tests build: rules extraction of French fields, NER + rules,
lead-k, extractive summaries and few-shot centroids."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import tiny

from bench.methods import MethodContext, get_method
from bench.methods import rules_candidates as rc
from bench.methods.extractive import select
from bench.methods.lead_k import split_sentences
from bench.methods.regex_extract import CHECKSUMS, output_value, reference_shape, typed_candidates
from bench.methods.rules_features import Document
from bench.metrics import extraction_scores
from bench.spec.config import ModelSpec, TaskSpec
from bench.spec.tasks import Item, Task, load_task

Matrix = np.ndarray[Any, np.dtype[np.float32]]


class HashingEncoder:
    """A deterministic bag-of-words encoder: enough to exercise methods without a model package.

    The fixture's template words (greetings, request phrasings) are ignored, as a trained encoder would
    mostly ignore them for topic: what is left is the topic.
    """

    IGNORED: ClassVar[set[str]] = {w.lower() for phrase in [*tiny.OPENINGS, *tiny.REQUESTS, "merci"]
                                   for w in re.findall(r"\w+", phrase)}

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> Matrix:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in self.IGNORED:
                    continue
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def spec(method: str, task: str, **options: Any) -> ModelSpec:
    return ModelSpec.model_validate({"id": "m", "family": "test", "runtime": "rules", "source": {"rules": "builtin"},
                                     "licence": "MIT", "tasks": {task: method}, "options": options})


def context(tmp_path: Path) -> MethodContext:
    return MethodContext(threads=1, artifacts=tmp_path)


# ------------------------------------------------------------------ French formats

@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("date", "né le 03/03/1987 à Lyon", "1987-03-03"),
    ("date", "le 1er janvier 2024", "2024-01-01"),
    ("date", "Fait le 7 févr. 2023", "2023-02-07"),
    ("date", "Date : 14.10.1998", "1998-10-14"),
    ("date", "Date de naissance : 06 | 03 | 1978", "1978-03-06"),
    ("date", "au 2024-05-08", "2024-05-08"),
    ("amount", "un montant de 1 250,50 € réclamé", "1250.50"),
    ("amount", "soit 68,50 euros", "68.50"),
    ("amount", "remboursement de 300€", "300.00"),
    ("phone", "Tél. : 06 12 34 56 78", "0612345678"),
    ("phone", "joignable au +33 6 12 34 56 78", "0612345678"),
    ("phone", "ou 01.45.67.89.10", "0145678910"),
    ("email", "Courriel : Jean.Dupont@Exemple.fr.", "jean.dupont@exemple.fr"),
    ("nir", "N° de sécurité sociale : 2 05 03 70 858 222 78", "205037085822278"),
    ("siret", "SIRET de l'employeur : 539 043 893 09641", "53904389309641"),
    ("iban", "IBAN FR76 3000 6000 0112 3456 7890 189 merci", "FR7630006000011234567890189"),
    ("plate", "le véhicule immatriculé hh-936-ws.", "HH-936-WS"),
    ("postcode", "12 rue des Lilas, 69003 Lyon", "69003"),
])
def test_french_formats_are_found_and_put_in_canonical_form(kind: str, text: str, expected: str) -> None:
    found = typed_candidates(text, kind)
    assert [output_value(c) for c in found] == [expected]


def test_longest_amount_wins_and_checksums_tell_valid_identifiers() -> None:
    assert [c.text for c in typed_candidates("on me réclame 1 250,00 € (et 300 €)", "amount")] == \
        ["1 250,00 €", "300 €"]
    assert CHECKSUMS["iban"]("FR76 3000 6000 0112 3456 7890 189")
    assert not CHECKSUMS["iban"]("FR76 3000 6000 0112 3456 7890 188")
    assert CHECKSUMS["siret"]("732 829 320 00074") and not CHECKSUMS["siret"]("732 829 320 00075")
    nir = "1 87 03 69 123 456"
    key = 97 - int(nir.replace(" ", "")) % 97
    assert CHECKSUMS["nir"](f"{nir} {key:02d}") and not CHECKSUMS["nir"](f"{nir} {(key + 1) % 97:02d}")


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("date", "née le vingt-deux novembre mille neuf cent quarante-neuf à Nîmes", ["1949-11-22"]),
    ("date", "depuis le premier septembre deux mille vingt-quatre", ["2024-09-01"]),
    ("date", "NEE LE SEPT MARS MILLE NEUF CENT SOIXANTE-NEUF", ["1969-03-07"]),
    ("date", "le 21 octobre deux mille vingt-quatre", ["2024-10-21"]),
    ("date", "la date limite était le quinze octobre, et le 1er mai", []),  # no year: no date
    ("amount", "la somme de trente-cinq euros", ["35.00"]),
    ("amount", "soit mille quatre cent soixante-dix euros.", ["1470.00"]),
    ("amount", "un remboursement de quatre-vingt-dix-sept euros", ["97.00"]),
    ("amount", "MA FACTURE EST DE 612,40 EUROS", ["612.40"]),
    ("amount", "la facture cantine 42,60 e alors que", ["42.60"]),
    ("reference", "Objet : FPS n° 2025 0412 6903 0007 81", ["202504126903000781"]),
    ("reference", "n° allocataire 1234567 A, merci", ["1234567A"]),
    ("reference", "votre dossier 2024/IR/00871 est", ["2024IR00871"]),
    ("reference", "permis PC 069 123 24 00045.", ["PC0691232400045"]),
    ("reference", "facture n° 2025-03-4471 du 03/04/2025", ["2025034471"]),
    ("reference", "N° de prédemande : 25A8KZ4P2.", ["25A8KZ4P2"]),
])
def test_french_words_and_spaced_references_are_candidates(kind: str, text: str, expected: list[str]) -> None:
    assert [rc.output_value(c) for c in rc.typed_candidates(text, kind)] == expected


def test_ocr_confusions_are_undone_without_moving_offsets() -> None:
    text = ("Té1éphone : O6 73 l9 42 85\nCommune : LANNI0N, Vi1le : Grenob1e\n"
            "le 1er mai, CE2, 2e étage, jdupont1@example.fr")
    clean = rc.ocr_clean(text)
    assert len(clean) == len(text)
    assert clean == ("Téléphone : 06 73 19 42 85\nCommune : LANNION, Ville : Grenoble\n"
                     "le 1er mai, CE2, 2e étage, jdupont1@example.fr")
    assert [rc.output_value(c) for c in rc.typed_candidates(rc.ocr_clean("né le l4/O3/1978"), "date")] == ["1978-03-14"]
    assert rc.ocr_clean("le 1er ju1llet, 12 a1lée des V1gnes, 45OOO 0rléans, maeva.h0arau@example.net") == \
        "le 1er juillet, 12 allée des Vignes, 45000 Orléans, maeva.hoarau@example.net"


def test_text_candidates_cover_streets_complements_and_name_particles() -> None:
    def texts(text: str) -> set[str]:
        return {rc.output_value(c) or "" for c in rc.text_candidates(text, 4)}

    assert "6 chemin des Oliviers" in texts("demeurant 6 chemin des Oliviers à Uzès (30700), je")
    assert "Uzès" in texts("demeurant 6 chemin des Oliviers à Uzès (30700), je")
    line = "Résidence Les Saules, bât. C, 14 allée des Peupliers\n69200 VÉNISSIEUX"
    assert {"14 allée des Peupliers", "Résidence Les Saules, bât. C, 14 allée des Peupliers"} <= texts(line)
    assert "lieu-dit Kerbiriou" in texts("j'habite au lieu-dit Kerbiriou, à Carhaix")
    assert "de La Roche" in texts("Cordialement,\nArnaud de La Roche")
    assert {"Nom", "Ferreira"} <= texts("| Champ | Valeur |\n| Nom | Ferreira |")
    assert not any("@" in t for t in texts("De : Jean Roux <jean.roux@example.org>"))
    assert texts("en cours d'examen, sur place") == set()
    assert texts("Bonjour Madame, J'ai vu A-P. Merci") == set()  # greetings, titles, initials, "J'ai"


def test_document_parts_tell_signature_quote_forward_and_heading_cues() -> None:
    text = ("De : Ana Lima <ana@example.org>\nObjet : TR: facture\n\nBonjour Madame Roy,\nJe suis Ana Lima, "
            "mère de Léo.\n\nCordialement,\nAna Lima\n\n---------- Message transféré ----------\n"
            "De : Service <s@example.fr>\n> Madame,\n\n| Élève | |\n| Nom | Lima |")
    doc = Document(text)

    def tags(snippet: str, occurrence: int = 0) -> tuple[str, ...]:
        position = -1
        for _ in range(occurrence + 1):
            position = text.index(snippet, position + 1)
        return doc.line_tags[doc.line_of(position)]

    assert "hdr=de" in tags("Ana Lima") and "fwd" not in tags("Ana Lima")
    assert "greet" in tags("Roy")
    assert "sig1" in tags("Ana Lima", 2) and "tail" in tags("Ana Lima", 2)
    assert {"fwd", "hdr=de"} <= set(tags("Service"))
    assert {"fwd", "quote"} <= set(tags("> Madame"))
    assert "above=other" in tags("| Nom")
    table = Document("| Nom | Prénom | Né le |\n|---|---|---|\n| PASQUIER | Élodie | 05/12/1991 |")
    assert table.line_label(table.text.index("Élodie")) == ["pasquier", "prenom"]
    assert doc.cue(text.index("Léo")) == ("other", True)
    assert doc.cue(text.index("Ana Lima", 40)) == ("self", True)


def test_reference_shapes_learned_from_train_values() -> None:
    shape = reference_shape("DOS-2023-00451")
    assert shape.search("votre dossier ABC-2024-12345 est") is not None
    assert shape.search("votre dossier ABC-2024-1234 est") is None
    assert reference_shape("6673997").search("allocataire n° 1234567.") is not None


def test_sentences_split_on_french_punctuation_lines_and_not_on_abbreviations() -> None:
    text = "Bonjour M. Dupont. Votre dossier n° 12 est prêt ! Pièces :\n- carte d'identité\n\nCordialement, J. Martin"
    assert split_sentences(text) == ["Bonjour M. Dupont.", "Votre dossier n° 12 est prêt !", "Pièces :",
                                     "- carte d'identité", "Cordialement, J. Martin"]


# ------------------------------------------------------------------ extraction task built here

FIRST = ["Jeanne", "Paul", "Nadia", "Hugo", "Léa", "Marc", "Inès", "Louis", "Chloé", "Yanis"]
LAST = ["Durand", "Moreau", "Petit", "Lefèvre", "Garnier", "Roux", "Faure", "Blanc", "Girard", "Mercier"]
TOWNS = ["Villeurbanne", "Rennes", "Albi", "Niort", "Vannes", "Dole", "Meaux", "Sète"]
EXTRACT_FIELDS = [("first_name", "text"), ("last_name", "text"), ("birth_date", "date"), ("event_date", "date"),
                  ("phone", "phone"), ("amount", "amount")]


def _letter(rng: random.Random, lowercase_names: bool = False) -> tuple[str, dict[str, str | None]]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    birth = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2005)}"
    event = f"{rng.randint(1, 28)} mars {rng.randint(2021, 2024)}"
    phone = f"0{rng.randint(1, 7)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} " \
            f"{rng.randint(10, 99)}"
    amount = f"{rng.randint(20, 900)},{rng.randint(10, 99)} €"
    signed = f"{first} {last}".lower() if lowercase_names else f"{first} {last}"
    clauses = [f"Je suis né le {birth} à {rng.choice(TOWNS)}.", f"Le {event}, j'ai payé {amount} par erreur.",
               f"Vous pouvez me joindre au {phone}.", f"Le standard ({'01 40 00 00 00'}) ne répond pas."]
    rng.shuffle(clauses)  # which date comes first changes: only the words around tell them apart
    text = f"Madame, Monsieur,\n\nJe soussigné {signed}. {' '.join(clauses)}\n\nCordialement,\n{signed}"
    gold: dict[str, str | None] = {"first_name": first, "last_name": last, "birth_date": birth, "event_date": event,
                                   "phone": phone, "amount": amount}
    return text, gold


def extraction_task(n_train: int = 40, n_dev: int = 12, n_test: int = 20, lowercase_names: bool = False,
                    seed: int = 3) -> Task:
    rng = random.Random(seed)

    def items(count: int, split: str) -> list[Item]:
        return [Item(f"{split}-{i}", *_letter(rng, lowercase_names)) for i in range(count)]

    spec = TaskSpec.model_validate({
        "name": "mini_extract", "version": 1, "kind": "extraction", "description": "test",
        "data": {"splits": {"test": "x"}, "columns": {"target": "fields"}},
        "fields": [{"name": n, "type": t} for n, t in EXTRACT_FIELDS],
        "good_enough": {"metric": "field_f1", "min": 0.5}, "metrics": ["field_f1", "doc_exact"]})
    return Task(spec, Path("."), {"train": items(n_train, "train"), "dev": items(n_dev, "dev"),
                                  "test": items(n_test, "test")}, {})


def _f1(method: Any, task: Task) -> float:
    test = task.splits["test"]
    scores = extraction_scores([i.target for i in test], [method.predict(i.text) for i in test],  # type: ignore[misc]
                               task.spec.fields or [], resamples=10)
    return scores["field_f1"].value


def test_rules_extractor_learns_which_date_is_which_from_the_context(tmp_path: Path) -> None:
    task = extraction_task()
    method = get_method("regex_extract")(None, spec("regex_extract", "mini_extract"), task, context(tmp_path))
    info = method.fit(task.splits["train"], task.splits["dev"])
    assert info["candidate_recall_train"]["birth_date"] == 1.0
    test = task.splits["test"]
    preds = [method.predict(item.text) for item in test]
    # Two dates, two phones per letter, in shuffled order: right only if the cues were learned.
    for field in ("birth_date", "event_date", "phone", "amount", "last_name"):
        right = sum(p[field] is not None and p[field] == _canon(i.target, field)
                    for i, p in zip(test, preds, strict=True))
        assert right >= 0.9 * len(test), (field, right)
    assert _f1(method, task) > 0.9


def _canon(target: Any, field: str) -> str | None:
    from bench.metrics import normalise_field

    kind = dict(EXTRACT_FIELDS)[field]
    value = normalise_field(target[field], kind)
    return target[field] if kind == "text" else value


def test_ner_regex_adds_entities_where_capitalised_words_are_missing(tmp_path: Path) -> None:
    import spacy

    task = extraction_task(lowercase_names=True)  # lower-case names: no capitalised run to find them
    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": [{"LOWER": f.lower()}, {"LOWER": last.lower()}]}
                        for f in FIRST for last in LAST])
    ruler.add_patterns([{"label": "PER", "pattern": name.lower()} for name in [*FIRST, *LAST]])
    rules = get_method("regex_extract")(None, spec("regex_extract", "mini_extract"), task, context(tmp_path))
    rules.fit(task.splits["train"], task.splits["dev"])
    ner = get_method("ner_regex")(nlp, spec("ner_regex", "mini_extract"), task, context(tmp_path))
    ner.fit(task.splits["train"], task.splits["dev"])
    test = task.splits["test"]
    rules_right = sum(rules.predict(i.text)["last_name"] is not None for i in test)  # type: ignore[index]
    ner_preds = [ner.predict(i.text) for i in test]
    ner_right = sum(p["last_name"] is not None and p["last_name"].lower() == str(i.target["last_name"]).lower()  # type: ignore[index,union-attr]
                    for p, i in zip(ner_preds, test, strict=True))
    assert rules_right == 0 and ner_right >= 0.8 * len(test)


# ------------------------------------------------------------------ summaries

def summary_task(n: int = 12, seed: int = 5) -> Task:
    """Each note: a title line, a key sentence restated by the reference, then filler sentences."""
    rng = random.Random(seed)
    topics = ["la carte d'identité", "le permis de conduire", "l'aide au logement", "la taxe foncière",
              "le passeport", "la prime d'activité"]
    filler = ["Pour {t}, les délais varient selon la commune.", "Un justificatif de domicile est joint pour {t}.",
              "Le service est gratuit.", "Des frais peuvent s'appliquer en cas de perte.",
              "La démarche se fait en ligne ou au guichet."]

    def item(i: int, split: str) -> Item:
        # The key sentence shares words with the others (the topic, the conditions): it is the central one.
        topic = rng.choice(topics)
        key = f"Vous pouvez demander {topic} si vous remplissez les conditions, justificatif de domicile joint."
        body = [key, *(f.format(t=topic) for f in rng.sample(filler, 3))]
        text = "Fiche pratique\n" + " ".join(body)
        return Item(f"{split}-{i}", text, f"Vous pouvez demander {topic} sous conditions.")

    spec = TaskSpec.model_validate({
        "name": "mini_sum", "version": 1, "kind": "summarisation", "description": "test",
        "data": {"splits": {"test": "x"}, "columns": {"target": "summary"}},
        "good_enough": {"metric": "rouge_l", "min": 0.3}, "metrics": ["rouge_l", "chrf"]})
    splits = {split: [item(i, split) for i in range(n)] for split in ("train", "dev", "test")}
    return Task(spec, Path("."), splits, {})


def test_lead_k_chooses_k_on_dev_and_returns_the_first_sentences(tmp_path: Path) -> None:
    task = summary_task()
    method = get_method("lead_k")(None, spec("lead_k", "mini_sum"), task, context(tmp_path))
    info = method.fit(task.splits["train"], task.splits["dev"])
    assert info["k"] == 2  # the title alone is too short, the key sentence is the second unit
    text = task.splits["test"][0].text
    assert method.predict(text) == " ".join(split_sentences(text)[:2])


def test_extractive_picks_the_central_sentence_in_document_order(tmp_path: Path) -> None:
    sentences = ["Les horaires changent.", "Le titre de séjour se renouvelle en préfecture.",
                 "Le renouvellement du titre de séjour se demande en ligne.", "Il pleut souvent en novembre ici."]
    encoder = HashingEncoder()
    summary = select(sentences, encoder.embed(sentences), lead_weight=0.0, budget=10)
    assert summary in sentences[1:3]  # one of the two sentences about the topic the document is about
    both = select(sentences, encoder.embed(sentences), lead_weight=0.0, budget=20)
    assert both == f"{sentences[1]} {sentences[2]}"  # kept in the document's order

    task = summary_task()
    method = get_method("extractive")(encoder, spec("extractive", "mini_sum"), task, context(tmp_path))
    info = method.fit(task.splits["train"], task.splits["dev"])
    assert info["budget_words"] >= 5 and info["tuning_items"] == len(task.splits["dev"])
    outputs = [method.predict(item.text) for item in task.splits["test"]]
    for item, out in zip(task.splits["test"], outputs, strict=True):
        assert out and all(part in split_sentences(item.text) for part in split_sentences(out))
    key = sum(out.startswith("Vous pouvez demander") for out in outputs)  # the key sentence, not the heading
    assert key >= 0.8 * len(outputs)


# ------------------------------------------------------------------ routing

def test_centroid_routes_with_few_shots_and_tunes_the_description_weight(tmp_path: Path) -> None:
    task = load_task(tiny.write_task(tmp_path / "tasks", n_train=120))  # every topic phrase seen in train
    method = get_method("centroid")(HashingEncoder(), spec("centroid", "mini_route"), task, context(tmp_path))
    info = method.fit(task.splits["train"], task.splits["dev"])
    assert info["examples"] == len(task.splits["train"]) and info["description_weight"] in (0.0, 0.5, 1.0, 2.0)
    test = task.splits["test"]
    accuracy = np.mean([method.predict(i.text) == i.target for i in test])
    assert accuracy >= 0.8

    few = get_method("centroid")(HashingEncoder(), spec("centroid", "mini_route", shots=2), task, context(tmp_path))
    assert few.fit(task.splits["train"], [])["examples"] == 2 * 3
