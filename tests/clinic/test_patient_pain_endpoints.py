"""The patient page shows the consensus pain response of a pain course from the patient's own answers."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.calculators.patient import course_pain_endpoints
from palliro.clinic.models import AnalgesicRecord, RTCourse
from palliro.followup.models import Observation, Response
from palliro.instruments.models import Instrument

FIRST = date(2026, 3, 2)


def answer(patient, day, pain):
    instrument = Instrument.objects.get(code="palliro-general")
    at = datetime.combine(day, time(10), ZoneInfo("UTC"))
    response = Response.objects.create(patient=patient, instrument=instrument, respondent="patient",
                                       status="completed", submitted_at=at)
    Observation.objects.create(patient=patient, response=response, code="palliro-general/pain-worst", value=pain,
                               observed_at=at, respondent="patient")


@pytest.fixture
def pain_course(ann):
    course = RTCourse.objects.create(
        patient=ann, indication="pain", target_region="Left femur", technique="conventional", total_dose_gy=8,
        fractions_planned=1, first_fraction_date=FIRST, last_fraction_date=FIRST, fractions_delivered=1,
    )
    AnalgesicRecord.objects.create(patient=ann, recorded_on=FIRST - timedelta(days=1), drug="morphine", dose=10,
                                   doses_per_day=6)  # 60 mg/day
    # OMED counts only records at most 28 days old (research.endpoints.OMED_RULE): the dose is re-recorded.
    AnalgesicRecord.objects.create(patient=ann, recorded_on=FIRST + timedelta(days=20), drug="morphine", dose=10,
                                   doses_per_day=6)
    answer(ann, FIRST - timedelta(days=1), 6)   # baseline
    answer(ann, FIRST + timedelta(days=14), 4)  # week 2: -2 points, OMED stable -> partial response
    answer(ann, FIRST + timedelta(days=28), 0)  # week 4: pain 0, OMED stable -> complete response
    return course


@pytest.mark.django_db
class TestCoursePainEndpoints:
    def test_it_classifies_each_time_point_by_the_consensus_definitions(self, pain_course):
        # clinical.md §1.2 vectors: (6, 60) -> (4, 60) is PR; (6, 60) -> (0, 60) is CR.
        result = course_pain_endpoints(pain_course)
        assert [(t.time_point, t.category) for t in result.time_points] == [("week 2", "PR"), ("week 4", "CR")]
        assert result.time_points[0].baseline_omed == pytest.approx(60.0)

    def test_missing_analgesic_data_is_not_evaluable(self, pain_course):
        AnalgesicRecord.objects.all().delete()
        result = course_pain_endpoints(pain_course)
        assert {t.category for t in result.time_points} == {"NOT_EVALUABLE"}

    def test_the_patient_page_shows_the_table(self, login, nurse_a, pain_course):
        html = login(nurse_a).get(reverse("patient_detail", args=[pain_course.patient_id])).content.decode()
        assert "Pain response, international consensus" in html and "week 4" in html


@pytest.mark.django_db
def test_a_diary_answered_twice_on_one_day_counts_once_and_the_later_answer_wins(pain_course, ann):
    # clinical.md §1.4 vector: baseline pain 5, OMED constant; day 1 = 7 then a later correction to 5 on the
    # same day; no day reaches +2 afterwards -> no flare. Without de-duplication day 1 would be read twice.
    Observation.objects.filter(patient=ann).delete()
    Response.objects.filter(patient=ann).delete()
    answer(ann, FIRST - timedelta(days=1), 5)
    instrument = Instrument.objects.get(code="palliro-pain-diary")
    for hour, pain in ((9, 7), (18, 5)):
        at = datetime.combine(FIRST + timedelta(days=1), time(hour), ZoneInfo("UTC"))
        response = Response.objects.create(patient=ann, instrument=instrument, respondent="patient",
                                           status="completed", submitted_at=at)
        Observation.objects.create(patient=ann, response=response, code="palliro-pain-diary/diary-pain-worst",
                                   value=pain, observed_at=at, respondent="patient")
    result = course_pain_endpoints(pain_course)
    assert result.flare is False


@pytest.mark.django_db
def test_a_booked_course_has_no_pain_response_yet(ann):
    # Booked for next week: the baseline answered today is no response to a treatment not yet given.
    today = timezone.localdate()
    booked = RTCourse.objects.create(
        patient=ann, indication="pain", target_region="Left femur", technique="conventional", total_dose_gy=8,
        fractions_planned=1, first_fraction_date=today + timedelta(days=7),
    )
    AnalgesicRecord.objects.create(patient=ann, recorded_on=today, drug="morphine", dose=10, doses_per_day=6)
    answer(ann, today, 6)
    assert course_pain_endpoints(booked) is None
