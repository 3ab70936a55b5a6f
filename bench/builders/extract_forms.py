"""extract_forms: letters, e-mails and filled CERFA forms with exact gold fields.

Scenarios follow the fields that real CERFA forms ask for (field lists of formIAble, MIT, in
shared/data/cerfa): 14011*03 loss of an ID card or passport, 12485*03 choice of a family doctor,
13749*05 vehicle registration, 13753*04 vehicle theft/disappearance, 13969*01 association. A few
everyday letters (contesting a fine, changing bank details, asking for a refund, a micro-entrepreneur's
question) complete them. Values are synthetic; formats vary the way people write them.

The generated test split is template-disjoint from train and dev: every way of writing a document
(layout, where the name stands, self-introduction, fact sentences, salutations, date line, addressee,
form labels and field order, date/amount/phone formats) is a named family of one group, "fit" (train and
dev) or "test", and each row records the families it was written with in its `template` key.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from bench.builders.common import SPLITS, Row, Splits, markdown_table
from bench.builders.extract_formats import (
    DOC_TYPES,
    FIELD_NAMES,
    FIELD_TYPES,
    FIELDS,
    GROUP_OF_SPLIT,
    GROUPS,
    SIZES,
    SURFACE_FAMILIES,
    TODAY,
    Doc,
    group_forms,
    surface_forms,
)
from bench.builders.extract_layouts import CAPS_NAME_LAYOUTS, LAYOUTS, NAME_POSITIONS, RENDERERS
from bench.builders.extract_phrasing import CAPS_LABELS, COURTESY, DATELINES, INTROS, LABELS, ORDERS, RECIPIENTS
from bench.builders.extract_scenarios import (
    CASE_LABEL_FAMILIES,
    FACT_FAMILIES,
    SCENARIOS,
    Scenario,
    amount_value,
    reference_value,
)
from bench.builders.identities import (
    Commune,
    IdentityFactory,
    Person,
    make_iban,
    make_nir,
    make_plate,
    make_siret,
)

__all__ = ["DOC_TYPES", "FAMILIES", "FIELDS", "FIELD_NAMES", "FIELD_TYPES", "GROUPS", "GROUP_OF_SPLIT", "SCENARIOS",
           "SIZES", "Written", "build", "group_forms", "make_document", "stats_markdown", "surface_forms"]

DROP_RATE = 0.3  # chance that an optional field is left out of a document


class Written(NamedTuple):
    text: str
    gold: dict[str, str | None]
    values: dict[str, str]  # every value the person has, shown or not: tests check that nulls stay absent
    template: dict[str, str]  # dimension -> family


def _gold(scenario: Scenario, person: Person, rng: random.Random,
          caps: bool = False) -> tuple[dict[str, str | None], dict[str, str]]:
    """(gold fields, every value the person has): the second lets tests check that nulls stay absent."""
    upper = rng.random() < 0.3 or caps
    values: dict[str, str] = {
        "last_name": person.last_name.upper() if upper else person.last_name,
        "first_name": person.first_name, "birth_date": person.birth_date.isoformat(),
        "address": person.street, "postcode": person.postcode, "commune": person.commune,
        "phone": person.phone, "nir": make_nir(rng, person), "siret": make_siret(rng),
        "iban": make_iban(rng), "plate": make_plate(rng),
        "event_date": (TODAY - dt.timedelta(days=rng.randrange(3, 700))).isoformat(),
        "amount": amount_value(scenario.key, rng),
        "case_reference": reference_value(scenario.key, rng),  # as written; the gold keeps letters and digits
    }
    gold: dict[str, str | None] = {name: None for name in FIELD_NAMES}
    for name in scenario.fields:
        if name in scenario.optional and rng.random() < DROP_RATE:
            continue
        if name == "email":
            # The local part repeats the names only if both are given, so that a null name stays absent.
            named = all(n not in scenario.optional for n in ("first_name", "last_name"))
            gold[name] = person.email if named else f"contact{rng.randrange(100, 9999)}@example.org"
        elif name == "case_reference":
            gold[name] = re.sub(r"[\W_]+", "", values[name]).upper()
        else:
            gold[name] = values[name]
    return gold, values


def _families() -> dict[str, dict[str, tuple[str, ...]]]:
    """group -> dimension -> the families that group may use."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for group in GROUPS:
        layouts = tuple(name for names in LAYOUTS[group].values() for name in names)
        out[group] = {
            "layout": layouts, "name": tuple(dict.fromkeys(NAME_POSITIONS[name] for name in layouts)),
            "intro": tuple(INTROS[group]), "facts": (FACT_FAMILIES[group],),
            "case_labels": (CASE_LABEL_FAMILIES[group],), "courtesy": tuple(COURTESY[group]),
            "dateline": tuple(DATELINES[group]), "recipient": tuple(RECIPIENTS[group]),
            "labels": tuple(LABELS[group]), "order": tuple(ORDERS[group]),
            **{kind: tuple(families[group]) for kind, families in SURFACE_FAMILIES.items()},
        }
    return out


