import re

import pytest
from django.urls import reverse

URL = reverse("instrument_preview", args=["palliro-bleeding", "1.0.0"])


def field_for(html: str, link_id: str) -> str:
    return re.search(rf'name="([^"]*{re.escape(link_id)}[^"]*)"', html).group(1)


@pytest.mark.django_db
class TestInstrumentPreview:
    def test_it_renders_the_patient_page_in_the_chosen_language(self, login, nurse_a):
        response = login(nurse_a).get(URL, {"lang": "nl"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'lang="nl"' in html and "nothing is saved" in html
        assert "followup/patient.css" in html and "<script" not in html
        assert 'method="post"' not in html  # a preview never stores answers

    def test_branching_follows_the_answers_in_the_query_string(self, login, nurse_a):
        client = login(nurse_a)
        first = client.get(URL, {"lang": "en"}).content.decode()
        assert "bleeding-site" not in first  # asked only after "yes, there was bleeding"
        name = field_for(first, "bleeding-any")
        answered = client.get(URL, {"lang": "en", name: "yes", "page": "1", "action": "next"}).content.decode()
        assert "bleeding-site" in answered
        # The first answer travels along, so going back shows it still ticked.
        back = client.get(URL, {"lang": "en", name: "yes", "page": "2", "action": "back"}).content.decode()
        assert re.search(rf'name="{re.escape(name)}" value="yes" checked', back)

    def test_an_unavailable_language_is_404(self, login, nurse_a):
        url = reverse("instrument_preview", args=["eortc-qlq-c30", "3.0"])
        assert login(nurse_a).get(url, {"lang": "fr"}).status_code == 404
        assert login(nurse_a).get(url, {"lang": "en"}).status_code == 200

    def test_the_detail_page_links_to_every_language(self, login, nurse_a):
        html = login(nurse_a).get(reverse("instrument_detail", args=["palliro-general", "1.0.0"])).content.decode()
        for lang in ("en", "nl", "fr", "es"):
            assert f"preview/?lang={lang}" in html

    def test_anonymous_users_are_sent_to_login(self, client):
        assert client.get(URL).status_code == 302

    def test_it_refuses_post(self, login, nurse_a):
        assert login(nurse_a).post(URL).status_code == 405
