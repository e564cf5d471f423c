"""Who sees which rows: researchers only research-consented patients; care staff only their sites; no
identifiers on the report page or any export for anyone."""

import pytest
from django.urls import reverse

from palliro.accounts.access import staff_context
from palliro.accounts.models import AuditEvent
from palliro.clinic.models import RTCourse
from palliro.research.cohort import cohort_frame


def course(patient, **extra):
    values = dict(patient=patient, indication="pain", target_region="hip", technique="conventional",
                  total_dose_gy=8, fractions_planned=1, first_fraction_date="2025-02-03",
                  last_fraction_date="2025-02-03", fractions_delivered=1)
    values.update(extra)
    return RTCourse.objects.create(**values)


@pytest.fixture
def courses(ann, cas, bob):
    from palliro.clinic.models import Patient

    Patient.objects.filter(pk__in=[ann.pk, bob.pk]).update(last_known_alive="2025-06-01")
    Patient.objects.filter(pk=cas.pk).update(vital_status="dead", death_date="2025-02-20")
    return [course(ann), course(cas), course(bob)]


@pytest.mark.django_db
class TestRows:
    def test_researchers_see_only_consented_patients(self, courses, make_cohort, researcher, site_a, site_b):
        frame = cohort_frame(make_cohort(site_a, site_b), staff_context(researcher)).frame
        assert sorted(frame["pseudonym"]) == sorted([courses[0].patient.pseudonym, courses[2].patient.pseudonym])

    def test_care_staff_see_all_patients_of_their_sites_only(self, courses, make_cohort, nurse_a, site_a):
        frame = cohort_frame(make_cohort(site_a), staff_context(nurse_a)).frame
        assert sorted(frame["pseudonym"]) == sorted([courses[0].patient.pseudonym, courses[1].patient.pseudonym])

    def test_unit_courses_counts_every_course(self, courses, ann, make_cohort, nurse_a, site_a):
        course(ann, first_fraction_date="2025-05-05", last_fraction_date="2025-05-05", is_reirradiation=True)
        assert len(cohort_frame(make_cohort(site_a, unit="courses"), staff_context(nurse_a)).frame) == 3
        assert len(cohort_frame(make_cohort(site_a, unit="patients"), staff_context(nurse_a)).frame) == 2

    def test_filters_apply(self, courses, make_cohort, nurse_a, site_a):
        cohort = make_cohort(site_a, tumours=["lung"])
        assert cohort_frame(cohort, staff_context(nurse_a)).frame.empty


@pytest.mark.django_db
class TestNoIdentifiers:
    def test_no_identifier_on_the_report_or_any_export(self, courses, ann, cas, make_cohort, login, nurse_a, site_a):
        cohort = make_cohort(site_a)
        client = login(nurse_a)
        urls = [reverse("research:cohort_report", args=[cohort.pk]), reverse("research:fhir_export", args=[cohort.pk]),
                reverse("research:table_export", args=[cohort.pk, "regimen_use", "csv"]),
                reverse("research:figure_export", args=[cohort.pk, "km", "svg"])]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            for p in (ann, cas):
                for value in (p.given_name, p.family_name, p.hospital_number, p.phone, p.email, "1950-05-17"):
                    assert value not in body, (url, value)

    def test_the_report_is_audited(self, courses, make_cohort, login, researcher):
        cohort = make_cohort()
        login(researcher).get(reverse("research:cohort_report", args=[cohort.pk]))
        assert AuditEvent.objects.filter(action="research_report", object_id=str(cohort.pk)).exists()

    def test_an_empty_cohort_says_so(self, make_cohort, login, researcher, site_a):
        response = login(researcher).get(reverse("research:cohort_report", args=[make_cohort(site_a).pk]))
        assert response.status_code == 200 and b"No RT courses match" in response.content

    @pytest.mark.parametrize("params", [{"times": "soon"}, {"times": "-4"}, {"origin": "moon"},
                                        {"covariates": ["shoe_size"]}, {"horizon_days": "0"},
                                        {"origin": "episode:bowel_obstruction"}, {"covariates": ["kps"]}])
    def test_bad_or_impossible_options_never_crash(self, courses, make_cohort, login, nurse_a, params):
        response = login(nurse_a).get(reverse("research:cohort_report", args=[make_cohort().pk]), params)
        assert response.status_code == 200
