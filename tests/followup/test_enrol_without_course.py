"""Follow-up after another intervention (a procedure, best supportive care): enrolled without a course, the
protocol's time points count from the start date the nurse gives; one such enrolment per protocol."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.clinic.models import Proxy
from palliro.followup.models import Enrolment, Protocol
from palliro.followup.scheduling import EnrolmentError, enrol

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("followup_enrol", args=[patient.pk])


def protocol(code="bone-metastases"):
    return Protocol.objects.get(code=code)


def planned(enrolment):
    """(label, questionnaire, respondent, local day) of every invitation, in order."""
    return sorted((i.step_label, i.instrument.code, i.respondent, timezone.localtime(i.due_at).date())
                  for i in enrolment.invitations.all())


def test_a_start_date_plans_every_step_of_the_protocol(ann):
    start = timezone.localdate() + timedelta(days=3)
    enrolment = enrol(ann, protocol(), anchor_date=start)
    assert enrolment.anchor_date == start
    days = planned(enrolment)
    diary = [day for label, _, _, day in days if label == "pain diary"]
    assert diary == [start + timedelta(days=k) for k in range(11)]  # the start day to 10 days after it
    weeks = {(label, day) for label, code, _, day in days if label.startswith("week") and code == "palliro-general"}
    assert weeks == {(f"week {w}", start + timedelta(days=7 * w)) for w in (1, 2, 4, 8, 12)}
    assert {label for label, *_ in days} == {"baseline", "pain diary", "week 1", "week 2", "week 4", "week 8",
                                             "week 12"}


def test_it_counts_from_today_without_a_start_date(ann):
    enrolment = enrol(ann, protocol("general-palliative"))
    assert enrolment.anchor_date == timezone.localdate()
    assert ("week 1", "palliro-general", "patient", timezone.localdate() + timedelta(days=7)) in planned(enrolment)


def test_a_relative_added_later_gets_the_relatives_time_points(ann):
    enrolment = enrol(ann, protocol("general-palliative"), anchor_date=timezone.localdate())
    assert not enrolment.invitations.filter(respondent="proxy").exists()
    Proxy.objects.create(patient=ann, name="Piet", relationship="partner", consent=True, email="p@example.org")
    assert set(enrolment.invitations.filter(respondent="proxy").values_list("step_label", flat=True)) == {
        "week 2 (relative)", "week 4 (relative)"}


def test_it_refuses_a_second_enrolment_in_the_same_protocol_without_a_course(ann):
    enrol(ann, protocol())
    with pytest.raises(EnrolmentError, match="already enrolled in Bone metastases .pain. without a course"):
        enrol(ann, protocol(), anchor_date=timezone.localdate() + timedelta(days=1))
    assert Enrolment.objects.filter(patient=ann).count() == 1
    enrol(ann, protocol("general-palliative"))  # another protocol is another follow-up


def test_it_enrols_again_once_the_first_enrolment_was_stopped(ann):
    from palliro.followup.scheduling import stop_enrolment

    stop_enrolment(enrol(ann, protocol()), "procedure cancelled")
    assert enrol(ann, protocol()).active


def test_a_start_date_with_a_course_is_refused(ann, ann_course):
    with pytest.raises(EnrolmentError, match="only given without a course"):
        enrol(ann, protocol(), ann_course, anchor_date=timezone.localdate())


def test_the_form_enrols_with_a_start_date_and_says_so(login, nurse_a, ann):
    start = timezone.localdate() - timedelta(days=2)
    response = login(nurse_a).post(url(ann), {"protocol": protocol().pk, "course": "", "start_date": start},
                                   follow=True)
    enrolment = Enrolment.objects.get(patient=ann)
    assert enrolment.anchor_date == start and enrolment.course is None
    body = response.content.decode()
    assert f"without a course, time points counting from {start:%Y-%m-%d}" in body
    assert f"none: counts from {start:%Y-%m-%d}" in body  # shown on the follow-up page
    assert AuditEvent.objects.get(action="followup_enrol").detail == f"bone-metastases, from {start:%Y-%m-%d}"


def test_the_form_counts_from_today_when_the_start_date_is_left_empty(login, nurse_a, ann):
    login(nurse_a).post(url(ann), {"protocol": protocol().pk, "course": "", "start_date": ""})
    assert Enrolment.objects.get(patient=ann).anchor_date == timezone.localdate()


def test_the_form_shows_the_duplicate_refusal(login, nurse_a, ann):
    enrol(ann, protocol())
    response = login(nurse_a).post(url(ann), {"protocol": protocol().pk, "course": ""})
    assert response.status_code == 200
    assert "already enrolled in Bone metastases (pain) without a course" in response.content.decode()
    assert Enrolment.objects.filter(patient=ann).count() == 1


@pytest.mark.parametrize(("given", "message"), [
    ("2026-02-30", "Enter a valid date."),
    ("yesterday", "Enter a valid date."),
    (-85, "is more than 12 weeks ago: every time point of the protocol would be over."),
    (91, "is more than 90 days ahead: enrol nearer the time."),
])
def test_the_form_refuses_bad_start_dates(login, nurse_a, ann, given, message):
    if isinstance(given, int):
        given = timezone.localdate() + timedelta(days=given)
    response = login(nurse_a).post(url(ann), {"protocol": protocol().pk, "course": "", "start_date": given})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["start_date"])
    assert not Enrolment.objects.exists()


def test_the_form_refuses_a_start_date_with_a_course(login, nurse_a, ann, ann_course):
    response = login(nurse_a).post(url(ann), {"protocol": protocol().pk, "course": ann_course.pk,
                                              "start_date": timezone.localdate()})
    assert response.status_code == 200
    assert "only for an enrolment without a course" in response.context["form"].errors["start_date"][0]
    assert not Enrolment.objects.exists()
