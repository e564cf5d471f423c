"""The printed handout: the invitation's link as a QR code, for patients without e-mail or a mobile phone.

The SVG is drawn with segno and inlined into the page (no image request, no inline style: CSP-safe). Error
correction level M survives a crumpled or badly photocopied sheet while keeping the code small enough to scan
from arm's length.
"""

from dataclasses import dataclass
from datetime import date

import segno
from django.utils.safestring import SafeString, mark_safe

from palliro.followup import messages

# Printed handout texts, beside the QR code. No identifiers beyond the first name, as for e-mail and SMS.
HANDOUT = {
    "en": ("A short questionnaire from {site}", "Scan the code with your phone's camera, or type the address "
           "below into a web browser. It works until {until}. Urgent problem? Call {phone}."),
    "nl": ("Een korte vragenlijst van {site}", "Scan de code met de camera van uw telefoon, of typ het adres "
           "hieronder in een webbrowser. Het werkt tot en met {until}. Dringend probleem? Bel {phone}."),
    "fr": ("Un court questionnaire de {site}", "Scannez le code avec l'appareil photo de votre téléphone, ou "
           "tapez l'adresse ci-dessous dans un navigateur. Valable jusqu'au {until}. Problème urgent ? "
           "Appelez le {phone}."),
    "es": ("Un breve cuestionario de {site}", "Escanee el código con la cámara de su teléfono o escriba la "
           "dirección de abajo en un navegador. Funciona hasta el {until}. ¿Problema urgente? Llame al {phone}."),
}


@dataclass(frozen=True)
class Handout:
    language: str
    heading: str
    instructions: str
    link: str
    qr_svg: SafeString


def qr_svg(link: str, *, scale: int = 5, title: str = "QR code of the questionnaire link") -> SafeString:
    """An inline SVG of ``link`` (segno output: only path data and attributes we set, safe to inline)."""
    code = segno.make(link, error="m")
    return mark_safe(code.svg_inline(scale=scale, border=4, title=title, svgclass="qr", lineclass="qr-line"))  # noqa: S308


def build(*, link: str, language: str, site: str, phone: str, until: date) -> Handout:
    language = language if language in HANDOUT else "en"
    heading, instructions = HANDOUT[language]
    values = {"site": site, "until": messages.written_date(until, language),
              "phone": phone.strip() or messages.NO_PHONE[language]}
    return Handout(language, heading.format(**values), instructions.format(**values), link, qr_svg(link))
