"""Staff page /calculators/patient/<pk>/prognosis/: site scoping, pseudonyms, audit."""

from datetime import date

import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent


def url(patient):
    return reverse("calculators:patient_prognosis", args=[patient.pk])


@pytest.fixture
def ann_staged(ann):
    ann.primary_tumour, ann.metastatic_sites, ann.kps, ann.ecog = "lung", ["bone", "liver"], 50, 2
    ann.performance_date = date(2026, 1, 5)
    ann.save()
    return ann


@pytest.mark.django_db
class TestPatientPrognosisPage:
    def test_it_shows_the_scores_the_record_allows(self, login, nurse_a, ann_staged):
        response = login(nurse_a).get(url(ann_staged))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Ann Andersen" in body
        # lung, not bone-only, KPS 50: Chow NRF3 3 risk factors -> group III.
        assert "3 / 3" in body and "III" in body
        assert "Missing:" in body and "Prior palliative chemotherapy courses" in body

    def test_it_redirects_anonymous_users(self, client, ann):
        response = client.get(url(ann))
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, ann):
        assert login(nurse_b).get(url(ann)).status_code == 404

    def test_researchers_see_the_pseudonym_only(self, login, researcher, ann_staged):
        body = login(researcher).get(url(ann_staged)).content.decode()
        assert ann_staged.pseudonym in body
        for identifier in ("Andersen", "A-0001", "1950-05-17"):
            assert identifier not in body

    def test_it_audits_the_view(self, login, researcher, ann):
        login(researcher).get(url(ann))
        event = AuditEvent.objects.get(action="prognosis_view")
        assert event.patient == ann and event.user == researcher

    def test_it_refuses_post(self, login, nurse_a, ann):
        assert login(nurse_a).post(url(ann)).status_code == 405
