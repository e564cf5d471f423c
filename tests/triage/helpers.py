"""Helpers shared by the triage tests (imported explicitly)."""

import uuid
from datetime import timedelta

from django.utils import timezone


def instrument(code):
    from palliro.instruments.models import Instrument

    return Instrument.objects.filter(code=code).order_by("-version").first()


def answers_for(inst, **given):
    """Complete answers: the given ones (linkId with '-' written as '_'), the lowest option elsewhere."""
    given = {k.replace("_", "-"): v for k, v in given.items()}
    out = {}
    for item in inst.questionnaire().questions:
        if item.link_id in given:
            out[item.link_id] = given[item.link_id]
        elif item.type == "choice" and not item.repeats and item.required and not item.enable_when:
            out[item.link_id] = item.options[0].code
        elif item.type == "integer" and item.required:
            out[item.link_id] = 0
    return out


def submit(patient, code, *, respondent=None, proxy=None, invitation=None, **given):
    from palliro.followup.submission import submit as store

    inst = instrument(code)
    result = store(
        instrument=inst, patient=patient, respondent=respondent or ("proxy" if code.endswith("-proxy") else "patient"),
        answers=answers_for(inst, **given), submission_id=uuid.uuid4(), language="en", proxy=proxy,
        invitation=invitation,
    )
    return result.response


def enrol_course(patient, *, first_fraction_days_ago, enrolled_days_ago, protocol="general-palliative"):
    """An RT course starting ``first_fraction_days_ago`` and its enrolment made ``enrolled_days_ago``."""
    from palliro.clinic.models import RTCourse
    from palliro.followup.models import Enrolment, Protocol

    today = timezone.localdate()
    course = RTCourse.objects.create(
        patient=patient, indication="pain", target_region="Lumbar spine", technique="conventional",
        total_dose_gy=20, fractions_planned=5, first_fraction_date=today - timedelta(days=first_fraction_days_ago),
    )
    enrolment = Enrolment.objects.create(patient=patient, course=course, protocol=Protocol.objects.get(code=protocol))
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_at=timezone.now() - timedelta(days=enrolled_days_ago))
    enrolment.refresh_from_db()
    return enrolment


def answer_invited(enrolment, code, days_ago, *, label="week 1", proxy=None, **given):
    """An invitation of ``enrolment`` due ``days_ago``, answered then (stored with that date)."""
    from palliro.followup.models import Invitation

    due = timezone.now() - timedelta(days=days_ago)
    invitation = Invitation.objects.create(
        enrolment=enrolment, patient=enrolment.patient, proxy=proxy, respondent="proxy" if proxy else "patient",
        instrument=instrument(code), step_label=label, due_at=due, expires_at=due + timedelta(days=3), state="sent",
    )
    response = submit(enrolment.patient, code, proxy=proxy, invitation=invitation, **given)
    if days_ago:
        backdate(response, days_ago)
    return response


def backdate(response, days):
    """Move a stored response and its observations into the past."""
    from palliro.followup.models import Observation, Response

    when = timezone.now() - timedelta(days=days)
    Response.objects.filter(pk=response.pk).update(submitted_at=when)
    Observation.objects.filter(response=response).update(observed_at=when)
    return when


def make_alert(patient, rule_code="pain-worst-high", *, severity=None, created=None, **extra):
    from palliro.triage.models import SEVERITY_RANK, Alert, AlertRule

    rule = AlertRule.objects.get(code=rule_code)
    severity = severity or rule.severity
    return Alert.objects.create(
        patient=patient, rule=rule, severity=severity, priority=SEVERITY_RANK[severity], reason=rule.reason,
        advice=rule.advice, created=created or timezone.now(), **extra,
    )
