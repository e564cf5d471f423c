"""Cohort list, create and edit: access per role and site, validation messages, audit."""

import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.research.models import Cohort

CREATE = reverse("research:cohort_create")
LIST = reverse("research:cohort_list")


def form_data(*sites, **overrides):
    data = {"name": "Bone mets 2025", "sites": [s.pk for s in sites], "unit": "patients",
            "first_fraction_from": "2025-01-01", "first_fraction_to": "2025-12-31", "indications": ["pain"],
            "techniques": [], "tumours": ["lung", "breast"], "regimen_total_dose_gy": "8", "regimen_fractions": "1",
            "protocol": ""}
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestCohortCreate:
    def test_it_creates_a_cohort_and_shows_its_report(self, login, researcher, site_a):
        response = login(researcher).post(CREATE, form_data(site_a))
        cohort = Cohort.objects.get()
        assert response.status_code == 302 and response.url == reverse("research:cohort_report", args=[cohort.pk])
        assert cohort.owner == researcher and list(cohort.sites.all()) == [site_a]
        assert cohort.tumours == ["lung", "breast"] and cohort.regimen_fractions == 1
        assert AuditEvent.objects.filter(action="research_cohort_create").exists()

    def test_it_refuses_sites_outside_mine(self, login, nurse_a, site_a, site_b):
        response = login(nurse_a).post(CREATE, form_data(site_b))
        assert response.status_code == 200 and b"Select a valid choice" in response.content
        assert not Cohort.objects.exists()

    @pytest.mark.parametrize("overrides, message", [
        ({"first_fraction_to": "2024-01-01"}, b"The end date is before the start date."),
        ({"regimen_fractions": ""}, b"A regimen needs both the total dose and the number of fractions"),
        ({"regimen_total_dose_gy": "-3"}, b"The total dose must be more than 0 Gy."),
        ({"indications": ["nonsense"]}, b"Select a valid choice"),
        ({"name": ""}, b"This field is required."),
    ])
    def test_it_explains_bad_input(self, login, clinician_a, site_a, overrides, message):
        response = login(clinician_a).post(CREATE, form_data(site_a, **overrides))
        assert response.status_code == 200 and message in response.content and b"error-summary" in response.content
        assert not Cohort.objects.exists()

    def test_it_redirects_anonymous_users(self, client, site_a):
        assert client.post(CREATE, form_data(site_a)).status_code == 302
        assert not Cohort.objects.exists()

    def test_it_refuses_put(self, login, nurse_a):
        assert login(nurse_a).put(CREATE).status_code == 405


@pytest.mark.django_db
class TestCohortListAndEdit:
    def test_it_lists_only_cohorts_within_my_sites(self, login, nurse_a, make_cohort, site_a, site_b):
        make_cohort(site_a, name="Mine")
        make_cohort(site_b, name="Theirs")
        make_cohort(site_a, site_b, name="Shared")
        body = login(nurse_a).get(LIST).content
        assert b"Mine" in body and b"Theirs" not in body and b"Shared" not in body

    def test_other_sites_cohorts_are_404(self, login, nurse_a, make_cohort, site_b):
        cohort = make_cohort(site_b)
        client = login(nurse_a)
        for name in ("research:cohort_report", "research:cohort_edit", "research:fhir_export"):
            assert client.get(reverse(name, args=[cohort.pk])).status_code == 404
        assert client.get(reverse("research:table_export", args=[cohort.pk, "km_median", "csv"])).status_code == 404

    def test_it_edits_filters(self, login, clinician_a, make_cohort, site_a):
        cohort = make_cohort(site_a)
        response = login(clinician_a).post(reverse("research:cohort_edit", args=[cohort.pk]),
                                           form_data(site_a, name="Renamed", unit="courses"))
        assert response.status_code == 302
        cohort.refresh_from_db()
        assert cohort.name == "Renamed" and cohort.unit == "courses"

    def test_anonymous_and_wrong_method(self, client, login, nurse_a, make_cohort):
        cohort = make_cohort()
        assert client.get(LIST).status_code == 302
        assert client.get(reverse("research:cohort_report", args=[cohort.pk])).status_code == 302
        assert login(nurse_a).post(LIST).status_code == 405
        assert login(nurse_a).post(reverse("research:cohort_report", args=[cohort.pk])).status_code == 405
