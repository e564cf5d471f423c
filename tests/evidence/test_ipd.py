import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from palliro.stats.ipd import one_stage_cox, two_stage_cox

from .conftest import IPD_MALFORMED, START, add_course, ipd_csv

OWN = {"own-a_dose": "8", "own-a_fractions": "1", "own-b_dose": "20", "own-b_fractions": "5"}


def url(review):
    return reverse("evidence:ipd", args=[review.pk])


def post(client, review, content, **extra):
    data = {"file": SimpleUploadedFile("ipd.csv", content, "text/csv"), "model": "cox", "method": "REML", **extra}
    return client.post(url(review), data)


@pytest.mark.django_db
class TestIPD:
    def test_it_shows_one_and_two_stage_hazard_ratios(self, login, researcher, review_a):
        content = ipd_csv()
        response = post(login(researcher), review_a, content)
        body = response.content.decode()
        frame = pd.read_csv(io.BytesIO(content))
        one = one_stage_cox(frame, time="time", event="event", treatment="arm", trial="trial")
        two = two_stage_cox(frame, time="time", event="event", treatment="arm", trial="trial")
        assert response.status_code == 200
        assert f'<td id="one-stage">{one.exp()[0]:.4f}</td>' in body
        assert f'<td id="two-stage">{two.meta.exp().estimate:.4f}</td>' in body
        assert 'id="pooled-diamond"' in body and ' style="' not in body

    def test_it_fits_the_logistic_models(self, login, nurse_a, review_a):
        response = post(login(nurse_a), review_a, ipd_csv(), model="logistic", covariates="age")
        assert response.status_code == 200 and "logistic, trial as fixed effect" in response.content.decode()

    def test_it_lists_row_errors(self, login, nurse_a, review_a):
        body = post(login(nurse_a), review_a, IPD_MALFORMED).content.decode()
        assert "<td>3</td><td>arm</td><td>&#x27;2&#x27; must be 0 or 1</td>" in body
        assert "<td>4</td><td>time</td>" in body and "must be greater than 0" in body
        assert "<td>5</td><td>trial</td>" in body and "&#x27;yes&#x27; is not a number" in body

    def test_it_explains_a_covariate_that_repeats_the_treatment(self, login, nurse_a, review_a):
        frame = pd.read_csv(io.BytesIO(ipd_csv()))
        frame["age"] = 50 + 10 * frame["arm"]  # "age" now carries the treatment arm
        response = post(login(nurse_a), review_a, frame.to_csv(index=False).encode(), covariates="age")
        assert response.status_code == 200
        assert "did not converge" in response.content.decode() and "collinear" in response.content.decode()

    def test_it_reports_missing_columns(self, login, nurse_a, review_a):
        body = post(login(nurse_a), review_a, b"trial,arm,event\nT1,1,1\n").content.decode()
        assert "<td>time</td><td>column not found in the file</td>" in body

    def test_it_adds_own_patients_as_a_trial(self, login, nurse_a, review_a, site_a, ann, cas):
        from tests.conftest import make_patient

        for i, (dose, fx, death, alive) in enumerate([(8, 1, 30, None), (8, 1, None, 300), (8, 1, 200, None),
                                                      (20, 5, 20, None), (20, 5, None, 90), (20, 5, 60, None)]):
            add_course(make_patient(site_a, f"X-{i}", "P", f"N{i}"), dose, fx, START, death=death, alive=alive)
        add_course(cas, 8, 1, START, death=3)  # no research consent: left out
        response = post(login(nurse_a), review_a, ipd_csv(), include_own="on", **OWN)
        body = response.content.decode()
        assert response.status_code == 200 and "<td>Own cohort</td><td>6</td><td>4</td>" in body
        assert "Claes" not in body and "X-0" not in body

    def test_it_explains_an_empty_own_cohort(self, login, nurse_a, review_a):
        response = post(login(nurse_a), review_a, ipd_csv(), include_own="on", **OWN)
        assert response.status_code == 200 and "no eligible own patients" in response.content.decode()

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, review_a):
        assert login(nurse_b).get(url(review_a)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, review_a):
        assert client.get(url(review_a)).status_code == 302

    def test_it_refuses_put(self, login, nurse_a, review_a):
        assert login(nurse_a).put(url(review_a)).status_code == 405
