"""A course booked ahead (first fraction after the analysis date) has not started: it stays out of the cohort, so
it is neither "treated" in the pain endpoints nor a survival time from a treatment not yet given.

Ann was treated a month ago and has a re-irradiation booked for next week; Dirk's only course is booked for next
week, and he answered his baseline questionnaire today. Both paths are checked — the queries
(:func:`~palliro.research.cohort.cohort_frame`) and the analysis store — so the tests commit.
"""

from datetime import datetime, time, timedelta

import pandas as pd
import pytest
from django.utils import timezone

from palliro.accounts.access import StaffContext
from palliro.clinic.models import RTCourse
from palliro.research.analyses import ReportOptions
from palliro.research.cohort import cohort_frame
from palliro.research.models import Cohort
from palliro.research.report_run import cohort_report
from palliro.research.store import AnalysisStore
from palliro.research.store_report import frame_from_store
from tests.conftest import make_patient
from tests.research.test_endpoint_sql import _instrument, _store

pytestmark = pytest.mark.django_db(transaction=True)

PAIN = "palliro-general/pain-worst"


def course(patient, first, **extra):
    return RTCourse.objects.create(patient=patient, indication="pain", target_region="femur",
                                   technique="conventional", total_dose_gy=8, fractions_planned=1,
                                   first_fraction_date=first, **extra)


def pain_answer(instrument, patient, day, value):
    at = datetime.combine(day, time(10), tzinfo=timezone.get_current_timezone())
    _store(patient, instrument, "patient", at, {PAIN: float(value)})


@pytest.fixture
def people(site_a):
    today = timezone.localdate()
    ann = make_patient(site_a, "A-0001", "Ann", "Andersen", last_known_alive=today)
    treated = course(ann, today - timedelta(days=30), last_fraction_date=today - timedelta(days=30),
                     fractions_delivered=1)
    rebooked = course(ann, today + timedelta(days=7), is_reirradiation=True, previous_course=treated)
    dirk = make_patient(site_a, "A-0002", "Dirk", "Dekker", last_known_alive=today)
    booked = course(dirk, today + timedelta(days=7))
    general = _instrument("palliro-general")
    pain_answer(general, ann, today - timedelta(days=31), 6)
    pain_answer(general, ann, today - timedelta(days=2), 2)
    pain_answer(general, dirk, today, 7)
    return {"ann": ann, "dirk": dirk, "treated": treated, "rebooked": rebooked, "booked": booked}


def cohort_of(site, **fields):
    cohort = Cohort.objects.create(name="booked", **fields)
    cohort.sites.set([site])
    return cohort


def frames(cohort, staff):
    built = cohort_frame(cohort, staff)
    stored = frame_from_store(AnalysisStore().current(), cohort, staff)
    pd.testing.assert_frame_equal(stored.frame, built.frame)
    assert stored.n_courses_matched == built.n_courses_matched
    return built


def clinician_of(site):
    return StaffContext(frozenset({site.pk}), frozenset(), frozenset({"clinician"}))


@pytest.mark.parametrize("unit", ["patients", "courses"])
def test_a_booked_course_is_not_in_the_cohort(people, site_a, unit):
    built = frames(cohort_of(site_a, unit=unit), clinician_of(site_a))
    assert list(built.frame["course_id"]) == [people["treated"].pk]
    assert built.n_courses_matched == 1
    assert (built.frame["os_days"] >= 0).all()


def test_a_course_starting_today_is_in_the_cohort(people, site_a):
    RTCourse.objects.filter(pk=people["booked"].pk).update(first_fraction_date=timezone.localdate())
    built = frames(cohort_of(site_a), clinician_of(site_a))
    assert set(built.frame["patient_id"]) == {people["ann"].pk, people["dirk"].pk}


def test_a_patient_whose_course_is_only_booked_is_not_treated_in_the_pain_endpoints(people, site_a):
    _built, report = cohort_report(cohort_of(site_a), clinician_of(site_a), ReportOptions(group_by=""), store=False)
    pain = report.table("pain_response").frame
    assert set(pain["treated"]) == {1}
