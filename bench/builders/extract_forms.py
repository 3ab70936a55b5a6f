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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.builders.common import SPLITS, Row, Splits, markdown_table
from bench.builders.identities import (
    Commune,
    IdentityFactory,
    Person,
    make_iban,
    make_nir,
    make_plate,
    make_siret,
)
from bench.builders.text import a_commune

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("last_name", "text", "Nom de famille (ou de naissance) de la personne qui écrit ou qui est concernée"),
    ("first_name", "text", "Prénom de cette personne"),
    ("birth_date", "date", "Date de naissance de cette personne"),
    ("address", "text", "Adresse postale : numéro et voie, sans code postal ni commune"),
    ("postcode", "postcode", "Code postal de l'adresse de la personne"),
    ("commune", "text", "Commune de l'adresse de la personne"),
    ("phone", "phone", "Numéro de téléphone de la personne"),
    ("email", "email", "Adresse électronique de la personne"),
    ("nir", "nir", "Numéro de sécurité sociale (NIR, 15 chiffres avec la clé)"),
    ("siret", "siret", "Numéro SIRET (14 chiffres) de l'entreprise ou de l'association"),
    ("iban", "iban", "IBAN du compte bancaire"),
    ("plate", "plate", "Numéro d'immatriculation du véhicule"),
    ("event_date", "date", "Date de l'événement dont il est question (perte, vol, infraction, cession, "
                           "début d'activité, paiement…), pas la date de rédaction"),
    ("amount", "amount", "Montant en euros dont il est question"),
    ("case_reference", "reference", "Référence du dossier, de l'avis ou de l'allocataire cité dans le document"),
)
FIELD_NAMES = tuple(name for name, _, _ in FIELDS)
FIELD_TYPES = {name: kind for name, kind, _ in FIELDS}
DOC_TYPES = ("letter", "form", "email")
SIZES = {"train": 100, "dev": 40, "test": 200}
TODAY = dt.date(2024, 6, 1)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


# ------------------------------------------------------------------ surface forms

def date_forms(value: dt.date) -> list[str]:
    """Every way a date may be written in these documents (the first is the most common)."""
    day = "1er" if value.day == 1 else str(value.day)
    forms = [
        f"{value.day:02d}/{value.month:02d}/{value.year}", f"{day} {MONTHS[value.month - 1]} {value.year}",
        f"{value.day}/{value.month}/{value.year}", f"{value.day:02d}.{value.month:02d}.{value.year}",
        f"{value.day:02d}-{value.month:02d}-{value.year}",
        f"{value.day:02d} | {value.month:02d} | {value.year}",
    ]
    if value.year >= 1970:  # two-digit years only where the century is not in doubt
        forms.append(f"{value.day:02d}/{value.month:02d}/{value.year % 100:02d}")
    return forms


def amount_forms(cents: int) -> list[str]:
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", " ")
    dotted = f"{euros:,}".replace(",", ".")
    forms = [f"{grouped},{rest:02d} €", f"{dotted},{rest:02d} EUR", f"{euros},{rest:02d}€",
             f"{grouped},{rest:02d} euros"]
    if rest == 0:
        forms += [f"{grouped} €", f"{grouped} euros", f"{euros}€"]
    return forms


def phone_forms(digits: str) -> list[str]:
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    return [" ".join(pairs), ".".join(pairs), digits, "+33 " + digits[1] + " " + " ".join(pairs[1:]),
            "+33 (0)" + digits[1] + " " + " ".join(pairs[1:]), "-".join(pairs), "+33" + digits[1:]]


def nir_forms(nir: str) -> list[str]:
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    return [spaced, nir, f"{nir[:13]} {nir[13:]}"]


def siret_forms(siret: str) -> list[str]:
    return [f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}", siret, f"{siret[:9]} {siret[9:]}"]


def iban_forms(iban: str) -> list[str]:
    return [" ".join(iban[i:i + 4] for i in range(0, len(iban), 4)), iban]


def plate_forms(plate: str) -> list[str]:
    return [plate, plate.replace("-", " "), plate.replace("-", ""), plate.lower()]


SURFACES: dict[str, Callable[..., list[str]]] = {
    "date": date_forms, "amount": amount_forms, "phone": phone_forms, "nir": nir_forms,
    "siret": siret_forms, "iban": iban_forms, "plate": plate_forms,
}


