from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.clinic.models import AnalgesicRecord, Episode, Procedure, Proxy, RTCourse


def url(patient, kind):
    return reverse("record_create", args=[patient.pk, kind])


def course_data(**overrides):
    data = {
        "indication": "pain", "target_region": "Left femur", "technique": "conventional", "total_dose_gy": "20",
        "fractions_planned": "5", "schedule": "daily", "referral_date": "2026-02-01",
        "consultation_date": "2026-02-02", "simulation_date": "2026-02-02", "first_fraction_date": "2026-02-03",
        "last_fraction_date": "2026-02-09", "fractions_delivered": "5", "stop_reason": "", "notes": "",
    }
    data.update(overrides)
    return data


VALID = {
    "course": course_data(),
    "procedure": {"kind": "stent", "performed_on": "2026-01-10", "indication": "Biliary obstruction",
                  "hospital_days": "2", "complications": ""},
    "episode": {"kind": "bowel_obstruction", "onset_date": "2026-01-10", "resolution_date": "2026-01-15",
                "management": "conservative"},
    "analgesic": {"recorded_on": "2026-01-10", "drug": "oxycodone", "dose": "20", "unit": "mg", "route": "oral",
                  "doses_per_day": "2"},
    "proxy": {"name": "Piet Andersen", "relationship": "partner", "phone": "+31 6 1111 1111", "language": "nl",
              "consent": "on", "active": "on"},
}
MODELS = {"course": RTCourse, "procedure": Procedure, "episode": Episode, "analgesic": AnalgesicRecord, "proxy": Proxy}


