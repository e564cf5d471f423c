"""Enrolment, scheduling and rescheduling of invitations."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from palliro.followup.models import (
    Anchor,
    Enrolment,
    Invitation,
    InvitationState,
    Protocol,
    ProtocolStep,
    Respondent,
)
from palliro.instruments.models import Instrument

SEND_HOUR = 9  # invitations open at 09:00 local time: nobody should get a symptom question at night


class EnrolmentError(ValueError):
    pass


def anchor_date(step_anchor: str, enrolment: Enrolment) -> date | None:
    if step_anchor == Anchor.ENROLMENT:
        return timezone.localdate(enrolment.enrolled_at)
    course = enrolment.course
    if course is None:
        return None
    if step_anchor == Anchor.FIRST_FRACTION:
        return course.first_fraction_date
    # Until the last fraction is recorded, plan with the expected end of the course.
    return course.last_fraction_date or expected_last_fraction(course)


def expected_last_fraction(course) -> date | None:
    if course.first_fraction_date is None:
        return None
    n = course.fractions_planned
    if course.schedule == "weekly":
        return course.first_fraction_date + timedelta(days=7 * (n - 1))
    if course.schedule == "bid":
        return course.first_fraction_date + timedelta(days=(n - 1) // 2)
    days, day = 0, course.first_fraction_date
    while days < n - 1:  # daily fractions on weekdays only
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return day


def _at(day: date, tz: ZoneInfo, hour: int = SEND_HOUR) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


def planned_days(step: ProtocolStep, enrolment: Enrolment) -> list[date]:
    start = anchor_date(step.anchor, enrolment)
    if start is None:
        return []
    first = start + timedelta(days=step.day_offset)
    if not step.repeat_until_anchor:
        return [first]
    end_anchor = anchor_date(step.repeat_until_anchor, enrolment)
    if end_anchor is None:
        return [first]
    last = end_anchor + timedelta(days=step.repeat_until_offset or 0)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _respondents(step: ProtocolStep, patient) -> list:
    """(respondent kind, proxy) pairs for a step: a proxy step goes to every active, consenting proxy."""
    if step.respondent == Respondent.PROXY:
        return [(Respondent.PROXY, proxy) for proxy in patient.proxies.filter(active=True, consent=True)]
    return [(step.respondent, None)]


def _instrument(code: str) -> Instrument:
    instrument = Instrument.objects.filter(code=code, active=True).order_by("-version").first()
    if instrument is None:
        raise EnrolmentError(f"The protocol needs questionnaire {code!r}, which is not loaded.")
    return instrument


def _build(enrolment: Enrolment, step: ProtocolStep, day: date, respondent: str, proxy) -> Invitation:
    tz = ZoneInfo(enrolment.patient.site.timezone)
    return Invitation(
        enrolment=enrolment, step=step, step_label=step.label, patient=enrolment.patient, proxy=proxy,
        respondent=respondent, instrument=_instrument(step.instrument_code),
        due_at=_at(day, tz), expires_at=_at(day + timedelta(days=step.window_days), tz, hour=23),
    )


@transaction.atomic
def enrol(patient, protocol: Protocol, course=None, user=None) -> Enrolment:
    if not patient.followup_consent:
        raise EnrolmentError("The patient has not consented to symptom follow-up.")
    if patient.is_dead:
        raise EnrolmentError("The patient has died.")
    if patient.followup_stopped_on:
        raise EnrolmentError("The patient withdrew from follow-up.")
    if course is not None and course.patient_id != patient.pk:
        raise EnrolmentError("The course belongs to another patient.")
    if course is not None and Enrolment.objects.filter(course=course, protocol=protocol, active=True).exists():
        raise EnrolmentError("This course is already enrolled in this protocol.")
    enrolment = Enrolment.objects.create(patient=patient, course=course, protocol=protocol, enrolled_by=user)
    invitations = [
        _build(enrolment, step, day, respondent, proxy)
        for step in protocol.steps.all()
        for day in planned_days(step, enrolment)
        for respondent, proxy in _respondents(step, patient)
    ]
    now = timezone.now()
    for invitation in invitations:
        if invitation.expires_at > now:  # a window that already closed is not worth a link
            invitation.save()  # save() derives each link's salt and hash
    return enrolment


@transaction.atomic
def reschedule_course(course) -> int:
    """Move the open invitations of a course's enrolments to its current dates; returns how many changed.

    Completed invitations never move. A diary that becomes longer gains days; one that becomes shorter loses
    its open days beyond the new end.
    """
    changed = 0
    for enrolment in Enrolment.objects.filter(course=course, active=True).select_related("patient__site"):
        enrolment.course = course
        for step in enrolment.protocol.steps.all():
            days = planned_days(step, enrolment)
            open_invitations = list(
                enrolment.invitations.filter(step=step, state__in=[InvitationState.SCHEDULED, InvitationState.SENT])
            )
            done_days = {
                timezone.localtime(i.due_at).date()
                for i in enrolment.invitations.filter(step=step).exclude(
                    state__in=[InvitationState.SCHEDULED, InvitationState.SENT]
                )
            }
            wanted = [d for d in days if d not in done_days]
            by_respondent: dict = {}
            for invitation in open_invitations:
                by_respondent.setdefault((invitation.respondent, invitation.proxy_id), []).append(invitation)
            for (respondent, _proxy_id), existing in by_respondent.items():
                proxy = existing[0].proxy
                existing.sort(key=lambda i: i.due_at)
                for invitation, day in zip(existing, wanted, strict=False):
                    fresh = _build(enrolment, step, day, respondent, proxy)
                    if (invitation.due_at, invitation.expires_at) != (fresh.due_at, fresh.expires_at):
                        invitation.due_at, invitation.expires_at = fresh.due_at, fresh.expires_at
                        invitation.save(update_fields=["due_at", "expires_at"])
                        changed += 1
                for invitation in existing[len(wanted):]:
                    invitation.state = InvitationState.CANCELLED
                    invitation.save(update_fields=["state"])
                    changed += 1
                for day in wanted[len(existing):]:
                    _build(enrolment, step, day, respondent, proxy).save()
                    changed += 1
    return changed


@transaction.atomic
def stop_followup(patient, reason: str) -> int:
    """Cancel every open invitation of a patient (death, withdrawal); returns how many were cancelled."""
    Enrolment.objects.filter(patient=patient, active=True).update(active=False, stopped_reason=reason[:120])
    return Invitation.objects.filter(
        patient=patient, state__in=[InvitationState.SCHEDULED, InvitationState.SENT]
    ).update(state=InvitationState.CANCELLED)


@transaction.atomic
def invite_proxy(patient, proxy, instrument: Instrument, window_days: int, now=None) -> Invitation:
    """An extra invitation for one relative, open from now until the evening ``window_days`` later.

    Outside any protocol (no enrolment): staff use it when a relative should answer at a time the protocol
    does not plan, e.g. when the patient has become too ill to answer.
    """
    if proxy.patient_id != patient.pk:
        raise EnrolmentError("The relative belongs to another patient.")
    if not (proxy.active and proxy.consent):
        raise EnrolmentError("The relative has not consented to answer questionnaires.")
    if patient.is_dead or patient.followup_stopped_on or not patient.followup_consent:
        raise EnrolmentError("Follow-up has stopped for this patient.")
    if window_days < 1:
        raise EnrolmentError("The link must stay valid for at least one day.")
    now = now or timezone.now()
    tz = ZoneInfo(patient.site.timezone)
    today = timezone.localtime(now, tz).date()
    invitation = Invitation(
        patient=patient, proxy=proxy, respondent=Respondent.PROXY, instrument=instrument,
        step_label="relative (extra)", due_at=now, expires_at=_at(today + timedelta(days=window_days), tz, hour=23),
    )
    invitation.save()
    return invitation
