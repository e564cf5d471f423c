"""What a respondent was shown after submitting: the one place that decides it.

The thank-you page (``patient_views.done``) draws from :func:`what_was_shown`, and the nurse's alert page
states the same thing from the same function, so the two can never disagree. It depends on

- the stored answers and the questionnaire's advice bands, in the response's language (each answered item's
  advice; ``contact_now`` when an answer reached the item's contact threshold; ``red_flag`` when that item is
  a red flag, which adds the emergency number);
- the alerts that response raised or fired again: an urgent one also makes the page say "call your care team
  now", an attention one "your care team has been told ... and will contact you" (only when the page does not
  already say "call now"). The alert rules' own ``advice`` texts are staff guidance and are never shown.

The alerts a response raised are those it opened (``Alert.response``) and those it fired again: triage stores
a response's alerts with the response's own time (``last_fired == submitted_at``). A repeat that a later
response fired again has moved on, so for an old response that repeat is no longer seen here; the alert the
response opened always is.

A staff interview (answers entered by staff) shows the patient nothing: :func:`what_was_shown` returns None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire import LANGUAGES, advice_for

#: Shown beside red-flag advice: the European emergency number (also valid in the Netherlands, Belgium,
#: France and Spain, the countries of Palliro's four languages).
EMERGENCY_NUMBER = "112"


@dataclass(frozen=True)
class Shown:
    """What the thank-you page showed (or shows) for one response.

    ``advice`` has one dict per answered item with advice: question, text, contact_now, band (in ``language``).
    ``contact_now``: "Call your care team now" with ``phone``; ``red_flag``: the emergency line with
    ``emergency_number``; ``team_told``: "Your care team has been told ..." (drawn only without contact_now).
    """

    language: str
    is_proxy: bool
    advice: list[dict] = field(default_factory=list)
    contact_now: bool = False
    red_flag: bool = False
    team_told: bool = False
    phone: str = ""
    emergency_number: str = EMERGENCY_NUMBER

    @property
    def says_team_told(self) -> bool:
        return self.team_told and not self.contact_now

    def as_context(self) -> dict:
        return {
            "advice": self.advice, "contact_now": self.contact_now, "red_flag": self.red_flag,
            "team_told": self.team_told, "phone": self.phone, "emergency_number": self.emergency_number,
        }


def raised_alerts(response):
    """The alerts this response raised or fired again, as a queryset (see the module docstring)."""
    # Through the patient's reverse relation: follow-up does not import the triage app that receives it.
    fired = Q(response_id=response.pk)
    if response.submitted_at is not None:
        fired |= Q(last_fired=response.submitted_at)
    return response.patient.alerts.filter(fired)


def raised_severities(response) -> set[str]:
    """Severities of the alerts this response raised or fired again."""
    return set(raised_alerts(response).values_list("severity", flat=True))


def what_was_shown(response, lang: str | None = None, *, severities: set[str] | None = None) -> Shown | None:
    """What the respondent of a completed ``response`` was shown; None for a staff interview.

    ``lang`` is the page's language (the respondent may switch it on the thank-you page); by default the
    language they answered in. ``severities`` may be given when already known (else read from the alerts).
    """
    if response.entered_by_id is not None or response.respondent == "staff":
        return None
    lang = lang if lang in LANGUAGES else (response.language if response.language in LANGUAGES else "en")
    questionnaire = response.instrument.questionnaire()
    try:
        advice = advice_for(questionnaire, response.answers or {}, lang)
    except PalliroValueError:
        advice = []
    questions = {item.link_id: item for item in questionnaire.questions}
    raised = raised_severities(response) if severities is None else severities
    return Shown(
        language=lang,
        is_proxy=response.respondent == "proxy",
        advice=[{"question": questions[a.link_id].text(lang), "text": a.text, "contact_now": a.contact_now,
                 "band": a.band} for a in advice if a.link_id in questions],
        contact_now=any(a.contact_now for a in advice) or "urgent" in raised,
        team_told="attention" in raised,
        red_flag=any(a.red_flag for a in advice),
        phone=response.patient.site.phone or "",
    )
