"""Saved but never sent: a draft whose answers told the respondent to call the care team now reaches staff.

The patient pages say "call your care team now" (and, for a red flag, the emergency number) as soon as such an
answer is saved (followup/patient_views.py), but triage runs only when the questionnaire is sent. A patient
who then closes the phone, falls asleep or is too unwell to go on would leave the red flag in a draft nobody
reads. The worker therefore runs :func:`report_unsent_red_flags` every minute: a draft that has not changed
for ``PALLIRO_UNSENT_RED_FLAG_MINUTES`` (default 15) and holds a call-now answer raises an alert through
:func:`~palliro.triage.services.store_findings`, as a submission would (repeats, one open alert per patient and
rule, the urgent email), linked to the draft so that the alert opens the response page.

Which alert: the one "send" would raise for those answers. The ``advice_contact_now`` rules in force are
evaluated with the draft's call-now answers, over the findings of the ``threshold`` rules in force on the
draft's answers, exactly as triage does on submission: a call-now answer a threshold rule already covers (leg
weakness: ``mscc-red-flag``) is reported by that rule, any other by the safety net. Sending the response later
then fires the same rule again, which ``store_findings`` adds to the open alert as a repeat rather than
opening a second one. Only findings resting on a call-now answer are raised; the other rules wait for "send".
Without an active ``advice_contact_now`` rule for the questionnaire nothing is checked (the safety net is off).

Exactly once: each change of a draft is checked once. ``Response.unsent_checked_at`` records the
``updated_at`` checked and ``Response.unsent_reported`` the call-now answers already reported; both are
written by a conditional update in the same transaction as the alert, so two workers, a sweep that fails half
way or a retry never report the same answers twice, and a change made meanwhile is checked at a later sweep.
A later change that saves a new call-now answer (another question, or another answer to the same one) is
reported again; answers already reported are not.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire import advice_for, validate_answers
from palliro.core.rules import AdviceHit, RuleContext, evaluate
from palliro.followup.models import Respondent, Response, ResponseStatus
from palliro.triage.models import Alert
from palliro.triage.rules_io import rules_in_force

DEFAULT_MINUTES = 15
#: A red flag left unreported for more than a day is no safety net: a longer delay is refused.
MAX_MINUTES = 24 * 60
#: Drafts last saved longer ago than this are not reported (e.g. at the first run after an upgrade): their
#: invitations closed long ago and an alert about them would only bury the current ones.
LOOKBACK = timedelta(days=14)
#: Drafts one sweep checks at most; the rest are checked at the next sweep, a minute later.
BATCH = 500


def unsent_delay() -> timedelta:
    """How long a draft must be left unchanged before its call-now answers are reported to staff."""
    minutes = getattr(settings, "PALLIRO_UNSENT_RED_FLAG_MINUTES", DEFAULT_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise ImproperlyConfigured(
            f"PALLIRO_UNSENT_RED_FLAG_MINUTES must be a whole number of minutes from 1 to {MAX_MINUTES}, "
            f"got {minutes!r}"
        )
    return timedelta(minutes=minutes)


@task
def check_unsent_red_flags() -> int:
    """Report drafts left with a call-now answer; returns how many alerts were opened. Run every minute."""
    return len(report_unsent_red_flags())


def report_unsent_red_flags(now: datetime | None = None) -> list[Alert]:
    """Raise an alert for each draft left unchanged for the delay with a call-now answer not yet reported;
    returns the alerts opened (a finding added to an open alert as a repeat opens none)."""
    now = now or timezone.now()
    delay = unsent_delay()
    in_force = [(row, rule) for row, rule in rules_in_force() if rule.kind in ("advice_contact_now", "threshold")]
    nets = [rule for _, rule in in_force if rule.kind == "advice_contact_now"]
    if not nets:
        return []
    rows_by_code = {row.code: row for row, _ in in_force}
    today = timezone.localdate(now)
    # Only questionnaires the safety net applies to: a draft it does not is never checked (nor marked).
    covered = Q() if any(not rule.instruments for rule in nets) else Q(
        instrument__code__in=sorted({code for rule in nets for code in rule.instruments}))
    drafts = (
        Response.objects.filter(
            status=ResponseStatus.IN_PROGRESS, updated_at__lte=now - delay, updated_at__gte=now - LOOKBACK,
            patient__vital_status="alive",
        )
        .filter(covered, Q(unsent_checked_at__isnull=True) | Q(unsent_checked_at__lt=F("updated_at")))
        # A follow-up the patient stopped is not followed up; answers staff typed in are already known.
        .exclude(patient__followup_stopped_on__lte=today)
        .exclude(respondent=Respondent.STAFF)
        .select_related("instrument", "patient__site")
        .order_by("updated_at", "id")[:BATCH]
    )
    created = []
    for draft in drafts:
        code = draft.instrument.code
        created += _check(draft, [rule for _, rule in in_force if rule.applies_to(code)], rows_by_code, now)
    return created


def _check(draft: Response, rules, rows_by_code, now: datetime) -> list[Alert]:
    from palliro.triage.services import days_since_treatment, site_zone, store_findings

    reported = {item: list(values) for item, values in (draft.unsent_reported or {}).items()}
    hits = call_now_hits(draft)
    new = [hit for hit in hits if hit.value not in reported.get(hit.item, [])]
    findings = []
    if new:
        zone = site_zone(draft)
        values = _values(draft)
        limited = any(rule.kind == "threshold" and rule.parameters.get("max_days_since_treatment") is not None
                      for rule in rules)
        context = RuleContext(
            instrument=draft.instrument.code, respondent=draft.respondent, values=values, contact_now=tuple(new),
            days_since_treatment=(
                days_since_treatment(draft.patient_id, timezone.localdate(draft.updated_at, zone)) if limited else None
            ),
        )
        new_items = {hit.item for hit in new}
        findings = [
            _saved_not_sent(finding, draft, new, zone) for finding in evaluate(rules, context)
            if new_items & set(finding.items)
        ]
        for hit in new:
            reported.setdefault(hit.item, []).append(hit.value)
    with transaction.atomic():
        # Claims this version of the draft: a parallel sweep, or a change or "send" meanwhile, makes it match
        # nothing, and then this sweep reports nothing (the change is checked later, "send" runs triage).
        same_check = (Q(unsent_checked_at__isnull=True) if draft.unsent_checked_at is None
                      else Q(unsent_checked_at=draft.unsent_checked_at))
        claimed = Response.objects.filter(
            same_check, pk=draft.pk, status=ResponseStatus.IN_PROGRESS, updated_at=draft.updated_at,
        ).update(unsent_checked_at=draft.updated_at, unsent_reported=reported)
        if not claimed or not findings:
            return []
        return store_findings(draft.patient_id, findings, rows_by_code, response=draft, now=now)


def call_now_hits(draft: Response) -> tuple[AdviceHit, ...]:
    """The saved answers whose advice told the respondent to call the team now, as the patient pages say it.

    A draft holds only answers its pages accepted, but branching may have hidden one since: an answer that no
    longer validates is left out rather than hiding the others.
    """
    from palliro.followup.patient_forms import display_answer

    questionnaire = draft.instrument.questionnaire()
    answers = draft.answers or {}
    try:
        errors = validate_answers(questionnaire, answers, "en", complete=False)
        valid = {k: v for k, v in answers.items() if k not in errors}
        advice = advice_for(questionnaire, valid, "en")
    except PalliroValueError:
        return ()
    hits = []
    for item_advice in advice:
        if item_advice.contact_now:
            item = questionnaire.item(item_advice.link_id)
            label = f"{item.text('en')}: {display_answer(item, valid[item.link_id], 'en')}"
            hits.append(AdviceHit(item.link_id, item_advice.value, red_flag=item.red_flag, label=label))
    return tuple(hits)


def _values(draft: Response) -> dict[str, float]:
    """The numeric value of each saved answer, as the submission stores it (followup.submission)."""
    questionnaire = draft.instrument.questionnaire()
    values = {}
    for item in questionnaire.questions:
        if item.link_id in (draft.answers or {}):
            try:
                value = item.value_of(draft.answers[item.link_id])
            except (PalliroValueError, TypeError, ValueError):
                continue
            if value is not None:
                values[item.link_id] = float(value)
    return values


def _saved_not_sent(finding, draft: Response, new: list[AdviceHit], zone):
    saved = timezone.localtime(draft.updated_at, zone)
    answers = "; ".join(
        (hit.label or f"{hit.item} (answered {hit.value:g})") + (" [red flag: emergency number shown]" if hit.red_flag
                                                               else "")
        for hit in new if hit.item in finding.items
    )
    # Only the answers this alert is about: the rule's own detail would also list answers reported before.
    detail = (
        f"SAVED BUT NOT SENT: these answers are in a draft last saved on {saved:%Y-%m-%d %H:%M} (site time, "
        f"{saved:%Z}) that was never sent. Saved answers: {answers}."
    )
    return replace(finding, detail=detail)
