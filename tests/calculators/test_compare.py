"""Regimen comparison page; numbers from clinical.md §2.3 [C] (tolerance 0.005)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:compare")
LINES = "8 Gy x 1\n20 Gy/5\n30 Gy/10\n3.7 Gy bid x 4"


@pytest.mark.django_db
class TestComparePage:
    def test_it_shows_the_table(self, get):
        response, body = get(URL, {"regimens": LINES})
        assert response.status_code == 200
        # 8 Gy x1: 14.40/12.00/29.33/17.60/40.00/20.00; 30 Gy/10: 39.00 ... 75.00; QUAD shot 20.28 ... 42.18.
        for value in ("14.40", "12.00", "29.33", "17.60", "40.00", "39.00", "32.50", "75.00", "20.28", "42.18"):
            assert value in body
        assert "BID_FULL_REPAIR_ASSUMED" in body

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {"regimens": LINES, "format": "csv", "part": "comparison"}))
        header = rows[0]
        assert header[:5] == ["regimen", "total_dose", "fractions", "dose_per_fraction", "schedule"]
        row = dict(zip(header, rows[2], strict=True))
        assert float(row["BED10"]) == pytest.approx(28.0) and float(row["EQD2(2)"]) == pytest.approx(30.0)

    def test_it_names_the_bad_line(self, get):
        response, body = get(URL, {"regimens": "20 Gy/5\n20 Gray per 5"})
        assert response.status_code == 200 and "line 2" in body and 'id="id_regimens-error"' in body

    def test_empty_input_is_an_error(self, get):
        response, body = get(URL, {"regimens": ""})
        assert response.status_code == 200 and "error-summary" in body

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
