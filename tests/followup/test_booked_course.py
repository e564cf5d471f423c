"""A course booked before it starts: the nurse records the booked first fraction at simulation, enrols the patient
and the whole protocol is planned (baseline now, before treatment); moving the booking moves what is still
pending."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.clinic.models import RTCourse
from palliro.followup.models import Enrolment, InvitationState, Protocol
from palliro.followup.scheduling import expected_last_fraction
from tests.followup.staff_fixtures import next_monday

pytestmark = pytest.mark.django_db


def course_form(first, **overrides):
    today = timezone.localdate()
    data = {
        "indication": "pain", "target_region": "Left femur", "technique": "conventional", "total_dose_gy": "20",
        "fractions_planned": "5", "schedule": "daily", "referral_date": today - timedelta(days=5),
        "consultation_date": today - timedelta(days=2), "simulation_date": today, "first_fraction_date": first,
        "last_fraction_date": "", "fractions_delivered": "", "stop_reason": "", "notes": "",
    }
    data.update(overrides)
    return data


def plan(enrolment):
    """Open time points as (label, questionnaire, local day), in order."""
    return sorted(
        (i.step_label, i.instrument.code, timezone.localtime(i.due_at).date())
        for i in enrolment.invitations.filter(state__in=[InvitationState.SCHEDULED, InvitationState.SENT])
    )


def expected(first, today):
    last = first + timedelta(days=4)  # five weekday fractions from a Monday
    days = [("baseline", code, today) for code in ("palliro-general", "palliro-bone")]
    days += [("pain diary", "palliro-pain-diary", first + timedelta(days=d)) for d in range((last - first).days + 11)]
    days += [(f"week {w}", code, first + timedelta(days=7 * w))
             for w in (1, 2, 4, 8, 12) for code in ("palliro-general", "palliro-bone")]
    return sorted(days)


@pytest.fixture
def booked(login, nurse_a, ann):
    """Ann's course, booked by the nurse at simulation for the Monday after tomorrow or later, and Ann enrolled."""
    client = login(nurse_a)
    first = next_monday(timezone.localdate() + timedelta(days=1))
    response = client.post(reverse("record_create", args=[ann.pk, "course"]), course_form(first))
    assert response.status_code == 302, response.content.decode()[:3000]
    course = RTCourse.objects.get(patient=ann)
    protocol = Protocol.objects.get(code="bone-metastases")
    response = client.post(reverse("followup_enrol", args=[ann.pk]), {"protocol": protocol.pk, "course": course.pk})
    assert response.status_code == 302
    return client, course, Enrolment.objects.get(course=course)


def test_enrolling_a_booked_course_plans_the_whole_protocol(booked):
    _client, course, enrolment = booked
    today = timezone.localdate()
    assert course.is_booked and expected_last_fraction(course) == course.first_fraction_date + timedelta(days=4)
    assert plan(enrolment) == expected(course.first_fraction_date, today)
    baseline = enrolment.invitations.filter(step_label="baseline")
    assert all(timezone.localtime(i.due_at).date() < course.first_fraction_date for i in baseline)


def test_moving_the_booked_date_moves_the_pending_invitations(booked):
    client, course, enrolment = booked
    today = timezone.localdate()
    before = enrolment.invitations.count()
    moved = course.first_fraction_date + timedelta(days=7)
    response = client.post(reverse("record_edit", args=["course", course.pk]), course_form(moved))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert plan(enrolment) == expected(moved, today)
    # Links not yet sent are moved, not cancelled and created anew; the baseline stays where it was.
    assert enrolment.invitations.count() == before
    assert not enrolment.invitations.filter(state=InvitationState.CANCELLED).exists()


def test_the_enrolment_page_says_the_course_is_booked(booked, ann):
    client, course, _enrolment = booked
    body = client.get(reverse("followup_enrol", args=[ann.pk])).content.decode()
    assert f"booked for {course.first_fraction_date:%Y-%m-%d}" in body
