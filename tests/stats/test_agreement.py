"""Tests for palliro.stats.agreement (ICC, weighted kappa, Bland–Altman)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from palliro.stats.agreement import (
    agreement_weights,
    bland_altman,
    icc,
    kappa_from_table,
    weighted_kappa,
)
from palliro.stats.errors import StatsInputError

# Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability.
# Psychol Bull 1979;86:420-428, Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float
)

# Bland JM, Altman DG. Lancet 1986;i:307-310, Table 1: peak expiratory flow rate (l/min), first
# measurement with the Wright meter and with the mini Wright meter, 17 subjects.
PEFR_WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
PEFR_MINI = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_icc_shrout_fleiss_table_2():
    a = icc(SHROUT_FLEISS, "agreement")
    c = icc(SHROUT_FLEISS, "consistency")
    # Shrout & Fleiss (1979) report for these data ICC(2,1) = .29 and ICC(3,1) = .71 (2 dp).
    assert round(a.icc, 2) == 0.29
    assert round(c.icc, 2) == 0.71
    # Independent check: exact values from the ANOVA mean squares computed by hand
    # (BMS = 11.2417, JMS = 32.4861, EMS = 1.0194 for these data).
    assert a.ms_rows == pytest.approx(11.241667, abs=1e-6)
    assert a.ms_columns == pytest.approx(32.486111, abs=1e-6)
    assert a.ms_error == pytest.approx(1.019444, abs=1e-6)
    assert (a.df1, a.df2) == (5, 15)
    assert a.f_value == pytest.approx(11.027248, abs=1e-6)
    # CIs: McGraw & Wong (1996) formulas. Reference = the same formulas evaluated independently
    # here with scipy F quantiles (A,1 with Satterthwaite df); 2 dp they agree with the
    # commonly quoted psych::ICC output for this table (ICC2 0.019-0.76, ICC3 0.34-0.95).
    f_l, f_u = a.f_value / sps.f.ppf(0.975, 5, 15), a.f_value * sps.f.ppf(0.975, 15, 5)
    assert c.lower == pytest.approx((f_l - 1) / (f_l + 3), rel=1e-12)
    assert c.upper == pytest.approx((f_u - 1) / (f_u + 3), rel=1e-12)
    assert (round(a.lower, 3), round(a.upper, 2)) == (0.019, 0.76)
    assert (round(c.lower, 2), round(c.upper, 2)) == (0.34, 0.95)


def test_icc_agreement_ci_satterthwaite_by_hand():
    # Re-derive McGraw & Wong case 2A CI step by step (independent of the module's code path).
    a = icc(SHROUT_FLEISS, "agreement", confidence=0.9)
    n, k = 6, 4
    msr, msc, mse, r = a.ms_rows, a.ms_columns, a.ms_error, a.icc
    aa = k * r / (n * (1 - r))
    bb = 1 + k * r * (n - 1) / (n * (1 - r))
    v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / ((n - 1) * (k - 1)))
    fs = sps.f.ppf(0.95, n - 1, v)
    lower = n * (msr - fs * mse) / (fs * (k * msc + (k * n - k - n) * mse) + n * msr)
    assert a.lower == pytest.approx(lower, rel=1e-12)
    assert a.lower < r < a.upper


def test_icc_perfect_agreement_and_validation():
    x = np.array([[1, 1], [2, 2], [3, 3.0]])
    assert icc(x).icc == pytest.approx(1.0)
    with pytest.raises(StatsInputError) as exc:
        icc([[1, 2], [np.nan, 3]])
    assert (exc.value.field, exc.value.row) == ("ratings", 1)
    with pytest.raises(StatsInputError):
        icc([[1, 2, 3]])
    with pytest.raises(StatsInputError) as exc:
        icc(x, kind="oneway")  # type: ignore[arg-type]
    assert exc.value.field == "kind"


# ---------------------------------------------------------------- weighted kappa

TABLE = np.array([[11, 3, 1, 0], [2, 9, 4, 1], [0, 3, 12, 2], [1, 0, 3, 8]])


@pytest.mark.parametrize("weights", ["linear", "quadratic", "unweighted"])
def test_kappa_matches_statsmodels(weights):
    # No published worked example is reproduced here with certainty, so the reference is an
    # independent implementation: statsmodels.stats.inter_rater.cohens_kappa (Fleiss-Cohen-Everitt
    # 1969 variances), tolerance 1e-12.
    from statsmodels.stats.inter_rater import cohens_kappa

    ref = cohens_kappa(TABLE, wt=None if weights == "unweighted" else weights)
    got = kappa_from_table(TABLE, weights)
    assert got.kappa == pytest.approx(ref.kappa, rel=1e-12)
    assert got.se == pytest.approx(ref.std_kappa, rel=1e-12)
    assert got.se_null == pytest.approx(ref.std_kappa0, rel=1e-12)
    assert got.lower == pytest.approx(got.kappa - 1.959963984540054 * got.se, rel=1e-12)


def test_unweighted_kappa_by_hand():
    # 2x2 [[20, 5], [10, 15]]: po = 0.70, pe = 0.5*0.6 + 0.5*0.4 = 0.50, kappa = 0.40.
    r = kappa_from_table([[20, 5], [10, 15]], "unweighted")
    assert r.kappa == pytest.approx(0.4, abs=1e-14)
    assert r.observed_agreement == pytest.approx(0.7) and r.expected_agreement == pytest.approx(0.5)


def test_weights_cohen_1968():
    lin = agreement_weights(4, "linear")
    quad = agreement_weights(4, "quadratic")
    assert lin[0].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert quad[0].tolist() == pytest.approx([1, 8 / 9, 5 / 9, 0])


def test_kappa_limits_stay_within_minus_one_and_one():
    # 3 pairs on a 0-3 scale, linear weights: po = (1 + 2/3 + 1) / 3 = 8/9, pe = 14/27 (by hand), kappa = 10/13;
    # SE 0.209, so the Wald upper limit 10/13 + 1.96 * 0.209 = 1.18 — a value kappa cannot take.
    r = weighted_kappa([0, 2, 3], [0, 3, 3], categories=[0, 1, 2, 3], weights="linear")
    assert r.kappa == pytest.approx(10 / 13, rel=1e-12)
    wald_upper = r.kappa + 1.959963984540054 * r.se
    assert wald_upper > 1 and r.upper == 1.0 and r.truncated
    assert r.lower == pytest.approx(r.kappa - 1.959963984540054 * r.se, rel=1e-12)


def test_kappa_limits_inside_the_range_are_not_truncated():
    r = kappa_from_table(TABLE, "linear")
    assert not r.truncated and r.upper == pytest.approx(r.kappa + 1.959963984540054 * r.se, rel=1e-12)


def test_weighted_kappa_from_ratings_equals_table():
    r1, r2 = [], []
    for i in range(4):
        for j in range(4):
            r1 += [i] * int(TABLE[i, j])
            r2 += [j] * int(TABLE[i, j])
    a = weighted_kappa(r1, r2, categories=[0, 1, 2, 3], weights="quadratic")
    b = kappa_from_table(TABLE, "quadratic")
    assert a.kappa == pytest.approx(b.kappa, rel=1e-14) and a.n == int(TABLE.sum())
    assert a.categories == (0, 1, 2, 3)


def test_weighted_kappa_validation():
    with pytest.raises(StatsInputError) as exc:
        weighted_kappa([0, 1, 2], [0, 1])
    assert exc.value.field == "rater2"
    with pytest.raises(StatsInputError) as exc:
        weighted_kappa([0, 1, 5], [0, 1, 2], categories=[0, 1, 2])
    assert (exc.value.field, exc.value.row) == ("rater1", 2)
    with pytest.raises(StatsInputError) as exc:
        weighted_kappa([0, None, 1], [0, 1, 1])
    assert exc.value.field == "rater1"


# ---------------------------------------------------------------- Bland–Altman


def test_bland_altman_1986_pefr():
    r = bland_altman(PEFR_WRIGHT, PEFR_MINI, z=2, loa_ci_method="bland-altman-1986")
    # Bland & Altman (1986): mean difference -2.1, SD 38.8, limits -2.1 +/- 2*38.8 = -79.7 to 75.5
    # l/min. The paper rounds bias and SD before forming the limits, hence tolerance 0.1.
    assert r.bias == pytest.approx(-2.1, abs=0.05)
    assert r.sd == pytest.approx(38.8, abs=0.05)
    assert r.loa_lower == pytest.approx(-79.7, abs=0.1)
    assert r.loa_upper == pytest.approx(75.5, abs=0.1)
    # CI formulas by hand: SE(bias) = s/sqrt(n), SE(limit) = sqrt(3 s^2 / n), t(16).
    t = sps.t.ppf(0.975, 16)
    assert r.bias_upper - r.bias == pytest.approx(t * r.sd / math.sqrt(17), rel=1e-12)
    assert r.loa_lower_ci[1] - r.loa_lower == pytest.approx(t * math.sqrt(3 * r.sd**2 / 17), rel=1e-12)


def test_bland_altman_1999_default():
    r = bland_altman(PEFR_WRIGHT, PEFR_MINI)
    assert r.z == 1.96 and r.loa_ci_method == "bland-altman-1999"
    se = r.sd * math.sqrt(1 / 17 + 1.96**2 / (2 * 16))
    assert r.loa_upper_ci[0] == pytest.approx(r.loa_upper - sps.t.ppf(0.975, 16) * se, rel=1e-12)
    assert len(r.differences) == 17 and r.differences[0] == -18


def test_bland_altman_validation():
    with pytest.raises(StatsInputError) as exc:
        bland_altman([1, 2, 3], [1, 2])
    assert exc.value.field == "method_b"
    with pytest.raises(StatsInputError) as exc:
        bland_altman([1, 2, float("nan")], [1, 2, 3])
    assert (exc.value.field, exc.value.row) == ("method_a", 2)
    with pytest.raises(StatsInputError) as exc:
        bland_altman([1, 2, 3], [1, 2, 3], loa_ci_method="exact")  # type: ignore[arg-type]
    assert exc.value.field == "loa_ci_method"
