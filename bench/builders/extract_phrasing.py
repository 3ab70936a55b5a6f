"""extract_forms: the template families around the facts, each owned by one group ("fit" or "test").

Self-introductions, salutations, date lines, addressees, form labels and field orders. A family is a
named way of writing one thing; no family (and no wording of one) is shared by the two groups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bench.builders.extract_formats import TODAY, Doc
from bench.builders.text import a_commune

# ------------------------------------------------------------------ self-introductions

Intro = Callable[[Doc, frozenset[str]], str]  # parts: "name", "birth", "home", "contact"


def town_line(doc: Doc) -> str:
    return " ".join(str(doc.gold[f]) for f in ("postcode", "commune") if doc.gold[f])


def home_line(doc: Doc) -> str:
    """"12 rue des Lilas, 69001 Lyon" (or the part of it that is given)."""
    return ", ".join(p for p in (str(doc.gold["address"] or ""), town_line(doc)) if p)


def _soussigne(doc: Doc, parts: frozenset[str]) -> str:
    """A clause that the first fact continues: "Je soussignée Marie Dupont, née le …, demeurant …,"."""
    bits = [f"Je soussigné{doc.e()} {doc.name()}"]
    if "birth" in parts and doc.has("birth_date"):
        bits.append(f"né{doc.e()} le {doc.show('birth_date')}")
    if "home" in parts and home_line(doc):
        bits.append("demeurant " + home_line(doc))
    return ", ".join(bits) + ","


def _presente(doc: Doc, parts: frozenset[str]) -> str:
    bits = [f"Je me présente : {doc.name()}"]
    if "birth" in parts and doc.has("birth_date"):
        bits.append(f"né{doc.e()} le {doc.show('birth_date')}")
    if "home" in parts and home_line(doc):
        bits.append(f"domicilié{doc.e()} {home_line(doc)}")
    return ", ".join(bits) + "."


def _adresse(doc: Doc, parts: frozenset[str]) -> str:
    out = []
    if "birth" in parts and doc.has("birth_date"):
        out.append(f"Ma date de naissance : {doc.show('birth_date')}.")
    if "home" in parts and doc.has("address"):
        out.append(f"Mon adresse : {home_line(doc)}.")
    elif "home" in parts and doc.has("commune"):
        out.append(f"Ma commune de résidence : {town_line(doc)}.")
    elif "home" in parts and doc.has("postcode"):
        out.append(f"Mon code postal est le {doc.gold['postcode']}.")
    return " ".join(out)


def _in_town(doc: Doc) -> str:
    """"à Lyon (69001)", "au Havre", "dans le 69001"."""
    commune, postcode = doc.gold["commune"], doc.gold["postcode"]
    if commune:
        return a_commune(commune) + (f" ({postcode})" if postcode else "")
    return f"dans le {postcode}" if postcode else ""


def _je_mappelle(doc: Doc, parts: frozenset[str]) -> str:
    out = []
    birth = f"né{doc.e()} le {doc.show('birth_date')}" if "birth" in parts and doc.has("birth_date") else ""
    if "name" in parts:
        first = doc.gold["first_name"]
        who = f"Je m'appelle {doc.name()}" if first else f"Je suis {doc.name()}"
        home = ""
        if "home" in parts and (doc.has("address") or _in_town(doc)):
            home = " et j'habite " + " ".join(p for p in (str(doc.gold["address"] or ""), _in_town(doc)) if p)
        out.append(who + (f" ({birth})" if birth else "") + home + ".")
    elif birth:
        out.append(f"Je suis {birth}.")
    if "contact" in parts and doc.has("phone"):
        out.append(f"Vous pouvez me joindre au {doc.show('phone')}"
                   + (f" ou m'écrire à {doc.show('email')}" if doc.has("email") else "") + ".")
    elif "contact" in parts and doc.has("email"):
        out.append(f"Vous pouvez m'écrire à {doc.show('email')}.")
    return " ".join(out)


def _mon_nom(doc: Doc, parts: frozenset[str]) -> str:
    out = []
    if "name" in parts:
        first = doc.gold["first_name"]
        out.append(f"Mon nom est {doc.gold['last_name']}" + (f" et mon prénom {first}." if first else "."))
    if "birth" in parts and doc.has("birth_date"):
        out.append(f"{'Pour mémoire, je' if 'name' not in parts else 'Je'} suis né{doc.e()} le "
                   f"{doc.show('birth_date')}.")
    if "home" in parts and doc.has("address"):
        out.append(f"Mon domicile est situé au {home_line(doc)}.")
    elif "home" in parts and doc.has("commune"):
        out.append(f"Je réside {_in_town(doc)}.")
    elif "home" in parts and doc.has("postcode"):
        out.append(f"Code postal de mon domicile : {doc.gold['postcode']}.")
    if "contact" in parts and doc.has("phone"):
        out.append(f"Mon numéro de portable est le {doc.show('phone')}"
                   + (f" et mon adresse électronique {doc.show('email')}" if doc.has("email") else "") + ".")
    elif "contact" in parts and doc.has("email"):
        out.append(f"Mon adresse électronique : {doc.show('email')}.")
    return " ".join(out)


INTROS: dict[str, dict[str, Intro]] = {
    "fit": {"intro.soussigne": _soussigne, "intro.presente": _presente, "intro.adresse": _adresse},
    "test": {"intro.je_mappelle": _je_mappelle, "intro.mon_nom": _mon_nom},
}


def intro(doc: Doc, options: tuple[str, ...], parts: frozenset[str]) -> tuple[str, str]:
    """(family, text) of a self-introduction drawn among `options` of the document's group."""
    family = doc.pick("intro", options)
    return family, INTROS[doc.group][family](doc, parts)


