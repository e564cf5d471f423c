"""Patient-facing invitation and reminder texts, in the four patient languages.

Plain dictionaries rather than gettext: these texts leave the building by e-mail and SMS, are reviewed as a
whole per language, and must not depend on the language of the staff member whose action sent them. A message
names the recipient by first name only and never carries a hospital number, birth date or diagnosis: an
e-mail or SMS can be read by anyone who sees the recipient's phone. Every message carries the link, the last
day it works and the site's phone number.

Placeholders: ``{first_name}`` (recipient), ``{patient_first_name}`` (proxy messages), ``{site}``,
``{link}``, ``{until}`` (last day, written out in the message language), ``{phone}``.
"""

from dataclasses import dataclass
from datetime import date

LANGUAGES = ("en", "nl", "fr", "es")
KINDS = ("invitation", "reminder")
AUDIENCES = ("patient", "proxy")

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}

# TEXTS[language][audience][kind] = (subject, e-mail body, SMS body)
TEXTS: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    "en": {
        "patient": {
            "invitation": (
                "{site}: a short questionnaire about how you are",
                "Dear {first_name},\n\n"
                "Your care team at {site} would like to know how you are doing. Please fill in a short "
                "questionnaire; it takes a few minutes:\n\n{link}\n\n"
                "The link works until {until}. It is personal: please do not share it.\n\n"
                "If you have a problem that cannot wait, do not use the questionnaire: call us on {phone}.\n\n"
                "Your care team at {site}",
                "{site}: dear {first_name}, how are you doing? A short questionnaire: {link} "
                "(until {until}). Urgent problem? Call {phone}.",
            ),
            "reminder": (
                "Reminder from {site}: your questionnaire",
                "Dear {first_name},\n\n"
                "We have not yet received your questionnaire. If you can, please fill it in:\n\n{link}\n\n"
                "The link works until {until}. If you do not feel up to it, that is fine.\n\n"
                "If you have a problem that cannot wait, call us on {phone}.\n\n"
                "Your care team at {site}",
                "{site} reminder: dear {first_name}, your questionnaire is still open: {link} "
                "(until {until}). Urgent problem? Call {phone}.",
            ),
        },
        "proxy": {
            "invitation": (
                "{site}: a short questionnaire about {patient_first_name}",
                "Dear {first_name},\n\n"
                "The care team at {site} would like to hear from you how {patient_first_name} is doing. "
                "Please answer the questions as you see it; it takes a few minutes:\n\n{link}\n\n"
                "The link works until {until}. It is meant for you only: please do not share it.\n\n"
                "If there is a problem that cannot wait, do not use the questionnaire: call us on {phone}.\n\n"
                "The care team at {site}",
                "{site}: dear {first_name}, how is {patient_first_name} doing in your view? "
                "Short questionnaire: {link} (until {until}). Urgent problem? Call {phone}.",
            ),
            "reminder": (
                "Reminder from {site}: questionnaire about {patient_first_name}",
                "Dear {first_name},\n\n"
                "We have not yet received your answers about {patient_first_name}. If you can, please fill in "
                "the questionnaire:\n\n{link}\n\nThe link works until {until}.\n\n"
                "If there is a problem that cannot wait, call us on {phone}.\n\n"
                "The care team at {site}",
                "{site} reminder: dear {first_name}, the questionnaire about {patient_first_name} is still open: "
                "{link} (until {until}). Urgent problem? Call {phone}.",
            ),
        },
    },
    "nl": {
        "patient": {
            "invitation": (
                "{site}: een korte vragenlijst over hoe het met u gaat",
                "Beste {first_name},\n\n"
                "Uw behandelteam van {site} wil graag weten hoe het met u gaat. Wilt u een korte vragenlijst "
                "invullen? Dat duurt een paar minuten:\n\n{link}\n\n"
                "De link werkt tot en met {until}. De link is persoonlijk: deel hem niet met anderen.\n\n"
                "Heeft u een probleem dat niet kan wachten? Gebruik dan niet de vragenlijst, maar bel ons: "
                "{phone}.\n\n"
                "Uw behandelteam van {site}",
                "{site}: beste {first_name}, hoe gaat het met u? Korte vragenlijst: {link} "
                "(tot en met {until}). Dringend probleem? Bel {phone}.",
            ),
            "reminder": (
                "Herinnering van {site}: uw vragenlijst",
                "Beste {first_name},\n\n"
                "We hebben uw vragenlijst nog niet ontvangen. Wilt u hem invullen als het u lukt?\n\n{link}\n\n"
                "De link werkt tot en met {until}. Lukt het u niet, dan is dat geen probleem.\n\n"
                "Heeft u een probleem dat niet kan wachten? Bel ons: {phone}.\n\n"
                "Uw behandelteam van {site}",
                "Herinnering {site}: beste {first_name}, uw vragenlijst staat nog open: {link} "
                "(tot en met {until}). Dringend probleem? Bel {phone}.",
            ),
        },
        "proxy": {
            "invitation": (
                "{site}: een korte vragenlijst over {patient_first_name}",
                "Beste {first_name},\n\n"
                "Het behandelteam van {site} hoort graag van u hoe het met {patient_first_name} gaat. "
                "Wilt u de vragen beantwoorden zoals u het ziet? Dat duurt een paar minuten:\n\n{link}\n\n"
                "De link werkt tot en met {until}. De link is alleen voor u bedoeld: deel hem niet.\n\n"
                "Is er een probleem dat niet kan wachten? Gebruik dan niet de vragenlijst, maar bel ons: "
                "{phone}.\n\n"
                "Het behandelteam van {site}",
                "{site}: beste {first_name}, hoe gaat het volgens u met {patient_first_name}? "
                "Korte vragenlijst: {link} (tot en met {until}). Dringend probleem? Bel {phone}.",
            ),
            "reminder": (
                "Herinnering van {site}: vragenlijst over {patient_first_name}",
                "Beste {first_name},\n\n"
                "We hebben uw antwoorden over {patient_first_name} nog niet ontvangen. Wilt u de vragenlijst "
                "invullen als het u lukt?\n\n{link}\n\nDe link werkt tot en met {until}.\n\n"
                "Is er een probleem dat niet kan wachten? Bel ons: {phone}.\n\n"
                "Het behandelteam van {site}",
                "Herinnering {site}: beste {first_name}, de vragenlijst over {patient_first_name} staat nog "
                "open: {link} (tot en met {until}). Dringend probleem? Bel {phone}.",
            ),
        },
    },
    "fr": {
        "patient": {
            "invitation": (
                "{site} : un court questionnaire sur votre état",
                "Bonjour {first_name},\n\n"
                "Votre équipe soignante de {site} aimerait savoir comment vous allez. Merci de remplir un court "
                "questionnaire ; cela prend quelques minutes :\n\n{link}\n\n"
                "Le lien est valable jusqu'au {until} inclus. Il est personnel : ne le partagez pas.\n\n"
                "Si vous avez un problème qui ne peut pas attendre, n'utilisez pas le questionnaire : "
                "appelez-nous au {phone}.\n\n"
                "Votre équipe soignante de {site}",
                "{site} : bonjour {first_name}, comment allez-vous ? Court questionnaire : {link} "
                "(jusqu'au {until}). Problème urgent ? Appelez le {phone}.",
            ),
            "reminder": (
                "Rappel de {site} : votre questionnaire",
                "Bonjour {first_name},\n\n"
                "Nous n'avons pas encore reçu votre questionnaire. Si vous le pouvez, merci de le remplir :"
                "\n\n{link}\n\n"
                "Le lien est valable jusqu'au {until} inclus. Si vous ne vous en sentez pas capable, ce n'est "
                "pas grave.\n\n"
                "Si vous avez un problème qui ne peut pas attendre, appelez-nous au {phone}.\n\n"
                "Votre équipe soignante de {site}",
                "Rappel {site} : bonjour {first_name}, votre questionnaire est toujours ouvert : {link} "
                "(jusqu'au {until}). Problème urgent ? Appelez le {phone}.",
            ),
        },
        "proxy": {
            "invitation": (
                "{site} : un court questionnaire sur {patient_first_name}",
                "Bonjour {first_name},\n\n"
                "L'équipe soignante de {site} aimerait savoir de votre part comment va {patient_first_name}. "
                "Merci de répondre aux questions selon votre point de vue ; cela prend quelques minutes :"
                "\n\n{link}\n\n"
                "Le lien est valable jusqu'au {until} inclus. Il vous est réservé : ne le partagez pas.\n\n"
                "En cas de problème qui ne peut pas attendre, n'utilisez pas le questionnaire : "
                "appelez-nous au {phone}.\n\n"
                "L'équipe soignante de {site}",
                "{site} : bonjour {first_name}, comment va {patient_first_name} selon vous ? "
                "Court questionnaire : {link} (jusqu'au {until}). Problème urgent ? Appelez le {phone}.",
            ),
            "reminder": (
                "Rappel de {site} : questionnaire sur {patient_first_name}",
                "Bonjour {first_name},\n\n"
                "Nous n'avons pas encore reçu vos réponses au sujet de {patient_first_name}. Si vous le pouvez, "
                "merci de remplir le questionnaire :\n\n{link}\n\n"
                "Le lien est valable jusqu'au {until} inclus.\n\n"
                "En cas de problème qui ne peut pas attendre, appelez-nous au {phone}.\n\n"
                "L'équipe soignante de {site}",
                "Rappel {site} : bonjour {first_name}, le questionnaire sur {patient_first_name} est toujours "
                "ouvert : {link} (jusqu'au {until}). Problème urgent ? Appelez le {phone}.",
            ),
        },
    },
    "es": {
        "patient": {
            "invitation": (
                "{site}: un breve cuestionario sobre cómo se encuentra",
                "Estimado/a {first_name}:\n\n"
                "Su equipo de {site} quiere saber cómo se encuentra. Por favor, rellene un breve cuestionario; "
                "solo le llevará unos minutos:\n\n{link}\n\n"
                "El enlace funciona hasta el {until} inclusive. Es personal: no lo comparta.\n\n"
                "Si tiene un problema que no puede esperar, no use el cuestionario: llámenos al {phone}.\n\n"
                "Su equipo de {site}",
                "{site}: {first_name}, ¿cómo se encuentra? Breve cuestionario: {link} "
                "(hasta el {until}). ¿Problema urgente? Llame al {phone}.",
            ),
            "reminder": (
                "Recordatorio de {site}: su cuestionario",
                "Estimado/a {first_name}:\n\n"
                "Todavía no hemos recibido su cuestionario. Si puede, por favor rellénelo:\n\n{link}\n\n"
                "El enlace funciona hasta el {until} inclusive. Si no se siente con fuerzas, no pasa nada.\n\n"
                "Si tiene un problema que no puede esperar, llámenos al {phone}.\n\n"
                "Su equipo de {site}",
                "Recordatorio {site}: {first_name}, su cuestionario sigue abierto: {link} "
                "(hasta el {until}). ¿Problema urgente? Llame al {phone}.",
            ),
        },
        "proxy": {
            "invitation": (
                "{site}: un breve cuestionario sobre {patient_first_name}",
                "Estimado/a {first_name}:\n\n"
                "El equipo de {site} quiere saber, según usted, cómo se encuentra {patient_first_name}. "
                "Por favor, responda a las preguntas desde su punto de vista; solo le llevará unos minutos:"
                "\n\n{link}\n\n"
                "El enlace funciona hasta el {until} inclusive. Es solo para usted: no lo comparta.\n\n"
                "Si hay un problema que no puede esperar, no use el cuestionario: llámenos al {phone}.\n\n"
                "El equipo de {site}",
                "{site}: {first_name}, ¿cómo se encuentra {patient_first_name} según usted? "
                "Breve cuestionario: {link} (hasta el {until}). ¿Problema urgente? Llame al {phone}.",
            ),
            "reminder": (
                "Recordatorio de {site}: cuestionario sobre {patient_first_name}",
                "Estimado/a {first_name}:\n\n"
                "Todavía no hemos recibido sus respuestas sobre {patient_first_name}. Si puede, por favor "
                "rellene el cuestionario:\n\n{link}\n\nEl enlace funciona hasta el {until} inclusive.\n\n"
                "Si hay un problema que no puede esperar, llámenos al {phone}.\n\n"
                "El equipo de {site}",
                "Recordatorio {site}: {first_name}, el cuestionario sobre {patient_first_name} sigue abierto: "
                "{link} (hasta el {until}). ¿Problema urgente? Llame al {phone}.",
            ),
        },
    },
}

#: What a message says when the site has no phone number on file.
NO_PHONE = {"en": "your hospital", "nl": "uw ziekenhuis", "fr": "votre hôpital", "es": "su hospital"}


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str
    sms: str


def written_date(day: date, language: str) -> str:
    month = _MONTHS[language][day.month - 1]
    return f"{month} {day.day}, {day.year}" if language == "en" else f"{day.day} {month} {day.year}"


def render(
    *, language: str, audience: str, kind: str, first_name: str, site: str, link: str, until: date, phone: str,
    patient_first_name: str = "",
) -> MessageText:
    """The subject, e-mail body and SMS text of one message; an unknown language falls back to English."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, got {audience!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    language = language if language in LANGUAGES else "en"
    values = {
        "first_name": first_name.strip() or "",
        "patient_first_name": patient_first_name.strip(),
        "site": site,
        "link": link,
        "until": written_date(until, language),
        "phone": phone.strip() or NO_PHONE[language],
    }
    subject, body, sms = TEXTS[language][audience][kind]
    return MessageText(subject.format(**values), body.format(**values), sms.format(**values))
