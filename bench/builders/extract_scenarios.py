"""extract_forms: the scenarios (CERFA forms and everyday letters), their fact sentences and form lines."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.builders.extract_formats import TODAY, Doc


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

