import pytest
from django.urls import reverse

from palliro.evidence.models import Outcome


def url(review):
    return reverse("evidence:outcome_create", args=[review.pk])


VALID = {"name": "Pain response", "measure": "RR", "method": "REML", "level": "95"}


@pytest.mark.django_db
class TestOutcomeCreate:
    def test_it_adds_an_outcome(self, login, nurse_a, review_a):
        response = login(nurse_a).post(url(review_a), VALID | {"knha": "on"})
        outcome = Outcome.objects.get()
        assert response.status_code == 302 and outcome.knha and outcome.review == review_a

    def test_it_refuses_peto_for_a_risk_ratio(self, login, nurse_a, review_a):
        response = login(nurse_a).post(url(review_a), VALID | {"method": "PETO"})
        assert response.status_code == 200 and "applies to OR only" in response.content.decode()
        assert not Outcome.objects.exists()

    def test_it_refuses_knha_with_mantel_haenszel(self, login, nurse_a, review_a):
        response = login(nurse_a).post(url(review_a), VALID | {"method": "MH", "knha": "on"})
        assert response.status_code == 200 and not Outcome.objects.exists()

    def test_it_is_404_for_another_site(self, login, nurse_b, review_a):
        assert login(nurse_b).post(url(review_a), VALID).status_code == 404

    def test_it_redirects_anonymous_users(self, client, review_a):
        assert client.get(url(review_a)).status_code == 302

    def test_it_refuses_delete(self, login, nurse_a, review_a):
        assert login(nurse_a).delete(url(review_a)).status_code == 405


@pytest.mark.django_db
class TestOutcomeEdit:
    def test_it_changes_the_method(self, login, nurse_a, bcg_outcome):
        edit = reverse("evidence:outcome_edit", args=[bcg_outcome.pk])
        response = login(nurse_a).post(edit, VALID | {"name": "TB", "method": "DL"})
        bcg_outcome.refresh_from_db()
        assert response.status_code == 302 and bcg_outcome.method == "DL"

    def test_it_keeps_the_measure_while_studies_exist(self, login, nurse_a, bcg_outcome):
        edit = reverse("evidence:outcome_edit", args=[bcg_outcome.pk])
        response = login(nurse_a).post(edit, VALID | {"measure": "OR"})
        bcg_outcome.refresh_from_db()
        assert response.status_code == 200 and bcg_outcome.measure == "RR"
