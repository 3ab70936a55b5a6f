"""extract_forms: the sentences a letter or an e-mail states its case in, one family per template group.

Each scenario has a "declarative" wording for train and dev (declarative_*) and a "narrative" wording for test
(narrative_*): other verbs, other order, other cue words before the values.
"""

from __future__ import annotations

from bench.builders.extract_formats import Doc

# ------------------------------------------------------------------ fit group: declarative sentences

def _d(doc: Doc, field: str) -> str:
    """A date in running text: "le 3 mars 2024" or "le 03/03/2024"."""
    return "le " + doc.show(field)


def declarative_loss(doc: Doc) -> list[str]:
    item = doc.rng.choice(["ma carte nationale d'identité", "mon passeport"])
    out = [f"Je vous informe avoir perdu {item}" + (f" {_d(doc, 'event_date')}" if doc.has("event_date")
                                                    else "") + ", probablement lors d'un déplacement."]
    out.append("Je souhaite déclarer cette perte et demander le renouvellement du titre.")
    return out


def declarative_doctor(doc: Doc) -> list[str]:
    out = ["Je vous informe que j'ai choisi un nouveau médecin traitant et vous transmets la déclaration "
           "correspondante."]
    if doc.has("nir"):
        out.append(f"Mon numéro de sécurité sociale est le {doc.show('nir')}.")
    if doc.has("event_date"):
        out.append(f"Le changement a pris effet {_d(doc, 'event_date')}.")
    return out


def declarative_registration(doc: Doc) -> list[str]:
    out = ["Je sollicite l'établissement du certificat d'immatriculation du véhicule d'occasion que je viens "
           "d'acquérir."]
    if doc.has("plate"):
        out.append(f"Il s'agit du véhicule immatriculé {doc.show('plate')}.")
    if doc.has("event_date"):
        out.append(f"La vente a eu lieu {_d(doc, 'event_date')}.")
    if doc.has("siret"):
        out.append(f"Le vendeur est un professionnel (SIRET {doc.show('siret')}).")
    return out


def declarative_theft(doc: Doc) -> list[str]:
    out = ["Je déclare le vol de mon véhicule"
           + (f" immatriculé {doc.show('plate')}" if doc.has("plate") else "")
           + (f", constaté {_d(doc, 'event_date')} au matin" if doc.has("event_date") else "") + "."]
    out.append("Le véhicule était stationné devant mon domicile.")
    if doc.has("case_reference"):
        out.append(f"Une plainte a été enregistrée sous le numéro {doc.show('case_reference')}.")
    return out


def declarative_association(doc: Doc) -> list[str]:
    out = [f"En qualité de président{doc.e()} de l'association, je vous transmets la déclaration de modification de "
           "ses statuts."]
    if doc.has("event_date"):
        out.append(f"L'assemblée générale s'est tenue {_d(doc, 'event_date')}.")
    if doc.has("case_reference"):
        out.append(f"L'association est enregistrée sous le numéro RNA {doc.show('case_reference')}.")
    if doc.has("siret"):
        out.append(f"Son numéro SIRET est le {doc.show('siret')}.")
    return out


def declarative_fine(doc: Doc) -> list[str]:
    out = ["Je conteste l'avis de contravention que j'ai reçu"
           + (f" (avis n° {doc.show('case_reference')})" if doc.has("case_reference") else "") + "."]
    bits = []
    if doc.has("event_date"):
        bits.append(f"l'infraction aurait été commise {_d(doc, 'event_date')}")
    if doc.has("plate"):
        bits.append(f"par le véhicule {doc.show('plate')}")
    if bits:
        out.append("Selon cet avis, " + " ".join(bits) + ", or je n'étais pas au volant à ce moment-là.")
    if doc.has("amount"):
        out.append(f"L'amende s'élève à {doc.show('amount')} et je demande son annulation.")
    return out


