"""Subgroups, leave-one-out and cumulative meta-analysis against metafor (statistics.md §1.2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import cumulative, escalc, leave_one_out, rma, subgroup

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def bcg():
    d = pd.read_csv(DATA / "dat_bcg.csv")
    return d, escalc("RR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg, labels=d.author)


def test_subgroups_by_allocation(bcg):
    # metafor rma.uni.html subgroup printouts (REML) [PUB]: alternate k=2 -0.5408 (SE 0.2816, tau2 0.1326);
    # random k=7 -0.9710 (0.2760, tau2 0.3925, Q 110.2133); systematic k=4 -0.4242 (0.3597, tau2 0.4003, Q 16.5919).
    d, es = bcg
    s = subgroup(es, d.alloc, "REML")
    assert s.groups == ("random", "alternate", "systematic")
    expected = {
        "alternate": (2, -0.5408, 0.2816, 0.1326, None),
        "random": (7, -0.9710, 0.2760, 0.3925, 110.2133),
        "systematic": (4, -0.4242, 0.3597, 0.4003, 16.5919),
    }
    for g, (k, est, se, tau2, q) in expected.items():
        r = s[g]
        assert r.k == k
        assert (r.estimate, r.se, r.tau2) == pytest.approx((est, se, tau2), abs=5e-5)
        if q is not None:
            assert r.Q == pytest.approx(q, abs=5e-5)
    # Test for subgroup differences: fixed-effect Q across the three subgroup estimates (RevMan style).
    est = np.array([s[g].estimate for g in s.groups])
    w = 1 / np.array([s[g].se for g in s.groups]) ** 2
    q = np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2)
    assert s.Q_between == pytest.approx(q) and s.df == 2
    assert s.p == pytest.approx(stats.chi2.sf(q, 2))
    assert s.overall.estimate == pytest.approx(rma(es).estimate)
    with pytest.raises(KeyError):
        s["nope"]


def test_subgroup_validation(bcg):
    _, es = bcg
    with pytest.raises(StatsInputError) as err:
        subgroup(es, ["a"] * 13)
    assert err.value.field == "groups"
    with pytest.raises(StatsInputError):
        subgroup(es, ["a", "b"])


def test_leave_one_out_drop_trial_1(bcg):
    # metafor test_misc_influence.r:30 (full precision [PUB]).
    _, es = bcg
    loo = leave_one_out(es, "REML")
    r = loo.results[0]
    assert loo.labels[0] == "Aronson" and r.k == 12
    assert r.estimate == pytest.approx(-0.707083788031436, abs=1e-9)
    assert r.se == pytest.approx(0.189961024702717, abs=1e-9)
    assert r.tau2 == pytest.approx(0.336156745300306, abs=1e-9)
    assert r.Q == pytest.approx(151.582572747109, abs=1e-9)
    assert r.I2 == pytest.approx(93.2259349111223, abs=1e-8)
    assert loo.column("estimate").shape == (13,)


def test_cumulative_by_year(bcg):
    # metafor test_misc_cumul.r:19; 24: final estimate -0.714532 (exp 0.489421) [PUB].
    d, es = bcg
    c = cumulative(es, d.year, "REML")
    assert c.labels[0] == "Aronson" and c.labels[-1] == "TPT Madras"  # 1948 first, 1980 last
    assert c.results[-1].estimate == pytest.approx(-0.714532, abs=5e-7)
    assert np.exp(c.results[-1].estimate) == pytest.approx(0.489421, abs=5e-7)
    assert c.results[0].estimate == pytest.approx(es.yi[0]) and c.results[0].k == 1
    assert [r.k for r in c.results] == list(range(1, 14))


def test_cumulative_mh_and_peto_final_match():
    # metafor test_misc_cumul.r:42,65 — the last cumulative step equals the full fit (checked in test_meta_mh).
    d = pd.read_csv(DATA / "dat_bcg.csv")
    es = escalc("RR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    with pytest.raises(StatsInputError) as err:
        cumulative(es, [1, 2])
    assert err.value.field == "order"
