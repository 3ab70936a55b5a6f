"""extract_forms: how a document is laid out (letter, e-mail, filled form) around its scenario's facts."""

from __future__ import annotations

import datetime as dt

from bench.builders.extract_formats import TODAY, Doc, date_forms
from bench.builders.extract_scenarios import Scenario
from bench.builders.identities import Commune
from bench.builders.text import a_commune


def _identity_block(doc: Doc) -> list[str]:
    g = doc.gold
    lines = []
    name = doc.name()
    if name:
        lines.append(name)
    if g["address"]:
        lines.append(str(g["address"]))
    town = " ".join(str(g[f]) for f in ("postcode", "commune") if g[f])
    if town:
        lines.append(town)
    if g["phone"]:
        lines.append(doc.rng.choice(["Tél. : ", "Téléphone : ", "", "Portable : "]) + doc.show("phone"))
    if g["email"]:
        lines.append(doc.rng.choice(["", "Courriel : ", "Mail : "]) + doc.show("email"))
    return lines


def _self_intro(doc: Doc) -> str:
    g = doc.gold
    parts = []
    name = doc.name()
    if name:
        parts.append(f"Je soussigné{doc.e()} {name}")
    if g["birth_date"]:
        parts.append(f"né{doc.e()} le {doc.show('birth_date')}")
    where = " ".join(str(g[f]) for f in ("address",) if g[f])
    town = " ".join(str(g[f]) for f in ("postcode", "commune") if g[f])
    if where or town:
        parts.append("demeurant " + ", ".join(p for p in (where, town) if p))
    return (", ".join(parts) + ",") if parts else ""


def _writing_date(doc: Doc) -> str:
    # A distractor: the date of writing is never the gold event_date.
    when = TODAY - dt.timedelta(days=doc.rng.randrange(0, 3))
    place = f"{a_commune(str(doc.gold['commune']))}, " if doc.gold["commune"] else ""
    return f"Fait {place}le {date_forms(when)[doc.rng.randrange(2)]}"


def render_letter(scenario: Scenario, doc: Doc, recipient: Commune | None) -> str:
    rng = doc.rng
    parts = ["\n".join(_identity_block(doc))]
    if recipient is not None:
        parts.append(f"À l'attention du service compétent\n{rng.randrange(1, 90)} rue de la République\n"
                     f"{recipient.postcodes[0]} {recipient.name}")
    parts.append(f"Objet : {scenario.title.lower()}")
    parts.append(rng.choice(["Madame, Monsieur,", "Madame la Directrice, Monsieur le Directeur,"]))
    intro = _self_intro(doc)
    facts = scenario.facts(doc, True)
    parts.append(" ".join(([intro + " " + facts[0][0].lower() + facts[0][1:]] if intro else facts[:1]) + facts[1:]))
    parts.append("Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.")
    parts.append(_writing_date(doc))
    name = doc.name()
    if name:
        parts.append(name)
    return "\n\n".join(p for p in parts if p)


def render_email(scenario: Scenario, doc: Doc) -> str:
    rng = doc.rng
    g = doc.gold
    parts = [f"Objet : {scenario.title}", rng.choice(["Bonjour,", "Madame, Monsieur,", "Bonjour madame, monsieur,"])]
    facts = scenario.facts(doc, False)
    intro = []
    if g["birth_date"]:
        intro.append(f"Je suis né{doc.e()} le {doc.show('birth_date')}.")
    if g["address"]:
        town = " ".join(str(g[f]) for f in ("postcode", "commune") if g[f])
        intro.append(f"J'habite {g['address']}" + (f", {town}." if town else "."))
    elif g["commune"]:
        intro.append(f"J'habite {a_commune(str(g['commune']))}" + (f" ({g['postcode']})." if g["postcode"] else "."))
    elif g["postcode"]:
        intro.append(f"Mon code postal est le {g['postcode']}.")
    parts.append(" ".join(facts + intro))
    parts.append(rng.choice(["Cordialement,", "Bien à vous,", "Merci d'avance,"]))
    signature = [doc.name()]
    if g["phone"]:
        signature.append(doc.show("phone"))
    if g["email"] and rng.random() < 0.6:
        signature.append(doc.show("email"))
    parts.append("\n".join(s for s in signature if s))
    text = "\n\n".join(p for p in parts if p)
    if g["email"] and g["email"] not in text.lower():
        text = f"De : {g['email']}\n" + text  # the sender's address heads the message
    return text


def render_form(scenario: Scenario, doc: Doc) -> str:
    rng = doc.rng
    g = doc.gold
    empty = rng.choice(["", "—", "/", "non renseigné"])
    lines = [f"CERFA N° {scenario.cerfa}" if scenario.cerfa else "FORMULAIRE", scenario.title.upper(), ""]

    def line(label: str, field: str | None, style: int | None = None) -> None:
        if field is None:
            lines.append(f"{label} : " + rng.choice(["voir courrier joint", "RAS", "sur la voie publique"]))
        elif g[field] is None:
            if rng.random() < 0.7:  # a missing value is an empty box, or the line is not there at all
                lines.append(f"{label} : {empty}".rstrip())
        else:
            lines.append(f"{label} : {doc.show(field, style)}")

    line("Nom de naissance", "last_name")
    line("Prénom(s)", "first_name")
    line("Date de naissance", "birth_date", rng.choice([0, 5, None]))
    line("N° et voie", "address")
    line("Code postal", "postcode")
    line("Commune", "commune")
    line("Téléphone", "phone")
    line("Courriel", "email")
    for label, field in scenario.form_lines(doc):
        line(label, field)
    lines.append("")
    lines.append(_writing_date(doc) + "    Signature :")
    return "\n".join(lines)

