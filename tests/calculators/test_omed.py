"""OMED page; worked examples from clinical.md §1.5 [C] with CDC 2022 factors."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:omed")
OXY = {"table": "CDC2022", "drug_1": "oxycodone", "dose_1": "20", "unit_1": "mg", "route_1": "oral",
       "frequency_1": "bid"}


@pytest.mark.django_db
class TestOmedPage:
    def test_it_reproduces_the_worked_examples(self, get):
        # oxycodone 20 mg bid -> 60; fentanyl 25 mcg/h -> 60; hydromorphone 4 mg q4h -> 120 (total 240).
        response, body = get(URL, {**OXY, "drug_2": "fentanyl", "dose_2": "25", "unit_2": "mcg/h",
                                   "route_2": "transdermal", "drug_3": "hydromorphone", "dose_3": "4",
                                   "unit_3": "mg", "route_3": "oral", "frequency_3": "q4h"})
        assert response.status_code == 200
        assert "240.0 mg/day" in body and "60.00" in body and "120.00" in body
        assert "CDCMMEClinicalConversionFactors" in body and "not for switching" in body

    def test_it_uses_the_bnf_table_and_flags_it(self, get):
        _, body = get(URL, {**OXY, "table": "BNF", "drug_2": "morphine", "dose_2": "5", "unit_2": "mg",
                            "route_2": "sc", "frequency_2": "q4h"})
        assert "120.0 mg/day" in body and "BNF" in body and "badge-unverified" in body

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {**OXY, "format": "csv"}))
        assert rows[1][0] == "oxycodone" and float(rows[1][-1]) == pytest.approx(60.0)
        assert rows[-1][0] == "Total"

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({**OXY, "frequency_1": "sometimes"}, "frequency_1"),
            ({**OXY, "unit_1": "mcg/h"}, "unit_1"),
            ({**OXY, "dose_1": ""}, "dose_1"),
            ({**OXY, "dose_1": "-3"}, "dose_1"),
            ({"table": "CDC2022", "dose_2": "5"}, "drug_2"),
            ({"table": "CDC2022"}, "drug_1"),
            ({**OXY, "table": "XYZ"}, "table"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(URL, params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body

    def test_a_drug_missing_from_the_table_is_named(self, get):
        response, body = get(URL, {**OXY, "route_1": "sc"})
        assert response.status_code == 200 and "no CDC2022 conversion factor for oxycodone by route sc" in body

    def test_it_refuses_an_implausible_dose_beside_its_field(self, get):
        response, body = get(URL, {**OXY, "dose_1": "1" + "0" * 30})
        assert response.status_code == 200
        assert ('id="id_dose_1-error"' in body and "above the 100,000 mg/day taken as plausible" in body
                and "records[0]" not in body)

    def test_it_refuses_post(self, client):
        assert client.post(URL).status_code == 405
