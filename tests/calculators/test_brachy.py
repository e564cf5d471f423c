"""EBRT + HDR brachytherapy page; clinical.md §2.4 [C] example (GEC-ESTRO convention)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:brachy")


@pytest.mark.django_db
class TestBrachyPage:
    def test_it_sums_ebrt_and_hdr(self, get):
        # 45 Gy/25 -> 44.25; 7 Gy x 3 -> 29.75; total 74.00 Gy EQD2(10).
        response, body = get(URL, {"ebrt": "45 Gy/25", "brachy_regimen": "7 Gy x 3", "alpha_beta": "10"})
        assert response.status_code == 200
        assert "44.25" in body and "29.75" in body and "74.00" in body and "GEC-ESTRO" in body

    def test_it_sums_per_fraction_doses(self, get):
        # 7, 7, 7 Gy at alpha/beta 3: 3 * 7 * 10 / 5 = 42.00 (clinical.md §2.4).
        _, body = get(URL, {"ebrt": "45 Gy/25", "brachy_doses": "7, 7, 7", "alpha_beta": "3"})
        assert "42.00" in body

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {"ebrt": "45 Gy/25", "brachy_regimen": "7 Gy x 3", "alpha_beta": "10",
                                         "format": "csv"}))
        assert rows[3][0] == "Total" and float(rows[3][1]) == pytest.approx(74.0)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"ebrt": "45 Gy/25", "alpha_beta": "10"}, "brachy_regimen"),
            ({"ebrt": "45 Gy/25", "brachy_doses": "7, x", "alpha_beta": "10"}, "brachy_doses"),
            ({"ebrt": "45/25", "brachy_regimen": "7 Gy x 3", "alpha_beta": "10"}, "ebrt"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(URL, params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
