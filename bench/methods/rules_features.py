"""Context features of the rules extractor's candidates: what tells the writer's birth date from their son's.

Per candidate: the words to its left, the label of its form line or table row, the word to its right, its
shape and checksum (as before), and where it sits in the document, which people write in recognisable
parts: the sender block of a letter, the indented addressee block, the e-mail header lines ("De :", "À :"),
the greeting line ("Bonjour Monsieur Lefranc,"), the signature after "Cordialement" or "Bien à vous", the
quoted reply ("> ", after "a écrit :") and the forwarded message ("Message transféré"). Cue words in the
same sentence or in the heading above say whether the value is the writer's ("je soussigné", "je suis",
"Demandeur") or another person's ("mon fils", "ma locataire", "Élève", "Dr"). Words the train texts write
in lower case ("merci", "date") are rarely names. The weights of all these are learned on train.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection

from bench.methods.rules_candidates import CHECKSUMS, Candidate
from bench.text import fold

_TOKEN = re.compile(r"\w+|[^\w\s]|\n")
CONTEXT = 5  # tokens to the left
SENTENCE = 20  # tokens looked back for cue words
ABOVE = 6  # lines looked up for a heading cue



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SELF = _words("je j suis soussigne soussignee appelle moi cest c signe signee declarant declarante demandeur "
                 "demandeuse requerant requerante assure assuree titulaire responsable")
OTHER = _words("fils fille enfant enfants pere mere papa maman epoux epouse mari femme conjoint conjointe "
                  "compagnon compagne frere soeur grand neveu niece oncle tante cousin cousine beau belle "
                  "locataire proprietaire bailleur voisin voisine defunt defunte eleve mandataire feu tuteur "
                  "tutrice bebe ancien ancienne acquereur acheteur employeur dr docteur maitre conseiller "
                  "conseillere gestionnaire instructeur instructrice agent maire president presidente directeur "
                  "directrice secretaire notaire")
PARTICLES = _words("le la de du des da dos di del van von der ben bin el")
TITLES = _words("m mme mlle mr monsieur madame mademoiselle")
_CLOSING = re.compile(r"(?:bien |tres )?cordialement|bien a (?:vous|toi)|merci\b|salutations|sinceres|"
                      r"bonne (?:journee|soiree|fin)|avec (?:mes|tous mes) remerciements|en vous remerciant|"
                      r"sportivement|amicalement|bisous|bises|respectueusement|a bientot|"
                      r"(?:je vous prie|veuillez|recevez|dans l'attente).*(?:salutations|sentiments|consideration|"
                      r"expression|respect)")
_FORMULA = re.compile(r"salutations|sentiments|consideration|expression")
_GREETING = re.compile(r"(?:bonjour|bonsoir|madame|monsieur|mesdames|messieurs|cher|chere|a l'attention|slt|bjr|"
                       r"coucou|hello)\b")
_FORWARD = re.compile(r"message transfere|message d'origine|original message|forwarded message|a ecrit\s*:|"
                      r"^-{3,}|^_{3,}")
_HEADER = re.compile(r"(de|a|objet|date|envoye|cc|to|from|subject)\s*:")


def shape(token: str) -> str:
    """Digits become their length (a postcode is '<d5>'), words are folded; punctuation stays."""
    if token == "\n":
        return "<nl>"
    if token.isdigit():
        return f"<d{min(len(token), 6)}>"
    return fold(token)


def span_shape(text: str) -> str:
    shape = re.sub(r"[A-Z]+", "A", re.sub(r"[a-zà-ÿ]+", "a", re.sub(r"\d+", "9", text)))
    return shape[:12]


class Document:
    """A text with its tokens and the part of the document each line belongs to."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.starts: list[int] = []
        self.tokens: list[str] = []
        for match in _TOKEN.finditer(text):
            self.starts.append(match.start())
            self.tokens.append(shape(match.group()))
        self.emails = " ".join(re.findall(r"[\w.\-]+(?=@)", self.folded)).replace(".", " ")
        self.max_year = 0  # the latest year among the document's dates: a birth date is decades before it
        raw_lines = text.split("\n")
        self.line_starts = [0]
        for line in raw_lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.line_tags = self._tag_lines(raw_lines)

    def _tag_lines(self, raw: list[str]) -> list[tuple[str, ...]]:
        lines = [fold(r).strip() for r in raw]
        tags: list[list[str]] = [[] for _ in raw]
        body = next((i for i, f in enumerate(lines) if f and not _HEADER.match(f)), 0)
        end = next((i for i in range(body + 1, len(lines)) if lines[i].startswith(">") or _FORWARD.search(lines[i])
                    or (_HEADER.match(lines[i]) and lines[i].startswith("de"))), len(lines))
        greets = {i for i in range(end) if _GREETING.match(lines[i]) and len(lines[i]) < 80}
        head_end = min((i for i in range(end) if i in greets or lines[i].startswith("objet")), default=0)
        closing = max((i for i in range(body, end) if _CLOSING.match(lines[i])
                       and (len(lines[i]) < 60 or _FORMULA.search(lines[i]))), default=None)
        filled = [i for i in range(end) if lines[i]]
        last = filled[-1] if filled else -1
        tail = next((i + 1 for i in range(last - 1, -1, -1) if not lines[i]), 0)
        first_after_closing = next((j for j in filled if closing is not None and j > closing), -1)
        small_tail = last - tail < 5
        above: str | None = None
        for i, (line, folded) in enumerate(zip(raw, lines, strict=True)):
            tag = tags[i]
            if i >= end:
                tag.append("fwd")
            if folded.startswith(">"):
                tag.append("quote")
            if header := _HEADER.match(folded):
                tag.append(f"hdr={header[1]}")
            if line[:1] in " \t" and len(line) - len(line.lstrip()) >= 8:
                tag.append("indent")
            if i < head_end:
                tag.append("head")
            if i in greets:
                tag.append("greet")
            if closing is not None and closing < i < end:
                tag.append("sig1" if i == first_after_closing else "sig")
            if i == closing:
                tag.append("closing")
            if small_tail and tail <= i <= last:
                tag.append("tail")
            if i == last:
                tag.append("last_line")
            if folded.startswith("|") and i + 1 < len(lines) and re.fullmatch(r"[|:\- ]+", lines[i + 1] or "x"):
                tag.append("table_head")  # "| Nom | Prénom | Date de naissance |" names the columns
            if above:
                tag.append(f"above={above}")
            words = re.findall(r"\w+", folded)
            if not words:
                above = None  # a heading ("Élève", "Demandeur") holds until the next blank line
            elif len(words) <= 6 and set(words) & OTHER:
                above = "other"
            elif len(words) <= 6 and set(words) & SELF:
                above = "self"
        return [tuple(t) for t in tags]

    def index(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1

    def left(self, position: int, count: int) -> list[str]:
        index = bisect_right(self.starts, position - 1) - 1
        return self.tokens[max(0, index - count + 1):index + 1][::-1]  # nearest first

    def right(self, position: int) -> str:
        index = bisect_right(self.starts, position - 1)
        return self.tokens[index] if index < len(self.tokens) else "<end>"

    def line_of(self, position: int) -> int:
        return bisect_right(self.line_starts, position) - 1

    def line_label(self, position: int) -> list[str]:
        """The words before a colon on the candidate's line; in a table, the cell before the candidate's and
        the header of its column ("| Nom | Prénom |" above "| PASQUIER | Élodie |")."""
        line_start = self.text.rfind("\n", 0, position) + 1
        head = self.text[line_start:position]
        if head.lstrip().startswith("|"):
            cells = head.split("|")
            labels = cells[-2] if len(cells) >= 3 else ""
            header = self._table_header(line_start)
            if header and len(header) > len(cells) - 1:
                labels += " " + header[len(cells) - 1]
            head = labels + ":"
        if ":" not in head:
            return []
        return [shape(t) for t in re.findall(r"\w+", head.rsplit(":", 1)[0])][-4:]

    def _table_header(self, line_start: int) -> list[str]:
        """The cells of the first row of the table the line belongs to, when a |---| row follows it."""
        rows: list[str] = []
        start = line_start
        while start > 0:
            previous = self.text.rfind("\n", 0, start - 1) + 1
            line = self.text[previous:start - 1]
            if not line.lstrip().startswith("|"):
                break
            rows.append(line)
            start = previous
        if len(rows) < 2 or not re.fullmatch(r"[\s|:\-]+", rows[-2]):
            return []
        return rows[-1].split("|")

    def cue(self, position: int) -> tuple[str | None, bool]:
        """The nearest cue word before `position` in its sentence (self or other), and whether any self cue."""
        index = bisect_right(self.starts, position - 1) - 1
        nearest: str | None = None
        has_self = False
        for i in range(index, max(-1, index - SENTENCE), -1):
            token = self.tokens[i]
            if token in ("<nl>", "!", "?", ";") or (token == "." and i > 0 and len(self.tokens[i - 1]) > 2):
                break
            kind = "self" if token in SELF else "other" if token in OTHER else None
            if kind and nearest is None:
                nearest = kind
            has_self |= kind == "self"
        return nearest, has_self


def _neighbour_words(text: str, start: int, end: int) -> tuple[str, str]:
    before = re.search(r"(\S+)[ \t]$", text[max(0, start - 40):start])
    after = re.match(r"[ \t](\S+)", text[end:end + 40])
    return (before[1] if before else ""), (after[1] if after else "")


def _case(word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or fold(word).strip(".") in TITLES:
        return "-"
    return "U" if word.isupper() else "T" if word[:1].isupper() else "-"


def _text_features(doc: Document, cand: Candidate, vocab: Collection[str], feats: dict[str, float]) -> None:
    words = cand.text.split()
    feats[f"ntok={min(len(words), 5)}"] = 1.0
    feats["upper"] = float(cand.text.isupper())
    feats["title"] = float(all(w[:1].isupper() and not w.isupper() for w in words))
    parts = [p for p in re.split(r"[\s\-'’]+", fold(cand.text)) if p]
    common = sum(p in vocab for p in parts)
    feats["common=all" if common == len(parts) else "common=some" if common else "common=none"] = 1.0
    before, after = _neighbour_words(doc.text, cand.start, cand.end)
    if before[:1].isupper() and fold(before).strip(".") not in TITLES:
        feats["prev_cap"] = 1.0
        feats["prev_upper"] = float(before.isupper() and len(before) > 1)
    if after[:1].isupper():
        feats["next_cap"] = 1.0
        feats["next_upper"] = float(after.isupper() and len(after) > 1)
    # "MARTINEZ Lucas", "Lucas MARTINEZ": the word in capitals is the last name.
    feats[f"case={_case(cand.text)}{_case(before)}{_case(after)}"] = 1.0
    feats["digit"] = float(any(c.isdigit() for c in cand.text))
    if len(words) >= 2 and fold(words[0]) in PARTICLES:
        feats["particle_first"] = 1.0  # "Le Goff", "Da Silva", "de La Roche"
    if fold(before) in PARTICLES:
        feats["after_particle"] = 1.0  # "Goff" of "Le Goff"
    key = fold(cand.text)
    if len(key) >= 3:
        repeats = doc.folded.count(key) - 1
        feats[f"rep={min(repeats, 2)}"] = 1.0
        feats["in_email"] = float(all(p in doc.emails for p in parts if len(p) >= 3))


def _typed_features(doc: Document, cand: Candidate, feats: dict[str, float]) -> None:
    check = CHECKSUMS.get(cand.type)
    if check is not None:
        feats["checksum"] = float(check(cand.text))
    if cand.type == "reference":
        digits = re.sub(r"\D", "", cand.text)
        feats[f"ndig={min(len(digits), 16) // 3}"] = 1.0
        feats["letters"] = float(any(c.isalpha() for c in cand.text))
        feats["nir_ok"] = float(CHECKSUMS["nir"](cand.text))
        feats["siret_ok"] = float(len(digits) == 14 and CHECKSUMS["siret"](digits))
        feats["phone_like"] = float(len(digits) == 10 and digits.startswith("0"))
    if cand.type == "date" and cand.value and doc.max_year:
        age = doc.max_year - int(cand.value[:4])
        feats[f"age={'0' if age <= 0 else '1-2' if age <= 2 else '3-17' if age < 18 else '18+'}"] = 1.0


def features(doc: Document, cand: Candidate, rank: int, total: int,
             vocab: Collection[str] = frozenset()) -> dict[str, float]:
    feats: dict[str, float] = {f"src={cand.source}": 1.0, f"shape={span_shape(cand.text)}": 1.0}
    left = doc.left(cand.start, CONTEXT)
    for distance, token in enumerate(left):
        feats[f"w={token}"] = 1.0
        if distance < 2:
            feats[f"L{distance}={token}"] = 1.0
    if len(left) >= 2:
        feats[f"L01={left[1]}_{left[0]}"] = 1.0
    for token in doc.line_label(cand.start):
        feats[f"label={token}"] = 1.0
    feats[f"R={doc.right(cand.end)}"] = 1.0
    feats["first"] = float(rank == 0)
    feats["last"] = float(rank == total - 1)
    line = doc.line_of(cand.start)
    for tag in doc.line_tags[line]:
        feats[tag] = 1.0
    line_text = doc.text[doc.line_starts[line]:].split("\n", 1)[0]
    feats["line_alone"] = float(line_text.strip(" \t,.>|-") == cand.text.strip(" ,."))
    nearest, has_self = doc.cue(cand.start)
    feats[f"near={nearest}"] = 1.0
    feats["self_in_sentence"] = float(has_self)
    if cand.type == "text":
        _text_features(doc, cand, vocab, feats)
    else:
        _typed_features(doc, cand, feats)
    for name in cand.extra:
        feats[name] = 1.0
    return feats
