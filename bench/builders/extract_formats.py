"""extract_forms: the fields, the surface forms their values take in text, and one document being written."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

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

