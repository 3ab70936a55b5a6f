"""extract_forms: how a document is laid out around its scenario's facts, one set of layouts per group.

Train and dev ("fit") documents are letters with an identity block at the top, e-mails signed with a
contact block or headed "De : Nom <adresse>", and forms with one "Label : value" line per field, identity
first. Test documents are letters and e-mails with no identity block (the writer introduces themself in
running text and signs "Prénom NOM", or gives a one-line "Expéditeur :" or "Mes coordonnées :"), and forms
with combined lines ("NOM / Prénom"), labels in capitals or above their values, the case's lines first.
Where the writer's name appears is recorded as the "name" family of the layout.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.builders.extract_formats import Doc
from bench.builders.extract_phrasing import (
    CAPS_LABELS,
    LABELS,
    ORDERS,
    courtesy,
    dateline,
    home_line,
    intro,
    line_value,
    recipient_block,
    town_line,
    written_on,
)
from bench.builders.extract_scenarios import Scenario
from bench.builders.identities import Commune

LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "fit": {"letter": ("letter.block_top", "letter.date_first"), "email": ("email.signature", "email.header"),
            "form": ("form.colon", "form.sections")},
    "test": {"letter": ("letter.running", "letter.sender_line"), "email": ("email.running", "email.coords"),
             "form": ("form.inline", "form.stacked")},
}
NAME_POSITIONS = {
    "letter.block_top": "name.block_and_signature", "letter.date_first": "name.block_and_signature",
    "email.signature": "name.signature_block", "email.header": "name.header_and_signature",
    "form.colon": "name.form_lines", "form.sections": "name.form_lines",
    "letter.running": "name.intro_and_signature", "email.running": "name.intro_and_signature",
    "letter.sender_line": "name.sender_line", "email.coords": "name.coords_line",
    "form.inline": "name.form_combined", "form.stacked": "name.form_combined",
}
CAPS_NAME_LAYOUTS = frozenset({"letter.running", "email.running"})  # signed "Prénom NOM"
ALL_PARTS = frozenset({"name", "birth", "home", "contact"})
Renderer = Callable[[Scenario, Doc, Commune | None], str]


def _join(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)


def _recipient(doc: Doc, recipient: Commune | None) -> str | None:
    return recipient_block(doc, recipient.name, recipient.postcodes[0]) if recipient is not None else None


def _merged(intro_clause: str, facts: list[str]) -> str:
    """"Je soussigné X, …, je vous informe …": the first fact continues the clause."""
    return " ".join([intro_clause + " " + facts[0][0].lower() + facts[0][1:], *facts[1:]])


# ------------------------------------------------------------------ fit group

def _identity_block(doc: Doc) -> str:
    blocks, _ = ORDERS["fit"][doc.pick("order", ORDERS["fit"])]
    g = doc.gold
    lines: dict[str, list[str]] = {"ident": [doc.name()], "address": [str(g["address"] or ""), town_line(doc)],
                                   "contact": []}
    if g["phone"]:
        lines["contact"].append(doc.rng.choice(["Tél. : ", "Téléphone : ", ""]) + doc.show("phone"))
    if g["email"]:
        lines["contact"].append(doc.rng.choice(["", "Courriel : ", "Mail : "]) + doc.show("email"))
    return "\n".join(line for block in blocks if block != "case" for line in lines[block] if line)


def _fit_letter_body(scenario: Scenario, doc: Doc) -> str:
    family, text = intro(doc, ("intro.soussigne", "intro.presente"), ALL_PARTS)
    facts = scenario.facts(doc)
    return _merged(text, facts) if family == "intro.soussigne" else " ".join([text, *facts])


def letter_block_top(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    return _join(_identity_block(doc), _recipient(doc, recipient), f"Objet : {scenario.title.lower()}", opening,
                 _fit_letter_body(scenario, doc), closing,
                 dateline(doc, ("dateline.fait_a", "dateline.place_date")), doc.name())


def letter_date_first(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    return _join(dateline(doc, ("dateline.place_date",)), _identity_block(doc), _recipient(doc, recipient),
                 f"Objet : {scenario.title.lower()}", opening, _fit_letter_body(scenario, doc), closing, doc.name())


def email_signature(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    _, text = intro(doc, ("intro.adresse",), frozenset({"birth", "home"}))
    signature = ["--", doc.name()]
    if doc.has("phone"):
        signature.append(doc.show("phone"))
    if doc.has("email") and doc.rng.random() < 0.6:
        signature.append(doc.show("email"))
    out = _join(f"Objet : {scenario.title}", opening, " ".join([*scenario.facts(doc), text]).strip(), closing,
                "\n".join(signature))
    email = doc.gold["email"]
    if email and email not in out.lower():
        out = f"De : {email}\n" + out  # the sender's address heads the message
    return out


def email_header(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    head = f"De : {doc.name()}" + (f" <{doc.show('email')}>" if doc.has("email") else "")
    head += f"\nEnvoyé : {doc.date(written_on(doc))}\nObjet : {scenario.title}"
    opening, closing = courtesy(doc)
    family, text = intro(doc, ("intro.presente", "intro.adresse"), frozenset({"name", "birth", "home"}))
    facts = scenario.facts(doc)
    body = " ".join([text, *facts] if family == "intro.presente" else [*facts, text]).strip()
    signature = [doc.gold["first_name"] or doc.name()]
    if doc.has("phone"):
        signature.append(f"Tél. : {doc.show('phone')}")
    return _join(head, opening, body, closing, "\n".join(signature))


# ------------------------------------------------------------------ test group

def letter_running(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    _, text = intro(doc, ("intro.je_mappelle", "intro.mon_nom"), ALL_PARTS)
    return _join(_recipient(doc, recipient), f"Concerne : {scenario.title.lower()}", opening,
                 " ".join([text, *scenario.facts(doc)]), closing, dateline(doc, ("dateline.ce",)),
                 doc.name(caps=True))


def letter_sender_line(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    bits = [doc.name(), home_line(doc)]
    bits += [doc.show(f) for f in ("phone", "email") if doc.has(f)]
    sender = "Expéditeur : " + " – ".join(b for b in bits if b)
    opening, closing = courtesy(doc)
    _, text = intro(doc, ("intro.je_mappelle", "intro.mon_nom"), frozenset({"birth"}))
    return _join(sender, dateline(doc, ("dateline.ce",)), _recipient(doc, recipient),
                 f"Concerne : {scenario.title.lower()}", opening, " ".join([*scenario.facts(doc), text]).strip(),
                 closing)


def email_running(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    _, text = intro(doc, ("intro.je_mappelle", "intro.mon_nom"), ALL_PARTS)
    return _join(f"Sujet : {scenario.title}", opening, " ".join([text, *scenario.facts(doc)]), closing,
                 doc.name(caps=True))


def email_coords(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    opening, closing = courtesy(doc)
    facts = " ".join(scenario.facts(doc))
    who = doc.name() + (f" (né{doc.e()} le {doc.show('birth_date')})" if doc.has("birth_date") else "")
    coords = [who, home_line(doc)] + [doc.show(f) for f in ("phone", "email") if doc.has(f)]
    return _join(f"Concerne : {scenario.title}", opening, facts,
                 "Mes coordonnées : " + " – ".join(c for c in coords if c), closing, doc.gold["first_name"])


# ------------------------------------------------------------------ forms

# layout -> (empty boxes, values of the lines that hold no field)
FORM_FILLERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "form.colon": (("", "—"), ("voir courrier joint", "RAS")),
    "form.sections": (("non renseigné", "—"), ("sur la voie publique", "RAS")),
    "form.inline": (("néant", "/"), ("cf. lettre jointe", "dans la rue")),
    "form.stacked": (("sans objet", "/"), ("inconnues", "cf. lettre jointe")),
}
SECTION_TITLES = {"ident": "Identité du déclarant", "address": "Coordonnées postales", "contact": "Pour vous joindre",
                  "case": "Objet de la déclaration"}


def _form_blocks(scenario: Scenario, doc: Doc, layout: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(block, [(label, value)]) in the document's field order; a missing value is an empty box or no line."""
    labels = doc.families["labels"]
    caps = labels in CAPS_LABELS
    blocks, reverse = ORDERS[doc.group][doc.pick("order", ORDERS[doc.group])]
    empties, fillers = FORM_FILLERS[layout]
    empty = doc.rng.choice(empties)
    out = []
    for block in blocks:
        spec: list[tuple[str, tuple[str, ...]]]
        if block == "case":
            spec = [(label.upper() if caps else label, (f,) if f else ()) for label, f in scenario.form_lines(doc)]
        else:
            spec = list(LABELS[doc.group][labels][block])
        lines = []
        for label, fields in (reversed(spec) if reverse else spec):
            value = line_value(doc, fields) if fields else doc.rng.choice(fillers)
            if value is None and doc.rng.random() < 0.7:
                value = empty
            if value is not None:
                lines.append((label, value))
        if lines:
            out.append((block, lines))
    return out