def surface_forms(field: str, gold: str) -> list[str]:
    """All surface forms of a gold value (used by the builder and by the tests' invariants)."""
    kind = FIELD_TYPES[field]
    if kind == "date":
        return date_forms(dt.date.fromisoformat(gold))
    if kind == "amount":
        return amount_forms(round(float(gold) * 100))
    if kind in SURFACES:
        return SURFACES[kind](gold)
    if kind == "email":
        return [gold, gold.capitalize()]
    if kind == "reference":
        return [gold]
    forms = [gold, gold.upper()]
    if field == "commune" and gold.startswith(("Le ", "Les ")):
        forms.append(gold.split(" ", 1)[1])  # "au Havre", "aux Lilas"
    return forms


# ------------------------------------------------------------------ one document

@dataclass
class Doc:
    """Gold values and the surface each one takes in this document."""

    rng: random.Random
    gold: dict[str, str | None]
    feminine: bool = False
    written_reference: str | None = None  # "24-92532" as printed; the gold is "2492532"

    def e(self) -> str:
        """The feminine ending of the writer's participles ("né" / "née")."""
        return "e" if self.feminine else ""

    def name(self) -> str:
        """"Marie Dupont", or "Mme Dupont" when the first name is not given."""
        first, last = self.gold["first_name"], self.gold["last_name"]
        if first and last:
            return f"{first} {last}"
        if last:
            return ("Mme " if self.feminine else "M. ") + last
        return first or ""

    def has(self, field: str) -> bool:
        return self.gold.get(field) is not None

    def show(self, field: str, style: int | None = None) -> str:
        value = self.gold[field]
        assert value is not None
        if FIELD_TYPES[field] in ("text", "postcode"):
            return value  # names and places are written exactly as the gold records them
        if field == "case_reference":
            return self.written_reference or value
        forms = surface_forms(field, value)
        if style is not None:
            return forms[min(style, len(forms) - 1)]
        # The first form is the usual one; others appear in about half of the documents.
        return forms[0] if self.rng.random() < 0.5 else self.rng.choice(forms)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str  # form title or letter subject
    cerfa: str | None
    fields: tuple[str, ...]  # fields this kind of document carries
    optional: tuple[str, ...]  # among them, those often left out
    doc_types: tuple[str, ...]
    facts: Callable[[Doc, bool], list[str]]  # sentences (letter/e-mail) about the case
    form_lines: Callable[[Doc], list[tuple[str, str | None]]]  # (label, field) lines specific to the form


def _d(doc: Doc, field: str, formal: bool) -> str:
    """A date in running text: "le 3 mars 2024" or "le 03/03/2024"."""
    return "le " + doc.show(field)


def _facts_loss(doc: Doc, formal: bool) -> list[str]:
    item = doc.rng.choice(["ma carte nationale d'identité", "mon passeport"])
    out = [f"Je vous informe avoir perdu {item}" + (f" {_d(doc, 'event_date', formal)}" if doc.has("event_date")
                                                    else "") + ", probablement lors d'un déplacement."]
    out.append("Je souhaite déclarer cette perte et demander le renouvellement du titre.")
    return out


def _facts_doctor(doc: Doc, formal: bool) -> list[str]:
    out = ["Je vous informe que j'ai choisi un nouveau médecin traitant et vous transmets la déclaration "
           "correspondante."]
    if doc.has("nir"):
        out.append(f"Mon numéro de sécurité sociale est le {doc.show('nir')}.")
    if doc.has("event_date"):
        out.append(f"Le changement a pris effet {_d(doc, 'event_date', formal)}.")
    return out


def _facts_registration(doc: Doc, formal: bool) -> list[str]:
    out = ["Je sollicite l'établissement du certificat d'immatriculation du véhicule d'occasion que je viens "
           "d'acquérir."]
    if doc.has("plate"):
        out.append(f"Il s'agit du véhicule immatriculé {doc.show('plate')}.")
    if doc.has("event_date"):
        out.append(f"La vente a eu lieu {_d(doc, 'event_date', formal)}.")
    if doc.has("siret"):
        out.append(f"Le vendeur est un professionnel (SIRET {doc.show('siret')}).")
    return out


def _facts_theft(doc: Doc, formal: bool) -> list[str]:
    out = ["Je déclare le vol de mon véhicule"
           + (f" immatriculé {doc.show('plate')}" if doc.has("plate") else "")
           + (f", constaté {_d(doc, 'event_date', formal)} au matin" if doc.has("event_date") else "") + "."]
    out.append("Le véhicule était stationné devant mon domicile.")
    if doc.has("case_reference"):
        out.append(f"Une plainte a été enregistrée sous le numéro {doc.show('case_reference')}.")
    return out


