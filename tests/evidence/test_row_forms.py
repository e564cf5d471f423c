import pytest
from django.urls import reverse

from palliro.evidence.models import Outcome, StudyRow


def create_url(outcome):
    return reverse("evidence:row_create", args=[outcome.pk])


@pytest.mark.django_db
class TestRowCreate:
    def test_it_adds_a_study(self, login, nurse_a, outcome_rr):
        response = login(nurse_a).post(create_url(outcome_rr), {"label": "Aronson", "year": "1948", "ai": 4,
                                                                "bi": 119, "ci": 11, "di": 128})
        assert response.status_code == 302
        assert StudyRow.objects.get().inputs() == {"ai": 4, "bi": 119, "ci": 11, "di": 128}

    def test_it_shows_the_engines_row_rules(self, login, nurse_a, outcome_rr):
        response = login(nurse_a).post(create_url(outcome_rr), {"label": "Bad", "ai": 30, "n1i": 20, "ci": 5,
                                                                "n2i": 100})
        assert response.status_code == 200 and "more events than patients" in response.content.decode()
        assert not StudyRow.objects.exists()

    def test_it_needs_numbers(self, login, nurse_a, outcome_rr):
        response = login(nurse_a).post(create_url(outcome_rr), {"label": "Empty"})
        assert response.status_code == 200 and "enter the study" in response.content.decode()

    def test_it_checks_a_hazard_ratio_against_its_limits(self, login, nurse_a, review_a):
        outcome = Outcome.objects.create(review=review_a, name="OS", measure="HR", method="DL")
        response = login(nurse_a).post(create_url(outcome), {"label": "X", "hr": 2, "hr_lb": 0.5, "hr_ub": 1.5})
        assert response.status_code == 200 and "strictly between" in response.content.decode()

    def test_it_is_404_for_another_site(self, login, nurse_b, outcome_rr):
        assert login(nurse_b).get(create_url(outcome_rr)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, outcome_rr):
        assert client.get(create_url(outcome_rr)).status_code == 302

    def test_it_refuses_put(self, login, nurse_a, outcome_rr):
        assert login(nurse_a).put(create_url(outcome_rr)).status_code == 405


@pytest.mark.django_db
class TestRowEditDelete:
    def test_it_edits_a_study(self, login, nurse_a, bcg_outcome):
        row = bcg_outcome.rows.first()
        data = {"label": "Aronson 1948", "ai": 5, "bi": 118, "ci": 11, "di": 128}
        response = login(nurse_a).post(reverse("evidence:row_edit", args=[row.pk]), data)
        row.refresh_from_db()
        assert response.status_code == 302 and row.label == "Aronson 1948" and row.ai == 5

    def test_it_deletes_a_study(self, login, nurse_a, bcg_outcome):
        row = bcg_outcome.rows.first()
        assert login(nurse_a).post(reverse("evidence:row_delete", args=[row.pk])).status_code == 302
        assert bcg_outcome.rows.count() == 12

    def test_delete_refuses_get(self, login, nurse_a, bcg_outcome):
        row = bcg_outcome.rows.first()
        assert login(nurse_a).get(reverse("evidence:row_delete", args=[row.pk])).status_code == 405

    def test_it_is_404_for_another_site(self, login, nurse_b, bcg_outcome):
        row = bcg_outcome.rows.first()
        assert login(nurse_b).post(reverse("evidence:row_delete", args=[row.pk])).status_code == 404
        assert login(nurse_b).get(reverse("evidence:row_edit", args=[row.pk])).status_code == 404