# ------------------------------------------------------------------ salutations

# family -> (doc type, openings, closings)
COURTESY: dict[str, dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "fit": {
        "courtesy.formal": ("letter", ("Madame, Monsieur,", "Madame la Directrice, Monsieur le Directeur,"),
                            ("Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
                             "Veuillez agréer, Madame, Monsieur, mes salutations distinguées.")),
        "courtesy.friendly": ("email", ("Bonjour,", "Madame, Monsieur,", "Bonjour madame, monsieur,"),
                              ("Cordialement,", "Bien à vous,", "Merci d'avance,")),
    },
    "test": {
        "courtesy.respectful": ("letter", ("Mesdames, Messieurs,", "À qui de droit,"),
                                ("Dans l'attente de votre réponse, je vous adresse mes sincères salutations.",
                                 "Recevez mes respectueuses salutations.")),
        "courtesy.casual": ("email", ("Bonsoir,", "Bonjour à vous,", "Bonjour à toute l'équipe,"),
                            ("Bonne journée,", "Merci par avance pour votre retour.", "Salutations,")),
    },
}


def courtesy(doc: Doc) -> tuple[str, str]:
    """(opening, closing) of the group's family for this document type."""
    family = next(name for name, (kind, _, _) in COURTESY[doc.group].items() if kind == doc.doc_type)
    _, openings, closings = COURTESY[doc.group][doc.note("courtesy", family)]
    return doc.rng.choice(openings), doc.rng.choice(closings)


# ------------------------------------------------------------------ date of writing, addressee

def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _place(doc: Doc) -> str | None:
    commune = doc.gold["commune"]
    return str(commune) if commune else None


DATELINES: dict[str, dict[str, Callable[[Doc, str], str]]] = {
    "fit": {
        "dateline.fait_a": lambda doc, d: f"Fait {a_commune(p)}, le {d}" if (p := _place(doc)) else f"Fait le {d}",
        "dateline.place_date": lambda doc, d: f"{p}, le {d}" if (p := _place(doc)) else f"Le {d}",
    },
    "test": {
        "dateline.ce": lambda doc, d: f"{_capital(a_commune(p))}, ce {d}" if (p := _place(doc)) else f"Ce {d}",
        "dateline.labelled": lambda doc, d: f"Date : {d}" + (f" – Lieu : {p}" if (p := _place(doc)) else ""),
    },
}