def _cerfa(scenario: Scenario, pattern: str, default: str) -> str:
    return pattern.format(scenario.cerfa) if scenario.cerfa else default


def form_colon(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    lines = [_cerfa(scenario, "CERFA N° {}", "FORMULAIRE"), scenario.title.upper(), ""]
    lines += [f"{label} : {value}".rstrip() for _, block in _form_blocks(scenario, doc, "form.colon")
              for label, value in block]
    return "\n".join([*lines, "", dateline(doc, ("dateline.fait_a", "dateline.place_date")) + "    Signature :"])


def form_sections(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    parts = [f"{_cerfa(scenario, 'Cerfa n° {}', 'Formulaire')}\n{scenario.title}"]
    for block, lines in _form_blocks(scenario, doc, "form.sections"):
        parts.append("\n".join([SECTION_TITLES[block], *(f"{label} : {value}".rstrip() for label, value in lines)]))
    parts.append(dateline(doc, ("dateline.fait_a", "dateline.place_date")) + "    Signature :")
    return "\n\n".join(parts)


def form_inline(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    """Two fields a line, as a printed form's columns come out of a copy and paste."""
    cells = [f"{label} : {value}".rstrip() for _, block in _form_blocks(scenario, doc, "form.inline")
             for label, value in block]
    rows = ["    ".join(cells[i:i + 2]) for i in range(0, len(cells), 2)]
    head = [_cerfa(scenario, "N° CERFA : {}", "DEMANDE"), scenario.title.upper(), ""]
    return "\n".join([*head, *rows, "", dateline(doc, ("dateline.labelled", "dateline.ce")) + "    Signature"])


def form_stacked(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    """Each label on its own line, the value under it."""
    fields = [f"{label}\n{value or '/'}" for _, block in _form_blocks(scenario, doc, "form.stacked")
              for label, value in block]
    head = scenario.title + (f"\n(cerfa {scenario.cerfa})" if scenario.cerfa else "")
    return "\n\n".join([head, *fields, dateline(doc, ("dateline.labelled", "dateline.ce")) + "\nSignature"])


RENDERERS: dict[str, Renderer] = {
    "letter.block_top": letter_block_top, "letter.date_first": letter_date_first,
    "email.signature": email_signature, "email.header": email_header,
    "form.colon": form_colon, "form.sections": form_sections,
    "letter.running": letter_running, "letter.sender_line": letter_sender_line,
    "email.running": email_running, "email.coords": email_coords,
    "form.inline": form_inline, "form.stacked": form_stacked,
}
