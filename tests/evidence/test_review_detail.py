import pytest
from django.urls import reverse


def url(review):
    return reverse("evidence:review_detail", args=[review.pk])


@pytest.mark.django_db
class TestReviewDetail:
    def test_it_shows_the_review_and_its_outcomes(self, login, clinician_a, outcome_rr):
        body = login(clinician_a).get(url(outcome_rr.review)).content.decode()
        assert outcome_rr.review.title in body and outcome_rr.name in body

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, review_a):
        assert login(nurse_b).get(url(review_a)).status_code == 404

    def test_it_is_open_to_a_researcher_of_the_site(self, login, researcher, review_a):
        assert login(researcher).get(url(review_a)).status_code == 200

    def test_it_redirects_anonymous_users(self, client, review_a):
        response = client.get(url(review_a))
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_it_refuses_post(self, login, nurse_a, review_a):
        assert login(nurse_a).post(url(review_a)).status_code == 405


@pytest.mark.django_db
class TestReviewEdit:
    def test_it_saves(self, login, nurse_a, review_a, site_a):
        edit = reverse("evidence:review_edit", args=[review_a.pk])
        response = login(nurse_a).post(edit, {"title": "Renamed", "question": "Q", "site": site_a.pk})
        review_a.refresh_from_db()
        assert response.status_code == 302 and review_a.title == "Renamed"

    def test_it_is_404_for_another_site(self, login, nurse_b, review_a):
        assert login(nurse_b).get(reverse("evidence:review_edit", args=[review_a.pk])).status_code == 404
