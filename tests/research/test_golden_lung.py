"""Golden checks: R's lung data entered as Palliro patients reproduces R survival's printouts through the
cohort frame and the report API (/work/shared/reference/statistics.md §3.1)."""

import pytest

from palliro.accounts.access import staff_context
from palliro.research.analyses import ReportOptions, build_report
from palliro.research.cohort import IDENTIFYING, cohort_frame

# R: survfit(Surv(time, status) ~ 1, data = lung) -> n 228, events 165, median 310 [285; 363]
# R: survfit(Surv(time, status) ~ sex, data = lung) -> male 138/112 270 [212; 310]; female 90/53 426 [348; 550]
# Source: statistics.md §3.1 (R printout [PUB], identical in ≥ 6 public tutorials). Exact (tolerance 0 days).
R_KM = {
    "all": (228, 165, 310, 285, 363),
    "male": (138, 112, 270, 212, 310),
    "female": (90, 53, 426, 348, 550),
}


@pytest.mark.django_db
class TestLungGolden:
    def test_it_reproduces_r_km_medians_through_the_api(self, lung_patients, make_cohort, clinician_a):
        built = cohort_frame(make_cohort(), staff_context(clinician_a))
        assert len(built.frame) == 228 and built.n_without_follow_up == 0
        assert not IDENTIFYING & set(built.frame.columns)
        report = build_report(built.frame, ReportOptions(group_by="sex", covariates=("age", "male")))
        km = report.table("km_median").frame.set_index("group")
        for group, (n, events, median, lower, upper) in R_KM.items():
            row = km.loc[group]
            assert (row["n"], row["events"]) == (n, events)
            assert (row["median_days"], row["lower_95"], row["upper_95"]) == (median, lower, upper)

    def test_it_reproduces_r_logrank_and_cox(self, lung_patients, make_cohort, clinician_a):
        built = cohort_frame(make_cohort(), staff_context(clinician_a))
        report = build_report(built.frame, ReportOptions(group_by="sex", covariates=("age", "male")))
        # R: survdiff(Surv(time, status) ~ sex, lung): Chisq = 10.3 on 1 df, p = 0.00131; full precision
        # 10.326741954885662 (statistics.md §3.1 [CALC] agreeing with the [PUB] printout). Tolerance 1e-6.
        title = report.table("logrank").title
        assert "chi-square 10.327 on 1 df" in title and "p = 0.001311" in title
        # R: coxph(Surv(time, status) ~ age + sex, lung), Efron: age 0.017045 (se 0.009223); sex −0.513219
        # (se 0.167458) with sex 1 = male, 2 = female, so the male indicator has coef +0.513219.
        # Source: therneau/survival tests/Examples/survival-Ex.Rout.save:2973-2983 (statistics.md §3.1).
        # Tolerance 1e-4 on coefficients (printed 4 dp in the table).
        cox = report.table("cox").frame.set_index("covariate")
        assert cox.iloc[0]["coef"] == pytest.approx(0.017045, abs=1e-4)
        assert cox.iloc[1]["coef"] == pytest.approx(0.513219, abs=1e-4)
        assert cox.iloc[1]["se"] == pytest.approx(0.167458, abs=1e-4)

    def test_the_page_shows_r_medians(self, lung_patients, make_cohort, login, researcher):
        cohort = make_cohort()
        response = login(researcher).get(f"/research/cohorts/{cohort.pk}/", {"group_by": "sex", "origin": "first_fraction"})
        assert response.status_code == 200
        body = response.content.decode()
        for cells in ("<td>all</td><td>228</td><td>165</td><td>310.0</td><td>285.0</td><td>363.0</td>",
                      "<td>male</td><td>138</td><td>112</td><td>270.0</td><td>212.0</td><td>310.0</td>",
                      "<td>female</td><td>90</td><td>53</td><td>426.0</td><td>348.0</td><td>550.0</td>"):
            assert cells in body
        assert "Family1" not in body and "L-0001" not in body
