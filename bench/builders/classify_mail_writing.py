"""classify_mail: how one mail is written from a question page (phrasing, situation, formality, typos).

Pure functions of a page, a synthetic person and a seeded random generator; the data set is assembled in
bench.builders.classify_mail.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bench.builders.identities import Person
from bench.builders.text import (
    a_commune,
    add_typos,
    de_commune,
    format_phone,
    lower_first,
    mask_services,
    sentence_case,
)
from bench.builders.vdd import Page

NAME_KEPT_RATE = 0.15  # share of mails that may still name a service


_NBSP = re.compile(r"\s+")


def _clean_title(title: str) -> str:
    return _NBSP.sub(" ", title).strip().rstrip("?").strip()


# (pattern on a question title, formal indirect form, informal form or None to keep the question as asked).
_QUESTION_FORMS: tuple[tuple[str, str, str | None], ...] = (
    (r"^Peut-on (?P<rest>.+)$", "je souhaiterais savoir si je peux {rest}", "est-ce que je peux {rest} ?"),
    (r"^Doit-on (?P<rest>.+)$", "je voudrais savoir si je dois {rest}", "est-ce que je dois {rest} ?"),
    (r"^A[- ]?t-on (?P<rest>.+)$", "je souhaiterais savoir si j'ai {rest}", "est-ce que j'ai {rest} ?"),
    (r"^Faut-il (?P<rest>.+)$", "je voudrais savoir s'il faut {rest}", "est-ce qu'il faut {rest} ?"),
    (r"^Comment (?P<rest>.+)$", "je souhaiterais savoir comment {rest}", None),
    (r"^Qu'est-ce qu'(?P<det>un|une) (?P<rest>.+)$", "pourriez-vous m'expliquer ce qu'est {det} {rest}",
     "c'est quoi exactement {det} {rest} ?"),
    (r"^Qu'est-ce que (?P<det>le |la |l')(?P<rest>.+)$", "pourriez-vous m'expliquer ce qu'est {det}{rest}",
     "c'est quoi exactement {det}{rest} ?"),
    (r"^Quel(?:le)?s? (?:est|sont) (?P<rest>.+)$", "je souhaiterais connaître {rest}", None),
    (r"^Que faire (?P<rest>.+)$", "je voudrais savoir ce que je dois faire {rest}", "je dois faire quoi {rest} ?"),
    (r"^Qui (?P<rest>.+)$", "je souhaiterais savoir qui {rest}", None),
    (r"^Que (?P<rest>.+)$", "je voudrais savoir ce que {rest}", None),
    (r"^Où (?P<rest>.+)$", "je souhaiterais savoir où {rest}", None),
    (r"^Quand (?P<rest>.+)$", "je voudrais savoir quand {rest}", None),
    (r"^Combien (?P<rest>.+)$", "je souhaiterais savoir combien {rest}", None),
    (r"^Dans quels? cas (?P<rest>.+)$", "je voudrais savoir dans quels cas {rest}", None),
)


def phrase_question(title: str, formal: bool) -> str | None:
    """A question title rewritten as the writer's own request, or None when it is not a question."""
    if not title.strip().endswith("?"):
        return None
    raw = _clean_title(title)
    prefix = ""
    # "Chômage : quelles sont les catégories ..." -> a context prefix and the question itself.
    if " : " in raw:
        head, tail = raw.split(" : ", 1)
        if len(head.split()) <= 6:
            prefix, raw = head, sentence_case(tail)
    text = ""
    for pattern, formal_form, informal_form in _QUESTION_FORMS:
        m = re.match(pattern, raw)
        if m:
            form = formal_form if formal else informal_form
            text = form.format(**m.groupdict()) if form else ""
            break
    if not text:
        text = f"ma question est la suivante : {lower_first(raw)} ?" if formal else f"{lower_first(raw)} ?"
    if prefix:
        text = f"concernant « {prefix} », {text}" if formal else f"{lower_first(prefix)} : {text}"
    return text


_FACETS: tuple[tuple[str, str, str], ...] = (
    (r"[Cc]ondition", "Pourriez-vous me préciser les conditions à remplir ?", "c'est quoi les conditions ?"),
    (r"[Dd]émarche|[Cc]omment faire", "Pourriez-vous m'indiquer la démarche à suivre ?",
     "je fais comment concrètement ?"),
    (r"[Mm]ontant|[Cc]alcul", "Je souhaiterais également connaître le montant auquel je pourrais prétendre.",
     "et ça fait combien à peu près ?"),
    (r"[Cc]oût|[Pp]rix|[Tt]arif", "Pourriez-vous m'indiquer le coût de cette démarche ?", "ça coûte combien ?"),
    (r"[Dd]élai|[Dd]urée", "Quels sont les délais à prévoir ?", "il faut compter combien de temps ?"),
    (r"[Rr]ecours|[Cc]ontest", "Quels sont mes recours si la réponse est négative ?",
     "et si c'est refusé je peux contester ?"),
    (r"[Pp]ièces|[Jj]ustificatif|[Dd]ocuments", "Quels documents dois-je fournir ?",
     "il faut quels papiers ?"),
)