FAMILIES = _families()


def make_document(scenario: Scenario, doc_type: str, person: Person, rng: random.Random,
                  recipient: Commune | None, group: str = "fit") -> Written:
    """One document of `group` ("fit" for train and dev, "test"), written with that group's families only."""
    layout = rng.choice(LAYOUTS[group][doc_type])
    labels = rng.choice(list(LABELS[group])) if doc_type == "form" else None
    caps = layout in CAPS_NAME_LAYOUTS or labels in CAPS_LABELS  # the last name is written in capitals
    gold, values = _gold(scenario, person, rng, caps)
    doc = Doc(rng, gold, group, doc_type, person.gender == "F", values["case_reference"])
    doc.note("layout", layout)
    doc.note("name", NAME_POSITIONS[layout])
    if labels is not None:
        doc.note("labels", labels)
    text = RENDERERS[layout](scenario, doc, recipient)
    return Written(text, gold, values, dict(sorted(doc.families.items())))


# ------------------------------------------------------------------ the data set

def build(communes: Sequence[Commune], seed: int, sizes: dict[str, int] | None = None) -> Splits:
    """train/dev/test documents; every one is new (no shared person or value between splits), and test
    documents are written with template families that train and dev never use."""
    sizes = sizes or SIZES
    rng = random.Random(seed)
    people = IdentityFactory(seed, communes)
    splits: Splits = {}
    for split in SPLITS:
        rows: list[Row] = []
        for index in range(sizes[split]):
            scenario = SCENARIOS[index % len(SCENARIOS)]
            doc_type = rng.choice(scenario.doc_types)
            person = people.person()
            recipient = people.commune()[0] if doc_type == "letter" and rng.random() < 0.4 else None
            if recipient is not None and (recipient.name == person.commune or person.postcode in recipient.postcodes):
                recipient = None  # the addressee's town must never pass for the writer's
            written = make_document(scenario, doc_type, person, rng, recipient, GROUP_OF_SPLIT[split])
            rows.append({"id": f"doc-{split}-{index + 1:04d}", "text": written.text, "fields": written.gold,
                         "doc_type": doc_type, "scenario": scenario.key, "cerfa": scenario.cerfa,
                         "template": written.template})
        rng.shuffle(rows)
        splits[split] = rows
    return splits


def stats_markdown(splits: Splits, seed: int) -> str:
    present = {s: Counter(f for r in splits[s] for f, v in r["fields"].items() if v is not None) for s in SPLITS}
    rows = [[name, kind, *(f"{present[s][name]}/{len(splits[s])}" for s in SPLITS)] for name, kind, _ in FIELDS]
    types = {s: Counter(r["doc_type"] for r in splits[s]) for s in SPLITS}
    scen = {s: Counter(r["scenario"] for r in splits[s]) for s in SPLITS}
    used = {s: Counter(f for r in splits[s] for f in r["template"].values()) for s in SPLITS}
    families = [[dim, f"`{name}`", group, *(used[s][name] for s in SPLITS)]
                for dim in FAMILIES["fit"] for group in GROUPS for name in FAMILIES[group][dim]]
    return "\n\n".join([
        f"Seed: `{seed}`. Documents where each field is present (non-null gold) per split:",
        markdown_table(["field", "type", *SPLITS], rows),
        markdown_table(["doc_type", *SPLITS], [[t, *(types[s][t] for s in SPLITS)] for t in DOC_TYPES]),
        markdown_table(["scenario", "CERFA", *SPLITS],
                       [[sc.key, sc.cerfa or "–", *(scen[s][sc.key] for s in SPLITS)] for sc in SCENARIOS]),
        "Template families (row key `template`): documents using each, per split. Group `fit` serves train "
        "and dev, group `test` serves test; no family belongs to both.",
        markdown_table(["dimension", "family", "group", *SPLITS], families),
    ])