def _facts_association(doc: Doc, formal: bool) -> list[str]:
    out = [f"En qualité de président{doc.e()} de l'association, je vous transmets la déclaration de modification de "
           "ses statuts."]
    if doc.has("event_date"):
        out.append(f"L'assemblée générale s'est tenue {_d(doc, 'event_date', formal)}.")
    if doc.has("case_reference"):
        out.append(f"L'association est enregistrée sous le numéro RNA {doc.show('case_reference')}.")
    if doc.has("siret"):
        out.append(f"Son numéro SIRET est le {doc.show('siret')}.")
    return out


def _facts_fine(doc: Doc, formal: bool) -> list[str]:
    out = ["Je conteste l'avis de contravention que j'ai reçu"
           + (f" (avis n° {doc.show('case_reference')})" if doc.has("case_reference") else "") + "."]
    bits = []
    if doc.has("event_date"):
        bits.append(f"l'infraction aurait été commise {_d(doc, 'event_date', formal)}")
    if doc.has("plate"):
        bits.append(f"par le véhicule {doc.show('plate')}")
    if bits:
        out.append("Selon cet avis, " + " ".join(bits) + ", or je n'étais pas au volant à ce moment-là.")
    if doc.has("amount"):
        out.append(f"L'amende s'élève à {doc.show('amount')} et je demande son annulation.")
    return out


def _facts_bank(doc: Doc, formal: bool) -> list[str]:
    out = ["Je vous informe du changement de mes coordonnées bancaires."]
    if doc.has("case_reference"):
        out.append(f"Mon numéro d'allocataire est le {doc.show('case_reference')}.")
    if doc.has("iban"):
        out.append(f"Merci de verser désormais mes prestations sur le compte IBAN {doc.show('iban')}.")
    if doc.has("event_date"):
        out.append(f"Ce nouveau compte est ouvert depuis {_d(doc, 'event_date', formal)}.")
    return out


def _facts_refund(doc: Doc, formal: bool) -> list[str]:
    out = ["Je sollicite le remboursement d'une somme versée en double."]
    if doc.has("amount"):
        out.append(f"J'ai réglé {doc.show('amount')}"
                   + (f" {_d(doc, 'event_date', formal)}" if doc.has("event_date") else "")
                   + " alors que ce paiement avait déjà été effectué.")
    elif doc.has("event_date"):
        out.append(f"Le paiement a été effectué {_d(doc, 'event_date', formal)}.")
    if doc.has("case_reference"):
        out.append(f"Mon dossier porte la référence {doc.show('case_reference')}.")
    if doc.has("iban"):
        out.append(f"Vous pouvez effectuer le virement sur le compte {doc.show('iban')}.")
    return out


def _facts_business(doc: Doc, formal: bool) -> list[str]:
    out = ["Je suis micro-entrepreneur et j'ai une question sur mes cotisations."]
    if doc.has("event_date"):
        out.append(f"J'ai commencé mon activité {_d(doc, 'event_date', formal)}.")
    if doc.has("siret"):
        out.append(f"Mon SIRET : {doc.show('siret')}.")
    if doc.has("amount"):
        out.append(f"On me réclame {doc.show('amount')} de cotisations, ce qui me paraît trop élevé pour mon "
                   "chiffre d'affaires.")
    return out


def _facts_accident(doc: Doc, formal: bool) -> list[str]:
    out = ["Je vous adresse la déclaration de l'accident du travail dont j'ai été victime"
           + (f" {_d(doc, 'event_date', formal)}" if doc.has("event_date") else "") + "."]
    if doc.has("nir"):
        out.append(f"N° de sécurité sociale : {doc.show('nir')}.")
    if doc.has("siret"):
        out.append(f"Mon employeur est immatriculé sous le SIRET {doc.show('siret')}.")
    return out


