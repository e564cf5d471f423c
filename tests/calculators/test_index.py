import pytest
from django.urls import reverse


@pytest.mark.django_db
class TestIndex:
    def test_it_lists_every_calculator_without_login(self, client):
        response = client.get(reverse("calculators:index"))
        assert response.status_code == 200
        body = response.content.decode()
        for name in ("bed", "compare", "isoeffect", "brachy", "reirradiation", "omed", "pain_response", "flare",
                     "cvi"):
            assert reverse(f"calculators:{name}") in body
        assert reverse("calculators:prognosis", args=["teachh"]) in body
        assert reverse("calculators:prognosis", args=["rades_mscc"]) in body

    def test_it_refuses_post(self, client):
        assert client.post(reverse("calculators:index")).status_code == 405

    def test_every_empty_page_renders_for_anonymous_users(self, client):
        for name in ("bed", "compare", "isoeffect", "brachy", "reirradiation", "omed", "pain_response", "flare",
                     "cvi", "prognosis_index"):
            response = client.get(reverse(f"calculators:{name}"))
            assert response.status_code == 200, name
            assert "error-summary" not in response.content.decode()
