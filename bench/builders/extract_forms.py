"""extract_forms: letters, e-mails and filled CERFA forms with exact gold fields.

Scenarios follow the fields that real CERFA forms ask for (field lists of formIAble, MIT, in
shared/data/cerfa): 14011*03 loss of an ID card or passport, 12485*03 choice of a family doctor,
13749*05 vehicle registration, 13753*04 vehicle theft/disappearance, 13969*01 association. A few
everyday letters (contesting a fine, changing bank details, asking for a refund, a micro-entrepreneur's
question) complete them. Values are synthetic; formats vary the way people write them.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Sequence

from bench.builders.common import SPLITS, Row, Splits, markdown_table
from bench.builders.extract_formats import (
    DOC_TYPES,
    FIELD_NAMES,
    FIELD_TYPES,
    FIELDS,
    SIZES,
    TODAY,
    Doc,
    surface_forms,
)
from bench.builders.extract_layouts import render_email, render_form, render_letter
from bench.builders.extract_scenarios import SCENARIOS, Scenario, amount_value, reference_value
from bench.builders.identities import (
    Commune,
    IdentityFactory,
    Person,
    make_iban,
    make_nir,
    make_plate,
    make_siret,
)

__all__ = ["DOC_TYPES", "FIELDS", "FIELD_NAMES", "FIELD_TYPES", "SCENARIOS", "SIZES", "build", "make_document",
           "stats_markdown", "surface_forms"]

DROP_RATE = 0.3  # chance that an optional field is left out of a document


def _gold(scenario: Scenario, person: Person, rng: random.Random) -> tuple[dict[str, str | None], dict[str, str]]:
    """(gold fields, every value the person has): the second lets tests check that nulls stay absent."""
    upper = rng.random() < 0.3
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

def make_document(scenario: Scenario, doc_type: str, person: Person, rng: random.Random,
                  recipient: Commune | None) -> tuple[str, dict[str, str | None], dict[str, str]]:
    """Text, gold fields, and all the values the document could have shown."""
    gold, values = _gold(scenario, person, rng)
    doc = Doc(rng, gold, person.gender == "F", values["case_reference"])
    if doc_type == "form":
        text = render_form(scenario, doc)
    elif doc_type == "email":
        text = render_email(scenario, doc)
    else:
        text = render_letter(scenario, doc, recipient)
    return text, gold, values


# ------------------------------------------------------------------ the data set

def build(communes: Sequence[Commune], seed: int, sizes: dict[str, int] | None = None) -> Splits:
    """train/dev/test documents; every one is new (no shared person or value between splits)."""
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
            text, gold, _ = make_document(scenario, doc_type, person, rng, recipient)
            rows.append({"id": f"doc-{split}-{index + 1:04d}", "text": text, "fields": gold,
                         "doc_type": doc_type, "scenario": scenario.key, "cerfa": scenario.cerfa})
        rng.shuffle(rows)
        splits[split] = rows
    return splits


def stats_markdown(splits: Splits, seed: int) -> str:
    present = {s: Counter(f for r in splits[s] for f, v in r["fields"].items() if v is not None) for s in SPLITS}
    rows = [[name, kind, *(f"{present[s][name]}/{len(splits[s])}" for s in SPLITS)] for name, kind, _ in FIELDS]
    types = {s: Counter(r["doc_type"] for r in splits[s]) for s in SPLITS}
    scen = {s: Counter(r["scenario"] for r in splits[s]) for s in SPLITS}
    return "\n\n".join([
        f"Seed: `{seed}`. Documents where each field is present (non-null gold) per split:",
        markdown_table(["field", "type", *SPLITS], rows),
        markdown_table(["doc_type", *SPLITS], [[t, *(types[s][t] for s in SPLITS)] for t in DOC_TYPES]),
        markdown_table(["scenario", "CERFA", *SPLITS],
                       [[sc.key, sc.cerfa or "–", *(scen[s][sc.key] for s in SPLITS)] for sc in SCENARIOS]),
    ])
