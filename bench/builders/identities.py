"""Synthetic people on real places: faker fr_FR names and streets, real communes, valid-but-fake numbers.

Identifiers carry valid check digits (NIR key, SIRET Luhn, IBAN mod 97 and RIB key) so that validating
extractors are tested fairly, but every digit is drawn at random: no real person is described.
Phone numbers come from the ARCEP ranges reserved for fiction and e-mails use reserved domains.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faker import Faker

from bench.builders.sources import read_member

FAKER_VERSION = "40.54.0"  # faker's output changes between releases: the pin is part of the data recipe

# Blocks the ARCEP numbering plan reserves for films and fiction (never assigned to a subscriber).
FICTION_PREFIXES = ("0199 00", "0261 91", "0353 01", "0465 71", "0536 49", "0639 98")
MAIL_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606 reserved domains
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV plates never use I, O, U


@dataclass(frozen=True)
class Commune:
    code: str  # INSEE code
    name: str
    postcodes: tuple[str, ...]
    departement: str
    population: int


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    gender: str  # "F" | "M"
    birth_date: dt.date
    street: str  # "12 bis rue des Lilas"
    postcode: str
    commune: str
    departement: str
    phone: str  # canonical digits "0639981234"
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def civility(self) -> str:
        return "Madame" if self.gender == "F" else "Monsieur"

    def agree(self, masculine: str, feminine: str) -> str:
        """French gender agreement for the writer's own words ("perdu" / "perdue")."""
        return feminine if self.gender == "F" else masculine


def parse_communes(rows: Iterable[Mapping[str, Any]]) -> list[Commune]:
    """Current communes that have a postcode, sorted by INSEE code."""
    communes = [
        Commune(str(r["code"]), str(r["nom"]), tuple(str(p) for p in r["codesPostaux"]),
                str(r.get("departement", "")), int(r.get("population") or 0))
        for r in rows
        if r.get("type") == "commune-actuelle" and r.get("codesPostaux")
    ]
    return sorted(communes, key=lambda c: c.code)


def load_communes(tarball: Path) -> list[Commune]:
    return parse_communes(json.loads(read_member(tarball, "package/data/communes.json")))


# ------------------------------------------------------------------ check digits

def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """`prefix` + the digit that makes the whole number pass Luhn."""
    return next(prefix + str(d) for d in range(10) if luhn_ok(prefix + str(d)))


def nir_key(first13: str) -> str:
    return f"{97 - int(first13) % 97:02d}"


def nir_ok(nir: str) -> bool:
    return len(nir) == 15 and nir.isdigit() and nir_key(nir[:13]) == nir[13:]


def _iban_digits(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_ok(iban: str) -> bool:
    return len(iban) == 27 and iban.startswith("FR") and _iban_digits(iban[4:] + iban[:4]) % 97 == 1


def rib_key(bank: str, branch: str, account: str) -> str:
    # Letters of the account number map to digits as in the French RIB standard.
    table = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
    acc = int(account.translate(table))
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * acc) % 97:02d}"


def make_iban(rng: random.Random) -> str:
    bank = f"{rng.randrange(10000, 99999):05d}"
    branch = f"{rng.randrange(0, 99999):05d}"
    account = f"{rng.randrange(0, 10**11):011d}"
    bban = bank + branch + account + rib_key(bank, branch, account)
    check = 98 - _iban_digits(bban + "FR00") % 97
    return f"FR{check:02d}{bban}"


def make_siret(rng: random.Random) -> str:
    siren = luhn_complete(f"{rng.randrange(10**7, 10**8):08d}")
    return luhn_complete(siren + f"{rng.randrange(1, 999):04d}")


def make_nir(rng: random.Random, person: Person) -> str:
    """Sex, birth year and month consistent with the person; place and order numbers random."""
    sex = "2" if person.gender == "F" else "1"
    dept = person.departement if person.departement.isdigit() and len(person.departement) == 2 else "75"
    first13 = (sex + f"{person.birth_date.year % 100:02d}{person.birth_date.month:02d}" + dept
               + f"{rng.randrange(1, 990):03d}{rng.randrange(1, 999):03d}")
    return first13 + nir_key(first13)


def make_plate(rng: random.Random) -> str:
    def letters() -> str:
        while True:
            pair = "".join(rng.choice(PLATE_LETTERS) for _ in range(2))
            if pair not in ("SS", "WW"):
                return pair

    return f"{letters()}-{rng.randrange(1, 1000):03d}-{letters()}"


def make_phone(rng: random.Random) -> str:
    return rng.choice(FICTION_PREFIXES).replace(" ", "") + f"{rng.randrange(0, 10000):04d}"


# ------------------------------------------------------------------ people

_STREET_TYPES = ("rue", "avenue", "boulevard", "place", "impasse", "allée", "chemin", "route", "quai")
_EXTENSIONS = ("", "", "", "", "", "", "bis", "ter")


def _ascii_slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class IdentityFactory:
    """Deterministic people: the same seed and communes give the same sequence of people."""

    def __init__(self, seed: int, communes: Sequence[Commune]) -> None:
        if not communes:
            raise ValueError("at least one commune is needed")
        self.rng = random.Random(seed)
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(seed)
        self.communes = list(communes)
        # Mostly towns where people live: weight by sqrt(population), so villages still appear.
        self.weights = [max(c.population, 1) ** 0.5 for c in self.communes]

    def commune(self) -> tuple[Commune, str]:
        commune = self.rng.choices(self.communes, weights=self.weights, k=1)[0]
        return commune, self.rng.choice(commune.postcodes)

    def street(self) -> str:
        number = self.rng.randrange(1, 180)
        ext = self.rng.choice(_EXTENSIONS)
        kind = self.rng.choice(_STREET_TYPES)
        name = self.faker.street_name().split(" ", 1)[-1]  # faker's street type is dropped for ours
        return f"{number}{' ' + ext if ext else ''} {kind} {name}"

    def person(self, min_age: int = 18, max_age: int = 85, today: dt.date = dt.date(2024, 6, 1)) -> Person:
        gender = self.rng.choice("FM")
        first = self.faker.first_name_female() if gender == "F" else self.faker.first_name_male()
        last = self.faker.last_name()
        age_days = self.rng.randrange(min_age * 365 + 1, max_age * 365)
        birth = today - dt.timedelta(days=age_days)
        commune, postcode = self.commune()
        local = self.rng.choice([
            f"{_ascii_slug(first)}.{_ascii_slug(last)}", f"{_ascii_slug(first)[0]}{_ascii_slug(last)}",
            f"{_ascii_slug(last)}.{_ascii_slug(first)}{self.rng.randrange(1, 99)}",
            f"{_ascii_slug(first)}{birth.year % 100:02d}",
        ])
        return Person(first, last, gender, birth, self.street(), postcode, commune.name,
                      commune.departement, make_phone(self.rng), f"{local}@{self.rng.choice(MAIL_DOMAINS)}")