def written_on(doc: Doc) -> dt.date:
    return TODAY - dt.timedelta(days=doc.rng.randrange(0, 3))


def dateline(doc: Doc, options: tuple[str, ...]) -> str:
    """A distractor: the date (and place) of writing, which is never the gold event date."""
    family = doc.pick("dateline", options)
    return DATELINES[doc.group][family](doc, doc.date(written_on(doc)))


RECIPIENTS: dict[str, dict[str, tuple[str, str]]] = {  # family -> (service line, street)
    "fit": {"recipient.service": ("À l'attention du service compétent", "rue de la République")},
    "test": {"recipient.relations": ("Service relations usagers", "boulevard Victor Hugo")},
}


def recipient_block(doc: Doc, name: str, postcode: str) -> str:
    family = doc.pick("recipient", RECIPIENTS[doc.group])
    service, street = RECIPIENTS[doc.group][family]
    return f"{service}\n{doc.rng.randrange(1, 90)} {street}\n{postcode} {name}"


# ------------------------------------------------------------------ form labels and field orders

LabelLine = tuple[str, tuple[str, ...]]  # label, fields shown on its line
# family -> block -> lines; blocks: "ident" (name, birth), "address", "contact"
LABELS: dict[str, dict[str, dict[str, tuple[LabelLine, ...]]]] = {
    "fit": {
        "labels.official": {
            "ident": (("Nom de naissance", ("last_name",)), ("Prénom(s)", ("first_name",)),
                      ("Date de naissance", ("birth_date",))),
            "address": (("N° et voie", ("address",)), ("Code postal", ("postcode",)), ("Commune", ("commune",))),
            "contact": (("Téléphone", ("phone",)), ("Courriel", ("email",))),
        },
        "labels.short": {
            "ident": (("Nom", ("last_name",)), ("Prénom", ("first_name",)), ("Né(e) le", ("birth_date",))),
            "address": (("Adresse", ("address",)), ("CP / Ville", ("postcode", "commune"))),
            "contact": (("Tél.", ("phone",)), ("E-mail", ("email",))),
        },
    },
    "test": {
        "labels.caps": {  # labels in capitals, the last name too: "NOM / Prénom : DUPONT Marie"
            "ident": (("NOM / Prénom", ("last_name", "first_name")), ("NAISSANCE", ("birth_date",))),
            "address": (("DOMICILE", ("address", "postcode", "commune")),),
            "contact": (("PORTABLE", ("phone",)), ("MÉL", ("email",))),
        },
        "labels.plain": {
            "ident": (("Nom et prénom", ("first_name", "last_name")), ("Vous êtes né(e) le", ("birth_date",))),
            "address": (("Lieu de résidence", ("address", "postcode", "commune")),),
            "contact": (("Numéro où vous joindre", ("phone",)), ("Adresse de messagerie", ("email",))),
        },
    },
}
CAPS_LABELS = frozenset({"labels.caps"})

# family -> blocks in order ("case": the scenario's own lines); reversed families also reverse each block
ORDERS: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "fit": {"order.identity_first": (("ident", "address", "contact", "case"), False),
            "order.contact_early": (("ident", "contact", "address", "case"), False)},
    "test": {"order.case_first": (("case", "ident", "address", "contact"), False),
             "order.reversed": (("case", "contact", "address", "ident"), True)},
}


def line_value(doc: Doc, fields: tuple[str, ...]) -> str | None:
    """The shown values of a label's fields ("12 rue des Lilas, 69001 Lyon"), None when none is given."""
    shown = [(f, doc.show(f)) for f in fields if doc.has(f)]
    if not shown:
        return None
    if shown[0][0] == "address" and len(shown) > 1:
        return shown[0][1] + ", " + " ".join(v for _, v in shown[1:])
    return " ".join(v for _, v in shown)
