from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from palliro.clinic.models import Patient, RTCourse, new_pseudonym


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

    def test_future_dates_are_refused(self, ann):
        tomorrow = date.today() + timedelta(days=1)
        with pytest.raises(ValidationError, match="in the future"):
            course(ann, referral_date=tomorrow).full_clean()
