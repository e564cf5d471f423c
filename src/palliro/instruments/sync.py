"""Load the shipped questionnaires into the database; idempotent, run after every migrate."""

from django.db import transaction

from palliro.core.questionnaire import load_bank, load_questionnaire
from palliro.core.scoring import SCORERS
from palliro.instruments.models import Instrument, InstrumentKind
from palliro.instruments.standard import standard_definitions, standard_questionnaire

BANK_LANGUAGES = ["en", "nl", "fr", "es"]


def _respondent(questionnaire) -> str:
    respondents = questionnaire.respondents or ("patient",)
    return respondents[0]


@transaction.atomic
def sync_shipped_instruments() -> int:
    count = 0
    for code, questionnaire in sorted(load_bank().items()):
        Instrument.objects.update_or_create(
            code=code,
            version=questionnaire.version,
            defaults=dict(
                title=questionnaire.title("en"),
                kind=InstrumentKind.PALLIRO,
                respondent=_respondent(questionnaire),
                languages=BANK_LANGUAGES,
                resource=questionnaire.resource(),
                scorer_code=code if code in SCORERS else "",
                patient_ready=True,
                licence="Palliro item bank, AGPL-3.0-or-later",
            ),
        )
        count += 1
    for definition in standard_definitions():
        resource = standard_questionnaire(definition)
        load_questionnaire(resource, languages=())  # the generated structure must itself be valid
        Instrument.objects.update_or_create(
            code=definition.code,
            version=str(definition.version),
            defaults=dict(
                title=definition.name,
                kind=InstrumentKind.STANDARD,
                respondent="patient",
                languages=["en"],
                resource=resource,
                scorer_code=definition.code,
                patient_ready=False,
                licence="Structure and scoring only; the official wording is licensed by its owner.",
            ),
        )
        count += 1
    return count
