"""Tests for palliro.stats.validation (prognostic-model calibration table and Harrell's C)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.survival import DAYS_PER_MONTH, KaplanMeier, harrell_c
from palliro.stats.validation import (
    DAYS_PER_WEEK,
    PublishedGroupValue,
    calibration_table,
    concordance_by_score,
)

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(DATA / "lung_lifelines.csv")


def test_calibration_table_lung_by_sex(lung):
    # Treat sex as a two-level "risk group" so every observed number has an R reference:
    # survfit(Surv(time, status) ~ sex, lung) medians 270 [212; 310] and 426 [348; 550];
    # survdiff chisq 10.326741954885662 (statistics.md §3.1 [PUB]/[CALC]).
    published = {
        1: PublishedGroupValue(median=270, source="R survfit printout", verified=True),
        2: PublishedGroupValue(median=600, survival=0.10),  # deliberately off, unverified
    }
    table = calibration_table(lung.time, lung.status, lung.sex, time=6 * DAYS_PER_MONTH, published=published)
    r1, r2 = table.rows
    assert (r1.group, r1.n, r1.events, r2.n, r2.events) == (1, 138, 112, 90, 53)
    assert (r1.median.median, r1.median.lower, r1.median.upper) == (270, 212, 310)
    assert (r2.median.median, r2.median.lower, r2.median.upper) == (426, 348, 550)
    assert r1.published_median_in_ci is True
    assert r2.published_median_in_ci is False and r2.published_survival_in_ci is False
    assert r1.published.unverified_reason is None
    assert r2.published.verified is False and r2.published.unverified_reason
    assert r1.published_survival_in_ci is None
    assert table.logrank.chisq == pytest.approx(10.326741954885662, rel=1e-10)
    assert [g.group for g in table.logrank.groups] == [1, 2]
    # survival at 6 months equals a separate KM fit of the subgroup
    km = KaplanMeier().fit(lung.time[lung.sex == 1], lung.status[lung.sex == 1])
    assert r1.survival_at_time == km.survival_at([6 * DAYS_PER_MONTH])[0]


def test_group_order_empty_group_and_unlisted():
    t = [5, 10, 15, 20, 25, 30]
    e = [1, 1, 0, 1, 1, 0]
    g = ["III", "III", "II", "II", "II", "II"]
    table = calibration_table(t, e, g, time=12, group_order=["I", "II", "III"])
    assert [(r.group, r.n) for r in table.rows] == [("I", 0), ("II", 4), ("III", 2)]
    assert table.rows[0].median is None
    assert [x.group for x in table.logrank.groups] == ["II", "III"]
    with pytest.raises(StatsInputError) as exc:
        calibration_table(t, e, g, time=12, group_order=["I", "II"])
    assert exc.value.field == "risk_groups"


def test_published_value_validation():
    with pytest.raises(StatsInputError) as exc:
        PublishedGroupValue(survival=7)
    assert exc.value.field == "survival"
    assert DAYS_PER_WEEK == 7.0


def test_concordance_by_score(lung):
    # Cox linear predictor of coxph(~ age + sex): R concordance 0.603 (survival-Ex.Rout.save, §3.1).
    lp = 0.017045 * lung.age - 0.513219 * lung.sex
    res = concordance_by_score(
        lung.time,
        lung.status,
        {"cox_lp": lp, "sex": lung.sex},
        direction={"cox_lp": "risk", "sex": "survival"},
    )
    assert res[0].name == "cox_lp" and round(res[0].result.c_index, 3) == 0.603
    assert res[1].result == harrell_c(lung.time, lung.status, lung.sex, direction="survival")
    assert res[1].result.direction == "survival"


def test_concordance_missing_scores(lung):
    ecog = lung["ph.ecog"].to_numpy()
    with pytest.raises(StatsInputError) as exc:
        concordance_by_score(lung.time, lung.status, {"ecog": ecog})
    assert exc.value.field == "scores['ecog']" and exc.value.row is not None
    (res,) = concordance_by_score(lung.time, lung.status, {"ecog": ecog}, missing="drop")
    assert (res.n, res.n_dropped) == (227, 1)
    keep = np.isfinite(ecog)
    assert res.result == harrell_c(lung.time[keep], lung.status[keep], ecog[keep])