def _lines(*pairs: tuple[str, str | None]) -> Callable[[Doc], list[tuple[str, str | None]]]:
    return lambda doc: list(pairs)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("loss_id", "Déclaration de perte d'une carte nationale d'identité ou d'un passeport", "14011*03",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "phone", "email",
              "event_date"), ("phone", "email", "event_date", "birth_date"), ("form", "letter"),
             _facts_loss, _lines(("Date de la perte", "event_date"), ("Circonstances", None))),
    Scenario("doctor", "Déclaration de choix du médecin traitant", "12485*03",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "nir", "event_date",
              "phone"), ("phone", "event_date", "address"), ("form", "letter"),
             _facts_doctor, _lines(("N° d'immatriculation de l'assuré(e)", "nir"),
                                   ("Date de la déclaration", "event_date"))),
    Scenario("registration", "Demande de certificat d'immatriculation d'un véhicule", "13749*05",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "phone", "email",
              "plate", "event_date", "siret"), ("siret", "phone", "email", "birth_date"),
             ("form", "letter", "email"), _facts_registration,
             _lines(("Numéro d'immatriculation (A)", "plate"), ("Date de la vente", "event_date"),
                    ("N° SIRET du vendeur", "siret"))),
    Scenario("theft", "Déclaration de vol ou de disparition d'un véhicule", "13753*04",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "plate", "event_date",
              "case_reference", "phone"), ("case_reference", "birth_date", "phone"), ("form", "letter"),
             _facts_theft, _lines(("Immatriculation", "plate"), ("Date de la disparition", "event_date"),
                                  ("N° de plainte", "case_reference"))),
    Scenario("association", "Déclaration de modification d'une association", "13969*01",
             ("last_name", "first_name", "address", "postcode", "commune", "siret", "event_date",
              "case_reference", "email"), ("siret", "email", "event_date"), ("form", "letter", "email"),
             _facts_association, _lines(("N° RNA (Waldec)", "case_reference"), ("N° SIREN/SIRET", "siret"),
                                        ("Date de l'assemblée", "event_date"))),
    Scenario("fine", "Contestation d'un avis de contravention", None,
             ("last_name", "first_name", "address", "postcode", "commune", "plate", "event_date", "amount",
              "case_reference", "email"), ("email", "amount", "address", "first_name"), ("letter", "email"),
             _facts_fine, _lines()),
    Scenario("bank", "Changement de coordonnées bancaires", None,
             ("last_name", "first_name", "address", "postcode", "commune", "iban", "case_reference", "phone",
              "email", "event_date"), ("phone", "email", "event_date", "address", "first_name"), ("letter", "email"),
             _facts_bank, _lines()),
    Scenario("refund", "Demande de remboursement", None,
             ("last_name", "first_name", "address", "postcode", "commune", "amount", "event_date",
              "case_reference", "iban", "phone"), ("iban", "phone", "event_date", "first_name"), ("letter", "email"),
             _facts_refund, _lines()),
    Scenario("business", "Question sur les cotisations d'un micro-entrepreneur", None,
             ("last_name", "first_name", "siret", "amount", "event_date", "phone", "email", "commune",
              "postcode"), ("phone", "email", "event_date", "commune", "postcode", "first_name"), ("email", "letter"),
             _facts_business, _lines()),
    Scenario("accident", "Déclaration d'accident du travail", None,
             ("last_name", "first_name", "birth_date", "nir", "address", "postcode", "commune", "event_date",
              "siret", "phone"), ("siret", "phone", "birth_date"), ("letter", "form"),
             _facts_accident, _lines(("N° de sécurité sociale", "nir"), ("Date de l'accident", "event_date"),
                                     ("SIRET de l'employeur", "siret"))),
)
DROP_RATE = 0.3  # chance that an optional field is left out of a document


def _reference(scenario: str, rng: random.Random) -> str:
    if scenario == "association":
        return "W" + "".join(str(rng.randrange(10)) for _ in range(9))  # RNA / Waldec, as in CERFA 13969
    if scenario == "fine":
        return "".join(str(rng.randrange(10)) for _ in range(10))
    if scenario == "bank":
        return str(rng.randrange(1000000, 9999999))
    if scenario == "theft":
        return f"{TODAY.year}/{rng.randrange(1, 99999):05d}"
    return rng.choice([f"{rng.choice('ABCDEFGH')}{rng.randrange(100000, 999999)}",
                       f"{TODAY.year % 100}-{rng.randrange(1000, 99999)}", f"DOS{rng.randrange(10**6, 10**7)}"])


def _amount(scenario: str, rng: random.Random) -> str:
    if scenario == "fine":  # the usual classes of traffic fines, sometimes with the increased rate
        return f"{rng.choice([35, 45, 68, 90, 135, 180, 375]):.2f}"
    if scenario == "business":
        return f"{rng.randrange(5000, 900000) / 100:.2f}"
    cents = rng.choice([0, 0, 50, rng.randrange(1, 100)])
    return f"{rng.randrange(15, 3000)}.{cents:02d}"


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
        "amount": _amount(scenario.key, rng),
        "case_reference": _reference(scenario.key, rng),  # as written; the gold keeps letters and digits
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
