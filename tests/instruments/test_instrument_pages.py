import json

import pytest
from django.urls import reverse


@pytest.mark.django_db
class TestInstrumentPages:
    def test_the_list_shows_bank_and_standard_instruments(self, login, nurse_a):
        response = login(nurse_a).get(reverse("instrument_list"))
        assert response.status_code == 200
        assert b"palliro-general" in response.content and b"eortc-qlq-c30" in response.content

    def test_the_detail_marks_unverified_scales(self, login, researcher):
        response = login(researcher).get(reverse("instrument_detail", args=["eortc-qlq-bm22", "2009"]))
        assert response.status_code == 200
        assert b"unverified" in response.content

    def test_the_fhir_download_is_the_stored_questionnaire(self, login, nurse_a):
        response = login(nurse_a).get(reverse("instrument_fhir", args=["palliro-general", "1.0.0"]))
        assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
        assert json.loads(response.content)["id"] == "palliro-general"

    def test_an_unknown_version_is_404(self, login, nurse_a):
        assert login(nurse_a).get(reverse("instrument_detail", args=["palliro-general", "9.9"])).status_code == 404

    def test_anonymous_users_are_sent_to_login(self, client):
        assert client.get(reverse("instrument_list")).status_code == 302

    def test_it_refuses_post(self, login, nurse_a):
        assert login(nurse_a).post(reverse("instrument_list")).status_code == 405
