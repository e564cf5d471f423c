"""Load the shipped questionnaires into the database; idempotent, run after every migrate.

Wording history: a response points at the exact instrument row (code + version) it answered, and the thank-you
page and the staff pages rebuild what the respondent was shown from that row. So the wording of a shipped
version never changes once released: a changed file gets a new version (e.g. 1.0.0 -> 1.1.0) and a new row.
The rows of the earlier shipped versions stay, untouched, for the responses that used them, but are made
inactive ("superseded"): scheduling, the protocol checks and the staff "invite a relative" list only use
active rows, so every new invitation gets the current version.

Open invitations already planned with a superseded version (scheduled or sent, nothing saved yet) are moved to
the current version by :func:`move_open_invitations`: nobody has answered anything under the old wording, so
they are read exactly like a new invitation. An invitation with a saved draft keeps the version its answers were
given in (its questions may differ), as do completed, expired and cancelled ones.
"""

import logging

from django.db import transaction

from palliro.core.questionnaire import load_bank, load_questionnaire
from palliro.core.scoring import SCORERS
from palliro.instruments.models import Instrument, InstrumentKind
from palliro.instruments.standard import standard_definitions, standard_questionnaire

logger = logging.getLogger(__name__)

BANK_LANGUAGES = ["en", "nl", "fr", "es"]


def _respondent(questionnaire) -> str:
    respondents = questionnaire.respondents or ("patient",)
    return respondents[0]


@transaction.atomic
def sync_shipped_instruments() -> int:
    count = 0
    for code, questionnaire in sorted(load_bank().items()):
        _store(code, questionnaire.version, InstrumentKind.PALLIRO, dict(
            title=questionnaire.title("en"),
            respondent=_respondent(questionnaire),
            languages=BANK_LANGUAGES,
            resource=questionnaire.resource(),
            scorer_code=code if code in SCORERS else "",
            patient_ready=True,
            licence="Palliro item bank, AGPL-3.0-or-later",
        ))
        count += 1
    for definition in standard_definitions():
        resource = standard_questionnaire(definition)
        load_questionnaire(resource, languages=())  # the generated structure must itself be valid
        _store(definition.code, str(definition.version), InstrumentKind.STANDARD, dict(
            title=definition.name,
            respondent="patient",
            languages=["en"],
            resource=resource,
            scorer_code=definition.code,
            patient_ready=False,
            licence="Structure and scoring only; the official wording is licensed by its owner.",
        ))
        count += 1
    return count


def _store(code: str, version: str, kind: str, fields: dict) -> Instrument:
    existing = Instrument.objects.filter(code=code, version=version).first()
    if existing is not None and existing.resource != fields["resource"] and existing.responses.exists():
        # Overwriting would change what staff are told those respondents were shown.
        logger.error(
            "%s version %s was changed in the shipped file but already has responses: its stored wording is "
            "kept; give the changed file a new version", code, version,
        )
        fields = {**fields, "resource": existing.resource}
    instrument, _created = Instrument.objects.update_or_create(
        code=code, version=version, defaults=dict(kind=kind, active=True, **fields)
    )
    # The file's version is the one offered; the code's other shipped versions are superseded (kept for their
    # responses, offered no more). Nothing else deactivates an instrument.
    Instrument.objects.filter(code=code, kind=kind, active=True).exclude(pk=instrument.pk).update(active=False)
    return instrument


def move_open_invitations() -> int:
    """Point the open invitations of superseded shipped versions at the version scheduling now uses.

    Only invitations whose respondent has saved nothing (no draft, no response) move: see the module docstring.
    Returns how many moved. Runs after ``sync_shipped_instruments`` once the follow-up tables exist.
    """
    from palliro.followup.models import OPEN_INVITATION_STATES, Invitation, Response

    superseded = Instrument.objects.filter(active=False, kind__in=(InstrumentKind.PALLIRO, InstrumentKind.STANDARD))
    moved = 0
    for code in sorted(set(superseded.values_list("code", flat=True))):
        # The same choice as scheduling (followup.scheduling._instrument): a site's own newer version stays first.
        current = Instrument.objects.filter(code=code, active=True).order_by("-version").first()
        if current is None or current.kind == InstrumentKind.SITE:
            continue
        answered = Response.objects.filter(invitation_id__isnull=False).values("invitation_id")
        moved += Invitation.objects.filter(
            instrument__in=superseded.filter(code=code), state__in=OPEN_INVITATION_STATES,
        ).exclude(pk__in=answered).update(instrument=current)
    if moved:
        logger.info("%d open invitations moved to the current version of their questionnaire", moved)
    return moved
