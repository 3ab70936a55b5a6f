"""extract_forms: the scenarios (CERFA forms and everyday letters), their fields, wordings and form lines.

Every scenario exists in both template groups: the same case told with the group's sentences (see
extract_facts) and, on a form, under the group's labels.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.builders import extract_facts as facts
from bench.builders.extract_formats import TODAY, Doc

FormLine = tuple[str, str | None]  # (label, field); a None field is a line that holds no gold value
FACT_FAMILIES = {"fit": "facts.declarative", "test": "facts.narrative"}
CASE_LABEL_FAMILIES = {"fit": "case_labels.official", "test": "case_labels.plain"}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str  # form title or letter subject
    cerfa: str | None
    fields: tuple[str, ...]  # fields this kind of document carries
    optional: tuple[str, ...]  # among them, those often left out
    doc_types: tuple[str, ...]
    declarative: Callable[[Doc], list[str]]  # sentences about the case, fit group
    narrative: Callable[[Doc], list[str]]  # the same case in the test group's wording
    official_lines: tuple[FormLine, ...] = ()  # lines specific to the form, fit group
    plain_lines: tuple[FormLine, ...] = ()  # the same lines under the test group's labels

    def facts(self, doc: Doc) -> list[str]:
        doc.note("facts", FACT_FAMILIES[doc.group])
        return (self.declarative if doc.group == "fit" else self.narrative)(doc)

    def form_lines(self, doc: Doc) -> list[FormLine]:
        if self.official_lines:
            doc.note("case_labels", CASE_LABEL_FAMILIES[doc.group])
        return list(self.official_lines if doc.group == "fit" else self.plain_lines)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("loss_id", "Déclaration de perte d'une carte nationale d'identité ou d'un passeport", "14011*03",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "phone", "email",
              "event_date"), ("phone", "email", "event_date", "birth_date"), ("form", "letter"),
             facts.declarative_loss, facts.narrative_loss,
             (("Date de la perte", "event_date"), ("Circonstances", None)),
             (("Perdu(e) depuis le", "event_date"), ("Où et comment", None))),
    Scenario("doctor", "Déclaration de choix du médecin traitant", "12485*03",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "nir", "event_date",
              "phone"), ("phone", "event_date", "address"), ("form", "letter"),
             facts.declarative_doctor, facts.narrative_doctor,
             (("N° d'immatriculation de l'assuré(e)", "nir"), ("Date de la déclaration", "event_date")),
             (("NIR (15 chiffres)", "nir"), ("Médecin choisi à compter du", "event_date"))),
    Scenario("registration", "Demande de certificat d'immatriculation d'un véhicule", "13749*05",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "phone", "email",
              "plate", "event_date", "siret"), ("siret", "phone", "email", "birth_date"),
             ("form", "letter", "email"), facts.declarative_registration, facts.narrative_registration,
             (("Numéro d'immatriculation (A)", "plate"), ("Date de la vente", "event_date"),
              ("N° SIRET du vendeur", "siret")),
             (("Plaque du véhicule", "plate"), ("Acheté le", "event_date"), ("Vendeur professionnel, SIRET", "siret"))),
    Scenario("theft", "Déclaration de vol ou de disparition d'un véhicule", "13753*04",
             ("last_name", "first_name", "birth_date", "address", "postcode", "commune", "plate", "event_date",
              "case_reference", "phone"), ("case_reference", "birth_date", "phone"), ("form", "letter"),
             facts.declarative_theft, facts.narrative_theft,
             (("Immatriculation", "plate"), ("Date de la disparition", "event_date"),
              ("N° de plainte", "case_reference")),
             (("Plaque", "plate"), ("Vol constaté le", "event_date"), ("Récépissé de plainte", "case_reference"))),
    Scenario("association", "Déclaration de modification d'une association", "13969*01",
             ("last_name", "first_name", "address", "postcode", "commune", "siret", "event_date",
              "case_reference", "email"), ("siret", "email", "event_date"), ("form", "letter", "email"),
             facts.declarative_association, facts.narrative_association,
             (("N° RNA (Waldec)", "case_reference"), ("N° SIREN/SIRET", "siret"),
              ("Date de l'assemblée", "event_date")),
             (("Identifiant au répertoire des associations", "case_reference"), ("SIRET de l'association", "siret"),
              ("Assemblée réunie le", "event_date"))),
    Scenario("fine", "Contestation d'un avis de contravention", None,
             ("last_name", "first_name", "address", "postcode", "commune", "plate", "event_date", "amount",
              "case_reference", "email"), ("email", "amount", "address", "first_name"), ("letter", "email"),
             facts.declarative_fine, facts.narrative_fine),
    Scenario("bank", "Changement de coordonnées bancaires", None,
             ("last_name", "first_name", "address", "postcode", "commune", "iban", "case_reference", "phone",
              "email", "event_date"), ("phone", "email", "event_date", "address", "first_name"), ("letter", "email"),
             facts.declarative_bank, facts.narrative_bank),
    Scenario("refund", "Demande de remboursement", None,
             ("last_name", "first_name", "address", "postcode", "commune", "amount", "event_date",
              "case_reference", "iban", "phone"), ("iban", "phone", "event_date", "first_name"), ("letter", "email"),
             facts.declarative_refund, facts.narrative_refund),
    Scenario("business", "Question sur les cotisations d'un micro-entrepreneur", None,
             ("last_name", "first_name", "siret", "amount", "event_date", "phone", "email", "commune",
              "postcode"), ("phone", "email", "event_date", "commune", "postcode", "first_name"), ("email", "letter"),
             facts.declarative_business, facts.narrative_business),
    Scenario("accident", "Déclaration d'accident du travail", None,
             ("last_name", "first_name", "birth_date", "nir", "address", "postcode", "commune", "event_date",
              "siret", "phone"), ("siret", "phone", "birth_date"), ("letter", "form"),
             facts.declarative_accident, facts.narrative_accident,
             (("N° de sécurité sociale", "nir"), ("Date de l'accident", "event_date"),
              ("SIRET de l'employeur", "siret")),
             (("Matricule sécurité sociale", "nir"), ("Accident survenu le", "event_date"),
              ("Employeur (SIRET)", "siret"))),
)


def reference_value(scenario: str, rng: random.Random) -> str:
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


def amount_value(scenario: str, rng: random.Random) -> str:
    if scenario == "fine":  # the usual classes of traffic fines, sometimes with the increased rate
        return f"{rng.choice([35, 45, 68, 90, 135, 180, 375]):.2f}"
    if scenario == "business":
        return f"{rng.randrange(5000, 900000) / 100:.2f}"
    cents = rng.choice([0, 0, 50, rng.randrange(1, 100)])
    return f"{rng.randrange(15, 3000)}.{cents:02d}"