def facet_question(page: Page, formal: bool, rng: random.Random) -> str | None:
    found = [(f, i) for pattern, f, i in _FACETS if any(re.search(pattern, c) for c in page.chapters)]
    if not found:
        return None
    formal_q, informal_q = rng.choice(found)
    return formal_q if formal else informal_q


def topic_request(page: Page, formal: bool, rng: random.Random, secondary: bool = False) -> str:
    """The core request of a mail about `page` (a shorter form when it is the mail's second topic)."""
    question = phrase_question(page.title, formal)
    if question is not None:
        return sentence_case(question) + ("." if formal and not question.endswith("?") else "")
    topic = _clean_title(page.title)
    if secondary:
        if formal:
            return f"Je souhaiterais également des informations sur « {topic} »."
        return rng.choice([f"c'est quoi les règles pour « {topic} » ?", f"vous pouvez m'expliquer « {topic} » ?"])
    if formal:
        return rng.choice([
            f"Je souhaiterais obtenir des renseignements au sujet de « {topic} ».",
            f"Je sollicite votre aide concernant la question suivante : « {topic} ».",
            f"Je vous écris pour obtenir des précisions sur « {topic} », qui concerne directement ma situation.",
            f"Pourriez-vous m'éclairer sur le point suivant : « {topic} » ?",
        ])
    return rng.choice([
        f"j'ai besoin d'infos sur « {topic} »",
        f"je voudrais comprendre comment ça marche pour « {topic} »",
        f"ma question c'est pour « {topic} »",
        f"je cherche des renseignements, c'est pour {lower_first(topic)}",
        f"une question rapide sur « {topic} »",
    ])


def situation_sentence(page: Page, person: Person, rng: random.Random) -> str | None:
    """"Vous êtes salarié" (a situation tab of the page) -> "Je suis salarié"."""
    options = [s for s in page.situations if mask_services(s, "l'organisme") == s]
    if not options:
        return None
    situation = _clean_title(rng.choice(options))
    m = re.match(r"^Vous (êtes|avez|vivez|habitez|travaillez|souhaitez|voulez) (.+)$", situation)
    if m:
        verb = {"êtes": "suis", "avez": "ai", "vivez": "vis", "habitez": "habite", "travaillez": "travaille",
                "souhaitez": "souhaite", "voulez": "veux"}[m.group(1)]
        subject = "J'" if verb in ("ai", "habite") else "Je "
        return f"{subject}{verb} {m.group(2)}."
    return f"Pour préciser ma situation : {lower_first(situation)}."


def read_sentence(page: Page) -> str | None:
    """A sentence of the page's summary the writer says they read (a partial quote, not the page)."""
    first = re.split(r"(?<=[.!?])\s", page.description, maxsplit=1)[0].strip()
    words = first.split()
    if not 6 <= len(words) <= 40:
        return None
    return lower_first(first.rstrip("."))


_FILLERS_FORMAL = (
    "Je n'ai pas trouvé de réponse claire à cette question sur internet.",
    "Ma situation a récemment évolué et je souhaite faire les choses dans les règles.",
    "J'ai tenté de joindre vos services par téléphone, sans succès.",
    "Il s'agit pour moi d'une question assez urgente.",
    "Une connaissance m'a conseillé de m'adresser à vous.",
)
_FILLERS_INFORMAL = (
    "j'ai cherché sur internet mais j'y comprends rien",
    "c'est un peu urgent pour moi",
    "j'ai essayé d'appeler mais ça sonne dans le vide",
    "on m'a dit de vous écrire",
    "je suis un peu {lost} avec toutes ces démarches",
)
_CLOSINGS_FORMAL = (
    "Dans l'attente de votre réponse, je vous prie d'agréer, Madame, Monsieur, l'expression de mes "
    "salutations distinguées.",
    "Je vous remercie par avance de votre retour et vous prie de recevoir mes salutations respectueuses.",
    "Vous remerciant par avance pour votre aide, je vous adresse mes sincères salutations.",
    "Je reste à votre disposition pour tout renseignement complémentaire.\nCordialement,",
)
_CLOSINGS_INFORMAL = ("Merci d'avance !", "merci pour votre aide", "Merci beaucoup.", "Bonne journée,",
                      "Merci de me répondre rapidement svp", "Cdt")


