"""Step 1 (escalc) against metafor/metadat published effect sizes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import escalc
from palliro.stats.meta.effects import hedges_correction

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def bcg() -> pd.DataFrame:
    return pd.read_csv(DATA / "dat_bcg.csv")


# statistics.md §1.1: metadat docs/reference/dat.bcg.html (4 dp [PUB]) and full precision [CALC].
BCG_YI = [-0.8893113339, -1.5853886572, -1.3480731483, -1.4415511900, -0.2175473222, -0.7861155858,
          -1.6208982236, 0.0119523335, -0.4694176487, -1.3713448035, -0.3393588283, 0.4459134006,
          -0.0173139482]
BCG_VI = [0.3255847650, 0.1945811214, 0.4153679654, 0.0200100319, 0.0512101722, 0.0069056185,
          0.2230172476, 0.0039615793, 0.0564342105, 0.0730247936, 0.0124122140, 0.5325058452,
          0.0714046597]


def test_log_risk_ratio_dat_bcg(bcg):
    es = escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg, labels=bcg.author)
    np.testing.assert_allclose(es.yi, BCG_YI, atol=1e-10)
    np.testing.assert_allclose(es.vi, BCG_VI, atol=1e-10)
    assert es.k == 13 and es.labels[0] == "Aronson" and es.measure == "RR"
    assert not es.corrected.any()


def test_trial1_summary(bcg):
    # metafor tests/testthat/test_misc_escalc.r:362: z -1.5586, sei 0.5706, ci (-2.0077, 0.2290) [PUB].
    es = escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg)
    lo, hi = es.ci()
    assert es.sei[0] == pytest.approx(0.5706, abs=5e-5)
    assert es.yi[0] / es.sei[0] == pytest.approx(-1.5586, abs=5e-5)
    assert (lo[0], hi[0]) == pytest.approx((-2.0077, 0.2290), abs=5e-5)


def test_events_and_totals_equal_cell_counts(bcg):
    a = escalc("OR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg)
    b = escalc("OR", ai=bcg.tpos, n1i=bcg.tpos + bcg.tneg, ci=bcg.cpos, n2i=bcg.cpos + bcg.cneg)
    np.testing.assert_allclose(a.yi, b.yi)
    np.testing.assert_allclose(a.vi, b.vi)


def test_odds_ratio_and_risk_difference_by_hand():
    # 2x2 table 10/90 vs 20/80: log OR = log(10*80/(90*20)); Woolf variance; RD with LS variance.
    es = escalc("OR", ai=[10], bi=[90], ci=[20], di=[80])
    assert es.yi[0] == pytest.approx(math.log(800 / 1800))
    assert es.vi[0] == pytest.approx(1 / 10 + 1 / 90 + 1 / 20 + 1 / 80)
    rd = escalc("RD", ai=[10], bi=[90], ci=[20], di=[80])
    assert rd.yi[0] == pytest.approx(-0.1)
    assert rd.vi[0] == pytest.approx(0.1 * 0.9 / 100 + 0.2 * 0.8 / 100)


@pytest.mark.parametrize(
    ("to", "expected_corrected"),
    [("only0", [True, False]), ("all", [True, True]), ("if0all", [True, True]), ("none", None)],
)
def test_continuity_correction_targets(to, expected_corrected):
    kw = dict(ai=[0, 5], bi=[10, 5], ci=[3, 2], di=[7, 8])
    if expected_corrected is None:
        with pytest.raises(StatsInputError) as err:
            escalc("OR", to=to, **kw)
        assert err.value.field == "vi"
        return
    es = escalc("OR", to=to, **kw)
    assert es.corrected.tolist() == expected_corrected
    # metafor: 1/2 added to every cell of a corrected table.
    assert es.yi[0] == pytest.approx(math.log(0.5 * 7.5 / (10.5 * 3.5)))
    if expected_corrected[1]:
        assert es.yi[1] == pytest.approx(math.log(5.5 * 8.5 / (5.5 * 2.5)))
    else:
        assert es.yi[1] == pytest.approx(math.log(5 * 8 / (5 * 2)))


def test_drop00_removes_double_zero_tables():
    es = escalc("RR", ai=[0, 4], bi=[10, 6], ci=[0, 2], di=[10, 8], labels=["A", "B"], drop00=True)
    assert es.labels == ("B",) and es.dropped == ("A",)


def test_hazard_ratio_from_ci_and_from_se():
    # SE of log HR from a 95% CI: (log ub - log lb) / (2 * 1.959964) (Parmar et al. 1998).
    es = escalc("HR", hr=[0.7], hr_lb=[0.5], hr_ub=[0.98])
    assert es.yi[0] == pytest.approx(math.log(0.7))
    assert es.sei[0] == pytest.approx((math.log(0.98) - math.log(0.5)) / (2 * 1.959963984540054))
    es2 = escalc("HR", yi=[math.log(0.7)], sei=[0.2])
    assert es2.vi[0] == pytest.approx(0.04)


def test_mean_difference_and_hedges_g():
    es = escalc("MD", m1i=[10.0], sd1i=[2.0], n1i=[20], m2i=[8.0], sd2i=[3.0], n2i=[25])
    assert es.yi[0] == pytest.approx(2.0)
    assert es.vi[0] == pytest.approx(4 / 20 + 9 / 25)
    g = escalc("SMD", m1i=[10.0], sd1i=[2.0], n1i=[20], m2i=[8.0], sd2i=[3.0], n2i=[25])
    sp = math.sqrt((19 * 4 + 24 * 9) / 43)
    cm = math.gamma(43 / 2) / (math.sqrt(43 / 2) * math.gamma(42 / 2))
    assert g.yi[0] == pytest.approx(cm * 2.0 / sp, rel=1e-12)
    # metafor vtype="LS": 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2)).
    assert g.vi[0] == pytest.approx(1 / 20 + 1 / 25 + g.yi[0] ** 2 / (2 * 45), rel=1e-12)
    # Hedges (1981) approximation 1 - 3/(4m - 1) agrees to ~1e-4 at m = 43.
    assert hedges_correction(np.array([43.0]))[0] == pytest.approx(1 - 3 / (4 * 43 - 1), abs=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(measure="XX", yi=[1], vi=[1]), "measure"),
        (dict(measure="GEN", yi=[1, 2], vi=[1]), "vi"),
        (dict(measure="GEN", yi=[1], vi=[-1]), "vi"),
        (dict(measure="GEN", yi=[1]), "vi/sei"),
        (dict(measure="RR", ai=[1.5], bi=[3], ci=[1], di=[3]), "ai"),
        (dict(measure="RR", ai=[5], n1i=[3], ci=[1], n2i=[3]), "ai/ci"),
        (dict(measure="HR", hr=[0.5], hr_lb=[0.6], hr_ub=[0.9]), "hr"),
        (dict(measure="SMD", m1i=[1], sd1i=[0], n1i=[5], m2i=[1], sd2i=[1], n2i=[5]), "sd1i"),
        (dict(measure="GEN", yi=[float("nan")], vi=[1]), "yi"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(StatsInputError) as err:
        escalc(**kwargs)
    assert err.value.field == field


def test_effect_sizes_are_read_only(bcg):
    es = escalc("RR", ai=bcg.tpos, bi=bcg.tneg, ci=bcg.cpos, di=bcg.cneg)
    with pytest.raises(ValueError):
        es.yi[0] = 1.0
