"""Import a site's own questionnaire file (e.g. a licensed official wording) and export any instrument."""

import json
from dataclasses import dataclass

from django.db import transaction

from palliro.core.questionnaire import QuestionnaireError, load_questionnaire
from palliro.core.scoring import SCORERS
from palliro.instruments.models import Instrument, InstrumentKind

SUPPORTED_LANGUAGES = ("en", "nl", "fr", "es")


class ImportProblem(ValueError):
    """The file cannot be imported; ``problems`` lists every reason, each naming the item where it can."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ImportResult:
    instrument: Instrument
    created: bool


def read_json(raw: bytes | str) -> dict:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportProblem([f"the file is not valid JSON: {error}"]) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Questionnaire":
        raise ImportProblem(["the file is not a FHIR Questionnaire (resourceType must be 'Questionnaire')"])
    return data


@transaction.atomic
def import_questionnaire(resource: dict, *, languages: tuple[str, ...] = ("en",), scorer_code: str = "",
                         licence: str = "", replace: bool = False) -> ImportResult:
    """Validate with fhir.resources and Palliro's own checks, then store it as a new instrument version."""
    unknown = [lang for lang in languages if lang not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ImportProblem([f"unsupported language {', '.join(unknown)}; use en, nl, fr or es"])
    if scorer_code and scorer_code not in SCORERS:
        raise ImportProblem([f"unknown scoring method {scorer_code!r}; choose one of {', '.join(sorted(SCORERS))}"])
    try:
        questionnaire = load_questionnaire(resource, languages=tuple(lang for lang in languages if lang != "en"))
    except QuestionnaireError as error:
        raise ImportProblem([str(problem) for problem in error.problems]) from None
    if scorer_code:
        _check_scorer_items(questionnaire, scorer_code)
    existing = Instrument.objects.filter(code=questionnaire.code, version=questionnaire.version).first()
    if existing is not None and existing.kind != InstrumentKind.SITE:
        raise ImportProblem([
            f"{questionnaire.code} version {questionnaire.version} is shipped with Palliro; give your file "
            "another version (e.g. '3.0-site-nl') so responses keep pointing at the exact text they answered"
        ])
    if existing is not None and not replace:
        raise ImportProblem([
            f"{questionnaire.code} version {questionnaire.version} is already loaded; use --replace only if no "
            "patient has answered it, or give the file a new version"
        ])
    if existing is not None and existing.responses.exists():
        raise ImportProblem([f"{questionnaire.code} version {questionnaire.version} already has responses; give the file a new version"])
    instrument, created = Instrument.objects.update_or_create(
        code=questionnaire.code, version=questionnaire.version,
        defaults=dict(
            title=questionnaire.title("en"), kind=InstrumentKind.SITE,
            respondent=(questionnaire.respondents or ("patient",))[0], languages=list(languages),
            resource=questionnaire.resource(), scorer_code=scorer_code, patient_ready=True, licence=licence,
        ),
    )
    return ImportResult(instrument, created)


def _check_scorer_items(questionnaire, scorer_code: str) -> None:
    definition = SCORERS[scorer_code].definition
    wanted = {str(item.key) for item in definition.items}
    present = {item.link_id for item in questionnaire.questions}
    missing = sorted(wanted - present)
    if missing:
        raise ImportProblem([f"the file lacks items {', '.join(missing)} needed by the {scorer_code} scoring"])


def export_questionnaire(instrument: Instrument) -> str:
    return json.dumps(instrument.resource, ensure_ascii=False, indent=2)
