import pytest
from django.urls import reverse

URL = reverse("evidence:review_list")


@pytest.mark.django_db
class TestReviewList:
    def test_it_lists_the_sites_reviews(self, login, nurse_a, review_a):
        response = login(nurse_a).get(URL)
        assert response.status_code == 200 and review_a.title in response.content.decode()

    def test_it_hides_other_sites_reviews(self, login, nurse_b, review_a):
        response = login(nurse_b).get(URL)
        assert response.status_code == 200 and review_a.title not in response.content.decode()

    def test_it_redirects_anonymous_users(self, client):
        response = client.get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_it_refuses_post(self, login, nurse_a):
        assert login(nurse_a).post(URL).status_code == 405
