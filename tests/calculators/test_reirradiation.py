"""Re-irradiation page; Nieder 2006 worked example and Sahgal 2012 example from clinical.md §2.5 [C]."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:reirradiation")
NIEDER = {"courses": "30 Gy/10\n20 Gy/5", "intervals": "8", "alpha_beta": "2", "recovery": "none",
          "guidance": "nieder2006_cord"}


@pytest.mark.django_db
class TestReirradiationPage:
    def test_it_reproduces_the_nieder_example(self, get):
        # Cord Dmax 30 Gy/10 (BED2 75) + 20 Gy/5 (BED2 60) = 135 Gy2, EQD2 67.5; guidance met at 8 months.
        response, body = get(URL, NIEDER)
        assert response.status_code == 200
        assert "135.00" in body and "67.50" in body and "75.00" in body and "met" in body
        assert "Nieder" in body and "135.5" in body

    def test_it_warns_prominently_when_the_guidance_is_breached(self, get):
        _, body = get(URL, {**NIEDER, "intervals": "4"})
        assert 'role="alert"' in body and "shorter than 6 months" in body and "NOT met" in body
        _, body = get(URL, {**NIEDER, "courses": "30 Gy/10\n30 Gy/10"})
        assert "exceeds 135.5 Gy2" in body

    def test_it_checks_sahgal_for_sbrt(self, get):
        # clinical.md §2.5: cord Pmax 8 Gy x 2 = 40 Gy2/2, above the 25 limit.
        _, body = get(URL, {"courses": "30 Gy/10\n16 Gy/2", "last_is_sbrt": "on", "intervals": "6",
                            "alpha_beta": "2", "recovery": "none", "guidance": "sahgal2012_cord_sbrt"})
        assert "40.0 Gy2/2 exceeds" in body and "Sahgal" in body

    def test_it_applies_the_recovery_discount(self, get):
        _, body = get(URL, {**NIEDER, "intervals": "12", "recovery": "simple_25pct_6m_50pct_12m"})
        assert "50 %" in body and "97.50" in body  # 75 * 0.5 + 60

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {**NIEDER, "format": "csv"}))
        assert rows[-1][0] == "Cumulative" and float(rows[-1][2]) == pytest.approx(135.0)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({**NIEDER, "intervals": "8, 9"}, "intervals"),
            ({**NIEDER, "intervals": "eight"}, "intervals"),
            ({**NIEDER, "alpha_beta": "3"}, "alpha_beta"),
            ({**NIEDER, "courses": "30 Gy/10\nabc"}, "courses"),
            ({**NIEDER, "intervals": "", "recovery": "simple_25pct_6m_50pct_12m"}, "intervals"),
            ({**NIEDER, "guidance": "sahgal2012_cord_sbrt"}, "courses"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(URL, params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body, body[:3000]

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
