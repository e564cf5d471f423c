"""Answers to an :class:`~.model.Instrument`: branching, validation, advice and FHIR export.

Answers are a plain mapping ``linkId -> value``:

- choice: the option code (``str``); a list of codes when the item repeats;
- integer: ``int``; decimal: ``int`` or ``float``; boolean: ``bool``; string/text: ``str``.

``None``, ``""`` and an empty list mean "not answered". Answers to items that are disabled by
enableWhen are ignored everywhere (FHIR: a disabled item's answers are not part of the response),
so a form can post every field and the branching decides what counts.

enableWhen follows the FHIR rules as clarified in R5/SDC: with no answer only ``exists`` can be
true; ``=`` is true if any answer equals the given one; ``!=`` is true if no answer equals it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire.model import LANGUAGES, Advice, AnswerError, Instrument, Item

__all__ = ["advice_for", "enabled_items", "to_questionnaire_response", "validate_answers"]

# Patient-facing validation messages; patient pages are in the respondent's language.
_MESSAGES = {
    "required": {
        "en": "Please answer this question.",
        "nl": "Beantwoord deze vraag alstublieft.",
        "fr": "Veuillez répondre à cette question.",
        "es": "Por favor, responda a esta pregunta.",
    },
    "option": {
        "en": "Please choose one of the answers shown.",
        "nl": "Kies een van de getoonde antwoorden.",
        "fr": "Veuillez choisir une des réponses proposées.",
        "es": "Elija una de las respuestas que se muestran.",
    },
    "one": {
        "en": "Please choose only one answer.",
        "nl": "Kies maar één antwoord.",
        "fr": "Veuillez choisir une seule réponse.",
        "es": "Elija solo una respuesta.",
    },
    "twice": {
        "en": "Each answer can be chosen only once.",
        "nl": "Elk antwoord kan maar één keer gekozen worden.",
        "fr": "Chaque réponse ne peut être choisie qu'une fois.",
        "es": "Cada respuesta solo se puede elegir una vez.",
    },
    "whole": {
        "en": "Please enter a whole number.",
        "nl": "Vul een heel getal in.",
        "fr": "Veuillez saisir un nombre entier.",
        "es": "Escriba un número entero.",
    },
    "number": {
        "en": "Please enter a number.",
        "nl": "Vul een getal in.",
        "fr": "Veuillez saisir un nombre.",
        "es": "Escriba un número.",
    },
    "range": {
        "en": "Please enter a number from {low} to {high}.",
        "nl": "Vul een getal in van {low} tot en met {high}.",
        "fr": "Veuillez saisir un nombre de {low} à {high}.",
        "es": "Escriba un número del {low} al {high}.",
    },
    "yesno": {
        "en": "Please answer yes or no.",
        "nl": "Antwoord met ja of nee.",
        "fr": "Veuillez répondre par oui ou par non.",
        "es": "Responda sí o no.",
    },
    "text": {
        "en": "Please type your answer as text.",
        "nl": "Typ uw antwoord als tekst.",
        "fr": "Veuillez écrire votre réponse en texte.",
        "es": "Escriba su respuesta como texto.",
    },
    "length": {
        "en": "Please use at most {n} characters.",
        "nl": "Gebruik maximaal {n} tekens.",
        "fr": "Veuillez utiliser au maximum {n} caractères.",
        "es": "Use como máximo {n} caracteres.",
    },
    "unknown": {
        "en": "This question is not part of the questionnaire.",
        "nl": "Deze vraag hoort niet bij de vragenlijst.",
        "fr": "Cette question ne fait pas partie du questionnaire.",
        "es": "Esta pregunta no forma parte del cuestionario.",
    },
}
_STATUSES = ("completed", "in-progress")


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise PalliroValueError(f"must be one of {', '.join(LANGUAGES)}, got {lang!r}", field="lang")
    return lang


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and len(value) == 0)


def _as_list(value: Any) -> list[Any]:
    if _is_blank(value):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- branching -----------------------------------------------------------------------------------


def enabled_items(instrument: Instrument, answers: Mapping[str, Any]) -> tuple[Item, ...]:
    """Items (questions, groups and display texts) that enableWhen shows for these answers, in order."""
    memo: dict[str, bool] = {}
    return tuple(item for item in instrument.items if _enabled(instrument, item, answers, memo))


def _enabled(instrument: Instrument, item: Item, answers: Mapping[str, Any], memo: dict[str, bool]) -> bool:
    if item.link_id in memo:
        return memo[item.link_id]
    memo[item.link_id] = False  # the loader refuses cycles; this only guards against recursion
    result = item.parent is None or _enabled(instrument, instrument.item(item.parent), answers, memo)
    if result and item.enable_when:
        outcomes = []
        for condition in item.enable_when:
            question = instrument.item(condition.question)
            given = answers.get(question.link_id) if _enabled(instrument, question, answers, memo) else None
            outcomes.append(_condition_holds(condition.operator, condition.answer, _as_list(given)))
        result = any(outcomes) if item.enable_behavior == "any" else all(outcomes)
    memo[item.link_id] = result
    return result


def _condition_holds(operator: str, expected: Any, given: list[Any]) -> bool:
    if operator == "exists":
        return bool(given) == bool(expected)
    if not given:
        return False
    if operator == "=":
        return any(g == expected for g in given)
    if operator == "!=":
        return all(g != expected for g in given)
    numbers = [g for g in given if _is_number(g)]
    compare = {">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__}[operator]
    return any(compare(float(g), float(expected)) for g in numbers)


# --- validation ----------------------------------------------------------------------------------


def validate_answers(
    instrument: Instrument, answers: Mapping[str, Any], lang: str = "en", *, complete: bool = True
) -> dict[str, str]:
    """Form validation: ``{linkId: message in lang}`` for every wrong answer; empty when all is well.

    Checks unknown linkIds, unknown options, numbers out of range, text too long and, when
    ``complete`` (a submitted response rather than a saved draft), required enabled questions.
    """
    lang = _lang(lang)
    errors: dict[str, str] = {}
    for link_id in answers:
        if not instrument.has_item(link_id) or not instrument.item(link_id).answerable:
            errors[link_id] = _MESSAGES["unknown"][lang]
    for item in enabled_items(instrument, answers):
        if not item.answerable:
            continue
        value = answers.get(item.link_id)
        if _is_blank(value):
            if complete and item.required:
                errors[item.link_id] = _MESSAGES["required"][lang]
            continue
        problem = _answer_problem(item, value)
        if problem is not None:
            key, params = problem
            errors[item.link_id] = _MESSAGES[key][lang].format(**params)
    return errors


def _answer_problem(item: Item, value: Any) -> tuple[str, dict[str, Any]] | None:
    if item.type == "choice":
        values = _as_list(value)
        if len(values) > 1 and not item.repeats:
            return "one", {}
        if len(set(map(repr, values))) != len(values):
            return "twice", {}
        if any(not isinstance(v, str) or item.option(v) is None for v in values):
            return "option", {}
        return None
    if isinstance(value, list | tuple):
        return "one", {}
    if item.type in ("integer", "decimal"):
        if not _is_number(value):
            return ("whole" if item.type == "integer" else "number"), {}
        if item.type == "integer" and not isinstance(value, int):
            return "whole", {}
        low = item.min_value if item.min_value is not None else -math.inf
        high = item.max_value if item.max_value is not None else math.inf
        if not low <= value <= high:
            return "range", {"low": f"{low:g}", "high": f"{high:g}"}
        return None
    if item.type == "boolean":
        return None if isinstance(value, bool) else ("yesno", {})
    if not isinstance(value, str):
        return "text", {}
    if item.max_length is not None and len(value) > item.max_length:
        return "length", {"n": item.max_length}
    return None


# --- advice --------------------------------------------------------------------------------------


def advice_for(instrument: Instrument, answers: Mapping[str, Any], lang: str, *, trusted: bool = False) -> list[Advice]:
    """Advice for every enabled, validly answered item that carries advice bands, in item order.

    With ``trusted=True`` the caller has just validated the answers (as :func:`to_questionnaire_response`
    takes it), and they are not validated a second time.

    Raises:
        AnswerError: if the answers do not validate (advice is never given on wrong input).
    """
    lang = _lang(lang)
    errors = {} if trusted else validate_answers(instrument, answers, lang, complete=False)
    if errors:
        raise AnswerError(errors)
    result = []
    for item in enabled_items(instrument, answers):
        if not item.advice_bands or _is_blank(answers.get(item.link_id)):
            continue
        value = item.value_of(answers[item.link_id])
        band = item.band_for(value) if value is not None else None
        if band is None:  # the loader guarantees coverage; a None here means the value has no ordinal
            continue
        contact = item.contact_now(value)
        result.append(
            Advice(item.link_id, band.band, band.text.get(lang), contact, item.red_flag and contact, value)
        )
    return result


# --- FHIR QuestionnaireResponse ------------------------------------------------------------------


def to_questionnaire_response(
    instrument: Instrument,
    answers: Mapping[str, Any],
    lang: str,
    subject_ref: str,
    authored: datetime,
    *,
    status: str = "completed",
    author_ref: str | None = None,
    source_ref: str | None = None,
    trusted: bool = False,
) -> dict[str, Any]:
    """Build a FHIR R4 QuestionnaireResponse (validated with fhir.resources R4B) from valid answers.

    With ``trusted=True`` the caller has just validated the answers with :func:`validate_answers`, so
    neither the answers nor the FHIR structure are checked again: the submission hot path builds the same
    document without a second validation (tests check that trusted output validates).

    Item texts and answer displays are written in ``lang``, the language the respondent saw.
    Disabled items and unanswered questions are left out; groups appear when one of their
    questions is answered.

    Raises:
        AnswerError: the answers do not validate (required answers only when status is completed).
        PalliroValueError: bad ``lang``, ``status``, ``subject_ref`` or a naive ``authored``.
    """
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    lang = _lang(lang)
    if status not in _STATUSES:
        raise PalliroValueError(f"must be one of {', '.join(_STATUSES)}, got {status!r}", field="status")
    for name, ref in (("subject_ref", subject_ref), ("author_ref", author_ref), ("source_ref", source_ref)):
        if ref is not None and (not isinstance(ref, str) or "/" not in ref):
            raise PalliroValueError(f"must be a FHIR reference like 'Patient/123', got {ref!r}", field=name)
    if subject_ref is None:
        raise PalliroValueError("is required", field="subject_ref")
    if not isinstance(authored, datetime) or authored.tzinfo is None or authored.utcoffset() is None:
        raise PalliroValueError("must be a timezone-aware datetime", field="authored")
    if not trusted:
        errors = validate_answers(instrument, answers, lang, complete=status == "completed")
        if errors:
            raise AnswerError(errors)

    nodes: dict[str | None, list[dict[str, Any]]] = {None: []}
    for item in enabled_items(instrument, answers):
        entry: dict[str, Any] = {"linkId": item.link_id}
        if item.text_i18n is not None:
            entry["text"] = item.text(lang)
        if item.type == "group":
            entry["item"] = nodes[item.link_id] = []
        elif item.answerable and not _is_blank(answers.get(item.link_id)):
            entry["answer"] = [_answer_value(item, v, lang) for v in _as_list(answers[item.link_id])]
        else:
            continue
        nodes[item.parent].append(entry)
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": instrument.canonical,
        "status": status,
        "language": lang,
        "subject": {"reference": subject_ref},
        "authored": authored.isoformat(),
        "item": _prune_empty_groups(nodes[None]),
    }
    if author_ref:
        response["author"] = {"reference": author_ref}
    if source_ref:
        response["source"] = {"reference": source_ref}
    if not response["item"]:
        del response["item"]
    if not trusted:
        QuestionnaireResponse.model_validate(response)
    return response


def _answer_value(item: Item, value: Any, lang: str) -> dict[str, Any]:
    if item.type == "choice":
        option = item.option(value)
        coding = {"code": option.code, "display": option.display(lang)}
        if option.system:
            coding = {"system": option.system, **coding}
        return {"valueCoding": coding}
    key = {"integer": "valueInteger", "decimal": "valueDecimal", "boolean": "valueBoolean"}.get(
        item.type, "valueString"
    )
    return {key: value}


def _prune_empty_groups(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = []
    for entry in entries:
        if "item" in entry:
            entry["item"] = _prune_empty_groups(entry["item"])
            if not entry["item"]:
                continue
        kept.append(entry)
    return kept
