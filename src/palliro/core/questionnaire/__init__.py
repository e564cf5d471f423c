"""Questionnaires as FHIR data: load, validate, branch, check answers, advise, export.

Pure domain code (no Django). Palliro's own item bank ships as FHIR R4 Questionnaire JSON in
``palliro/instruments/data``; :func:`load_bank` loads it. See :mod:`.loader` for the Palliro
extensions and validation rules, and :mod:`.answers` for the answer format.

Example::

    bank = load_bank()
    general = bank["palliro-general"]
    answers = {"pain-worst": "8", "analgesic-use": "more", "breakthrough-doses": 3}
    validate_answers(general, answers, "nl")        # {} when valid
    advice_for(general, answers, "fr")              # [Advice(link_id="pain-worst", contact_now=True, ...)]
"""

from palliro.core.questionnaire.answers import (
    advice_for,
    enabled_items,
    to_questionnaire_response,
    validate_answers,
)
from palliro.core.questionnaire.loader import BANK_DIR, PALLIRO_EXT, load_bank, load_questionnaire
from palliro.core.questionnaire.model import (
    LANGUAGES,
    Advice,
    AdviceBand,
    AnswerError,
    EnableWhen,
    Instrument,
    Item,
    LocalizedText,
    Option,
    Problem,
    QuestionnaireError,
)

__all__ = [
    "BANK_DIR",
    "LANGUAGES",
    "PALLIRO_EXT",
    "Advice",
    "AdviceBand",
    "AnswerError",
    "EnableWhen",
    "Instrument",
    "Item",
    "LocalizedText",
    "Option",
    "Problem",
    "QuestionnaireError",
    "advice_for",
    "enabled_items",
    "load_bank",
    "load_questionnaire",
    "to_questionnaire_response",
    "validate_answers",
]
