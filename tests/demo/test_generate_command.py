from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palliro.clinic.models import AnalgesicRecord, Patient, RTCourse
from palliro.followup.models import Response


def snapshot():
    patients = list(Patient.objects.order_by("pseudonym").values_list(
        "pseudonym", "hospital_number", "birth_date", "vital_status", "death_date", "primary_tumour"))
    courses = list(RTCourse.objects.order_by("patient__pseudonym", "first_fraction_date").values_list(
        "patient__pseudonym", "total_dose_gy", "fractions_planned", "first_fraction_date", "is_reirradiation"))
    return patients, courses


@pytest.mark.django_db
class TestGenerateCommand:
    def test_it_stores_a_deterministic_department(self):
        call_command("generate", patients="120", seed="5", anchor="2026-06-30")
        first = snapshot()
        assert Patient.objects.count() == 120
        assert RTCourse.objects.filter(is_reirradiation=True, previous_course__isnull=False).count() == \
            RTCourse.objects.filter(is_reirradiation=True).count()
        # Answers are protected from deletion through their invitation: remove them first.
        Response.objects.all().delete()
        Patient.objects.all().delete()
        call_command("generate", patients="120", seed="5", anchor="2026-06-30")
        assert snapshot() == first

    def test_every_stored_analgesic_has_an_oral_morphine_equivalent(self):
        call_command("generate", patients="60", seed="2", anchor="2026-06-30")
        records = AnalgesicRecord.objects.select_related("patient__site")
        assert records.exists()
        assert all(record.omed().mg_per_day is not None for record in records)

    def test_nobody_answers_after_the_patients_death_and_death_cancels_what_was_open(self):
        from django.db.models import F
        from django.db.models.functions import TruncDate

        from palliro.followup.models import Invitation, InvitationState

        call_command("generate", patients="200", seed="3", anchor="2026-06-30")
        dead = Patient.objects.filter(death_date__isnull=False)
        assert dead.count() > 20
        late = Response.objects.filter(patient__in=dead, status="completed").annotate(
            day=TruncDate("submitted_at")).filter(day__gt=F("patient__death_date"))
        assert not late.exists()
        still_waiting = Invitation.objects.filter(
            patient__in=dead, state__in=[InvitationState.SCHEDULED, InvitationState.SENT])
        assert not still_waiting.exists()

    def test_a_second_run_adds_patients_without_clashes(self):
        call_command("generate", patients="30", seed="5", anchor="2026-06-30")
        call_command("generate", patients="30", seed="5", anchor="2026-06-30")
        assert Patient.objects.count() == 60
        assert Patient.objects.values("pseudonym").distinct().count() == 60

    @pytest.mark.parametrize(
        "options, message",
        [
            ({"patients": "many"}, "expected a whole number"),
            ({"patients": "-5"}, "expected zero or more"),
            ({"sites": "7"}, "--sites must be between 1 and 4"),
            ({"anchor": "yesterday"}, "--anchor must be a date"),
            ({"anchor": str(date.today() + timedelta(days=3))}, "--anchor cannot be in the future"),
        ],
    )
    def test_it_rejects_bad_options_with_exit_code_2(self, options, message):
        with pytest.raises(CommandError) as error:
            call_command("generate", **options)
        assert message in str(error.value)
        assert error.value.returncode == 2