def declarative_bank(doc: Doc) -> list[str]:
    out = ["Je vous informe du changement de mes coordonnées bancaires."]
    if doc.has("case_reference"):
        out.append(f"Mon numéro d'allocataire est le {doc.show('case_reference')}.")
    if doc.has("iban"):
        out.append(f"Merci de verser désormais mes prestations sur le compte IBAN {doc.show('iban')}.")
    if doc.has("event_date"):
        out.append(f"Ce nouveau compte est ouvert depuis {_d(doc, 'event_date')}.")
    return out


def declarative_refund(doc: Doc) -> list[str]:
    out = ["Je sollicite le remboursement d'une somme versée en double."]
    if doc.has("amount"):
        out.append(f"J'ai réglé {doc.show('amount')}"
                   + (f" {_d(doc, 'event_date')}" if doc.has("event_date") else "")
                   + " alors que ce paiement avait déjà été effectué.")
    elif doc.has("event_date"):
        out.append(f"Le paiement a été effectué {_d(doc, 'event_date')}.")
    if doc.has("case_reference"):
        out.append(f"Mon dossier porte la référence {doc.show('case_reference')}.")
    if doc.has("iban"):
        out.append(f"Vous pouvez effectuer le virement sur le compte {doc.show('iban')}.")
    return out


def declarative_business(doc: Doc) -> list[str]:
    out = ["Je suis micro-entrepreneur et j'ai une question sur mes cotisations."]
    if doc.has("event_date"):
        out.append(f"J'ai commencé mon activité {_d(doc, 'event_date')}.")
    if doc.has("siret"):
        out.append(f"Mon SIRET : {doc.show('siret')}.")
    if doc.has("amount"):
        out.append(f"On me réclame {doc.show('amount')} de cotisations, ce qui me paraît trop élevé pour mon "
                   "chiffre d'affaires.")
    return out


def declarative_accident(doc: Doc) -> list[str]:
    out = ["Je vous adresse la déclaration de l'accident du travail dont j'ai été victime"
           + (f" {_d(doc, 'event_date')}" if doc.has("event_date") else "") + "."]
    if doc.has("nir"):
        out.append(f"N° de sécurité sociale : {doc.show('nir')}.")
    if doc.has("siret"):
        out.append(f"Mon employeur est immatriculé sous le SIRET {doc.show('siret')}.")
    return out



# ------------------------------------------------------------------ test group: narrative sentences

def _on(doc: Doc) -> str:
    """" le 3 mars 2024" when the event date is given, else nothing."""
    return f" le {doc.show('event_date')}" if doc.has("event_date") else ""


def narrative_loss(doc: Doc) -> list[str]:
    card = doc.rng.random() < 0.5
    item, lost = ("ma carte d'identité", "égarée") if card else ("mon passeport", "égaré")
    out = [f"Depuis{_on(doc)}, je ne retrouve plus {item} : je pense l'avoir {lost} en faisant des courses."
           if doc.has("event_date") else f"Je ne retrouve plus {item}, {lost} pendant un déménagement."]
    out.append(f"Pourriez-vous m'indiquer comment en obtenir {'une nouvelle' if card else 'un nouveau'} ?")
    return out


def narrative_doctor(doc: Doc) -> list[str]:
    out = ["J'ai désigné un autre médecin traitant"
           + (f" à compter du {doc.show('event_date')}" if doc.has("event_date") else "")
           + " et je vous fais parvenir le formulaire qu'il a signé."]
    if doc.has("nir"):
        out.append(f"Voici mon NIR : {doc.show('nir')}.")
    return out


def narrative_registration(doc: Doc) -> list[str]:
    out = [f"J'ai acheté une voiture d'occasion{_on(doc)} et je voudrais la mettre à mon nom."]
    if doc.has("plate"):
        out.append(f"Elle porte actuellement la plaque {doc.show('plate')}.")
    if doc.has("siret"):
        out.append(f"Je l'ai achetée à un garage dont le numéro SIRET est {doc.show('siret')}.")
    return out


