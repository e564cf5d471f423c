"""The baseline of "worse than your own baseline": the pre-treatment answer of the current course (clinical.md
§1.2), never an answer from an earlier course; a relative's first answer for a relative; one lookup per item."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.clinic.models import Proxy, RTCourse
from palliro.followup.linkaccess import find_invitation
from palliro.followup.models import Invitation
from palliro.triage.models import Alert
from palliro.triage.services import _baseline, follow_up_start

from .helpers import answer_invited, backdate, enrol_course, instrument, submit


def rises(patient):
    return list(Alert.objects.filter(patient=patient, rule__code="pain-worst-rise").values_list("detail", flat=True))


@pytest.fixture
def ann_second_course(ann):
    """Ann's first course a year ago (baseline pain 2, then better), and her second, begun a week ago with a new
    pre-treatment worst pain of 6."""
    first = enrol_course(ann, first_fraction_days_ago=395, enrolled_days_ago=400, protocol="bone-metastases")
    answer_invited(first, "palliro-general", 400, label="baseline", pain_worst="2")
    answer_invited(first, "palliro-general", 330, label="week 12", pain_worst="1")
    second = enrol_course(ann, first_fraction_days_ago=7, enrolled_days_ago=10, protocol="bone-metastases")
    answer_invited(second, "palliro-general", 10, label="baseline", pain_worst="6")
    Alert.objects.filter(patient=ann).delete()
    return second


def test_it_does_not_call_an_improvement_on_a_second_course_worse_than_before_treatment(ann, ann_second_course):
    answer_invited(ann_second_course, "palliro-general", 0, pain_worst="5")
    assert rises(ann) == []


def test_it_compares_a_second_course_with_its_own_pre_treatment_answer(ann, ann_second_course):
    answer_invited(ann_second_course, "palliro-general", 0, pain_worst="8")
    assert rises(ann) == ["Worst pain at treated site: 8 of 10, baseline 6 of 10 (+2; rule: +2 or more)"]


def test_it_takes_the_answer_before_the_first_fraction_when_enrolled_after_it(ann):
    backdate(submit(ann, "palliro-general", pain_worst="1"), 300)  # long before this course
    backdate(submit(ann, "palliro-general", pain_worst="3"), 8)  # at the consultation, before treatment
    enrolment = enrol_course(ann, first_fraction_days_ago=5, enrolled_days_ago=2)
    answer_invited(enrolment, "palliro-general", 0, pain_worst="5")
    assert rises(ann) == ["Worst pain at treated site: 5 of 10, baseline 3 of 10 (+2; rule: +2 or more)"]


def course(patient, first_fraction_days_ago):
    return RTCourse.objects.create(
        patient=patient, indication="pain", target_region="Femur", technique="conventional", total_dose_gy=8,
        fractions_planned=1, first_fraction_date=timezone.localdate() - timedelta(days=first_fraction_days_ago),
    )


def test_it_reads_a_staff_interview_against_the_course_it_falls_in(ann):
    first = enrol_course(ann, first_fraction_days_ago=395, enrolled_days_ago=400)
    answer_invited(first, "palliro-general", 400, label="baseline", pain_worst="2")
    course(ann, 5)  # a second course, not enrolled in follow-up: the interviews belong to it
    backdate(submit(ann, "palliro-general", respondent="staff", pain_worst="6"), 9)
    Alert.objects.filter(patient=ann).delete()
    submit(ann, "palliro-general", respondent="staff", pain_worst="5")
    assert rises(ann) == []


def test_it_reads_a_staff_interview_against_the_enrolled_course_until_the_next_one_is_near(ann, ann_second_course):
    course(ann, -60)  # planned in two months: today's interview still belongs to the second course
    submit(ann, "palliro-general", respondent="staff", pain_worst="8")
    assert rises(ann) == ["Worst pain at treated site: 8 of 10, baseline 6 of 10 (+2; rule: +2 or more)"]


def test_it_has_no_baseline_outside_any_course(ann):
    backdate(submit(ann, "palliro-general", pain_worst="2"), 14)
    submit(ann, "palliro-general", pain_worst="5")
    assert rises(ann) == []


def test_it_compares_a_relative_with_the_relatives_first_answer_of_the_course(ann):
    relative = Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", consent=True)
    first = enrol_course(ann, first_fraction_days_ago=395, enrolled_days_ago=400)
    answer_invited(first, "palliro-general-proxy", 380, label="week 2 (relative)", proxy=relative, pain_worst="2")
    second = enrol_course(ann, first_fraction_days_ago=30, enrolled_days_ago=32)
    answer_invited(second, "palliro-general", 32, label="baseline", pain_worst="1")
    answer_invited(second, "palliro-general-proxy", 16, label="week 2 (relative)", proxy=relative, pain_worst="5")
    Alert.objects.filter(patient=ann).delete()
    answer_invited(second, "palliro-general-proxy", 2, label="week 4 (relative)", proxy=relative, pain_worst="6")
    assert rises(ann) == []
    answer_invited(second, "palliro-general-proxy", 0, label="week 8 (relative)", proxy=relative, pain_worst="7")
    assert rises(ann) == ["Worst pain at treated site: 7 of 10, baseline 5 of 10 (+2; rule: +2 or more)"]


def test_it_keeps_a_relatives_answers_out_of_the_patients_baseline(ann):
    relative = Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", consent=True)
    enrolment = enrol_course(ann, first_fraction_days_ago=5, enrolled_days_ago=7)
    # The relative answered the patient's own questionnaire first (e.g. in a staff interview).
    backdate(submit(ann, "palliro-general", respondent="proxy", proxy=relative, pain_worst="6"), 7)
    answer_invited(enrolment, "palliro-general", 6, label="baseline", pain_worst="2")
    Alert.objects.filter(patient=ann).delete()
    answer_invited(enrolment, "palliro-general", 0, pain_worst="4")
    assert rises(ann) == ["Worst pain at treated site: 4 of 10, baseline 2 of 10 (+2; rule: +2 or more)"]


@pytest.mark.parametrize("history", [1, 30])
def test_the_baseline_is_one_lookup_per_item_whatever_the_history(ann, history, django_assert_max_num_queries):
    enrolment = enrol_course(ann, first_fraction_days_ago=history + 1, enrolled_days_ago=history + 2)
    for days_ago in range(history, 0, -1):
        answer_invited(enrolment, "palliro-general", days_ago, label=f"day {days_ago}", pain_worst="3")
    response = answer_invited(enrolment, "palliro-general", 0, pain_worst="3")
    # the course of the invitation (with the site's time zone), then one indexed lookup
    with django_assert_max_num_queries(2):
        assert _baseline(response, {"pain-worst"}) == {"pain-worst": 3.0}


def answer_through_link(enrolment, code, **given):
    """Answered as the patient's "send" does it: the invitation found by its link's token."""
    due = timezone.now() - timedelta(hours=1)
    made = Invitation.objects.create(
        enrolment=enrolment, patient=enrolment.patient, respondent="patient", instrument=instrument(code),
        step_label="week 1", due_at=due, expires_at=due + timedelta(days=3), state="sent",
    )
    return submit(enrolment.patient, code, invitation=find_invitation(made.token()), **given)


def test_it_takes_the_pre_treatment_answer_through_a_link_when_enrolled_after_the_first_fraction(ann):
    backdate(submit(ann, "palliro-general", pain_worst="1"), 300)
    backdate(submit(ann, "palliro-general", pain_worst="3"), 8)
    enrolment = enrol_course(ann, first_fraction_days_ago=5, enrolled_days_ago=2)
    answer_through_link(enrolment, "palliro-general", pain_worst="5")
    assert rises(ann) == ["Worst pain at treated site: 5 of 10, baseline 3 of 10 (+2; rule: +2 or more)"]


def test_a_link_answer_finds_the_same_follow_up_start_without_a_query(ann, django_assert_num_queries):
    enrolment = enrol_course(ann, first_fraction_days_ago=5, enrolled_days_ago=2)
    response = answer_through_link(enrolment, "palliro-general", pain_worst="5")
    with django_assert_num_queries(0):
        through_link = follow_up_start(response)
    response.refresh_from_db()  # the invitation, its enrolment and course no longer read with it
    assert through_link == follow_up_start(response)
    assert through_link.date() == timezone.localdate() - timedelta(days=5 + 14)


def test_a_link_answer_without_a_course_starts_on_the_day_of_enrolment(ann, django_assert_num_queries):
    enrolment = enrol_course(ann, first_fraction_days_ago=5, enrolled_days_ago=2)
    enrolment.course = None
    enrolment.save(update_fields=["course"])
    response = answer_through_link(enrolment, "palliro-general", pain_worst="5")
    with django_assert_num_queries(0):
        start = follow_up_start(response)
    assert start.date() == timezone.localdate() - timedelta(days=2)
