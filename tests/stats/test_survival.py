"""Golden tests for palliro.stats.survival against R survival / lifelines published values.

Reference: /work/shared/reference/statistics.md §3 (data copied to tests/data/).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palliro.stats.errors import StatsInputError
from palliro.stats.survival import (
    DAYS_PER_MONTH,
    DEFAULT_TIMES_DAYS,
    CoxPH,
    KaplanMeier,
    harrell_c,
    logrank_test,
    validate_survival_data,
)

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    # lifelines coding: status 1 = dead, 0 = censored (R's lung uses 2/1).
    return pd.read_csv(DATA / "lung_lifelines.csv")


# ---------------------------------------------------------------- Kaplan–Meier medians


@pytest.mark.parametrize(
    ("sex", "conf_type", "expected"),
    [
        # R printouts of survfit(Surv(time, status) ~ 1 / ~ sex, data = lung), statistics.md §3.1 [PUB]
        (None, "log", (310, 285, 363)),
        (1, "log", (270, 212, 310)),
        (2, "log", (426, 348, 550)),
        # survfit(..., conf.type = "log-log"), statistics.md §3.1 [PUB]
        (1, "log-log", (270, 210, 306)),
        (2, "log-log", (426, 345, 524)),
    ],
)
def test_lung_median_matches_r_survfit(lung, sex, conf_type, expected):
    d = lung if sex is None else lung[lung.sex == sex]
    km = KaplanMeier(conf_type=conf_type).fit(d.time, d.status, label=str(sex))
    # Times are integers, so the R printout is exact: tolerance 0.
    assert (km.median.median, km.median.lower, km.median.upper) == expected
    assert km.median.confidence == pytest.approx(0.95)


def test_lung_counts(lung):
    km = KaplanMeier().fit(lung.time, lung.status)
    assert (km.n, km.n_events) == (228, 165)  # statistics.md §3.1 [PUB]


def test_waltons_medians_calc_only():
    # statistics.md §3.3: [CALC only] (not an R printout): control 58 [56; 60], miR-137 26 [22; 29].
    w = pd.read_csv(DATA / "waltons.csv")
    got = {g: KaplanMeier().fit(d["T"], d["E"]).median for g, d in w.groupby("group")}
    assert (got["control"].median, got["control"].lower, got["control"].upper) == (58, 56, 60)
    assert (got["miR-137"].median, got["miR-137"].lower, got["miR-137"].upper) == (26, 22, 29)


def test_median_midpoint_rule_when_curve_sits_at_half():
    # R: survfit(Surv(1:4) ~ 1) prints median 2.5 (S = 0.5 exactly on [2, 3) -> midpoint).
    km = KaplanMeier().fit([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median.median == 2.5


def test_median_not_reached_is_none():
    km = KaplanMeier().fit([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0])
    assert km.median.median is None and km.median.upper is None


def test_survival_curve_and_loglog_ci_match_lifelines(lung):
    # Independent computation: lifelines' KaplanMeierFitter uses Greenwood + log(-log) limits,
    # which is R's conf.type="log-log".
    from lifelines import KaplanMeierFitter

    ref = KaplanMeierFitter().fit(lung.time, lung.status)
    km = KaplanMeier(conf_type="log-log").fit(lung.time, lung.status)
    ref_s = ref.survival_function_.iloc[1:, 0].to_numpy()  # lifelines prepends t = 0
    np.testing.assert_allclose(km.survival, ref_s, rtol=1e-12)
    ci = ref.confidence_interval_.iloc[1:].to_numpy()
    ok = np.isfinite(km.ci_lower)
    np.testing.assert_allclose(km.ci_lower[ok], ci[ok, 0], rtol=1e-9)
    np.testing.assert_allclose(km.ci_upper[ok], ci[ok, 1], rtol=1e-9)


def test_plain_and_log_ci_formulas():
    km_log = KaplanMeier("log").fit([1, 2, 3, 4, 5], [1, 1, 0, 1, 0])
    km_plain = KaplanMeier("plain").fit([1, 2, 3, 4, 5], [1, 1, 0, 1, 0])
    # By hand: S(2) = 0.6, Greenwood var(log S) = 1/(5*4) + 1/(4*3) = 0.1333...
    se = np.sqrt(1 / 20 + 1 / 12)
    assert km_log.survival[1] == pytest.approx(0.6, abs=1e-15)
    assert km_log.ci_lower[1] == pytest.approx(0.6 * np.exp(-1.959963984540054 * se), rel=1e-12)
    assert km_plain.ci_upper[1] == pytest.approx(min(1, 0.6 + 1.959963984540054 * se * 0.6), rel=1e-12)


def test_survival_at_default_times(lung):
    assert DAYS_PER_MONTH == pytest.approx(30.4375)
    assert DEFAULT_TIMES_DAYS == pytest.approx((7, 30.4375, 91.3125, 182.625))
    km = KaplanMeier().fit(lung.time, lung.status)
    rows = km.survival_at()
    assert [r.time for r in rows] == pytest.approx(DEFAULT_TIMES_DAYS)
    sf = km.survival_function()
    for r in rows:  # step function: value at the last distinct time <= t
        expect = sf.loc[sf.time <= r.time, "survival"].iloc[-1]
        assert r.survival == pytest.approx(expect, rel=1e-15)
        assert r.lower <= r.survival <= r.upper
        assert r.n_at_risk == int((lung.time >= r.time).sum())
    # the 1-month value by hand: 10 deaths among 228 with no censoring before day 30
    assert rows[1].survival == pytest.approx(218 / 228, rel=1e-12)


def test_survival_at_before_first_and_beyond_last():
    km = KaplanMeier().fit([5, 10, 20], [1, 0, 0])
    before, beyond = km.survival_at([1, 30])
    assert (before.survival, before.lower, before.upper) == (1.0, 1.0, 1.0)
    assert beyond.estimable is False and beyond.survival is None
    km0 = KaplanMeier().fit([5, 10], [1, 1])
    assert km0.survival_at([30])[0].survival == 0.0


def test_at_risk_table():
    km = KaplanMeier().fit([1, 2, 2, 3, 5, 8], [1, 0, 1, 1, 0, 1])
    rows = km.at_risk([0, 2, 4, 10])
    assert [r.n_at_risk for r in rows] == [6, 5, 2, 0]
    assert [r.cumulative_events for r in rows] == [0, 2, 3, 4]
    assert [r.cumulative_censored for r in rows] == [0, 1, 1, 2]


# ---------------------------------------------------------------- log-rank


def test_lung_logrank_by_sex(lung):
    r = logrank_test(lung.time, lung.status, lung.sex)
    # survdiff(Surv(time, status) ~ sex, lung), statistics.md §3.1: [PUB] Chisq 10.3, p 0.00131,
    # E 91.6 / 73.4; [CALC] full precision chisq 10.326741954885662, p 0.0013111645203554667.
    assert r.chisq == pytest.approx(10.326741954885662, rel=1e-10)
    assert r.p_value == pytest.approx(0.0013111645203554667, rel=1e-8)
    assert r.df == 1
    g1, g2 = r.groups
    assert (g1.group, g1.n, g1.observed, g2.n, g2.observed) == (1, 138, 112, 90, 53)
    assert g1.expected == pytest.approx(91.5817, abs=5e-5)
    assert g2.expected == pytest.approx(73.4183, abs=5e-5)
    # printed columns (O-E)^2/E 4.55 / 5.68 and (O-E)^2/V 10.3 [PUB], 2-3 s.f.
    assert (round(g1.oe2_over_e, 2), round(g2.oe2_over_e, 2)) == (4.55, 5.68)
    assert round(g1.oe2_over_v, 1) == round(g2.oe2_over_v, 1) == 10.3


@pytest.mark.parametrize(
    ("example", "chisq", "p"),
    [
        # exact R survdiff values hard-coded in lifelines tests/test_statistics.py l.69-80 and
        # l.103-114 (statistics.md §3.3 [PUB], 6 dp).
        ("uncensored", 0.254237, 0.614107),
        ("censored", 0.384615, 0.535143),
    ],
)
def test_tiny_survdiff_examples(example, chisq, p):
    d = pd.read_csv(DATA / "survdiff_tiny_examples.csv")
    d = d[d.example == example]
    r = logrank_test(d.time, d.status, d.treatment)
    assert r.chisq == pytest.approx(chisq, abs=5e-7)
    assert r.p_value == pytest.approx(p, abs=5e-7)


def test_stratified_logrank_lung_pat_karno(lung):
    # survdiff(Surv(time, status) ~ pat.karno + strata(inst), data = lung):
    # Chisq 21.4 on 7 df, p = 0.003, n = 224 (survival-Ex.Rout.save:3164, statistics.md §3.1 [PUB]).
    d = lung.dropna(subset=["pat.karno", "inst"])
    r = logrank_test(d.time, d.status, d["pat.karno"], strata=d.inst)
    assert len(d) == 224 and r.df == 7 and r.stratified
    assert round(r.chisq, 1) == 21.4
    assert round(r.p_value, 3) == 0.003


def test_waltons_logrank_calc_only():
    # statistics.md §3.3 [CALC only; the lifelines docs printout is inconsistent and unused]:
    # chisq 122.24912557, p 2.04e-28, O 122/34, E 148.924/7.076 (groups sorted: control, miR-137).
    w = pd.read_csv(DATA / "waltons.csv")
    r = logrank_test(w["T"], w["E"], w["group"])
    assert r.chisq == pytest.approx(122.24912557, abs=1e-7)
    assert r.p_value == pytest.approx(2.04e-28, rel=5e-3)
    assert [g.group for g in r.groups] == ["control", "miR-137"]
    assert r.groups[0].expected == pytest.approx(148.924, abs=5e-4)


def test_three_group_logrank_matches_lifelines():
    # Independent computation: lifelines.statistics.multivariate_logrank_test.
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(7)
    t = np.ceil(rng.exponential(20, 90))
    e = rng.integers(0, 2, 90)
    g = np.repeat(["a", "b", "c"], 30)
    r = logrank_test(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert r.df == 2
    assert r.chisq == pytest.approx(ref.test_statistic, rel=1e-9)
    assert sum(x.observed for x in r.groups) == pytest.approx(sum(x.expected for x in r.groups))


def test_logrank_needs_two_groups():
    with pytest.raises(StatsInputError) as exc:
        logrank_test([1, 2], [1, 1], ["a", "a"])
    assert exc.value.field == "groups"


# ---------------------------------------------------------------- Cox


def test_cox_lung_age_sex(lung):
    cox = CoxPH().fit(lung, "time", "status", ["age", "sex"])
    age, sex = cox.coefficient("age"), cox.coefficient("sex")
    # therneau/survival tests/Examples/survival-Ex.Rout.save:2973-2983 (statistics.md §3.1 [PUB]):
    # age 0.017045 (HR 1.017191, se 0.009223, p 0.06459), sex -0.513219 (HR 0.598566, se 0.167458,
    # p 0.00218); HR CI age [0.9990; 1.0357], sex [0.4311; 0.8311]; concordance 0.603; LR 14.12.
    assert age.coef == pytest.approx(0.017045, abs=5e-6)
    assert sex.coef == pytest.approx(-0.513219, abs=5e-6)
    assert age.hazard_ratio == pytest.approx(1.017191, abs=5e-6)
    assert sex.hazard_ratio == pytest.approx(0.598566, abs=5e-6)
    assert age.se == pytest.approx(0.009223, abs=5e-7)
    assert sex.se == pytest.approx(0.167458, abs=5e-7)
    assert age.p_value == pytest.approx(0.06459, abs=5e-6)
    assert sex.p_value == pytest.approx(0.00218, abs=5e-6)
    assert (round(age.hr_lower, 4), round(age.hr_upper, 4)) == (0.9990, 1.0357)
    assert (round(sex.hr_lower, 4), round(sex.hr_upper, 4)) == (0.4311, 0.8311)
    assert round(cox.concordance.c_index, 3) == 0.603
    assert round(cox.lr_chisq, 2) == 14.12 and cox.lr_df == 2
    assert (cox.n, cox.n_events) == (228, 165)


def test_cox_rossi_seven_covariates():
    rossi = pd.read_csv(DATA / "rossi.csv")
    cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    cox = CoxPH().fit(rossi, "week", "arrest", cov)
    # R coxph coefficients/se/z as hard-coded in lifelines tests/test_estimation.py:3971/4492/4508
    # (statistics.md §3.2 [PUB]); the same decimals as those tests: coef 6 dp, se 4 dp, z 3 dp.
    expected = {
        "fin": (-0.3794222, 0.19138, -1.983),
        "age": (-0.0574377, 0.02200, -2.611),
        "race": (0.3138998, 0.30799, 1.019),
        "wexp": (-0.1497957, 0.21222, -0.706),
        "mar": (-0.4337039, 0.38187, -1.136),
        "paro": (-0.0848711, 0.19576, -0.434),
        "prio": (0.0914971, 0.02865, 3.194),
    }
    for name, (coef, se, z) in expected.items():
        row = cox.coefficient(name)
        assert row.coef == pytest.approx(coef, abs=1.5e-6), name
        assert row.se == pytest.approx(se, abs=1.5e-4), name
        assert row.z == pytest.approx(z, abs=1.5e-3), name
    # LR 33.27 on 7 df (test_estimation.py:4524); partial LL -658.7476594 [CALC]; concordance 0.64 (docs)
    assert round(cox.lr_chisq, 2) == 33.27 and cox.lr_df == 7
    assert cox.log_likelihood == pytest.approx(-658.7476594, abs=1e-6)
    assert round(cox.concordance.c_index, 2) == 0.64


def test_cox_rejects_missing_covariate(lung):
    with pytest.raises(StatsInputError) as exc:
        CoxPH().fit(lung, "time", "status", ["age", "ph.ecog"])
    assert exc.value.field == "ph.ecog" and exc.value.row is not None


def test_cox_only_efron():
    with pytest.raises(StatsInputError):
        CoxPH(ties="breslow")  # type: ignore[arg-type]


# ---------------------------------------------------------------- Harrell's C


def _brute_force_c(t, e, x):
    conc = disc = tie = 0
    for i, j in itertools.permutations(range(len(t)), 2):
        if e[i] == 1 and (t[i] < t[j] or (t[i] == t[j] and e[j] == 0)):
            if x[i] > x[j]:
                conc += 1
            elif x[i] < x[j]:
                disc += 1
            else:
                tie += 1
    return conc, disc, tie


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1), st.integers(0, 4)), min_size=2, max_size=25))
def test_harrell_c_equals_pairwise_definition(rows):
    t, e, x = (np.array(v) for v in zip(*rows, strict=True))
    res = harrell_c(t, e, x)
    conc, disc, tie = _brute_force_c(t, e, x)
    assert (res.concordant, res.discordant, res.tied_score) == (conc, disc, tie)
    if conc + disc + tie:
        assert res.c_index == pytest.approx((conc + tie / 2) / (conc + disc + tie))


def test_harrell_c_direction():
    t, e, risk = [1, 2, 3, 4], [1, 1, 1, 1], [4, 3, 2, 1]
    assert harrell_c(t, e, risk).c_index == 1.0
    assert harrell_c(t, e, risk, direction="survival").c_index == 0.0


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("durations", "events", "field", "row"),
    [
        ([1, -2, 3], [1, 0, 1], "durations", 1),
        ([1, 2, 3], [1, 2, 1], "events", 1),
        ([1, 2], [1, 0, 1], "events", None),
        ([1, float("nan"), 3], [1, 0, 1], "durations", 1),
        ([1, 2, 3], [1, float("nan"), 1], "events", 1),
        ([], [], "durations", None),
        (["a", "b"], [1, 0], "durations", None),
    ],
)
def test_validation_names_field(durations, events, field, row):
    with pytest.raises(StatsInputError) as exc:
        validate_survival_data(durations, events)
    assert exc.value.field == field and exc.value.row == row
    assert field in str(exc.value)
    with pytest.raises(ValueError):  # StatsInputError is a ValueError
        KaplanMeier().fit(durations, events)


def test_bad_conf_type():
    with pytest.raises(StatsInputError) as exc:
        KaplanMeier(conf_type="logit")  # type: ignore[arg-type]
    assert exc.value.field == "conf_type"


def test_boolean_events_accepted():
    km = KaplanMeier().fit([1, 2, 3], [True, False, True])
    assert km.n_events == 2


def test_cox_refuses_a_model_that_diverges_when_all_events_are_in_one_group():
    # Separation: every death is in group 1, so the hazard ratio is infinite and not estimable.
    frame = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 1, 0, 0, 0, 0], "g": [1, 1, 1, 1, 0, 0, 0, 0]})
    with pytest.raises(StatsInputError) as error:
        CoxPH().fit(frame, "t", "e", ["g"])
    assert error.value.field == "g"
