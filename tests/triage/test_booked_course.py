"""A course booked ahead is no treatment yet: "days since treatment" never counts from a first fraction still to
come (no negative days), so a rule limited to the days after treatment does not fire before it starts."""

from datetime import timedelta

from django.utils import timezone

from palliro.clinic.models import RTCourse
from palliro.triage.models import Alert
from palliro.triage.services import days_since_treatment
from palliro.triage.tasks import treatment_marks

from .helpers import submit


def course(patient, first, last=None):
    return RTCourse.objects.create(patient=patient, indication="pain", target_region="Femur",
                                   technique="conventional", total_dose_gy=8, fractions_planned=1,
                                   first_fraction_date=first, last_fraction_date=last,
                                   fractions_delivered=1 if last else None)


def test_a_booked_course_gives_no_days_since_treatment(ann):
    course(ann, timezone.localdate() + timedelta(days=7))
    assert days_since_treatment(ann.pk, timezone.localdate()) is None


def test_a_booked_reirradiation_leaves_the_days_since_the_given_course(ann):
    today = timezone.localdate()
    course(ann, today - timedelta(days=20), today - timedelta(days=20))
    course(ann, today + timedelta(days=3))
    assert days_since_treatment(ann.pk, today) == 20


def test_fever_before_a_booked_course_is_not_fever_after_treatment(ann):
    course(ann, timezone.localdate() + timedelta(days=7))
    submit(ann, "palliro-bone", flu_like="very-much")
    assert not Alert.objects.filter(patient=ann, rule__code="fever-after-treatment").exists()


def test_the_timeline_says_the_course_is_booked(login, nurse_a, ann):
    booked = course(ann, timezone.localdate() + timedelta(days=7))
    page = login(nurse_a).get(f"/triage/patient/{ann.pk}/").content.decode()
    assert f'{booked.first_fraction_date:%Y-%m-%d} <span class="tag">booked</span>' in page
    assert treatment_marks([booked], []) == [(booked.first_fraction_date, "RT 8 Gy × 1 (booked)")]
