"""extract_forms: the fields, the surface forms their values take in text, and one document being written.

Dates, amounts and phone numbers are written in *format families*; each family belongs to one split group
(GROUPS: "fit" for train and dev, "test" for test) and no format of one group is a format of the other, so a
test document never writes a date, an amount or a phone number the way a train or dev document does.
Identifiers with one official spelling (NIR, SIRET, IBAN, plate) keep the same variants in both groups.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

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
GROUPS = ("fit", "test")  # template groups: train and dev draw from "fit", test from "test"
GROUP_OF_SPLIT = {"train": "fit", "dev": "fit", "test": "test"}
TODAY = dt.date(2024, 6, 1)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


# ------------------------------------------------------------------ formats

def _month_name(d: dt.date) -> str:
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


# Every date format; a format returns None where it does not apply (role "birth", "event" or "writing").
DATE_FORMATS: dict[str, Callable[[dt.date, str], str | None]] = {
    "dd/mm/yyyy": lambda d, role: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "d/m/yyyy": lambda d, role: f"{d.day}/{d.month}/{d.year}",
    "dd.mm.yyyy": lambda d, role: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "dd | mm | yyyy": lambda d, role: None if role == "writing" else f"{d.day:02d} | {d.month:02d} | {d.year}",
    "d month yyyy": lambda d, role: _month_name(d),
    "weekday d month yyyy": lambda d, role: None if role == "birth" else f"{WEEKDAYS[d.weekday()]} {_month_name(d)}",
    "dd-mm-yyyy": lambda d, role: f"{d.day:02d}-{d.month:02d}-{d.year}",
    # Two-digit years only where the century is not in doubt.
    "dd/mm/yy": lambda d, role: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}" if d.year >= 1970 else None,
    "yyyy-mm-dd": lambda d, role: d.isoformat(),
}


def _amount_parts(cents: int) -> tuple[int, int, str, str]:
    euros, rest = divmod(cents, 100)
    return euros, rest, f"{euros:,}".replace(",", " "), f"{euros:,}".replace(",", ".")


def _round(text: str, cents: int) -> str | None:
    return text if cents % 100 == 0 else None


AMOUNT_FORMATS: dict[str, Callable[[int], str | None]] = {
    "1 250,00 €": lambda c: f"{_amount_parts(c)[2]},{c % 100:02d} €",
    "1250,00€": lambda c: f"{c // 100},{c % 100:02d}€",
    "1 250 €": lambda c: _round(f"{_amount_parts(c)[2]} €", c),
    "1250€": lambda c: _round(f"{c // 100}€", c),
    "1 250,00 euros": lambda c: f"{_amount_parts(c)[2]},{c % 100:02d} euros",
    "1 250 euros": lambda c: _round(f"{_amount_parts(c)[2]} euros", c),
    "1.250,00 EUR": lambda c: f"{_amount_parts(c)[3]},{c % 100:02d} EUR",
    "1 250,00 EUR": lambda c: f"{_amount_parts(c)[2]},{c % 100:02d} EUR",
    "EUR 1 250,00": lambda c: f"EUR {_amount_parts(c)[2]},{c % 100:02d}",
    "1250.00 €": lambda c: f"{c // 100}.{c % 100:02d} €",
}


def _pairs(digits: str) -> list[str]:
    return [digits[i:i + 2] for i in range(0, 10, 2)]


PHONE_FORMATS: dict[str, Callable[[str], str]] = {
    "06 12 34 56 78": lambda p: " ".join(_pairs(p)),
    "06.12.34.56.78": lambda p: ".".join(_pairs(p)),
    "0612345678": lambda p: p,
    "+33 6 12 34 56 78": lambda p: "+33 " + p[1] + " " + " ".join(_pairs(p)[1:]),
    "+33 (0)6 12 34 56 78": lambda p: "+33 (0)" + p[1] + " " + " ".join(_pairs(p)[1:]),
    "+33612345678": lambda p: "+33" + p[1:],
    "06-12-34-56-78": lambda p: "-".join(_pairs(p)),
}

# group -> family -> formats, the usual one first (a family's later formats also stand in where it does not
# apply, e.g. a weekday for a birth date). doc types limit where a family is used (None: everywhere).
DATE_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "fit": {"date.slash": ("dd/mm/yyyy", "d/m/yyyy"), "date.dotted": ("dd.mm.yyyy",),
            "date.boxes": ("dd | mm | yyyy", "dd/mm/yyyy")},
    "test": {"date.month_name": ("d month yyyy",), "date.weekday": ("weekday d month yyyy", "d month yyyy"),
             "date.dashed": ("dd-mm-yyyy",), "date.short_year": ("dd/mm/yy", "dd-mm-yyyy"),
             "date.iso": ("yyyy-mm-dd",)},
}
AMOUNT_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "fit": {"amount.euro_sign": ("1 250,00 €", "1250,00€", "1 250 €", "1250€"),
            "amount.euros_word": ("1 250,00 euros", "1 250 euros")},
    "test": {"amount.eur_code": ("1.250,00 EUR", "1 250,00 EUR"), "amount.eur_prefix": ("EUR 1 250,00",),
             "amount.decimal_point": ("1250.00 €",)},
}
PHONE_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "fit": {"phone.spaced": ("06 12 34 56 78",), "phone.dotted": ("06.12.34.56.78",),
            "phone.compact": ("0612345678",)},
    "test": {"phone.international": ("+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "+33612345678"),
             "phone.dashed": ("06-12-34-56-78",)},
}
FAMILY_DOC_TYPES: dict[str, tuple[str, ...]] = {
    "date.boxes": ("form",), "date.weekday": ("letter", "email"), "date.iso": ("form",),
}
SURFACE_FAMILIES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "date": DATE_FAMILIES, "amount": AMOUNT_FAMILIES, "phone": PHONE_FAMILIES,
}


def families_for(kind: str, group: str, doc_type: str) -> list[str]:
    """The families of `kind` (date, amount, phone) a document of `doc_type` in `group` may use."""
    return [name for name in SURFACE_FAMILIES[kind][group] if doc_type in FAMILY_DOC_TYPES.get(name, DOC_TYPES)]


def _formatted(kind: str, fmt: str, gold: str, role: str = "event") -> str | None:
    if kind == "date":
        return DATE_FORMATS[fmt](dt.date.fromisoformat(gold), role)
    if kind == "amount":
        return AMOUNT_FORMATS[fmt](round(float(gold) * 100))
    return PHONE_FORMATS[fmt](gold)


def group_forms(field_name: str, gold: str, group: str) -> list[str]:
    """Every way the documents of `group` may write this date, amount or phone value."""
    kind = FIELD_TYPES[field_name]
    formats = {fmt for family in SURFACE_FAMILIES[kind][group].values() for fmt in family}
    forms = (_formatted(kind, fmt, gold, role) for fmt in sorted(formats) for role in ("birth", "event"))
    return sorted({f for f in forms if f is not None})


def _identifier_forms(kind: str, value: str) -> list[str]:
    if kind == "nir":
        spaced = " ".join((value[0], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:]))
        return [spaced, value, f"{value[:13]} {value[13:]}"]
    if kind == "siret":
        return [f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}", value, f"{value[:9]} {value[9:]}"]
    if kind == "iban":
        return [" ".join(value[i:i + 4] for i in range(0, len(value), 4)), value]
    return [value, value.replace("-", " "), value.replace("-", ""), value.lower()]  # plate


def surface_forms(field_name: str, gold: str) -> list[str]:
    """All surface forms of a gold value in either group (used by the builder and by the tests' invariants)."""
    kind = FIELD_TYPES[field_name]
    if kind in SURFACE_FAMILIES:
        return sorted({f for group in GROUPS for f in group_forms(field_name, gold, group)})
    if kind in ("nir", "siret", "iban", "plate"):
        return _identifier_forms(kind, gold)
    if kind == "email":
        return [gold, gold.capitalize()]
    if kind == "reference":
        return [gold]
    forms = [gold, gold.upper()]
    if field_name == "commune" and gold.startswith(("Le ", "Les ")):
        forms.append(gold.split(" ", 1)[1])  # "au Havre", "aux Lilas"
    return forms


# ------------------------------------------------------------------ one document

@dataclass
class Doc:
    """Gold values, the template group, and the template families this document has used so far."""

    rng: random.Random
    gold: dict[str, str | None]
    group: str  # "fit" (train, dev) or "test"
    doc_type: str
    feminine: bool = False
    written_reference: str | None = None  # "24-92532" as printed; the gold is "2492532"
    families: dict[str, str] = field(default_factory=dict)  # dimension -> family used

    def pick(self, dimension: str, options: Sequence[str] | Mapping[str, object]) -> str:
        """The family of `dimension` for this document: drawn once among `options`, then recorded."""
        if dimension not in self.families:
            self.families[dimension] = self.rng.choice(list(options))
        return self.families[dimension]

    def note(self, dimension: str, family: str) -> str:
        self.families[dimension] = family
        return family

    def e(self) -> str:
        """The feminine ending of the writer's participles ("né" / "née")."""
        return "e" if self.feminine else ""

    def name(self, caps: bool = False) -> str:
        """"Marie Dupont" ("Marie DUPONT" with caps), or "Mme Dupont" when the first name is not given."""
        first, last = self.gold["first_name"], self.gold["last_name"]
        if last and caps:
            last = last.upper()
        if first and last:
            return f"{first} {last}"
        if last:
            return ("Mme " if self.feminine else "M. ") + last
        return first or ""

    def has(self, name: str) -> bool:
        return self.gold.get(name) is not None

    def _in_family(self, kind: str, gold: str, role: str) -> str:
        family = self.pick(kind, families_for(kind, self.group, self.doc_type))
        options = [f for fmt in SURFACE_FAMILIES[kind][self.group][family]
                   if (f := _formatted(kind, fmt, gold, role)) is not None]
        # The family's first applicable format is the usual one; the others appear in some documents.
        return options[0] if self.rng.random() < 0.6 else self.rng.choice(options)

    def date(self, value: dt.date, role: str = "writing") -> str:
        """A date that is not a gold field (the date of writing), in this document's date family."""
        return self._in_family("date", value.isoformat(), role)

    def show(self, name: str) -> str:
        value = self.gold[name]
        assert value is not None
        kind = FIELD_TYPES[name]
        if kind in ("text", "postcode"):
            return value  # names and places are written exactly as the gold records them
        if name == "case_reference":
            return self.written_reference or value
        if kind in SURFACE_FAMILIES:
            return self._in_family(kind, value, "birth" if name == "birth_date" else "event")
        forms = surface_forms(name, value)
        return forms[0] if self.rng.random() < 0.5 else self.rng.choice(forms)
