"""Tests for palliro.stats.summaries (mean with t-based CI per group and time point)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from palliro.stats.errors import StatsInputError
from palliro.stats.summaries import mean_ci, mean_ci_by_group, natural_key


def test_mean_ci_by_hand():
    # values 2, 4, 6, 8: mean 5, SD sqrt(20/3); t(0.975, 3) = 3.182446305284263 (standard t table 3.182).
    r = mean_ci([2, 4, 6, 8])
    sd = math.sqrt(20 / 3)
    half = 3.182446305284263 * sd / 2
    assert (r.n, r.mean, r.sd) == (4, 5.0, pytest.approx(sd, rel=1e-14))
    assert r.lower == pytest.approx(5 - half, rel=1e-12)
    assert r.upper == pytest.approx(5 + half, rel=1e-12)
    assert r.ci_unavailable_reason is None


def test_matches_scipy_t_interval():
    # Independent computation: scipy.stats.t.interval.
    rng = np.random.default_rng(11)
    x = rng.normal(60, 20, 37)
    lo, hi = sps.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    r = mean_ci(x, confidence=0.9)
    assert (r.lower, r.upper) == pytest.approx((lo, hi), rel=1e-12)


def test_by_group_and_time_with_missing_and_singletons():
    values = [50, 60, None, 70, 80, float("nan"), 90]
    groups = ["A", "A", "A", "B", "B", "B", "A"]
    times = [0, 0, 0, 1, 1, 1, 3]
    rows = mean_ci_by_group(values, groups, times)
    assert [(r.group, r.time, r.n, r.n_missing) for r in rows] == [
        ("A", 0, 2, 1),
        ("A", 3, 1, 0),
        ("B", 1, 2, 1),
    ]
    single = rows[1]
    assert single.mean == 90 and single.lower is None and single.sd is None
    assert "n = 1" in single.ci_unavailable_reason


def test_all_missing_cell():
    r = mean_ci([None, float("nan")])
    assert r.n == 0 and r.mean is None and r.n_missing == 2


def test_numeric_times_sorted_numerically():
    rows = mean_ci_by_group([1, 2, 3, 4], ["g"] * 4, [10, 2, 10, 2])
    assert [r.time for r in rows] == [2, 10]


def test_labelled_time_points_sort_by_their_numbers():
    # "week 12" after "week 2", and a label's variant right after it (not alphabetical order).
    rows = mean_ci_by_group([1, 2, 3, 4, 5, 6], ["a"] * 6,
                            ["week 12", "week 2", "baseline", "week 2 (relative)", "week 4", "week 1"])
    assert [r.time for r in rows] == ["baseline", "week 1", "week 2", "week 2 (relative)", "week 4", "week 12"]
    assert sorted(["day 10", "day 9", "day 100"], key=natural_key) == ["day 9", "day 10", "day 100"]


def test_validation():
    with pytest.raises(StatsInputError) as exc:
        mean_ci_by_group([1, 2], ["a", None], [0, 0])
    assert (exc.value.field, exc.value.row) == ("groups", 1)
    with pytest.raises(StatsInputError) as exc:
        mean_ci_by_group([1, "x"], ["a", "a"], [0, 0])
    assert (exc.value.field, exc.value.row) == ("values", 1)
    with pytest.raises(StatsInputError) as exc:
        mean_ci_by_group([1, 2], ["a", "a"], [0])
    assert exc.value.field == "times"
    with pytest.raises(StatsInputError) as exc:
        mean_ci([1, 2, 3], confidence=1.5)
    assert exc.value.field == "confidence"


@settings(max_examples=50, derandomize=True, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=40))
def test_ci_contains_mean(xs):
    r = mean_ci(xs)
    assert r.lower <= r.mean + 1e-9 and r.mean <= r.upper + 1e-9
