"""Tests for palliro.stats.proportions (golden values with sources named beside them)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.proportions import (
    SmallExpectedCountWarning,
    chi_square_test,
    clopper_pearson_ci,
    fisher_exact_test,
    mortality_within,
    proportion_ci,
    rates_by_group,
    wilson_ci,
)

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857-872, table of illustrative examples (81/263, 15/148, 0/20, 1/29):
# method 3 = Wilson score without continuity correction, method 5 = exact Clopper-Pearson.
# Printed to 4 dp, hence abs tolerance 5e-5.
NEWCOMBE = [
    # x, n, wilson (lower, upper), clopper-pearson (lower, upper)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("x", "n", "wilson", "exact"), NEWCOMBE)
def test_newcombe_1998_examples(x, n, wilson, exact):
    w = wilson_ci(x, n)
    cp = clopper_pearson_ci(x, n)
    assert (w.lower, w.upper) == pytest.approx(wilson, abs=5e-5)
    assert (cp.lower, cp.upper) == pytest.approx(exact, abs=5e-5)
    assert w.proportion == cp.proportion == x / n
    assert proportion_ci(x, n, "clopper-pearson") == cp


def test_extremes_are_exact():
    assert wilson_ci(0, 10).lower == 0.0 and wilson_ci(10, 10).upper == 1.0
    assert clopper_pearson_ci(10, 10).upper == 1.0
    # x = n: Clopper-Pearson lower = (alpha/2)^(1/n)
    assert clopper_pearson_ci(10, 10).lower == pytest.approx(0.025 ** (1 / 10), rel=1e-12)


@pytest.mark.parametrize(
    ("x", "n", "field"), [(-1, 10, "successes"), (11, 10, "successes"), (1, 0, "n"), (1.5, 10, "successes")]
)
def test_bad_counts(x, n, field):
    with pytest.raises(StatsInputError) as exc:
        wilson_ci(x, n)
    assert exc.value.field == field


def test_bad_method_and_confidence():
    with pytest.raises(StatsInputError) as exc:
        proportion_ci(1, 10, "wald")  # type: ignore[arg-type]
    assert exc.value.field == "method"
    with pytest.raises(StatsInputError) as exc:
        wilson_ci(1, 10, confidence=95)
    assert exc.value.field == "confidence"


def test_rates_by_group():
    rows = rates_by_group(["b", "a", "a", "b", "b"], [1, 0, 1, 1, 0])
    assert [(r.group, r.n, r.events) for r in rows] == [("a", 2, 1), ("b", 3, 2)]
    assert rows[1].lower == wilson_ci(2, 3).lower
    with pytest.raises(StatsInputError) as exc:
        rates_by_group(["a", "b"], [1, 2])
    assert (exc.value.field, exc.value.row) == ("outcomes", 1)
    with pytest.raises(StatsInputError) as exc:
        rates_by_group(["a", None], [1, 0])
    assert exc.value.field == "groups"


def test_chi_square_by_hand():
    # Independent hand computation of Pearson's X^2 for [[20, 30], [30, 20]]:
    # expected 25 everywhere, X^2 = 4 * 25/25 = 4.0, df 1; with Yates: 4 * 4.5^2/25 = 3.24.
    r = chi_square_test([[20, 30], [30, 20]])
    assert r.statistic == pytest.approx(4.0, rel=1e-12) and r.df == 1
    assert r.p_value == pytest.approx(math.erfc(math.sqrt(2.0)), rel=1e-10)  # P(chi2_1 > 4)
    assert r.warning is None
    assert chi_square_test([[20, 30], [30, 20]], yates=True).statistic == pytest.approx(3.24, rel=1e-12)


def test_chi_square_warns_on_small_expected_counts():
    with pytest.warns(SmallExpectedCountWarning):
        r = chi_square_test([[1, 5], [4, 2]])
    assert r.warning is not None and r.min_expected < 5


def test_fisher_tea_tasting():
    # R ?fisher.test, Fisher's tea-tasting example TeaTasting = matrix(c(3,1,1,3), 2):
    # alternative = "greater": p-value = 0.2429, odds ratio 6.408309, 95% CI 0.3135693 to Inf.
    # Two-sided p = 34/70 exactly (hypergeometric probabilities 1,16,36,16,1 over 70).
    r = fisher_exact_test([[3, 1], [1, 3]], alternative="greater")
    assert r.p_value == pytest.approx(0.2429, abs=5e-5)
    # R solves the conditional MLE with uniroot (tolerance ~1e-4 relative): compare at 1e-5.
    assert r.odds_ratio == pytest.approx(6.408309, rel=1e-5)
    assert r.or_lower == pytest.approx(0.3135693, rel=5e-5) and r.or_upper == math.inf
    assert fisher_exact_test([[3, 1], [1, 3]]).p_value == pytest.approx(34 / 70, rel=1e-12)


def test_fisher_rxc_job_satisfaction_monte_carlo():
    # R ?fisher.test Job satisfaction 4x4 example: exact p-value = 0.7827. Ours is Monte Carlo
    # (99 999 resamples, fixed seed; MC SE ~0.0013), so tolerance 0.01.
    job = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]).T
    r = fisher_exact_test(job)
    assert r.exact is False and r.n_resamples == 99_999
    assert r.p_value == pytest.approx(0.7827, abs=0.01)
    assert fisher_exact_test(job).p_value == r.p_value  # reproducible


def test_table_validation():
    for bad in ([[1, 2, 3]], [[1, -1], [2, 3]], [[0, 0], [1, 2]], [[1.5, 2], [3, 4]]):
        with pytest.raises(StatsInputError) as exc:
            chi_square_test(bad)
        assert exc.value.field == "table"


def test_mortality_within_30_days():
    days = [5, 30, 31, 10, 12, 40, 29, 30]
    died = [1, 1, 1, 0, 0, 0, 0, 0]
    # deaths <= 30: days 5 and 30 -> 2; censored before 30: days 10, 12, 29 -> excluded 3;
    # censored at 30 counts as a survivor; denominator 8 - 3 = 5.
    r = mortality_within(days, died)
    assert (r.deaths, r.n_excluded_censored_before_horizon, r.n_denominator, r.n_total) == (2, 3, 5, 8)
    assert r.proportion == pytest.approx(0.4)
    assert (r.lower, r.upper) == (wilson_ci(2, 5).lower, wilson_ci(2, 5).upper)
    assert mortality_within(days, died, horizon=7).deaths == 1


def test_mortality_within_validation():
    with pytest.raises(StatsInputError) as exc:
        mortality_within([1, 2], [1, 3])
    assert exc.value.field == "died"
    with pytest.raises(StatsInputError) as exc:
        mortality_within([1, -2], [1, 0])
    assert exc.value.field == "days_to_death_or_censor"
    with pytest.raises(StatsInputError) as exc:
        mortality_within([1, 2], [1, 0], horizon=0)
    assert exc.value.field == "horizon"


def test_no_warning_for_adequate_table():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chi_square_test([[50, 60], [70, 40]])