def narrative_theft(doc: Doc) -> list[str]:
    model = doc.rng.choice(["Clio grise", "Peugeot 208 blanche", "Twingo bleue", "Golf noire"])
    when = f" : je m'en suis aperçu{doc.e()}{_on(doc)} en sortant de chez moi" if doc.has("event_date") else ""
    out = [f"On m'a volé ma voiture{when}."]
    if doc.has("plate"):
        out.append(f"Il s'agit d'une {model}, plaque {doc.show('plate')}.")
    if doc.has("case_reference"):
        out.append(f"J'ai porté plainte au commissariat, récépissé n° {doc.show('case_reference')}.")
    return out


def narrative_association(doc: Doc) -> list[str]:
    out = ["Je préside l'association depuis peu et je dois vous signaler les changements votés par nos adhérents"
           + (f" lors de l'assemblée du {doc.show('event_date')}" if doc.has("event_date") else "") + "."]
    if doc.has("case_reference"):
        out.append(f"Notre identifiant au répertoire des associations : {doc.show('case_reference')}.")
    if doc.has("siret"):
        out.append(f"Pour information, l'association a aussi un SIRET, le {doc.show('siret')}.")
    return out


def narrative_fine(doc: Doc) -> list[str]:
    out = ["J'ai reçu une amende" + (f" de {doc.show('amount')}" if doc.has("amount") else "")
           + " que je trouve injustifiée."]
    bits = []
    if doc.has("plate"):
        bits.append(f"ma voiture ({doc.show('plate')})")
    if doc.has("event_date"):
        bits.append(f"une infraction datée du {doc.show('event_date')}")
    if bits:
        out.append("Elle vise " + " et ".join(bits) + ", mais ce jour-là la voiture était au garage.")
    if doc.has("case_reference"):
        out.append(f"Numéro figurant sur l'avis : {doc.show('case_reference')}.")
    return out


def narrative_bank(doc: Doc) -> list[str]:
    out = [f"J'ai changé de banque{_on(doc)} et je voudrais que mes versements arrivent sur le nouveau compte."]
    if doc.has("iban"):
        out.append(f"Voici ses coordonnées : {doc.show('iban')}.")
    if doc.has("case_reference"):
        out.append(f"Mon dossier chez vous : {doc.show('case_reference')}.")
    return out


def narrative_refund(doc: Doc) -> list[str]:
    out = [f"Un même prélèvement m'a été débité deux fois{_on(doc)}"
           + (f", pour {doc.show('amount')} à chaque fois" if doc.has("amount") else "") + "."]
    out.append("Je vous demande de me rembourser le second.")
    if doc.has("case_reference"):
        out.append(f"Référence client : {doc.show('case_reference')}.")
    if doc.has("iban"):
        out.append(f"Le remboursement peut se faire sur ce compte : {doc.show('iban')}.")
    return out


def narrative_business(doc: Doc) -> list[str]:
    out = [f"Auto-entrepreneur{' depuis le ' + doc.show('event_date') if doc.has('event_date') else ''}, je ne "
           "comprends pas la somme qui m'est demandée" + (f" : {doc.show('amount')}" if doc.has("amount") else "")
           + "."]
    if doc.has("siret"):
        out.append(f"Mon entreprise est enregistrée sous le {doc.show('siret')} (SIRET).")
    out.append("Pouvez-vous vérifier mon dossier ?")
    return out


def narrative_accident(doc: Doc) -> list[str]:
    out = [f"Je me suis blessé{doc.e()} sur mon lieu de travail{_on(doc)} et je vous transmets les documents "
           "demandés."]
    if doc.has("nir"):
        out.append(f"Mon numéro d'assuré social : {doc.show('nir')}.")
    if doc.has("siret"):
        out.append(f"L'entreprise qui m'emploie a pour SIRET {doc.show('siret')}.")
    return out
