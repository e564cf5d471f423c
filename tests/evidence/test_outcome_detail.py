import pytest
from django.urls import reverse

from palliro.evidence.models import Outcome, StudyRow


def url(outcome):
    return reverse("evidence:outcome_detail", args=[outcome.pk])


@pytest.mark.django_db
class TestOutcomeDetail:
    def test_it_shows_results_and_plots(self, login, nurse_a, bcg_outcome):
        response = login(nurse_a).get(url(bcg_outcome))
        body = response.content.decode()
        assert response.status_code == 200
        # metafor REML on dat.bcg, RR 0.4894 [0.3441; 0.6962] PI [0.1546; 1.5490] (statistics.md §1.2, MD; PR).
        assert "0.4894" in body and "0.1546 to 1.5490" in body
        assert body.count("<svg") == 2 and 'id="funnel-point-0"' in body
        assert ' style="' not in body and "<style" not in body  # CSP: no inline styles

    def test_it_shows_knapp_hartung_results(self, login, nurse_a, bcg_outcome):
        bcg_outcome.knha = True
        bcg_outcome.save()
        body = login(nurse_a).get(url(bcg_outcome)).content.decode()
        # REML + knha: t(12) = -3.95, CI (log) [-1.108444; -0.320621] (statistics.md §1.2, JASP).
        assert "t(12) = -3.9522" in body and "(-1.1084 to -0.3206)" in body

    def test_it_pools_with_mantel_haenszel(self, login, nurse_a, bcg_outcome):
        Outcome.objects.filter(pk=bcg_outcome.pk).update(method="MH")
        response = login(nurse_a).get(url(bcg_outcome))
        assert response.status_code == 200 and "Mantel-Haenszel" in response.content.decode()

    def test_it_explains_when_mh_lacks_counts(self, login, nurse_a, outcome_rr):
        Outcome.objects.filter(pk=outcome_rr.pk).update(method="MH")
        StudyRow.objects.create(outcome=outcome_rr, label="Adjusted", yi=-0.2, sei=0.1)
        response = login(nurse_a).get(url(outcome_rr))
        assert response.status_code == 200 and "has no 2×2 counts" in response.content.decode()

    def test_it_invites_studies_when_empty(self, login, nurse_a, outcome_rr):
        assert "Add studies" in login(nurse_a).get(url(outcome_rr)).content.decode()

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, outcome_rr):
        assert login(nurse_b).get(url(outcome_rr)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, outcome_rr):
        response = client.get(url(outcome_rr))
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_it_refuses_post(self, login, nurse_a, outcome_rr):
        assert login(nurse_a).post(url(outcome_rr)).status_code == 405
