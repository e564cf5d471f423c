"""Mantel-Haenszel and Peto pooling against metafor rma.mh / rma.peto (statistics.md §1.4)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import rma_mh, rma_peto

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def counts():
    d = pd.read_csv(DATA / "dat_bcg.csv")
    return dict(ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg, labels=d.author)


def test_mh_risk_ratio(counts):
    # [CALC] full precision; [PUB] metafor rma.mh.html and test_misc_metan_vs_rma.mh_with_dat.bcg.r:13-25,
    # test_misc_cumul.r:42/47 (-0.45371, 0.635267).
    r = rma_mh("RR", **counts)
    assert r.estimate == pytest.approx(-0.45370960468375, abs=1e-12)
    assert r.se == pytest.approx(0.03933736687129, abs=1e-12)
    assert r.zval == pytest.approx(-11.53380718563, abs=1e-9)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-0.5308, -0.3766), abs=5e-5)
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx((0.63526718508, 0.58812872969, 0.68618378267), abs=1e-10)
    assert r.Q == pytest.approx(152.5676, abs=5e-5) and r.Q_df == 12
    assert (r.I2, r.H2) == pytest.approx((92.13, 12.71), abs=5e-3)


def test_mh_odds_ratio_with_cmh_and_tarone(counts):
    # metafor rma.mh.html; T:mh:35-47 [PUB]: CMH = 135.6889 (df 1); Tarone X2 = 171.7567 (df 12).
    r = rma_mh("OR", **counts)
    assert (r.estimate, r.se, r.zval) == pytest.approx((-0.4734, 0.0410, -11.5444), abs=5e-5)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-0.5538, -0.3930), abs=5e-5)
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx((0.6229, 0.5748, 0.6750), abs=5e-5)
    assert r.Q == pytest.approx(163.9426, abs=5e-5)
    assert (r.I2, r.H2) == pytest.approx((92.68, 13.66), abs=5e-3)
    assert r.cmh == pytest.approx(135.6889, abs=5e-5)
    assert r.tarone == pytest.approx(171.7567, abs=5e-5)


def test_mh_risk_difference_sato_variance(counts):
    # metafor T:mh:57-61 [PUB] (Sato-Greenland-Robins variance).
    r = rma_mh("RD", **counts)
    assert r.estimate == pytest.approx(-0.0033, abs=5e-5)
    assert r.zval == pytest.approx(-11.4708, abs=5e-5)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-0.0039, -0.0027), abs=5e-5)
    assert r.Q == pytest.approx(386.7759, abs=5e-5)


def test_peto_odds_ratio(counts):
    # [CALC] full precision; [PUB] rma.peto.html, T:peto:13-25, test_misc_cumul.r:65; third party 0.6222295.
    r = rma_peto(**counts)
    assert r.estimate == pytest.approx(-0.47444631094064, abs=1e-12)
    assert r.se == pytest.approx(0.04065908074465, abs=1e-12)
    assert r.zval == pytest.approx(-11.66888926782, abs=1e-9)
    assert r.Q == pytest.approx(167.73016751149, abs=1e-8)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-0.5541, -0.3948), abs=5e-5)
    assert (r.I2, r.H2) == pytest.approx((92.85, 13.98), abs=5e-3)
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx((0.6222295, 0.5746, 0.6738), abs=5e-5)


def test_mh_handles_zero_cells_without_correction_of_the_estimate():
    # The MH estimate uses raw counts; a table with a zero cell still contributes.
    r = rma_mh("OR", ai=[0, 10], bi=[20, 10], ci=[5, 15], di=[15, 5])
    R = 0 * 15 / 40 + 10 * 5 / 40
    S = 20 * 5 / 40 + 10 * 15 / 40
    assert r.exp().estimate == pytest.approx(R / S)


def test_mh_rejects_unknown_measure(counts):
    with pytest.raises(StatsInputError) as err:
        rma_mh("SMD", **counts)
    assert err.value.field == "measure"


def test_mh_not_estimable():
    with pytest.raises(StatsInputError):
        rma_mh("OR", ai=[0, 0], bi=[10, 10], ci=[0, 0], di=[10, 10])


def test_mh_h2_is_q_over_df_even_below_one():
    # metafor rma.mh: H2 <- QE / (k.yi - 1), not truncated at 1.
    r = rma_mh("RR", ai=[10, 11, 9], bi=[90, 89, 91], ci=[10, 10, 10], di=[90, 90, 90])
    assert r.Q < 2
    assert r.H2 == pytest.approx(r.Q / 2, rel=1e-12) and r.I2 == 0.0
