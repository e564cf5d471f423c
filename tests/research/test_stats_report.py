"""palliro.stats.report: pure, no Django (runs with -p no:django)."""

import math

import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.report import crosstab_test, distribution_summary, endpoint_rates, share


def test_share_leaves_missing_out_and_uses_wilson():
    s = share([1, 0, None, 1, float("nan")])
    # Wilson 95 % for 2/3: 0.2077 to 0.9385 (Newcombe 1998, method 3; R binom::binom.wilson gives the same).
    assert (s.n, s.n_missing, s.events) == (3, 2, 2)
    assert (s.lower, s.upper) == pytest.approx((0.20766, 0.93851), abs=1e-5)


def test_share_exact_interval_and_bad_values():
    # Clopper–Pearson 95 % for 0/10: upper 0.3085 (R binom.test(0, 10)$conf.int).
    assert share([0] * 10, method="clopper-pearson").upper == pytest.approx(0.30850, abs=1e-5)
    with pytest.raises(StatsInputError, match=r"values\[1\]: must be 0, 1 or missing"):
        share([1, 2])
    assert share([None]).proportion is None


def test_distribution_summary_uses_r_type_7_quartiles():
    # R: quantile(c(1, 2, 3, 4, 10), c(.25, .5, .75)) -> 2, 3, 4
    d = distribution_summary([1, 2, 3, 4, 10, None])
    assert (d.q1, d.median, d.q3, d.n, d.n_missing) == (2, 3, 4, 5, 1)
    assert distribution_summary([None]).median is None


def test_crosstab_chooses_fisher_for_small_counts():
    small = crosstab_test(["a", "a", "b", "b"], ["x", "y", "x", "x"])
    assert small.test == "fisher" and small.fisher.exact
    big = crosstab_test(["a"] * 50 + ["b"] * 50, ["x"] * 30 + ["y"] * 20 + ["x"] * 20 + ["y"] * 30)
    # Pearson chi-square without continuity correction on [[30, 20], [20, 30]]: 4.0, p = 0.0455.
    assert big.test == "chi-square" and big.chi_square.statistic == pytest.approx(4.0)
    assert big.p_value == pytest.approx(0.04550, abs=1e-5)
    assert crosstab_test(["a", "a"], ["x", "y"]).test is None
    with pytest.raises(StatsInputError, match="groups"):
        crosstab_test(["a", None], ["x", "y"])


def test_endpoint_rates_give_both_denominators():
    rates = endpoint_rates(["w2"] * 4, ["CR", "PR", "NE", None], 6, {"overall": ["CR", "PR"]}, order=["w2", "w4"])
    w2, w4 = rates
    assert (w2.responders, w2.assessable, w2.treated) == (2, 2, 6)
    assert w2.proportion_assessable == 1 and w2.proportion_treated == pytest.approx(1 / 3)
    assert w4.assessable == 0 and w4.proportion_assessable is None and w4.proportion_treated == 0
    with pytest.raises(StatsInputError, match="n_treated"):
        endpoint_rates(["w2"] * 3, ["CR"] * 3, 2, {"complete": ["CR"]})
    assert not math.isnan(w2.lower_treated)


def test_a_monte_carlo_p_value_at_its_floor_reads_as_below_it():
    # 3 x 3 table with small cells (Fisher, Monte Carlo over 99 999 resamples) and a strong association: no
    # resampled table is as extreme, so SciPy returns 1/(99 999 + 1) = 1e-05, which is a bound, not a value.
    groups = ["a"] * 9 + ["b"] * 9 + ["c"] * 9
    categories = ["x"] * 9 + ["y"] * 9 + ["z"] * 9
    ct = crosstab_test(groups, categories)
    assert ct.test == "fisher" and ct.p_value == pytest.approx(1e-5)
    assert ct.p_text == "p < 1e-05 (Monte Carlo, 99,999 resamples)"
    two = crosstab_test(["a"] * 6 + ["b"] * 6, ["x", "y"] * 6)
    assert two.p_text == f"p = {two.p_value:.4g}"
