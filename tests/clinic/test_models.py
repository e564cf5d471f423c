from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from palliro.clinic.models import BOOKING_HORIZON_DAYS, Patient, RTCourse, new_pseudonym


def course(patient, **overrides):
    values = dict(patient=patient, indication="pain", target_region="Rib", technique="conventional",
                  total_dose_gy=30, fractions_planned=10)
    values.update(overrides)
    return RTCourse(**values)


@pytest.mark.django_db
class TestPatientModel:
    def test_pseudonyms_avoid_ambiguous_characters(self):
        for _ in range(200):
            pseudonym = new_pseudonym()
            assert pseudonym.startswith("P-") and not set(pseudonym[2:]) & set("01IO")

    def test_age_is_counted_in_whole_years(self, ann):
        assert ann.age_on(date(2026, 5, 16)) == 75 and ann.age_on(date(2026, 5, 17)) == 76

    def test_the_database_refuses_a_dead_patient_without_a_death_date(self, ann):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.filter(pk=ann.pk).update(vital_status="dead")

    def test_unknown_metastatic_sites_are_refused(self, ann):
        ann.metastatic_sites = ["bone", "moon"]
        with pytest.raises(ValidationError, match="Unknown metastatic site: moon"):
            ann.full_clean()


@pytest.mark.django_db
class TestCourseModel:
    def test_regimen_labels_read_like_prescriptions(self, ann):
        assert course(ann, total_dose_gy=8, fractions_planned=1).regimen_label == "8 Gy × 1"
        assert course(ann).regimen_label == "30 Gy / 10"
        assert course(ann, total_dose_gy=20, fractions_planned=5, schedule="weekly").regimen_label == "20 Gy / 5 weekly"
        assert course(ann, total_dose_gy=14.8, fractions_planned=4, schedule="bid").regimen_label == "14.8 Gy / 4 twice daily"

    def test_the_database_refuses_more_fractions_delivered_than_planned(self, ann):
        with pytest.raises(IntegrityError), transaction.atomic():
            course(ann, fractions_delivered=11).save()

    def test_the_database_refuses_a_zero_dose(self, ann):
        with pytest.raises(IntegrityError), transaction.atomic():
            course(ann, total_dose_gy=0).save()

    def test_a_course_cannot_reirradiate_another_patients_course(self, ann, cas):
        earlier = course(cas)
        earlier.save()
        later = course(ann, is_reirradiation=True, previous_course=earlier)
        with pytest.raises(ValidationError, match="belongs to another patient"):
            later.full_clean()

    @pytest.mark.parametrize("field", ["referral_date", "consultation_date", "simulation_date"])
    def test_future_dates_of_recorded_events_are_refused(self, ann, field):
        tomorrow = timezone.localdate() + timedelta(days=1)
        with pytest.raises(ValidationError, match="in the future") as raised:
            course(ann, **{field: tomorrow}).full_clean()
        assert set(raised.value.message_dict) == {field}

    def test_a_first_fraction_may_be_booked_ahead(self, ann):
        today = timezone.localdate()
        booked = course(ann, simulation_date=today, first_fraction_date=today + timedelta(days=7))
        booked.full_clean()
        assert booked.is_booked

    def test_a_first_fraction_may_be_booked_up_to_the_horizon(self, ann):
        course(ann, first_fraction_date=timezone.localdate() + timedelta(days=BOOKING_HORIZON_DAYS)).full_clean()

    def test_a_first_fraction_beyond_the_horizon_is_refused(self, ann):
        too_far = timezone.localdate() + timedelta(days=BOOKING_HORIZON_DAYS + 1)
        with pytest.raises(ValidationError) as raised:
            course(ann, first_fraction_date=too_far).full_clean()
        assert raised.value.message_dict["first_fraction_date"] == [
            f"A first fraction can be booked at most {BOOKING_HORIZON_DAYS} days ahead "
            f"(until {too_far - timedelta(days=1):%d %b %Y}): check the year."
        ]

    def test_a_course_given_today_has_started(self, ann):
        today = timezone.localdate()
        started = course(ann, first_fraction_date=today, last_fraction_date=today, fractions_planned=1,
                         fractions_delivered=1)
        started.full_clean()
        assert not started.is_booked

    def test_a_last_fraction_in_the_future_is_refused(self, ann):
        today = timezone.localdate()
        with pytest.raises(ValidationError) as raised:
            course(ann, first_fraction_date=today, last_fraction_date=today + timedelta(days=1)).full_clean()
        assert raised.value.message_dict == {
            "last_fraction_date": ["This date is in the future: record the last fraction once it has been given."]
        }

    def test_a_last_fraction_of_a_booked_course_is_refused(self, ann):
        booked = timezone.localdate() + timedelta(days=7)
        with pytest.raises(ValidationError) as raised:
            course(ann, first_fraction_date=booked, last_fraction_date=booked + timedelta(days=4)).full_clean()
        assert set(raised.value.message_dict) == {"last_fraction_date"}

    @pytest.mark.parametrize("delivered", [0, 3])
    def test_fractions_delivered_of_a_booked_course_are_refused(self, ann, delivered):
        booked = timezone.localdate() + timedelta(days=7)
        with pytest.raises(ValidationError) as raised:
            course(ann, first_fraction_date=booked, fractions_delivered=delivered).full_clean()
        assert raised.value.message_dict == {"fractions_delivered": [
            f"The first fraction is booked for {booked:%d %b %Y}: no fraction can have been delivered yet. "
            "Leave this empty until the course has started."
        ]}
