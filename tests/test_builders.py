"""Builders of the shipped task data: determinism and invariants on a tiny in-test source (no network)."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import re
import tarfile
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.builders import classify_mail, classify_mail_writing
from bench.builders.common import SPLITS, jsonl_bytes, update_datacard
from bench.builders.identities import (
    Commune,
    IdentityFactory,
    iban_ok,
    luhn_ok,
    make_iban,
    make_nir,
    make_plate,
    make_siret,
    nir_ok,
    parse_communes,
)
from bench.builders.sources import NpmSource, SourceError, fetch, iter_members
from bench.builders.text import mask_services, names_a_service
from bench.builders.vdd import Page, parse_documents, parse_page

REPO = Path(__file__).resolve().parents[1]

COMMUNES = parse_communes([
    {"code": "69123", "nom": "Lyon", "type": "commune-actuelle", "departement": "69",
     "codesPostaux": ["69001", "69003"], "population": 520000},
    {"code": "76351", "nom": "Le Havre", "type": "commune-actuelle", "departement": "76",
     "codesPostaux": ["76600"], "population": 170000},
    {"code": "06004", "nom": "Antibes", "type": "commune-actuelle", "departement": "06",
     "codesPostaux": ["06600"], "population": 73000},
    {"code": "01001", "nom": "Ancienne", "type": "commune-deleguee", "codesPostaux": ["01400"]},
])

# One destination title per service, as service-public.fr writes them.
DESTINATIONS = {
    "caf": "Caisse d'allocations familiales (Caf)", "cpam": "Caisse primaire d'assurance maladie (CPAM)",
    "retraite": "Assurance retraite - 39 60", "france_travail": "Pôle emploi", "urssaf": "Urssaf",
    "impots": "Service en charge des impôts (trésorerie, service des impôts...)", "mairie": "Mairie",
    "prefecture": "Préfecture", "departement": "Services du département",
    "acces_droit": "Maison de justice et du droit", "tribunal": "Tribunal judiciaire ou de proximité",
    "adil": "Agence départementale pour l'information sur le logement (Adil)",
    "douane": "Infos Douane Service", "cfe": "Centre de formalités des entreprises (CFE)",
}
TITLES = ("Peut-on {x} quand on déménage ?", "Comment {x} en ligne ?", "Qu'est-ce qu'un {x} ?",
          "Dossier {x}", "Quel est le délai pour {x} ?", "Faut-il {x} chaque année ?")


def fixture_pages(per_label: int = 6) -> list[Page]:
    pages = []
    for n, (label, dest) in enumerate(sorted(DESTINATIONS.items())):
        for k in range(per_label):
            topic = f"sujet{label}{k}"
            pages.append(Page(
                id=f"T{n * 100 + k}", audience="particuliers",  # "T": never a reviewed fiche id
                type="Fiche Question-réponse" if k % 2 else "Fiche d'information",
                title=TITLES[k % len(TITLES)].format(x=topic),
                description=f"La démarche {topic} se fait auprès de la Caf en quelques étapes simples et rapides.",
                url=f"https://example.org/{label}/{k}", subjects=("Famille",), breadcrumb=("Famille", topic),
                introduction=" ".join([f"mot{topic}"] * 60), text=" ".join(["corps du texte"] * 80),
                situations=("Vous êtes salarié", "Caf"), chapters=("Conditions", "Démarche"),
                destinations=(dest, "Médiateur de la MSA"),
            ))
    return pages


# ------------------------------------------------------------------ sources and parsing

def test_fetch_refuses_a_tarball_with_another_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRUGAL_BENCH_CACHE", str(tmp_path))
    source = NpmSource("@scope/pkg", "1.0.0", "0" * 64, "MIT", "test")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / source.filename).write_bytes(b"not the pinned bytes")
    with pytest.raises(SourceError, match="sha256"):
        fetch(source)


def _tarball(tmp_path: Path, files: dict[str, bytes]) -> Path:
    path = tmp_path / "pkg.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _fiche(page_id: str, title: str) -> dict[str, object]:
    def el(name: str, *children: object, **attrs: str) -> dict[str, object]:
        return {"type": "element", "name": name, "attributes": attrs, "children": list(children)}

    def tx(text: str) -> dict[str, object]:
        return {"type": "text", "text": text}

    return {"id": page_id, "children": [el(
        "Publication",
        el("dc:title", tx(title)), el("dc:description", tx("Résumé\xa0officiel.")), el("dc:subject", tx("Argent")),
        el("FilDAriane", el("Niveau", tx("Accueil")), el("Niveau", tx("Argent")), el("Niveau", tx(title))),
        el("Introduction", el("Texte", el("Paragraphe", tx("Première "), el("LienInterne", tx("phrase")), tx(".")))),
        el("Texte", el("Chapitre", el("Titre", el("Paragraphe", tx("Conditions"))),
                       el("Liste", el("Item", el("Paragraphe", tx("un point"))))),
           el("OuSAdresser", el("Titre", tx("Adresse interne ignorée")))),
        el("OuSAdresser", el("Titre", tx("Caisse d'allocations familiales (Caf)"))),
        ID=page_id, type="Fiche Question-réponse", spUrl=f"https://example.org/{page_id}",
    )]}


def test_parse_page_flattens_the_body_and_keeps_destinations(tmp_path: Path) -> None:
    docs = {
        "package/data/particuliers/F1.json": json.dumps(_fiche("F1", "Peut-on rêver ?")).encode(),
        "package/data/professionnels/F1.json": json.dumps(_fiche("F1", "Autre audience ?")).encode(),
        "package/data/particuliers/index.json": b"[]",
    }
    pages = parse_documents(iter_members(_tarball(tmp_path, docs), "package/data/"))
    assert len(pages) == 1
    page = pages[0]
    assert (page.audience, page.title) == ("particuliers", "Peut-on rêver ?")
    assert page.description == "Résumé officiel."
    assert page.breadcrumb == ("Argent",)
    assert page.body == "Première phrase.\nConditions\n- un point"
    assert page.chapters == ("Conditions",)
    assert page.destinations == ("Caisse d'allocations familiales (Caf)",)
    assert parse_page({"id": "R1", "children": [{"name": "ServiceComplementaire"}]}, "particuliers") is None


# ------------------------------------------------------------------ identities

def test_identifiers_are_valid_and_people_reproducible() -> None:
    rng = random.Random(1)
    person = IdentityFactory(1, COMMUNES).person()
    for _ in range(200):
        assert luhn_ok(make_siret(rng))
        assert iban_ok(make_iban(rng))
        nir = make_nir(rng, person)
        assert nir_ok(nir) and nir[0] == ("2" if person.gender == "F" else "1")
        assert len(make_plate(rng)) == 9
    assert IdentityFactory(7, COMMUNES).person() == IdentityFactory(7, COMMUNES).person()
    assert all(c.name != "Ancienne" for c in COMMUNES)  # only current communes


def test_mask_services_keeps_french_grammar() -> None:
    assert mask_services("Contactez votre Caf ou la CPAM.") == "Contactez votre organisme ou l'organisme."
    assert mask_services("Je suis allé à la mairie", "l'administration") == "Je suis allé à l'administration"
    assert mask_services("Le tribunal de commerce a jugé.") == "L'organisme a jugé."
    assert not names_a_service(mask_services("auprès du conseil de prud'hommes et de Pôle emploi"))


# ------------------------------------------------------------------ classify_mail

def test_classify_mail_is_deterministic_in_its_seed() -> None:
    pages = fixture_pages()
    first = classify_mail.build(pages, COMMUNES, seed=3)
    again = classify_mail.build(pages, COMMUNES, seed=3)
    other = classify_mail.build(pages, COMMUNES, seed=4)
    assert all(jsonl_bytes(first[s]) == jsonl_bytes(again[s]) for s in SPLITS)
    assert any(jsonl_bytes(first[s]) != jsonl_bytes(other[s]) for s in SPLITS)


def test_classify_mail_invariants() -> None:
    splits = classify_mail.build(fixture_pages(), COMMUNES, seed=3)
    sources = {s: {r["source_id"] for r in splits[s]} for s in SPLITS}
    assert not sources["train"] & sources["test"]
    assert not sources["train"] & sources["dev"]
    assert not sources["dev"] & sources["test"]
    secondary = {s: {r["secondary_source_id"] for r in splits[s] if "secondary_source_id" in r} for s in SPLITS}
    for split in SPLITS:  # a second topic never brings a page from another split
        assert secondary[split] <= sources[split]
    label_of_page = {r["source_id"]: r["label"] for s in SPLITS for r in splits[s]}
    for split in SPLITS:
        assert {r["label"] for r in splits[split]} == set(classify_mail.LABELS)
        for row in splits[split]:
            assert row["topics"][0] == row["label"]
            assert row["text"].strip()
            # Fixture pages have one mapped desk each: only a second topic brings another acceptable label.
            second = row.get("secondary_source_id")
            assert row["also"] == ([label_of_page[second]] if second else [])
            assert row["label"] not in row["also"]
    ids = [r["id"] for s in SPLITS for r in splits[s]]
    assert len(ids) == len(set(ids))
    masked = [r for s in SPLITS for r in splits[s] if not r["names_service"]]
    assert len(masked) > 0.8 * sum(len(splits[s]) for s in SPLITS)


def _reviewed_fixture() -> list[Page]:
    """The fixture plus pages that the review excludes, relabels or gives several desks."""
    base = fixture_pages()[0]

    def page(page_id: str, *destinations: str) -> Page:
        return dataclasses.replace(base, id=page_id, url=f"https://example.org/{page_id}", destinations=destinations)

    return [*fixture_pages(),
            page("X1", "Commission de conciliation et d'indemnisation (CCI)"),  # a false match of the cfe pattern
            page("F31925", DESTINATIONS["cfe"]),  # excluded by REVIEWED (commercial lease)
            page("F607", DESTINATIONS["departement"], DESTINATIONS["mairie"]),  # relabelled mairie
            page("X2", DESTINATIONS["impots"], "Notaire", DESTINATIONS["caf"])]  # two mapped desks


def test_classify_mail_gold_review_rules() -> None:
    by_id = {p.id: p for p in _reviewed_fixture()}
    assert classify_mail.gold_of(by_id["X1"]) is None
    assert classify_mail.gold_of(by_id["F31925"]) is None
    assert classify_mail.gold_of(by_id["F607"]) == classify_mail.Gold("mairie", ("departement",))
    assert classify_mail.gold_of(by_id["X2"]) == classify_mail.Gold("impots", ("caf",))
    assert classify_mail.page_labels(by_id["X1"]) == ["cfe"]  # the draw still sees the raw mapping
    for page_id, review in classify_mail.REVIEWED.items():
        assert re.fullmatch(r"F\d+", page_id) and review.reason.strip()
        assert not (review.exclude and (review.label or review.also))
        assert {review.label or "caf", *review.also} <= set(classify_mail.LABELS)


def test_classify_mail_review_drops_and_relabels_without_moving_other_mails(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _reviewed_fixture()
    kept, dropped = classify_mail.build_with_dropped(pages, COMMUNES, seed=3)
    monkeypatch.setattr(classify_mail, "REVIEWED", {})
    monkeypatch.setattr(classify_mail, "FALSE_DESTINATIONS", ())
    raw = {r["id"]: r for s in SPLITS for r in classify_mail.build(pages, COMMUNES, seed=3)[s]}
    assert {r["source_id"] for s in SPLITS for r in dropped[s]} == {"X1", "F31925"}
    assert not {"X1", "F31925"} & {r["source_id"] for s in SPLITS for r in kept[s]}
    assert sum(len(kept[s]) + len(dropped[s]) for s in SPLITS) == len(raw)
    seen = set()
    for row in (r for s in SPLITS for r in kept[s]):
        before = raw[row["id"]]  # same id, same text, same page: only the gold may differ
        assert (row["text"], row["source_id"]) == (before["text"], before["source_id"])
        assert row["label"] not in row["also"] and len(set(row["also"])) == len(row["also"])
        if row["source_id"] == "F607":
            assert row["label"] == "mairie" and "departement" in row["also"]
        if row["source_id"] == "X2":
            assert row["label"] == "impots" and "caf" in row["also"]
        if row.get("secondary_source_id") in ("X1", "F31925"):  # an excluded second topic brings no desk
            assert row["topics"] == [row["label"]]
        seen.add(row["source_id"])
    assert {"F607", "X2"} <= seen


def test_classify_mail_phrases_questions_in_the_writers_words() -> None:
    formal = classify_mail_writing.phrase_question("Peut-on cumuler le RSA et l'AAH ?", formal=True)
    assert formal == "je souhaiterais savoir si je peux cumuler le RSA et l'AAH"
    informal = classify_mail_writing.phrase_question("Chômage\xa0: qu'est-ce qu'une radiation ?", formal=False)
    assert informal == "chômage : c'est quoi exactement une radiation ?"
    assert classify_mail_writing.phrase_question("Allocation de logement", formal=True) is None


# ------------------------------------------------------------------ shipped files

def test_task_yaml_labels_match_the_builder() -> None:
    spec = yaml.safe_load((REPO / "tasks" / "classify_mail" / "task.yaml").read_text(encoding="utf-8"))
    assert spec["labels"] == classify_mail.LABELS


def test_shipped_classify_mail_gold_is_reviewed() -> None:
    data = REPO / "tasks" / "classify_mail" / "data"
    rows = [json.loads(line) for s in SPLITS for line in (data / f"{s}.jsonl").read_text(encoding="utf-8").splitlines()]
    sources = {r["source_id"] for r in rows}
    for row in rows:
        assert row["label"] in classify_mail.LABELS and set(row["also"]) <= set(classify_mail.LABELS)
        assert row["label"] not in row["also"]
    excluded = {p for p, review in classify_mail.REVIEWED.items() if review.exclude}
    assert not excluded & sources
    assert set(classify_mail.REVIEWED) - excluded <= sources  # every other decision is about a page in use


def test_update_datacard_replaces_only_the_generated_block(tmp_path: Path) -> None:
    card = tmp_path / "DATACARD.md"
    card.write_text("# Card\n\nhand-written\n", encoding="utf-8")
    update_datacard(card, "first")
    update_datacard(card, "second")
    text = card.read_text(encoding="utf-8")
    assert text.count("stats:begin") == 1 and "second" in text and "first" not in text
    assert text.startswith("# Card\n\nhand-written\n")


def test_commune_records_keep_postcodes() -> None:
    assert COMMUNES[0] == Commune("06004", "Antibes", ("06600",), "06", 73000)


# ------------------------------------------------------------------ summarise_notes

def _summary_pages() -> list[Page]:
    pages = []
    for k in range(40):
        body = " ".join(f"mot{k}x{j}" for j in range(60 + 5 * k))  # 60..255 words
        pages.append(Page(id=f"F{k:03d}", audience="particuliers", type="Fiche d'information",
                          title=f"Titre {k}",
                          description=" ".join(f"résumé{k}n{j}" for j in range(10)) + ".",
                          url=f"https://example.org/{k}", introduction=body))
    copied = Page(id="F900", audience="particuliers", type="Fiche d'information", title="Copie",
                  description="Ce résumé est recopié tel quel dans le corps du texte.", url="u",
                  introduction="Ce résumé est recopié tel quel dans le corps du texte. " + "mot " * 150)
    twin = Page(id="F901", audience="particuliers", type="Fiche d'information", title="Jumeau",
                description=" ".join(f"résumé39n{j}" for j in range(10)) + " aussi.", url="u",
                introduction="autre " * 150)
    return [*pages, copied, twin]


def test_summarise_notes_is_deterministic_and_filtered() -> None:
    from bench.builders import summarise_notes

    sizes = {"train": 8, "dev": 4, "test": 10}
    first = summarise_notes.build(_summary_pages(), seed=5, sizes=sizes)
    assert all(jsonl_bytes(first[s]) == jsonl_bytes(summarise_notes.build(_summary_pages(), 5, sizes)[s])
               for s in SPLITS)
    assert any(jsonl_bytes(first[s]) != jsonl_bytes(summarise_notes.build(_summary_pages(), 6, sizes)[s])
               for s in SPLITS)
    assert {s: len(first[s]) for s in SPLITS} == sizes
    ids = [r["source_id"] for s in SPLITS for r in first[s]]
    assert len(ids) == len(set(ids))  # a page is in one split only
    for row in (r for s in SPLITS for r in first[s]):
        assert summarise_notes.MIN_BODY_WORDS <= len(row["text"].split()) <= summarise_notes.MAX_BODY_WORDS
        assert row["summary"] not in row["text"]
    kept, dropped = summarise_notes.candidate_pairs(_summary_pages())
    assert "F900" not in {p.id for p in kept}  # summary copied in the body
    assert not {"F039", "F901"} <= {p.id for p in kept}  # near-duplicate summaries
    assert dropped["body under 100 words"] == 8


def _other_source_pages() -> list[Page]:
    """Professionals' and associations' pages: usable ones and one of each kind the builder must drop."""
    def page(page_id: str, intro: str, text: str, audience: str = "professionnels") -> Page:
        return Page(id=page_id, audience=audience, type="Fiche Question-réponse", title=f"Titre {page_id}",
                    description=intro, url=f"https://example.org/{page_id}", introduction=intro, text=text)

    def words(stem: str, n: int) -> str:
        return " ".join(f"{stem}w{j}" for j in range(n))

    pages = [page(f"P{k:03d}", words(f"intro{k}", 20) + ".", words(f"corps{k}", 420 + 10 * k),
                  audience="associations" if k % 3 == 0 else "professionnels") for k in range(30)]
    used_body = _summary_pages()[0].introduction  # a main-split body, if F000 is drawn there
    return [*pages,
            page("Q1", words("court", 10) + ".", words("q1", 500)),  # introduction too short
            page("Q2", words("liste", 20) + " ci-dessous.", words("q2", 500)),  # speaks of the page
            page("Q3", words("q3i", 20) + ".", words("q3", 300)),  # body under 400 words
            page("Q4", words("q4i", 20) + ".", words("q4", 1000)),  # body over 900 words
            page("Q5", words("q5i", 20) + ".", words("q5", 450) + "\n" + words("q5i", 20) + "."),  # repeated
            page("Q6", words("q6i", 20) + ".", used_body + "\n" + words("q6", 400)),  # contains a used body
            page("Q7", words("intro3", 19) + " aussi.", words("q7", 500)),  # reference near P003's
            page("Q8", words("q8i", 20) + ".", words("q8", 500), audience="particuliers")]  # main audience


def test_summarise_other_source_is_deterministic_disjoint_and_uncopied() -> None:
    from bench.builders import summarise_notes, summarise_other

    main_pages = _summary_pages()
    splits = summarise_notes.build(main_pages, seed=5, sizes={"train": 8, "dev": 4, "test": 10})
    used = [r for s in SPLITS for r in splits[s]]
    pages = [*main_pages, *_other_source_pages()]
    if "F000" not in {r["source_id"] for r in used}:  # Q6 must contain a body that is in use
        used.append({"source_id": "F000", "text": main_pages[0].introduction, "summary": main_pages[0].description})
    used.append({"source_id": "P029", "text": "autre", "summary": "autre résumé"})  # same id as a main pair
    first = summarise_other.build(pages, used, seed=5, size=20)
    assert jsonl_bytes(first) == jsonl_bytes(summarise_other.build(pages, used, seed=5, size=20))
    assert jsonl_bytes(first) != jsonl_bytes(summarise_other.build(pages, used, seed=6, size=20))
    kept, dropped = summarise_other.candidate_pairs(pages, used)
    assert [p.id for p in kept] == [f"P{k:03d}" for k in range(29)]  # Q7 is the twin of P003: dropped
    assert len(first) == 20 and len({r["source_id"] for r in first}) == 20
    assert dropped == Counter({
        "page in the train/dev/test splits": 1, "introduction missing or under 15 words": 1,
        "introduction speaks of the page or leads into a list": 1, "body under 400 words": 1,
        "body over 900 words": 1, "introduction repeated in the body": 1,
        "near-duplicate of a train/dev/test pair": 1, "near-duplicate of another page of this set": 1})
    for row in first:
        assert row["source_id"] not in {r["source_id"] for r in used}
        assert row["audience"] in summarise_other.AUDIENCES and row["reference"] == "introduction"
        assert summarise_other.MIN_BODY_WORDS <= len(row["text"].split()) <= summarise_other.MAX_BODY_WORDS
        assert " ".join(row["summary"].split()) not in " ".join(row["text"].split())


def test_write_splits_writes_further_test_sets(tmp_path: Path) -> None:
    from bench.builders.common import write_splits

    written = write_splits(tmp_path, {"train": [], "dev": [], "test": [{"id": "a"}], "test_other": [{"id": "b"}]})
    assert set(written) == {"train", "dev", "test", "test_other"}
    assert (tmp_path / "data" / "test_other.jsonl").read_text(encoding="utf-8") == '{"id": "b"}\n'


def test_shipped_other_source_set_is_disjoint_from_the_splits() -> None:
    from bench.builders import summarise_other

    data = REPO / "tasks" / "summarise_notes" / "data"

    def rows(name: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in (data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]

    used = [r for s in SPLITS for r in rows(s)]
    other = rows(summarise_other.SET_NAME)
    assert 100 <= len(other) <= 150
    assert len({r["id"] for r in other}) == len({r["source_id"] for r in other}) == len(other)
    assert not {r["source_id"] for r in other} & {r["source_id"] for r in used}
    index = summarise_other.PairIndex()
    for row in used:
        index.add(str(row["text"]), str(row["summary"]))
    for row in other:
        body, reference = str(row["text"]), str(row["summary"])
        assert not index.near(body, reference), row["id"]
        assert " ".join(reference.casefold().split()) not in " ".join(body.casefold().split())
        assert row["audience"] in summarise_other.AUDIENCES


def test_summary_floors_copy_rate_and_lead() -> None:
    from bench.builders.summary_floors import copy_rate, lead

    assert copy_rate("Le chat dort bien.", "Ici, le chat dort bien.") == 1.0
    assert copy_rate("Le chat dort bien.", "Le chat dort mal.") == 0.5  # one of its two 3-grams
    assert lead("Conditions\nUne phrase. Deux phrases. Trois.", 2) == "Conditions Une phrase."


# ------------------------------------------------------------------ extract_forms

def test_extract_forms_is_deterministic_in_its_seed() -> None:
    from bench.builders import extract_forms

    sizes = {"train": 10, "dev": 5, "test": 20}
    first = extract_forms.build(COMMUNES, seed=9, sizes=sizes)
    again = extract_forms.build(COMMUNES, seed=9, sizes=sizes)
    other = extract_forms.build(COMMUNES, seed=10, sizes=sizes)
    assert all(jsonl_bytes(first[s]) == jsonl_bytes(again[s]) for s in SPLITS)
    assert any(jsonl_bytes(first[s]) != jsonl_bytes(other[s]) for s in SPLITS)
    assert {s: len(first[s]) for s in SPLITS} == sizes


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def test_extract_forms_gold_is_canonical_present_and_nulls_absent() -> None:
    from bench.builders import extract_forms
    from bench.metrics.normalise import normalise_field

    rng = random.Random(11)
    people = IdentityFactory(11, COMMUNES)
    seen_null: Counter[str] = Counter()
    for n in range(600):
        scenario = extract_forms.SCENARIOS[n % len(extract_forms.SCENARIOS)]
        doc_type = scenario.doc_types[n // 2 % len(scenario.doc_types)]
        group = extract_forms.GROUPS[n % 2]
        text, gold, values, _ = extract_forms.make_document(scenario, doc_type, people.person(), rng, None, group)
        assert set(gold) == set(extract_forms.FIELD_NAMES)
        folded = _fold(text)
        for field, value in gold.items():
            kind = extract_forms.FIELD_TYPES[field]
            if value is None:
                seen_null[field] += 1
                hidden = values.get(field)
                if hidden is not None and kind not in ("text", "postcode", "reference"):
                    # Names and towns may recur by chance (a writer called "Lyon"); typed values may not.
                    assert not any(_fold(f) in folded for f in extract_forms.surface_forms(field, hidden)), \
                        (field, text)
                continue
            assert normalise_field(value, kind) == (value if kind != "text" else normalise_field(value, "text"))
            if kind == "reference":  # references compare on letters and digits only
                assert value in re.sub(r"[\W_]+", "", text).upper()
            else:
                assert any(_fold(f) in folded for f in extract_forms.surface_forms(field, value)), (field, text)
            if kind == "nir":
                assert nir_ok(value)
            if kind == "siret":
                assert luhn_ok(value) and luhn_ok(value[:9])
            if kind == "iban":
                assert iban_ok(value)
        if gold["email"] is None:
            assert "@" not in text
    # Every field but the writer's name is sometimes missing.
    assert [f for f in extract_forms.FIELD_NAMES if not seen_null[f]] == ["last_name"]


def _written_alone(form: str, text: str) -> bool:
    """`form` occurs in `text` not glued to another letter or digit ("08/04/20" is not in "08/04/2020")."""
    return re.search(r"(?<![0-9A-Za-z])" + re.escape(_fold(form)) + r"(?![0-9A-Za-z])", text) is not None


def test_extract_forms_test_split_is_template_disjoint() -> None:
    """No template family, and no date, amount or phone format, of the test split is used by train or dev."""
    from bench.builders import extract_forms

    families = extract_forms.FAMILIES
    for dimension, fit in families["fit"].items():  # declared: disjoint, and each group has a choice
        assert not set(fit) & set(families["test"][dimension]), dimension
    assert set(families["fit"]) == set(families["test"])
    splits = extract_forms.build(COMMUNES, seed=9, sizes={"train": 200, "dev": 60, "test": 200})
    used: dict[str, set[tuple[str, str]]] = {"fit": set(), "test": set()}
    for split in SPLITS:
        group = extract_forms.GROUP_OF_SPLIT[split]
        for row in splits[split]:
            assert {"layout", "name"} <= set(row["template"])
            for dimension, family in row["template"].items():
                assert family in families[group][dimension], (split, dimension, family)
                used[group].add((dimension, family))
            # The typed values are written in the formats of the row's group only.
            other = "test" if group == "fit" else "fit"
            folded = _fold(row["text"])
            for field, value in row["fields"].items():
                if value is not None and extract_forms.FIELD_TYPES[field] in ("date", "amount", "phone"):
                    assert any(_written_alone(f, folded) for f in extract_forms.group_forms(field, value, group))
                    assert not any(_written_alone(f, folded) for f in extract_forms.group_forms(field, value, other)), \
                        (split, field, value, row["text"])
    assert not used["fit"] & used["test"]
    assert not {f for _, f in used["fit"]} & {f for _, f in used["test"]}
    for group in ("fit", "test"):  # both groups stay varied: every family they own is used
        assert used[group] == {(d, f) for d, names in families[group].items() for f in names}, group
    # The scenarios, CERFA-based and everyday letters, are in both groups.
    assert {r["scenario"] for r in splits["test"]} == {r["scenario"] for r in splits["train"]} == \
        {s.key for s in extract_forms.SCENARIOS}


def test_extract_forms_task_yaml_fields_match_the_builder() -> None:
    from bench.builders import extract_forms

    spec = yaml.safe_load((REPO / "tasks" / "extract_forms" / "task.yaml").read_text(encoding="utf-8"))
    assert [(f["name"], f["type"]) for f in spec["fields"]] == [(n, t) for n, t, _ in extract_forms.FIELDS]


def test_shipped_extract_forms_test_split_is_template_disjoint() -> None:
    from bench.builders import extract_forms

    data = REPO / "tasks" / "extract_forms" / "data"
    families: dict[str, set[str]] = {}
    for split in SPLITS:  # the generated files only: the hand-written sets carry no template
        rows = [json.loads(line) for line in (data / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(rows) == extract_forms.SIZES[split]
        group = extract_forms.GROUP_OF_SPLIT[split]
        other = "test" if group == "fit" else "fit"
        families.setdefault(group, set()).update(f for r in rows for f in r["template"].values())
        for row in rows:
            folded = _fold(row["text"])
            for field, value in row["fields"].items():
                if value is not None and extract_forms.FIELD_TYPES[field] in ("date", "amount", "phone"):
                    assert not any(_written_alone(f, folded) for f in extract_forms.group_forms(field, value, other))
    assert families["test"] and families["fit"] and not families["test"] & families["fit"]
