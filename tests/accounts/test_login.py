import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

URL = reverse("login")


@pytest.mark.django_db
class TestLogin:
    def test_it_shows_the_login_form(self, client):
        response = client.get(URL)
        assert response.status_code == 200
        assert b'name="username"' in response.content

    def test_it_logs_in_and_goes_home(self, client, nurse_a):
        response = client.post(URL, {"username": "nurse-a", "password": PASSWORD})
        assert response.status_code == 302
        assert response.url == reverse("home")

    def test_it_rejects_a_wrong_password_with_a_message(self, client, nurse_a):
        response = client.post(URL, {"username": "nurse-a", "password": "wrong"})
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content

    def test_it_locks_out_after_repeated_failures(self, client, nurse_a, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(URL, {"username": "nurse-a", "password": "wrong"})
        response = client.post(URL, {"username": "nurse-a", "password": PASSWORD})
        assert response.status_code == 429
        assert b"Too many failed log-ins" in response.content

    def test_logout_needs_post(self, login, nurse_a):
        client = login(nurse_a)
        assert client.get(reverse("logout")).status_code == 405
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("patient_list")).status_code == 302
