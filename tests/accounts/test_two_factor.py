"""Two-factor authentication is required outside demo and development mode."""


import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def require_2fa(settings):
    settings.REQUIRE_TWO_FACTOR = True


def current_code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.django_db
class TestTwoFactor:
    def test_it_sends_an_unverified_nurse_to_two_factor_setup(self, require_2fa, login, nurse_a, ann):
        response = login(nurse_a).get(reverse("patient_detail", args=[ann.pk]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor"))

    def test_it_sets_up_a_device_with_a_qr_code_and_verifies_it(self, require_2fa, login, nurse_a, ann):
        client = login(nurse_a)
        page = client.get(reverse("two_factor"), {"next": "/patients/"})
        assert page.status_code == 200 and b"<svg" in page.content
        device = TOTPDevice.objects.get(user=nurse_a, confirmed=False)
        response = client.post(reverse("two_factor"), {"token": current_code(device), "next": "/patients/"})
        assert response.status_code == 302 and response.url == "/patients/"
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(reverse("patient_list")).status_code == 200

    def test_it_rejects_a_wrong_code_with_a_clear_message(self, require_2fa, login, nurse_a):
        client = login(nurse_a)
        client.get(reverse("two_factor"))
        device = TOTPDevice.objects.get(user=nurse_a)
        wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
        response = client.post(reverse("two_factor"), {"token": wrong})
        assert response.status_code == 200
        assert b"That code is not valid" in response.content

    def test_it_rejects_a_code_that_is_not_six_digits(self, require_2fa, login, nurse_a):
        response = login(nurse_a).post(reverse("two_factor"), {"token": "12ab"})
        assert b"Enter the six digits" in response.content

    def test_a_confirmed_device_is_asked_for_a_code_without_a_new_qr(self, require_2fa, login, nurse_a):
        device = TOTPDevice.objects.create(user=nurse_a, name="phone", confirmed=True)
        client = login(nurse_a)
        assert b"<svg" not in client.get(reverse("two_factor")).content
        assert client.post(reverse("two_factor"), {"token": current_code(device)}).status_code == 302

    def test_it_ignores_an_unsafe_next_address(self, require_2fa, login, nurse_a):
        client = login(nurse_a)
        client.get(reverse("two_factor"))
        device = TOTPDevice.objects.get(user=nurse_a)
        response = client.post(reverse("two_factor"), {"token": current_code(device), "next": "https://evil.example/"})
        assert response.url == "/"

    def test_it_sends_anonymous_users_to_login(self, client):
        assert client.get(reverse("two_factor")).status_code == 302
