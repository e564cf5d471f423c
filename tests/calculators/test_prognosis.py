"""Prognosis pages; groups and published survival from clinical.md §4 (Chow 2008, Krishnan 2014, Rades)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv


def url(model):
    return reverse("calculators:prognosis", args=[model])


@pytest.mark.django_db
class TestPrognosisPages:
    def test_the_index_lists_the_models(self, get):
        response, body = get(reverse("calculators:prognosis_index"))
        assert response.status_code == 200 and "TEACHH" in body and "Mizumoto" in body and "Krishnan" in body

    def test_chow_nrf3_group_iii(self, get):
        # 3 risk factors -> group III, Angelo 2014 median 13 weeks (clinical.md §4.1).
        response, body = get(url("chow_nrf3"), {"primary": "lung", "bone_only_metastases": "no", "kps": 50})
        assert response.status_code == 200
        assert "3 points, group III" in body and "PMID 25006508" in body and "J Clin Oncol 2008" in body
        assert "badge-unverified" in body and "chow2008_medians" in body

    def test_teachh_group_c(self, get):
        # Krishnan 2014 Table 2: 6 factors -> group C, median 1.7 months (95% CI 1.2-2.1).
        _, body = get(url("teachh"), {"primary": "other", "ecog": 3, "age": 61, "prior_chemo_courses": 3,
                                      "hospitalised_3_months": "yes", "liver_metastases": "yes",
                                      "chemo_rule": "gt2"})
        assert "6 points, group C" in body and "1.7" in body and "teachh_chemo_threshold" in body

    def test_rades_elderly_total(self, get):
        _, body = get(url("rades_elderly"), {"points": 45})
        assert "group 40-48" in body and "56" in body

    def test_it_downloads_the_outcomes_csv(self, client):
        rows = read_csv(client.get(url("mizumoto"), {
            "unfavourable_tumour": "no", "ecog": 1, "hypercalcaemia": "no", "visceral_metastases": "no",
            "previous_chemotherapy": "no", "multiple_bone_metastases": "no", "age": 50, "format": "csv",
            "part": "outcomes"}))
        # Mizumoto 2008 group A: median 27.1 months.
        assert rows[1][:3] == ["median survival", "27.1", "months"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"primary": "lung", "bone_only_metastases": "no", "kps": 55}, "kps"),
            ({"primary": "lung", "bone_only_metastases": "", "kps": 50}, "bone_only_metastases"),
            ({"primary": "liver", "bone_only_metastases": "no", "kps": 50}, "primary"),
            ({"primary": "lung", "bone_only_metastases": "no", "kps": 150}, "kps"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(url("chow_nrf3"), params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body

    def test_rades_bsc_needs_ecog_2_or_more(self, get):
        response, body = get(url("rades_bsc"), {"ecog": 1, "primary": "lung", "other_bone_metastases": "no",
                                                "visceral_metastases": "no", "interval_months": 10,
                                                "ambulatory": "yes", "motor_deficit_days": 3})
        assert response.status_code == 200 and 'id="id_ecog-error"' in body

    def test_an_unknown_model_is_404(self, client):
        assert client.get(url("nope")).status_code == 404

    def test_it_refuses_post(self, client):
        assert client.post(url("teachh")).status_code == 405
