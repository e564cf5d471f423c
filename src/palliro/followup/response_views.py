"""One response as the care team reads it: every question in order with the answer the respondent gave.

For the care team only, like every patient-level follow-up page: researchers get 403, another site's patient
is a 404, an anonymous visitor is sent to the login page, and every view is written to the audit log.

Drafts (status in progress: the respondent opened the link and saved some pages but has not sent them) are
shown too, clearly marked "not sent — draft": a patient may have typed a red flag and closed the tab, and staff
who look should see it. A draft has no scores and raised no alerts (both are computed at submission); the
advice its answers would give is listed as not yet shown.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from palliro.accounts.access import audit, staff_context, staff_required
from palliro.clinic.views import get_patient_for_user
from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire import advice_for, enabled_items
from palliro.followup.models import Respondent, Response, ResponseStatus
from palliro.followup.shown import raised_alerts

#: Staff-facing names of the respondent languages.
LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "fr": "French", "es": "Spanish"}
FREE_TEXT_TYPES = ("string", "text")


def get_response_for_user(request, pk) -> Response:
    """The response, if the user is care staff at its patient's site.

    404 when it does not exist or its patient is at a site the user does not belong to; 403 for a user who is
    not care staff at the patient's site (a researcher: care pages are not for researchers). The patient is
    fetched through ``get_patient_for_user``, the same check every care page uses.
    """
    staff = getattr(request, "staff", None) or staff_context(request.user)
    if not staff.is_care_staff:
        raise PermissionDenied("This page is for the care team.")
    response = get_object_or_404(
        Response.objects.select_related("instrument", "proxy", "entered_by", "invitation", "replaces"), pk=pk
    )
    response.patient = get_patient_for_user(request, response.patient_id, care=True)
    return response


def _in(localized_get, lang: str, fallback: str = "en") -> str:
    """A questionnaire string in ``lang``; in the fallback language when it has no such translation."""
    try:
        return localized_get(lang)
    except PalliroValueError:
        try:
            return localized_get(fallback)
        except PalliroValueError:
            return ""


@dataclass
class Shown:
    """One value of an answer: as the respondent saw it, and in English when that differs."""

    text: str
    english: str = ""
    note: str = ""


@dataclass
class Row:
    link_id: str
    question: str
    question_en: str = ""
    state: str = "answered"  # answered, unanswered, not_asked, unknown_item
    values: list[Shown] = field(default_factory=list)
    free_text: str = ""
    contact_now: bool = False
    group: str = ""


def _values(item, value: Any, lang: str) -> list[Shown]:
    codes = value if isinstance(value, list) else [value]
    if item.type == "choice":
        shown = []
        for code in codes:
            option = item.option(code) if isinstance(code, str) else None
            if option is None:
                shown.append(Shown(str(code), note="not an option of this questionnaire version"))
                continue
            text = _in(option.display, lang)
            english = _in(option.display, "en") if lang != "en" else ""
            value = f"{option.ordinal:g}"
            shown.append(Shown(text, english if english != text else "", note="" if value == text else f"value {value}"))
        return shown
    if item.type == "boolean":
        return [Shown("Yes" if v is True else "No" if v is False else str(v)) for v in codes]
    return [Shown(str(v)) for v in codes]


def answer_rows(questionnaire, answers: dict, lang: str) -> list[Row]:
    """Every question in questionnaire order: the answer, or why there is none (unanswered or not asked)."""
    answers = answers or {}
    enabled = {item.link_id for item in enabled_items(questionnaire, answers)}
    groups = {item.link_id: _in(item.text, lang) or item.link_id for item in questionnaire.items
              if item.type == "group"}
    rows = []
    for item in questionnaire.questions:
        row = Row(item.link_id, _in(item.text, lang) or item.label or item.link_id,
                  group=groups.get(item.parent, "") if item.parent else "")
        if lang != "en":
            english = _in(item.text, "en")
            row.question_en = english if english != row.question else ""
        value = answers.get(item.link_id)
        if item.link_id not in enabled:
            row.state = "not_asked"
        elif value is None or value == "" or value == []:
            row.state = "unanswered"
        elif item.type in FREE_TEXT_TYPES and isinstance(value, str):
            row.free_text = value
        else:
            row.values = _values(item, value, lang)
            number = item.value_of(value)
            row.contact_now = number is not None and item.contact_now(number)
        rows.append(row)
    known = {item.link_id for item in questionnaire.questions}
    for link_id, value in answers.items():
        if link_id not in known:  # stored, but not a question of this version: shown, never dropped
            rows.append(Row(link_id, link_id, state="unknown_item", values=[Shown(str(value))]))
    return rows


def _advice(questionnaire, answers: dict, lang: str) -> list[dict]:
    """The advice the thank-you page gives for these answers (``advice_for``, as patient_views.done)."""
    try:
        advice = advice_for(questionnaire, answers or {}, lang)
    except PalliroValueError:
        return []
    questions = {item.link_id: item for item in questionnaire.questions}
    return [
        {"question": _in(questions[a.link_id].text, lang), "text": a.text, "band": a.band,
         "contact_now": a.contact_now, "red_flag": a.red_flag,
         "english": _in(questions[a.link_id].band_for(a.value).text.get, "en") if lang != "en" else ""}
        for a in advice if a.link_id in questions
    ]


def _alerts(response) -> list:
    """The alerts this response raised (``Alert.response``) or fired again: triage stores a repeat with the
    response's own time (``last_fired == submitted_at``). A draft raised none."""
    if response.status != ResponseStatus.COMPLETED:
        return []
    alerts = list(raised_alerts(response).select_related("rule").order_by("created", "id"))
    for alert in alerts:
        alert.is_repeat = alert.response_id != response.pk
    return alerts


@staff_required(care=True)
@require_GET
def response_detail(request, pk):
    response = get_response_for_user(request, pk)
    patient = response.patient
    questionnaire = response.instrument.questionnaire()
    lang = response.language or "en"
    draft = response.status == ResponseStatus.IN_PROGRESS
    rows = answer_rows(questionnaire, response.answers, lang)
    advice = _advice(questionnaire, response.answers, lang)
    for item in advice:
        if item["english"] == item["text"]:
            item["english"] = ""
    alerts = _alerts(response)
    audit(request, "response_view", patient=patient, obj=response)
    context = {
        "response": response,
        "patient": patient,
        "draft": draft,
        "zone": patient.site.zone,
        "language_name": LANGUAGE_NAMES.get(lang, lang),
        "english_beside": lang != "en",
        "questionnaire_title": _in(questionnaire.title, lang),
        "rows": rows,
        "groups_used": any(row.group for row in rows),
        "free_texts": [row for row in rows if row.free_text],
        "advice": advice,
        # As the thank-you page: "call now" when an answer reached its threshold or an urgent alert was raised.
        "contact_now": any(a["contact_now"] for a in advice) or any(a.severity == "urgent" for a in alerts),
        "observations": list(response.observations.order_by("code", "id").values_list("code", "value")),
        "alerts": alerts,
        "replaced_by": Response.objects.filter(replaces=response).only("pk", "submitted_at").first(),
        "is_staff_interview": response.respondent == Respondent.STAFF,
        "is_proxy": response.respondent == Respondent.PROXY,
    }
    return render(request, "followup/staff/response_detail.html", context)
