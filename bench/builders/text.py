"""Small French text helpers for synthetic documents: casing, service-name masking, typing errors."""

from __future__ import annotations

import random
import re
import unicodedata

# Names of the services a mail could be routed to. Most mails have them replaced by a generic noun, so
# that routing needs understanding of the request rather than spotting a keyword.
_SERVICE_NAMES = (
    r"[Cc]aisses? d'allocations familiales(?: \(Caf\))?", r"CAF", r"Caf", r"MSA", r"Cnaf",
    r"[Cc]aisses? primaires? d'assurance maladie(?: \(CPAM\))?", r"CPAM", r"Cpam", r"Assurance maladie",
    r"CRAMIF", r"Carsat", r"Cnav", r"Assurance retraite", r"Agirc-Arrco",
    r"Pôle emploi", r"France Travail", r"Cap emploi", r"Urssaf", r"URSSAF", r"Pajemploi",
    r"(?:services? des impôts|centre des finances publiques|centre des impôts|trésorerie|administration "
    r"fiscale|services fiscaux)(?: des (?:particuliers|entreprises))?(?: \((?:SIP|SIE)\))?", r"SIP", r"SIE",
    r"(?:[Ss]ous-)?[Pp]réfectures?(?: de police)?", r"[Mm]airies?",
    r"[Cc]onseil départemental", r"services du département",
    r"[Mm]aison départementale des personnes handicapées(?: \(MDPH\))?", r"MDPH", r"PMI",
    r"[Mm]aisons? de justice et du droit(?: \(MJD\))?", r"[Pp]oints? d'accès au droit", r"CDAD",
    r"[Pp]ermanences? juridiques?",
    r"[Tt]ribuna(?:l|ux) (?:judiciaires?|administratifs?|de commerce|de proximité|d'instance|de grande instance"
    r"|pour enfants|correctionnels?|de police)(?: \((?:TGI|TJ)\))?", r"TGI", r"[Tt]ribunal",
    r"[Cc]onseils? de prud'hommes(?: \(CPH\))?", r"[Gg]reffes? du tribunal(?: de commerce)?",
    r"[Aa]gences? départementales? (?:pour l'|d')information sur le logement(?: \(Adil\))?", r"Adil", r"ADIL",
    r"(?:[Aa]dministration|[Bb]ureau|[Ss]ervices?|[Dd]irection régionale) des douanes", r"[Dd]ouanes",
    r"[Cc]hambres? de commerce et d'industrie(?: \(CCI\))?", r"CCI",
    r"[Cc]hambres? de métiers et de l'artisanat(?: \(CMA\))?", r"CMA",
    r"[Cc]entres? de formalités des entreprises(?: \(CFE\))?",
)
_DETERMINER = (r"(?P<pre>(?i:de la |de l'|du |des |à la |à l'|au |aux |la |le |l'|les |votre |vos |sa |son "
               r"|ses |leur |leurs |une |un |cette |ce )?)")
_MASK = re.compile(_DETERMINER + r"\b(?P<name>" + "|".join(_SERVICE_NAMES) + r")\b")
_FEMININE = {"administration"}


def _replacement(pre: str, generic: str) -> str:
    noun = generic.removeprefix("l'")
    p = pre.lower()
    if p in ("de la ", "de l'", "du ", "des "):
        out = "de l'" + noun
    elif p in ("à la ", "à l'", "au ", "aux "):
        out = "à l'" + noun
    elif p in ("votre ", "vos "):
        out = "votre " + noun
    elif p in ("sa ", "son ", "ses "):
        out = "son " + noun
    elif p in ("leur ", "leurs "):
        out = "leur " + noun
    elif p in ("une ", "un "):
        out = ("une " if noun in _FEMININE else "un ") + noun
    elif p in ("cette ", "ce "):
        out = ("cette " if noun in _FEMININE else "cet ") + noun
    else:
        out = "l'" + noun
    return out[0].upper() + out[1:] if pre[:1].isupper() else out


def mask_services(text: str, generic: str = "l'organisme") -> str:
    """Replace service names (with their article) by a generic noun phrase such as "l'organisme"."""
    return _MASK.sub(lambda m: _replacement(m.group("pre"), generic), text)


def names_a_service(text: str) -> bool:
    return _MASK.search(text) is not None


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def lower_first(text: str) -> str:
    """Lowercase the first letter unless the first word is an acronym ("PTZ", "RSA")."""
    first = text.split(" ", 1)[0]
    letters = [c for c in first if c.isalpha()]
    if len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2:
        return text
    return text[:1].lower() + text[1:]


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]+")


def _typo(word: str, rng: random.Random) -> str:
    if word == "à":
        return "a"
    if len(word) < 4 or word.isupper():
        return word
    kind = rng.randrange(5)
    if kind == 0 and strip_accents(word) != word:
        return strip_accents(word)
    i = rng.randrange(1, len(word) - 1)
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap two letters
    if kind == 2:
        return word[:i] + word[i + 1:]  # drop a letter
    if kind == 3:
        return word[:i] + word[i] + word[i:]  # double a letter
    if word.endswith("é"):
        return word[:-1] + "er"  # the classic participle / infinitive confusion
    return strip_accents(word)


def add_typos(text: str, rng: random.Random, rate: float) -> str:
    """Typing errors on about `rate` of the words (accents dropped, letters swapped, dropped, doubled)."""
    return _WORD.sub(lambda m: _typo(m.group(), rng) if rng.random() < rate else m.group(), text)


_VOWELS = "AEIOUYÉÈÊÂÎÔH"


def a_commune(name: str) -> str:
    """"à Lyon", "au Havre", "aux Lilas", "à La Rochelle" (la and l' stay after à)."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


def de_commune(name: str) -> str:
    """"de Lyon", "d'Antibes", "du Havre", "des Lilas"."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    return ("d'" if name[:1].upper() in _VOWELS else "de ") + name


def format_phone(digits: str, rng: random.Random) -> str:
    """A 10-digit French number as people write it: spaced pairs, dots, compact or +33."""
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    style = rng.randrange(6)
    if style == 0:
        return digits
    if style == 1:
        return ".".join(pairs)
    if style == 2:
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    if style == 3:
        return "-".join(pairs)
    return " ".join(pairs)
