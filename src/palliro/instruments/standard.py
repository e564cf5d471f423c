"""FHIR Questionnaires for the standard instruments, built from their scoring definitions.

They carry structure and short neutral labels only: licensed wording is never shipped. A site that holds a
licence imports the official wording as a separate file (``palliro import_instrument``).
"""

from palliro.core.questionnaire import PALLIRO_EXT
from palliro.core.scoring import SCORERS
from palliro.core.scoring.base import InstrumentDefinition

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
BASE_URL = "https://palliro.org/fhir/Questionnaire/"
ITEM_SYSTEM = "https://palliro.org/fhir/CodeSystem/"
# The death-rattle scorer belongs to Palliro's own questionnaire, which ships with full wording.
OWN_QUESTIONNAIRES = {"palliro-death-rattle"}


def standard_questionnaire(definition: InstrumentDefinition) -> dict:
    items = []
    for item in definition.items:
        labels = item.answer_labels or tuple(str(v) for v in range(item.minimum, item.maximum + 1))
        items.append(
            {
                "linkId": str(item.key),
                "code": [{"system": f"{ITEM_SYSTEM}{definition.code}", "code": str(item.key), "display": item.label}],
                "text": item.label,
                "type": "choice",
                "answerOption": [
                    {
                        "valueCoding": {"code": str(value), "display": label},
                        "extension": [{"url": ORDINAL, "valueDecimal": value}],
                    }
                    for value, label in zip(range(item.minimum, item.maximum + 1), labels, strict=True)
                ],
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": definition.code,
        "url": BASE_URL + definition.code,
        "version": str(definition.version),
        "name": definition.code.replace("-", "_"),
        "title": definition.name,
        "status": "active",
        "language": "en",
        "description": (
            f"{definition.name}: structure and scoring only, with neutral labels. "
            f"Source of scoring: {definition.source}. Official wording is licensed and not included."
        ),
        "extension": [{"url": PALLIRO_EXT + "respondent", "valueCode": "patient"}],
        "item": items,
    }


def standard_definitions() -> list[InstrumentDefinition]:
    return [scorer.definition for code, scorer in sorted(SCORERS.items()) if code not in OWN_QUESTIONNAIRES]
