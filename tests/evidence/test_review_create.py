import pytest
from django.urls import reverse

from palliro.evidence.models import Review

URL = reverse("evidence:review_create")


@pytest.mark.django_db
class TestReviewCreate:
    def test_it_creates_a_review_at_the_users_site(self, login, researcher, site_a):
        response = login(researcher).post(URL, {"title": "Re-irradiation", "question": "", "site": site_a.pk})
        review = Review.objects.get()
        assert response.status_code == 302 and response.url == reverse("evidence:review_detail", args=[review.pk])
        assert review.site == site_a and review.owner == researcher

    def test_it_refuses_another_site(self, login, nurse_a, site_b):
        response = login(nurse_a).post(URL, {"title": "X", "site": site_b.pk})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert not Review.objects.exists()

    def test_it_shows_errors_for_a_missing_title(self, login, nurse_a, site_a):
        response = login(nurse_a).post(URL, {"title": "", "site": site_a.pk})
        assert response.status_code == 200 and "error-summary" in response.content.decode()

    def test_it_redirects_anonymous_users(self, client):
        assert client.get(URL).status_code == 302

    def test_it_refuses_put(self, login, nurse_a):
        assert login(nurse_a).put(URL).status_code == 405