@dataclass(frozen=True)
class MailSpec:
    page: Page
    label: str
    split: str
    secondary: Page | None = None
    secondary_label: str | None = None


def write_mail(spec: MailSpec, person: Person, rng: random.Random) -> tuple[str, dict[str, object]]:
    """The text of one mail and the style facts recorded with it."""
    formal = rng.random() < 0.5
    typos = rng.random() < (0.15 if formal else 0.45)
    keep_names = rng.random() < NAME_KEPT_RATE
    generic = rng.choice(["l'organisme", "l'administration"])
    page = spec.page
    body: list[str] = []  # sentences that may receive typos
    request = topic_request(page, formal, rng)
    situation = situation_sentence(page, person, rng) if rng.random() < 0.6 else None
    read = read_sentence(page) if rng.random() < 0.35 else None
    facet = facet_question(page, formal, rng) if rng.random() < 0.5 else None
    if formal:
        if situation:
            body.append(situation)
        if read:
            body.append(f"J'ai lu que {read}, mais je ne suis pas certain{person.agree('', 'e')} que cela "
                        "s'applique à mon cas.")
        body.append(request)
        if facet:
            body.append(facet)
        if rng.random() < 0.5:
            body.append(rng.choice(_FILLERS_FORMAL))
        if spec.secondary is not None:
            second = topic_request(spec.secondary, True, rng, secondary=True)
            body.append(rng.choice(["Par ailleurs, j'aurais une question annexe. ",
                                    "Enfin, question secondaire : ", "Accessoirement, "]) + lower_first(second))
    else:
        opener = request
        body.append(sentence_case(opener))
        if situation:
            body.append(situation)
        if read:
            body.append(f"j'ai vu sur un site que {read} mais je sais pas si c'est pareil pour moi")
        if facet:
            body.append(sentence_case(facet))
        if rng.random() < 0.4:
            body.append(rng.choice(_FILLERS_INFORMAL).format(lost=person.agree("perdu", "perdue")))
        if spec.secondary is not None:
            body.append("autre petite question pendant que j'y suis : "
                        + lower_first(topic_request(spec.secondary, False, rng, secondary=True)))
    ends = (".",) if formal else (".", ".", "", ",", "...")
    text_body = " ".join(s if s.endswith(("?", ".", "!", ":")) else s + rng.choice(ends) for s in body)
    if not keep_names:
        text_body = mask_services(text_body, generic)
    names_service = mask_services(text_body, generic) != text_body
    if typos:
        text_body = add_typos(text_body, rng, rate=0.06 if formal else 0.1)
    text = _frame(text_body, person, formal, rng)
    return text, {"style": "formal" if formal else "informal", "typos": typos, "names_service": names_service}


def _frame(body: str, person: Person, formal: bool, rng: random.Random) -> str:
    """Greeting, self-introduction, closing and signature around the body."""
    parts: list[str] = []
    if formal:
        if rng.random() < 0.5:
            parts.append(f"{person.full_name}\n{person.street}\n{person.postcode} {person.commune}")
            parts.append("Objet : demande de renseignements")
        parts.append(rng.choice(["Madame, Monsieur,", "Madame, Monsieur,", "Bonjour,",
                                 "À l'attention du service concerné,"]))
        intro = rng.choice([
            f"Je vous contacte au sujet de ma situation. Je réside {a_commune(person.commune)} "
            f"({person.postcode}).",
            f"Je soussigné{person.agree('', 'e')} {person.full_name}, domicilié{person.agree('', 'e')} "
            f"{person.street}, {person.postcode} {person.commune}, vous adresse la présente demande.",
            "",
        ])
        parts.append((intro + " " + body).strip())
        parts.append(rng.choice(_CLOSINGS_FORMAL))
        signature = [person.full_name]
        if rng.random() < 0.4:
            signature.append(f"Tél. : {format_phone(person.phone, rng)}")
        if rng.random() < 0.3:
            signature.append(person.email)
        parts.append("\n".join(signature))
    else:
        greeting = rng.choice(["Bonjour,", "Bonjour", "Bonjour madame, monsieur,", "Bonsoir,", ""])
        if greeting:
            parts.append(greeting)
        intro = rng.choice([f"je m'appelle {person.full_name}, j'habite {a_commune(person.commune)}.",
                            f"{person.first_name} {person.last_name} ici, {de_commune(person.commune)}.", "", ""])
        parts.append(((sentence_case(intro) + " ") if intro else "") + body)
        parts.append(rng.choice(_CLOSINGS_INFORMAL))
        parts.append(rng.choice([person.first_name, person.full_name, f"{person.first_name} {person.last_name[0]}.",
                                 f"{person.full_name}\n{format_phone(person.phone, rng)}"]))
    return "\n\n".join(p for p in parts if p)
