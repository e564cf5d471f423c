import csv
import io

import pytest
from django.urls import reverse

from palliro.evidence.models import StudyRow
from palliro.evidence.tables import read_upload


def url(outcome, what):
    return reverse("evidence:outcome_export", args=[outcome.pk, what])


@pytest.mark.django_db
class TestOutcomeExport:
    def test_it_exports_a_study_table_that_reads_back(self, login, nurse_a, bcg_outcome):
        response = login(nurse_a).get(url(bcg_outcome, "studies"))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        parsed = read_upload(response.content, "RR")
        assert len(parsed.studies) == 13 and parsed.studies[0].inputs == {"ai": 4, "bi": 119, "ci": 11, "di": 128}
        assert parsed.studies[0].year == 1948 and parsed.studies[0].subgroup == "random"

    def test_it_exports_the_results(self, login, nurse_a, bcg_outcome):
        rows = list(csv.reader(io.StringIO(login(nurse_a).get(url(bcg_outcome, "results")).content.decode())))
        by_item = {r[0]: r for r in rows}
        # metafor REML RR 0.4894 [0.3441; 0.6962], tau² 0.3132 (statistics.md §1.2, MD / RU).
        assert float(by_item["Pooled estimate"][1]) == pytest.approx(0.4894209, abs=1e-6)
        assert float(by_item["tau2"][1]) == pytest.approx(0.313243325980895, abs=1e-9)

    def test_it_neutralises_formulas_in_labels(self, login, nurse_a, outcome_rr):
        StudyRow.objects.create(outcome=outcome_rr, label="=HYPERLINK(1)", ai=1, bi=9, ci=2, di=8)
        body = login(nurse_a).get(url(outcome_rr, "studies")).content.decode()
        assert "'=HYPERLINK(1)" in body

    def test_it_is_404_for_an_unknown_export(self, login, nurse_a, bcg_outcome):
        assert login(nurse_a).get(url(bcg_outcome, "everything")).status_code == 404

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, bcg_outcome):
        assert login(nurse_b).get(url(bcg_outcome, "studies")).status_code == 404

    def test_it_redirects_anonymous_users(self, client, bcg_outcome):
        assert client.get(url(bcg_outcome, "studies")).status_code == 302

    def test_it_refuses_post(self, login, nurse_a, bcg_outcome):
        assert login(nurse_a).post(url(bcg_outcome, "results")).status_code == 405
