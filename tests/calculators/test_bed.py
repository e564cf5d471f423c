"""BED/EQD2 page; expected numbers from clinical.md §2.3 (Fowler 1989 LQ formulas), tolerance 0.005."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:bed")


@pytest.mark.django_db
class TestBedPage:
    def test_it_reproduces_20_gy_in_5(self, get):
        # clinical.md §2.3: 20 Gy/5 -> BED10 28.00, EQD2(10) 23.33, BED3 46.67, BED2 60.00.
        response, body = get(URL, {"regimen": "20 Gy/5", "alpha_betas": ["10", "3", "2"]})
        assert response.status_code == 200
        for value in ("28.00", "23.33", "46.67", "60.00", "30.00"):
            assert value in body
        assert "unverified" in body and "Fowler" in body

    def test_it_accepts_total_and_fractions_and_custom_ab(self, get):
        # 8 Gy x 1 at alpha/beta 2: BED2 40.00, EQD2(2) 20.00 (clinical.md §2.3).
        _, body = get(URL, {"total_dose": "8", "fractions": "1", "schedule": "daily", "custom_ab": "2"})
        assert "40.00" in body and "20.00" in body

    def test_it_applies_the_time_correction(self, get):
        # clinical.md §2.3 [C]: 60 Gy/30, T = 39, Tk 21, Dprolif 0.9 -> BED10 72.0 -> 55.8 (EQD2 46.5).
        _, body = get(URL, {"regimen": "60 Gy/30", "alpha_betas": "10", "tk_days": "21", "dprolif": "0.9",
                            "overall_days": "39"})
        assert "55.80" in body and "46.50" in body and "72.00" in body
        assert "repopulation" in body

    def test_it_takes_fraction_dates(self, get):
        # 2026-01-05 (Monday) to 2026-02-13 is 39 days.
        _, body = get(URL, {"regimen": "60 Gy/30", "alpha_betas": "10", "tk_days": "21", "dprolif": "0.9",
                            "first_fraction": "2026-01-05", "last_fraction": "2026-02-13"})
        assert "55.80" in body

    def test_it_warns_about_nominal_time_and_high_dose_per_fraction(self, get):
        _, body = get(URL, {"regimen": "4 Gy x 5 weekly", "alpha_betas": "10", "tk_days": "21", "dprolif": "0.9"})
        assert "21.70" in body  # clinical.md §2.3: 4 Gy x 5 weekly, T = 28 -> 21.7
        assert "Overall time T = 28 d assumed" in body
        _, body = get(URL, {"regimen": "24 Gy/2", "alpha_betas": "10"})
        assert "52.80" in body and "above 10 Gy" in body and 'role="alert"' in body

    def test_it_shows_eqdx(self, get):
        # EQDX with X = 2 equals EQD2: 20 Gy/5 at 10 -> 23.33.
        _, body = get(URL, {"regimen": "20 Gy/5", "alpha_betas": "10", "eqdx": "2"})
        assert "EQD2 (Gy)" in body and body.count("23.33") >= 2

    def test_it_downloads_csv(self, client):
        response = client.get(URL, {"regimen": "20 Gy/5", "alpha_betas": ["10", "3"], "format": "csv"})
        rows = read_csv(response)
        assert rows[0][:3] == ["alpha/beta (Gy)", "BED (Gy)", "EQD2 (Gy)"]
        assert rows[1][0] == "10" and float(rows[1][1]) == pytest.approx(28.0)
        assert float(rows[2][2]) == pytest.approx(28.0)
        assert "attachment" in response["Content-Disposition"]

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"regimen": "20/5"}, "regimen", "no dose unit"),
            ({"regimen": "20 Gy/0"}, "regimen", "fractions must be"),
            ({"regimen": "20 Gy per 5"}, "regimen", "cannot read"),
            ({"regimen": "20 Gy/5", "total_dose": "20", "fractions": "5"}, "regimen", "not both"),
            ({"total_dose": "20"}, "regimen", "Give a regimen"),
            ({"regimen": "20 Gy/5", "custom_ab": "-1"}, "custom_ab", "greater than or equal"),
            ({"regimen": "20 Gy/5", "alpha_betas": "7"}, "", "not one of the available choices"),
            ({"regimen": "20 Gy/5", "alpha_betas": "10", "tk_days": "21"}, "dprolif", "both Tk and Dprolif"),
            ({"regimen": "20 Gy/5", "alpha_betas": "10", "overall_days": "30"}, "tk_days", "time correction"),
            ({"regimen": "20 Gy/5", "alpha_betas": "10", "tk_days": "21", "dprolif": "0.9",
              "first_fraction": "2026-02-13", "last_fraction": "2026-01-05"}, "last_fraction", "before the first"),
            ({"regimen": "20 Gy/5", "alpha_betas": []}, "custom_ab", "at least one α/β"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field, message):
        response, body = get(URL, {"alpha_betas": "10", **params})
        assert response.status_code == 200
        assert "error-summary" in body and message in body
        if field:  # checkbox groups have no single id to point at
            assert f'id="id_{field}-error"' in body

    def test_bad_input_with_csv_format_shows_the_page(self, get):
        response, body = get(URL, {"regimen": "nonsense", "format": "csv"})
        assert response.status_code == 200 and "error-summary" in body

    def test_it_refuses_post(self, client):
        assert client.post(URL, {"regimen": "20 Gy/5"}).status_code == 405
