"""Enrol the demo department's recently treated patients, so the demo has questionnaires waiting."""

from datetime import date, timedelta

from palliro.clinic.models import RTCourse
from palliro.followup.models import Invitation, InvitationState
from palliro.followup.protocols import protocol_for_indication
from palliro.followup.scheduling import EnrolmentError, enrol


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


def sample_open_invitation() -> Invitation | None:
    """An invitation a visitor can open right now, to try the patient's side of the demo."""
    return (
        Invitation.objects.filter(state__in=[InvitationState.SCHEDULED, InvitationState.SENT], respondent="patient",
                                  instrument__code="palliro-general")
        .select_related("patient").order_by("due_at").first()
    )
