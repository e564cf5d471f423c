"""Enrol the demo department's recently treated patients, so the demo has questionnaires waiting."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from palliro.clinic.models import Patient, RTCourse
from palliro.followup.models import OPEN_INVITATION_STATES, Invitation, InvitationState
from palliro.followup.protocols import protocol_for_indication
from palliro.followup.scheduling import EnrolmentError, enrol
from palliro.instruments.models import Instrument


def enrol_recent_courses(anchor: date, days: int = 45) -> int:
    """Enrol every living, consenting patient whose course started in the last ``days`` days; returns how many."""
    courses = RTCourse.objects.filter(
        first_fraction_date__gte=anchor - timedelta(days=days), patient__vital_status="alive",
        patient__followup_consent=True, patient__followup_stopped_on__isnull=True, enrolments__isnull=True,
    ).select_related("patient__site")
    enrolled = 0
    for course in courses:
        protocol = protocol_for_indication(course.indication)
        if protocol is None:
            continue
        try:
            enrol(course.patient, protocol, course)
        except EnrolmentError:
            continue
        enrolled += 1
    return enrolled


def sample_open_invitation(now: datetime | None = None) -> Invitation | None:
    """An invitation a visitor can open right now, to try the patient's side of the demo.

    The earliest one open now; in a small or quiet department there may be none, and then one is sent, as
    staff would send a questionnaire, to a living patient in follow-up (None only without such a patient).
    """
    now = now or timezone.now()
    candidates = Invitation.objects.filter(respondent="patient", instrument__code="palliro-general",
                                           patient__vital_status="alive")
    open_now = (candidates.filter(state__in=OPEN_INVITATION_STATES, due_at__lte=now,
                                  expires_at__gt=now)
                .select_related("patient").order_by("due_at").first())
    if open_now is not None:
        return open_now
    patient = Patient.objects.filter(vital_status="alive", followup_consent=True,
                                     followup_stopped_on__isnull=True).order_by("pk").first()
    instrument = Instrument.objects.filter(code="palliro-general").order_by("-version").first()
    if patient is None or instrument is None:
        return None
    return Invitation.objects.create(
        patient=patient, respondent="patient", instrument=instrument, step_label="demo",
        due_at=now, expires_at=now + timedelta(days=3), state=InvitationState.SENT, sent_at=now,
    )
