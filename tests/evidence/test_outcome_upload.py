import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from palliro.evidence.models import StudyRow

from .conftest import DATA, MALFORMED_ROWS, MISSING_COLUMN


def url(outcome):
    return reverse("evidence:outcome_upload", args=[outcome.pk])


def upload(client, outcome, content, name="studies.csv", **extra):
    return client.post(url(outcome), {"file": SimpleUploadedFile(name, content, "text/csv"), **extra}, follow=True)


@pytest.mark.django_db
class TestOutcomeUpload:
    def test_it_reproduces_metafor_reml_for_dat_bcg(self, login, researcher, outcome_rr):
        response = upload(login(researcher), outcome_rr, (DATA / "dat_bcg.csv").read_bytes(), subgroup_column="alloc")
        assert response.status_code == 200
        assert StudyRow.objects.filter(outcome=outcome_rr).count() == 13
        body = response.content.decode()
        # metafor rma(yi, vi, method="REML") on dat.bcg, log RR: estimate -0.7145, CI -1.0669 to -0.3622,
        # tau² 0.3132, I² 92.22 % (statistics.md §1.2, source RU = metafor docs/reference/rma.uni.html);
        # RR 0.4894 [0.3441; 0.6962] (§1.2, MD = metadat dat.bcg.html). Page shows 4 dp: exact match.
        assert "-0.7145 (-1.0669 to -0.3622)" in body
        assert '<td id="pooled-estimate">0.4894</td>' in body and "0.3441 to 0.6962" in body
        assert '<td id="tau2">0.3132</td>' in body
        assert '<td id="i2">92.22%</td>' in body
        # Q(df=12) 152.2330 (§1.2 RU); subgroup estimates by alloc (§1.2 RU printout): random -0.9710.
        assert "152.2330 (df = 12" in body
        assert 'id="subgroups"' in body and "0.3787" in body  # exp(-0.9710) = 0.3787
        assert 'id="pooled-diamond"' in body and 'id="leave-one-out"' in body

    def test_it_lists_every_row_error_and_saves_nothing(self, login, nurse_a, outcome_rr):
        response = upload(login(nurse_a), outcome_rr, MALFORMED_ROWS)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Nothing was saved" in body and "3 problems" in body
        assert "<td>3</td><td>ai</td><td>&#x27;four&#x27; is not a number</td>" in body
        assert "<td>4</td><td>ai</td>" in body and "must be a whole number" in body
        assert "<td>5</td><td>ai</td><td>more events than patients (n1i)</td>" in body
        assert not StudyRow.objects.exists()

    def test_it_reports_a_missing_column(self, login, nurse_a, outcome_rr):
        response = upload(login(nurse_a), outcome_rr, MISSING_COLUMN)
        body = response.content.decode()
        assert response.status_code == 200 and "missing column" in body and "n2i" in body
        assert not StudyRow.objects.exists()

    def test_it_reports_a_file_that_is_not_text(self, login, nurse_a, outcome_rr):
        response = upload(login(nurse_a), outcome_rr, b"\xff\xfe\x00\x01garbage")
        assert response.status_code == 200 and "not UTF-8" in response.content.decode()

    def test_it_reports_an_unknown_subgroup_column(self, login, nurse_a, outcome_rr):
        response = upload(login(nurse_a), outcome_rr, (DATA / "dat_bcg.csv").read_bytes(), subgroup_column="nope")
        assert response.status_code == 200 and "subgroup column not found" in response.content.decode()

    def test_it_replaces_existing_rows_on_request(self, login, nurse_a, bcg_outcome):
        upload(login(nurse_a), bcg_outcome, b"study,ai,n1i,ci,n2i\nOnly,4,123,11,139\n", replace="on")
        assert list(bcg_outcome.rows.values_list("label", flat=True)) == ["Only"]

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, outcome_rr):
        assert login(nurse_b).get(url(outcome_rr)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, outcome_rr):
        assert client.get(url(outcome_rr)).status_code == 302

    def test_it_refuses_put(self, login, nurse_a, outcome_rr):
        assert login(nurse_a).put(url(outcome_rr)).status_code == 405
