"""ICE pain response page (Chow 2002/2012; clinical.md §1.2)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:pain_response")


@pytest.mark.django_db
class TestPainResponsePage:
    @pytest.mark.parametrize(
        ("p0", "o0", "pt", "ot", "category"),
        [
            (6, 60, 0, 60, "CR"),
            (6, 60, 4, 60, "PR"),  # -2 points, OMED unchanged
            (6, 60, 6, 40, "PR"),  # OMED -33 %, pain not up
            (4, 60, 6, 60, "PP"),  # +2 points, OMED stable
            (6, 60, 6, 60, "IR"),
        ],
    )
    def test_it_classifies(self, get, p0, o0, pt, ot, category):
        response, body = get(URL, {"p0": p0, "o0": o0, "pt": pt, "ot": ot})
        assert response.status_code == 200 and f"Response: {category}" in body
        assert "ice_wording" in body and "badge-unverified" in body

    def test_ice_options_change_the_reading(self, get):
        # Pain +2 with OMED +50 %: IR literally, PP with option (c).
        base = {"p0": 4, "o0": 60, "pt": 6, "ot": 90}
        assert "Response: IR" in get(URL, base)[1]
        assert "Response: PP" in get(URL, {**base, "pain_and_omed_increase": "PP"})[1]

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {"p0": 6, "o0": 60, "pt": 4, "ot": 60, "format": "csv"}))
        assert rows[1][6] == "PR"

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"p0": 11, "o0": 60, "pt": 4, "ot": 60}, "p0"),
            ({"p0": 6, "o0": -1, "pt": 4, "ot": 60}, "o0"),
            ({"p0": 6, "o0": "1e308", "pt": 4, "ot": 60}, "o0"),
            ({"p0": 6, "o0": 60, "pt": 4, "ot": "100001"}, "ot"),
            ({"p0": 6, "o0": 60, "pt": "x", "ot": 60}, "pt"),
            ({"p0": 6, "o0": 60, "pt": 4}, "ot"),
            ({"p0": 6, "o0": 60, "pt": 4, "ot": 60, "omed_stable_tolerance": "0.3"}, "omed_stable_tolerance"),
            ({"p0": 6, "o0": 60, "pt": 4, "ot": 60, "analgesic_increase": "some"}, "analgesic_increase"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(URL, params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
