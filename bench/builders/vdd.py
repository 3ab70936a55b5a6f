"""Read service-public.fr "fiches" (DILA XML converted to JSON by xml-js) into plain records.

Builders work on `Page` records only, so tests can feed them a tiny hand-written fixture instead of the
400 MB package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.builders.sources import iter_members

Node = Mapping[str, Any]

AUDIENCES = ("particuliers", "professionnels", "associations")  # first one wins for shared ids

# Blocks that are navigation or contact data, not prose of the fiche.
_SKIP = {"OuSAdresser", "ServiceEnLigne", "Condition", "Image", "Source", "PivotLocal", "RessourceWeb",
         "TitreAlternatif", "ServiceEnLigneAnnexe", "NoticeLiee", "LienWeb", "Credits"}
_LIST_ITEM = "Item"
_ROW, _CELL = "Rangée", "Cellule"


@dataclass(frozen=True)
class Page:
    """One fiche, reduced to what the builders use."""

    id: str
    audience: str
    type: str  # "Fiche Question-réponse", "Fiche d'information", ...
    title: str
    description: str
    url: str
    subjects: tuple[str, ...] = ()
    breadcrumb: tuple[str, ...] = ()  # FilDAriane levels, without "Accueil ..." and the page itself
    introduction: str = ""
    text: str = ""  # Texte, flattened
    situations: tuple[str, ...] = ()  # titles of ListeSituations entries
    situations_text: str = ""  # ListeSituations, flattened
    chapters: tuple[str, ...] = ()  # titles of Chapitre / SousChapitre / Cas
    destinations: tuple[str, ...] = ()  # titles of top-level OuSAdresser entries, in order
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def body(self) -> str:
        """Introduction + Texte (+ ListeSituations): the text a summary is written from."""
        return "\n".join(part for part in (self.introduction, self.text, self.situations_text) if part)


def clean(text: str) -> str:
    """Collapse whitespace (the XML keeps indentation and no-break spaces)."""
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r" ([,.)])", r"\1", text)
    text = re.sub(r"\( ", "(", text)
    return re.sub(r"\n{2,}", "\n", text).strip()


def inline(node: Node) -> str:
    """All text under `node`, concatenated as written (inline links keep their words)."""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("name") in _SKIP:
        return ""
    return "".join(inline(child) for child in node.get("children") or [])


def _title_of(node: Node) -> str:
    for child in node.get("children") or []:
        if child.get("name") == "Titre":
            return clean(inline(child))
    return ""


def flatten(node: Node) -> str:
    """Block structure -> lines: one per paragraph, title, list item ("- ") or table row (" | ")."""
    lines: list[str] = []

    def walk(n: Node, bullet: bool = False) -> None:
        name = n.get("name")
        if n.get("type") == "text" or name in _SKIP:
            return
        if name in ("Paragraphe", "Titre"):
            line = clean(inline(n))
            if line:
                lines.append(("- " if bullet else "") + line)
            return
        if name == _ROW:
            cells = [clean(inline(c)) for c in n.get("children") or [] if c.get("name") == _CELL]
            row = " | ".join(c for c in cells if c)
            if row:
                lines.append(row)
            return
        first = True
        for child in n.get("children") or []:
            # An item's first paragraph carries the bullet; later ones continue it.
            walk(child, bullet=(name == _LIST_ITEM and first))
            if child.get("type") != "text":
                first = False

    walk(node)
    return "\n".join(lines)


def _children(node: Node, name: str) -> list[Node]:
    return [c for c in node.get("children") or [] if c.get("name") == name]


def _collect_titles(node: Node, names: set[str]) -> list[str]:
    found: list[str] = []

    def walk(n: Node) -> None:
        if n.get("name") in _SKIP:
            return
        if n.get("name") in names:
            title = _title_of(n)
            if title:
                found.append(title)
        for child in n.get("children") or []:
            if child.get("type") != "text":
                walk(child)

    walk(node)
    return found


def parse_page(doc: Mapping[str, Any], audience: str) -> Page | None:
    """A `Page` from one fiche JSON document, or None when it is not a publication."""
    if not isinstance(doc, Mapping) or not doc.get("children"):
        return None
    pub = doc["children"][0]
    if pub.get("name") != "Publication":
        return None
    attrs = pub.get("attributes") or {}
    meta: dict[str, str] = {}
    subjects: list[str] = []
    breadcrumb: list[str] = []
    intro = text = situations_text = ""
    situations: list[str] = []
    chapters: list[str] = []
    destinations: list[str] = []
    for child in pub.get("children") or []:
        name = child.get("name")
        if name in ("dc:title", "dc:description"):
            meta[name] = clean(inline(child))
        elif name == "dc:subject":
            subjects.extend(s.strip() for s in clean(inline(child)).split(",") if s.strip())
        elif name == "FilDAriane":
            levels = [clean(inline(level)) for level in _children(child, "Niveau")]
            breadcrumb = levels[1:-1]  # drop "Accueil particuliers" and the page itself
        elif name == "Introduction":
            intro = flatten(child)
        elif name == "Texte":
            text = flatten(child)
            chapters = _collect_titles(child, {"Chapitre", "SousChapitre", "Cas"})
        elif name == "ListeSituations":
            situations_text = flatten(child)
            situations = [_title_of(s) for s in _children(child, "Situation") if _title_of(s)]
        elif name == "OuSAdresser":
            title = _title_of(child)
            if title:
                destinations.append(title)
    page_id = str(attrs.get("ID") or doc.get("id") or "")
    if not page_id:
        return None
    return Page(
        id=page_id, audience=audience, type=str(attrs.get("type", "")),
        title=meta.get("dc:title", ""), description=meta.get("dc:description", ""),
        url=str(attrs.get("spUrl", "")), subjects=tuple(subjects), breadcrumb=tuple(breadcrumb),
        introduction=intro, text=text, situations=tuple(situations), situations_text=situations_text,
        chapters=tuple(chapters), destinations=tuple(destinations),
    )


def parse_documents(docs: Iterable[tuple[str, bytes]]) -> list[Page]:
    """Pages from (member name, JSON bytes) pairs; one page per id (audience order), sorted by id."""
    pages: dict[str, Page] = {}
    rank = {a: i for i, a in enumerate(AUDIENCES)}
    for name, raw in docs:
        parts = name.split("/")
        if len(parts) < 2 or parts[-2] not in rank or parts[-1] == "index.json":
            continue
        page = parse_page(json.loads(raw), parts[-2])
        if page is None:
            continue
        kept = pages.get(page.id)
        if kept is None or rank[page.audience] < rank[kept.audience]:
            pages[page.id] = page
    return [pages[k] for k in sorted(pages)]


def load_pages(tarball: Path, types: Sequence[str] | None = None) -> list[Page]:
    """All fiches of the package (optionally only some publication types), sorted by id."""
    pages = parse_documents(iter_members(tarball, "package/data/"))
    if types is not None:
        wanted = set(types)
        pages = [p for p in pages if p.type in wanted]
    return pages