@pytest.mark.django_db
class TestRecordCreate:
    @pytest.mark.parametrize("kind", sorted(VALID))
    def test_it_adds_each_kind_of_record(self, login, nurse_a, ann, kind):
        response = login(nurse_a).post(url(ann, kind), VALID[kind])
        assert response.status_code == 302, response.content.decode()[:2000]
        assert MODELS[kind].objects.get().patient == ann
        assert AuditEvent.objects.filter(action=f"{kind}_create", patient=ann).exists()

    @pytest.mark.parametrize("kind", sorted(VALID))
    def test_it_is_404_for_another_sites_patient(self, login, nurse_b, ann, kind):
        assert login(nurse_b).post(url(ann, kind), VALID[kind]).status_code == 404
        assert not MODELS[kind].objects.exists()

    @pytest.mark.parametrize("kind", sorted(VALID))
    def test_it_is_403_for_researchers(self, login, researcher, ann, kind):
        assert login(researcher).post(url(ann, kind), VALID[kind]).status_code == 403

    @pytest.mark.parametrize("kind", sorted(VALID))
    def test_it_redirects_anonymous_users(self, client, ann, kind):
        assert client.post(url(ann, kind), VALID[kind]).status_code == 302
        assert not MODELS[kind].objects.exists()

    def test_it_is_404_for_an_unknown_kind(self, login, nurse_a, ann):
        assert login(nurse_a).get(url(ann, "spaceship")).status_code == 404

    def test_it_refuses_patch(self, login, nurse_a, ann):
        assert login(nurse_a).patch(url(ann, "course")).status_code == 405

    @pytest.mark.parametrize(
        "overrides, message",
        [
            ({"total_dose_gy": "0"}, "The total dose must be more than 0 Gy."),
            ({"total_dose_gy": "-8"}, "The total dose must be more than 0 Gy."),
            ({"fractions_planned": "0"}, "At least one fraction must be planned."),
            ({"fractions_delivered": "6"}, "More fractions delivered (6) than planned (5)."),
            ({"last_fraction_date": "2026-02-01"}, "The last fraction is before the first fraction."),
            ({"first_fraction_date": "2026-01-20"}, "The first fraction is before the simulation."),
            ({"consultation_date": "2026-01-01"}, "The consultation is before the referral."),
            ({"fractions_delivered": "3"}, "Say why the course stopped early."),
            ({"stop_reason": "toxicity"}, "The course was completed: leave the reason empty."),
            ({"first_fraction_date": "2999-01-01", "last_fraction_date": "", "fractions_delivered": ""},
             "days ahead"),
            ({"referral_date": "2999-01-01"}, "This date is in the future."),
            ({"referral_date": "0225-05-01"}, "Dates before 1900 are not accepted: check the year."),
            ({"referral_date": "1949-05-01"}, "This date is before the patient&#x27;s date of birth (17 May 1950)."),
        ],
    )
    def test_it_explains_impossible_courses(self, login, nurse_a, ann, overrides, message):
        response = login(nurse_a).post(url(ann, "course"), course_data(**overrides))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not RTCourse.objects.exists()

    def test_it_books_a_course_that_starts_next_week(self, login, nurse_a, ann):
        today = timezone.localdate()
        data = course_data(referral_date=today - timedelta(days=3), consultation_date=today - timedelta(days=1),
                           simulation_date=today, first_fraction_date=today + timedelta(days=7),
                           last_fraction_date="", fractions_delivered="")
        assert login(nurse_a).post(url(ann, "course"), data).status_code == 302
        course = RTCourse.objects.get()
        assert course.first_fraction_date == today + timedelta(days=7) and course.is_booked
        page = login(nurse_a).get(reverse("patient_detail", args=[ann.pk])).content.decode()
        assert '<span class="tag">booked</span>' in page and "5 planned, not started" in page

    @pytest.mark.parametrize(
        "overrides, field, message",
        [
            ({"last_fraction_date": 11}, "last_fraction_date",
             "This date is in the future: record the last fraction once it has been given."),
            ({"fractions_delivered": "2"}, "fractions_delivered", "no fraction can have been delivered yet"),
            ({"first_fraction_date": 181}, "first_fraction_date", "can be booked at most 180 days ahead"),
            ({"simulation_date": 1}, "simulation_date", "This date is in the future."),
        ],
    )
    def test_it_explains_what_a_booked_course_cannot_have(self, login, nurse_a, ann, overrides, field, message):
        today = timezone.localdate()
        data = course_data(referral_date=today, consultation_date=today, simulation_date=today,
                           first_fraction_date=today + timedelta(days=7), last_fraction_date="",
                           fractions_delivered="")
        data.update({k: today + timedelta(days=v) if isinstance(v, int) else v for k, v in overrides.items()})
        body = login(nurse_a).post(url(ann, "course"), data).content.decode()
        assert f'id="id_{field}-error"' in body and message in body
        assert not RTCourse.objects.exists()

    def test_it_says_a_first_fraction_may_be_booked(self, login, nurse_a, ann):
        body = login(nurse_a).get(url(ann, "course")).content.decode()
        assert "booked: up to 180 days ahead" in body

    def test_it_links_a_reirradiation_to_the_earlier_course(self, login, nurse_a, ann):
        client = login(nurse_a)
        client.post(url(ann, "course"), course_data())
        first = RTCourse.objects.get()
        later = course_data(referral_date="2026-06-01", consultation_date="2026-06-01", simulation_date="2026-06-01",
                            first_fraction_date="2026-06-02", last_fraction_date="2026-06-02", total_dose_gy="8",
                            fractions_planned="1", fractions_delivered="1", is_reirradiation="on",
                            previous_course=first.pk)
        assert client.post(url(ann, "course"), later).status_code == 302
        assert RTCourse.objects.get(previous_course=first).is_reirradiation

    def test_it_refuses_a_reirradiation_of_another_patients_course(self, login, nurse_a, ann, cas):
        other = RTCourse.objects.create(patient=cas, indication="pain", target_region="Rib", technique="conventional",
                                        total_dose_gy=8, fractions_planned=1)
        response = login(nurse_a).post(url(ann, "course"), course_data(is_reirradiation="on", previous_course=other.pk))
        assert b"Select a valid choice" in response.content

    def test_it_requires_the_reirradiation_flag_with_an_earlier_course(self, login, nurse_a, ann):
        client = login(nurse_a)
        client.post(url(ann, "course"), course_data())
        response = client.post(url(ann, "course"), course_data(previous_course=RTCourse.objects.get().pk))
        assert b"A course linked to an earlier course is a re-irradiation." in response.content

    def test_it_refuses_an_episode_that_resolves_before_it_starts(self, login, nurse_a, ann):
        data = dict(VALID["episode"], resolution_date="2026-01-01")
        response = login(nurse_a).post(url(ann, "episode"), data)
        assert b"The episode resolved before it started." in response.content

    def test_it_requires_a_tick_when_complications_are_described(self, login, nurse_a, ann):
        data = dict(VALID["procedure"], complications="Stent migration")
        assert b"tick" in login(nurse_a).post(url(ann, "procedure"), data).content

    def test_it_computes_the_oral_morphine_equivalent(self, login, nurse_a, ann):
        login(nurse_a).post(url(ann, "analgesic"), VALID["analgesic"])
        # clinical.md §1.5 worked example: oxycodone 20 mg bid = 40 mg/day -> 60 mg OMED (CDC 2022).
        record = AnalgesicRecord.objects.get()
        assert record.omed().mg_per_day == pytest.approx(60.0)
        page = login(nurse_a).get(reverse("patient_detail", args=[ann.pk])).content.decode()
        assert "60 (CDC2022)" in page

    def test_it_refuses_an_analgesic_the_table_cannot_convert(self, login, nurse_a, ann):
        data = dict(VALID["analgesic"], drug="morphine", route="sc")
        response = login(nurse_a).post(url(ann, "analgesic"), data)
        assert b"cannot be converted to an oral morphine equivalent with the CDC2022 table" in response.content

    def test_it_refuses_an_implausible_dose_beside_the_dose(self, login, nurse_a, ann):
        # 999 999 mg oxycodone twice a day: a few zeros too many, far above 100 000 mg/day OMED.
        data = dict(VALID["analgesic"], dose="999999")
        body = login(nurse_a).post(url(ann, "analgesic"), data).content.decode()
        assert 'id="id_dose-error"' in body and "taken as plausible: check the dose and its unit." in body
        assert not AnalgesicRecord.objects.exists()

    def test_it_refuses_a_patch_rate_by_mouth(self, login, nurse_a, ann):
        data = dict(VALID["analgesic"], drug="fentanyl", unit="mcg/h")
        assert b"transdermal patches only" in login(nurse_a).post(url(ann, "analgesic"), data).content

    def test_it_requires_a_way_to_reach_a_proxy(self, login, nurse_a, ann):
        data = dict(VALID["proxy"], phone="")
        assert b"Give a phone number or an e-mail address" in login(nurse_a).post(url(ann, "proxy"), data).content


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "field"), [("procedure", "performed_on"), ("episode", "onset_date"),
                                             ("episode", "resolution_date"), ("analgesic", "recorded_on")])
def test_it_refuses_a_record_dated_before_1900_or_before_birth(login, nurse_a, ann, kind, field):
    # A year typed as 0225 once broke every cohort report (dates beyond pandas' range); Ann was born in 1950.
    client = login(nurse_a)
    for value, message in (("0225-05-01", "Dates before 1900 are not accepted"), ("1950-05-16", "date of birth")):
        response = client.post(url(ann, kind), {**VALID[kind], field: value})
        assert response.status_code == 200 and message in response.content.decode()
    assert not MODELS[kind].objects.exists()
