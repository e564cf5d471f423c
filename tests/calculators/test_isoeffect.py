"""Isoeffect conversion page (Fowler 1989; SFRO 1-6 Gy range)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:isoeffect")


@pytest.mark.django_db
class TestIsoeffectPage:
    def test_it_converts(self, get):
        # 20 Gy/5 at alpha/beta 10 in 2 Gy fractions: 20 * 14/12 = 23.33 Gy (= EQD2, clinical.md §2.3).
        response, body = get(URL, {"regimen": "20 Gy/5", "new_dose_per_fraction": "2", "alpha_beta": "10"})
        assert response.status_code == 200 and "23.33" in body and "11.67" in body

    def test_it_warns_outside_1_to_6_gy(self, get):
        _, body = get(URL, {"regimen": "8 Gy x 1", "new_dose_per_fraction": "2", "alpha_beta": "10"})
        assert "outside the 1-6 Gy range" in body

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {"regimen": "20 Gy/5", "new_dose_per_fraction": "2", "alpha_beta": "10",
                                         "format": "csv"}))
        assert float(rows[1][3]) == pytest.approx(23.3333, abs=1e-3)

    def test_it_shows_field_errors(self, get):
        response, body = get(URL, {"regimen": "20 Gy/5", "new_dose_per_fraction": "0", "alpha_beta": "10"})
        assert response.status_code == 200 and 'id="id_new_dose_per_fraction-error"' in body
        response, body = get(URL, {"regimen": "20 Gy/5", "new_dose_per_fraction": "2"})
        assert response.status_code == 200 and 'id="id_alpha_beta-error"' in body

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
