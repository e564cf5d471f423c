"""Step 2 (rma) against metafor: dat.bcg (statistics.md §1.2–1.3), Riley 2003 (§1.6),
Kacker 2004 and PyMARE's metafor reference vectors (§1.7)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import escalc, meta_regression, rma
from palliro.stats.meta._linalg import project

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def bcg_rr():
    d = pd.read_csv(DATA / "dat_bcg.csv")
    return escalc("RR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg, labels=d.author)


# statistics.md §1.3 [CALC], a line-by-line port of metafor that reproduces every [PUB] value of
# §1.2 (metafor docs rma.uni.html / predict.rma.html / confint.rma.html, metafor testthat files, JASP).
CALC_TABLE = """method,tau2,se_tau2,estimate,se,zval,pval,ci_lb,ci_ub,pi_lb,pi_ub,I2,H2,knha_se,knha_tval,knha_pval,knha_ci_lb,knha_ci_ub,knha_pi_lb,knha_pi_ub
EE,0,,-0.4302851637,0.04049875171,-10.6246525,2.288629307e-26,-0.5096612584,-0.3509090689,,,92.11734685,12.68608401,0.144246548,-2.982984132,0.01142223504,-0.744571393,-0.1159989343,,
DL,0.3087602629,,-0.7141172221,0.1787420895,-3.995238189,6.462924305e-05,-1.06444528,-0.3637891641,-1.858153753,0.4299193086,92.11734685,12.68608401,0.1806966283,-3.952022949,0.001920766767,-1.107821354,-0.32041309,-1.987206963,0.5589725193
REML,0.313243326,0.1664257831,-0.7145323484,0.1797815318,-3.974447994,7.054267349e-05,-1.066897676,-0.362167021,-1.866692347,0.4376276499,92.22138607,12.8557608,0.1807917455,-3.95223989,0.001920015085,-1.108443723,-0.3206209737,-1.996016967,0.5669522703
ML,0.280028171,0.144251964,-0.7111991392,0.171896817,-4.137360723,3.513235676e-05,-1.04811071,-0.3742875688,-1.801715574,0.3793172954,91.37828474,11.59862011,0.180042223,-3.950179727,0.00192716565,-1.103477444,-0.3189208339,-1.92908218,0.5066839012
PM,0.3180937119,,-0.7149704056,0.1808979841,-3.952340371,7.739055414e-05,-1.069523939,-0.3604168719,-1.875854596,0.4459137848,92.33090029,13.03934018,0.1808927122,-3.952455557,0.001919268115,-1.109101768,-0.3208390434,-2.005474982,0.575534171
EB,0.3180685158,,-0.7149681592,0.1808922061,-3.952454196,7.735373894e-05,-1.069510368,-0.3604259501,-1.875807202,0.4458708837,92.33033937,13.03838655,0.1808921928,-3.952454486,0.001919271822,-1.10909839,-0.3208379286,-2.005426046,0.5754897281
HE,0.328563858,,-0.7158785888,0.183279986,-3.905928871,9.386412141e-05,-1.07510076,-0.3566564171,-1.895372166,0.4636149886,92.55709741,13.43561853,0.1811040692,-3.952857558,0.001917876569,-1.110470458,-0.3212867193,-2.025637887,0.593880709
SJ,0.3455157016,,-0.7172485926,0.1870594584,-3.834334808,0.000125904552,-1.083878394,-0.3506187911,-1.926257174,0.4917599893,92.8963241,14.0772188,0.1814284515,-3.953341312,0.001916203414,-1.11254723,-0.3219499547,-2.057585084,0.6230878986
HS,0.2283628637,,-0.7045353739,0.1586520931,-4.440756881,8.964302535e-06,-1.015487762,-0.3935829855,-1.691418308,0.2823475598,89.62996666,9.643170544,0.1786233077,-3.944252197,0.001947892889,-1.093722128,-0.3153486194,-1.816091178,0.4070204297
"""
CALC = pd.read_csv(io.StringIO(CALC_TABLE)).set_index("method")
REL = 1e-8  # the table is printed with 10 significant digits


def _close(actual, expected, rel=REL):
    assert actual == pytest.approx(expected, rel=rel, abs=1e-12)


@pytest.mark.parametrize("method", list(CALC.index))
def test_dat_bcg_every_estimator_matches_metafor(bcg_rr, method):
    row = CALC.loc[method]
    r = rma(bcg_rr, method)
    _close(r.tau2, row.tau2)
    for name in ("estimate", "se", "pval", "ci_lb", "ci_ub", "I2", "H2"):
        _close(getattr(r, name), row[name])
    _close(r.zval, row.zval)
    if not np.isnan(row.se_tau2):
        _close(r.tau2_se, row.se_tau2)
    if method == "EE":
        assert r.pi_lb is None and r.tau2_ci is None
    else:
        _close(r.pi_lb, row.pi_lb)
        _close(r.pi_ub, row.pi_ub)
    k = rma(bcg_rr, method, knha=True)
    assert k.test == "t" and k.df == 12 and k.zval is None
    for name in ("se", "tval", "pval", "ci_lb", "ci_ub"):
        _close(getattr(k, name), row[f"knha_{name}"])
    if method != "EE":
        _close(k.pi_lb, row.knha_pi_lb)
        _close(k.pi_ub, row.knha_pi_ub)


def test_dat_bcg_shared_heterogeneity(bcg_rr):
    # §1.3: Q = 152.23300808237323, QEp = 1.99676459084602e-26 (df 12); metafor test_misc_influence.r:17.
    r = rma(bcg_rr)
    assert r.Q == pytest.approx(152.23300808237323, rel=1e-14)
    assert r.Q_p == pytest.approx(1.99676459084602e-26, rel=1e-12)
    assert r.Q_df == 12 and r.k == 13


def test_qprofile_bound_beyond_metafors_search_limit_is_found(bcg_rr):
    # The two "alternate" trials of dat.bcg (statistics.md §1.2 subgroups): the upper τ² bound lies above
    # metafor's default search limit tau2.max = 100, where confint() prints ">100". Expected roots of the
    # Q-profile equations Q(τ²) = χ²(0.025 / 0.975, 1) (Viechtbauer 2007) solved independently with
    # scipy.optimize.brentq(xtol=1e-13): 0.003115392290558819 and 164.55705153838616. Tolerance: R's
    # uniroot tolerance (1.22e-4), which the product keeps.
    alternate = bcg_rr.take(np.flatnonzero(pd.read_csv(DATA / "dat_bcg.csv").alloc == "alternate"))
    r = rma(alternate, "REML")
    assert r.tau2_ci == pytest.approx((0.003115392290558819, 164.55705153838616), abs=2e-4)
    assert not r.tau2_ci_null_set
    assert 99.9 < r.I2_ci[1] < 100.0


def test_qprofile_interval_of_studies_agreeing_too_well_is_the_null_set():
    # Q(0) = 0.0124 on 3 df lies below χ²(0.025, 3) = 0.216: both bounds fall below 0, which metafor reports
    # as the null set (bounds printed as 0).
    r = rma(escalc("GEN", yi=[0.10, 0.12, 0.11, 0.09], vi=[0.04, 0.05, 0.06, 0.03]), "REML")
    assert r.tau2_ci == (0.0, 0.0) and r.tau2_ci_null_set
    assert rma(escalc("GEN", yi=[0.1, 0.5, 0.9], vi=[0.04, 0.05, 0.06]), "REML").tau2_ci_null_set is False


def test_common_effect_h2_is_q_over_df_even_below_one():
    # metafor rma.uni: H2 <- QE / (k - p), not truncated; I2 <- max(0, 100 * (QE - (k - p)) / QE).
    r = rma(escalc("GEN", yi=[0.10, 0.12, 0.11, 0.09], vi=[0.04, 0.05, 0.06, 0.03]), "EE")
    assert r.H2 == pytest.approx(r.Q / 3, rel=1e-12) and r.H2 == pytest.approx(0.004142300194931774, rel=1e-9)
    assert r.I2 == 0.0


def test_dat_bcg_reml_published_full_precision(bcg_rr):
    # JASP test-other-Forest Plot - edge cases.R and metafor test_misc_influence.r:17 (full precision [PUB]).
    r = rma(bcg_rr, "REML")
    assert r.tau2 == pytest.approx(0.313243325980895, abs=2e-15)
    assert r.tau2_se == pytest.approx(0.166425783098725, rel=1e-12)
    assert r.estimate == pytest.approx(-0.7145323, abs=5e-8)
    # confint.rma.html / JASP: Q-profile CI for tau^2 and tau (full precision).
    assert r.tau2_ci == pytest.approx((0.119695312816638, 1.11148626221544), rel=1e-10)
    assert np.sqrt(r.tau2_ci) == pytest.approx((0.345970103934773, 1.05427048816489), rel=1e-10)
    # confint.rma.html: I2 92.2214 [81.9177; 97.6781], H2 12.8558 [5.5303; 43.0680]; tau 0.5597.
    assert r.I2 == pytest.approx(92.2214, abs=5e-5)
    assert r.I2_ci == pytest.approx((81.9177, 97.6781), abs=5e-5)
    assert r.H2_ci == pytest.approx((5.5303, 43.0680), abs=5e-5)
    assert r.tau == pytest.approx(0.5597, abs=5e-5)
    # metadat dat.bcg.html / predict.rma.html: RR 0.4894 [0.3441; 0.6962], PI [0.1546; 1.5490].
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx((0.4894, 0.3441, 0.6962), abs=5e-5)
    assert (t.pi_lb, t.pi_ub) == pytest.approx((0.1546, 1.5490), abs=5e-5)
    assert r.iterations is not None and r.converged


def test_dat_bcg_reml_knha_jasp(bcg_rr):
    # JASP (REML + Knapp-Hartung, full precision [PUB]).
    r = rma(bcg_rr, "REML", knha=True)
    assert r.se == pytest.approx(0.1807917, abs=5e-8)
    assert r.pval == pytest.approx(0.00192001508513394, rel=1e-9)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-1.108444, -0.320621), abs=5e-7)
    assert (r.pi_lb, r.pi_ub) == pytest.approx((-1.996017, 0.5669523), abs=5e-7)


def test_dat_bcg_dl_published(bcg_rr):
    # metafor test_misc_metan_vs_rma.uni_with_dat.bcg.r:39-52 and test_misc_confint.r:13-19 [PUB].
    r = rma(bcg_rr, "DL")
    assert r.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert r.tau2_ci == pytest.approx((0.1197, 1.1115), abs=5e-5)
    assert (r.estimate, r.ci_lb, r.ci_ub, r.zval) == pytest.approx((-0.7141, -1.0644, -0.3638, -3.9952), abs=5e-5)
    assert r.I2_ci == pytest.approx((81.9177, 97.6781), abs=5e-5)
    assert r.H2 == pytest.approx(12.6861, abs=5e-5)
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx((0.4896, 0.3449, 0.6950), abs=5e-5)


def test_pm_exact_root_with_tol(bcg_rr):
    # §1.3 note (a): the exact PM root equals the EB fixed point 0.3180684522.
    assert rma(bcg_rr, "PM", tol=1e-12).tau2 == pytest.approx(0.3180684522, abs=1e-10)
    # Fisher scoring stops at |change| < 1e-5; a tight tol moves REML by less than that ("Matching metafor").
    tight = rma(bcg_rr, "REML", tol=1e-12)
    assert tight.tau2 == pytest.approx(0.313243326, abs=1e-5)
    fit = project(bcg_rr.yi - bcg_rr.yi.mean(), np.ones((13, 1)), 1 / (bcg_rr.vi + tight.tau2))
    assert abs(fit.quad_pp() - fit.trace()) < 1e-10  # REML score equation solved


def test_fe_alias_and_weights(bcg_rr):
    a, b = rma(bcg_rr, "FE"), rma(bcg_rr, "EE")
    assert a.estimate == b.estimate
    assert a.weights.sum() == pytest.approx(100.0)
    w = 1 / bcg_rr.vi
    np.testing.assert_allclose(a.weights, 100 * w / w.sum())


def test_other_measures_dat_bcg():
    # metafor test_misc_metan_vs_rma.uni_with_dat.bcg.r (inverse-variance OR and RD) [PUB].
    d = pd.read_csv(DATA / "dat_bcg.csv")
    es = escalc("OR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    ee = rma(es, "EE")
    assert (ee.estimate, ee.ci_lb, ee.ci_ub, ee.zval, ee.Q) == pytest.approx(
        (-0.4361, -0.5190, -0.3533, -10.3190, 163.1649), abs=5e-5)
    dl = rma(es, "DL")
    assert (dl.estimate, dl.ci_lb, dl.ci_ub, dl.zval, dl.tau2, dl.I2) == pytest.approx(
        (-0.7474, -1.1242, -0.3706, -3.8873, 0.3663, 92.6455), abs=5e-5)
    rd = escalc("RD", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    ee = rma(rd, "EE")
    assert (ee.estimate, ee.zval, ee.Q) == pytest.approx((-0.0009, -4.0448, 276.4737), abs=5e-5)
    dl = rma(rd, "DL")
    assert (dl.estimate, dl.zval, dl.I2) == pytest.approx((-0.0071, -4.5128, 95.6596), abs=5e-5)


def test_colditz_log_or_ml_van_houwelingen():
    # metafor test_analysis_example_vanhouwelingen2002.r (same trials as log ORs) [PUB].
    d = pd.read_csv(DATA / "dat_bcg.csv")
    es = escalc("OR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    ee = rma(es, "EE").exp()
    assert (ee.estimate, ee.ci_lb, ee.ci_ub) == pytest.approx((0.6465, 0.5951, 0.7024), abs=5e-5)
    ml = rma(es, "ML")
    assert ml.tau2 == pytest.approx(0.3025, abs=5e-5)
    assert (ml.exp().estimate, ml.exp().ci_lb, ml.exp().ci_ub) == pytest.approx((0.4762, 0.3360, 0.6749), abs=5e-5)
    assert ml.tau2_ci == pytest.approx((0.1302, 1.1812), abs=5e-5)  # Q-profile, l.43-49
    assert (ml.pi_lb, ml.pi_ub) == pytest.approx((-1.875, 0.391), abs=5e-4)  # predict, l.117-124
    kh = rma(es, "ML", knha=True).exp()
    assert (kh.ci_lb, kh.ci_ub) == pytest.approx((0.3175, 0.7141), abs=5e-5)  # l.56-57


RILEY = {
    # metadat docs/reference/dat.riley2003.html [PUB]; calc_* full precision [CALC].
    "DFS": dict(k=42, tau2=0.42119068911, se_tau2=0.1561, I2=65.98, H2=2.94, Q=120.5237, estimate=1.48432025809,
                se=0.13034584075, zval=11.3876, ci=(1.2288, 1.7398), HR=(4.41, 3.42, 5.70), PI=(1.21, 16.15)),
    "OS": dict(k=56, tau2=0.42232518737, se_tau2=0.1889, I2=65.36, H2=2.89, Q=158.7926, estimate=1.63562844835,
               se=0.12188632026, zval=13.4193, ci=(1.3967, 1.8745), HR=(5.13, 4.04, 6.52), PI=(1.40, 18.76)),
}


@pytest.mark.parametrize("outcome", ["DFS", "OS"])
def test_riley2003_log_hazard_ratios_dl(outcome):
    d = pd.read_csv(DATA / "dat_riley2003.csv")
    d = d[d.outcome == outcome]
    r = rma(escalc("HR", yi=d.yi, sei=d.sei, labels=d.study), "DL")
    e = RILEY[outcome]
    assert r.k == e["k"]
    assert r.tau2 == pytest.approx(e["tau2"], abs=1e-10)
    assert r.estimate == pytest.approx(e["estimate"], abs=1e-10)
    assert r.se == pytest.approx(e["se"], abs=1e-10)
    assert r.tau2_se == pytest.approx(e["se_tau2"], abs=5e-5)
    assert (r.I2, r.H2) == pytest.approx((e["I2"], e["H2"]), abs=5e-3)
    assert r.Q == pytest.approx(e["Q"], abs=5e-5)
    assert r.zval == pytest.approx(e["zval"], abs=5e-5)
    assert (r.ci_lb, r.ci_ub) == pytest.approx(e["ci"], abs=5e-5)
    t = r.exp()
    assert (t.estimate, t.ci_lb, t.ci_ub) == pytest.approx(e["HR"], abs=5e-3)
    assert (t.pi_lb, t.pi_ub) == pytest.approx(e["PI"], abs=5e-3)


def test_kacker2004_statsmodels_reference():
    # statsmodels results_meta.py (metafor with control=list(tol=1e-9)) [PUB].
    d = pd.read_csv(DATA / "kacker2004_statsmodels.csv")
    es = escalc("GEN", yi=d.y, vi=d.v)
    pm = rma(es, "PM", tol=1e-9)
    assert pm.tau2 == pytest.approx(0.705395309224248, rel=1e-8)
    assert (pm.estimate, pm.se) == pytest.approx((62.4076199113286, 0.338030602684471), rel=1e-9)
    assert (pm.ci_lb, pm.ci_ub) == pytest.approx((61.7450921043947, 63.0701477182625), rel=1e-10)
    assert (pm.Q, pm.Q_p) == pytest.approx((24.801897741835, 0.00167935146372742), rel=1e-10)
    assert (pm.I2, pm.H2) == pytest.approx((83.7218626490482, 6.14320900751909), rel=1e-8)
    dl = rma(es, "DL")
    assert (dl.tau2, dl.estimate, dl.se) == pytest.approx((0.288049246973751, 62.3901386044504, 0.245749668040304),
                                                          rel=1e-11)
    assert (dl.ci_lb, dl.ci_ub, dl.I2, dl.H2) == pytest.approx(
        (61.9084781058787, 62.8717991030221, 67.744403741711, 3.10023721772938), rel=1e-11)
    kh = rma(es, "DL", knha=True)
    assert (kh.se, kh.ci_lb, kh.ci_ub) == pytest.approx((0.29477605699879, 61.710383798052, 63.0698934108488),
                                                       rel=1e-11)
    assert kh.pval == pytest.approx(2.77938607433693e-16, rel=1e-8)
    fe = rma(es, "FE")
    assert (fe.estimate, fe.se) == pytest.approx((62.5833970939982, 0.107845705498231), rel=1e-12)
    assert rma(es, "FE", knha=True).se == pytest.approx(0.189889223522271, rel=1e-12)


def test_pymare_issue75_dl_printout():
    # PyMARE issue #75, metafor printout [PUB].
    d = pd.read_csv(DATA / "pymare_issue75_dl_example.csv")
    r = rma(escalc("GEN", yi=d.y, vi=d.v), "DL")
    assert (r.tau2, r.tau2_se) == pytest.approx((7.6337, 4.8874), abs=5e-5)
    assert (r.I2, r.H2) == pytest.approx((88.02, 8.35), abs=5e-3)
    assert r.Q == pytest.approx(58.4539, abs=5e-5) and r.Q_df == 7
    assert (r.estimate, r.se, r.zval) == pytest.approx((1.7679, 1.0491, 1.6852), abs=5e-5)
    assert r.pval == pytest.approx(0.0920, abs=5e-5)
    assert (r.ci_lb, r.ci_ub) == pytest.approx((-0.2883, 3.8241), abs=5e-5)


def _pymare_cases():
    ref = json.loads((DATA / "pymare_metafor_reference.json").read_text())
    return ref["cases"]


@pytest.fixture(scope="module")
def pymare_data():
    return pd.read_csv(DATA / "pymare_metafor_small_sample.csv")


@pytest.mark.parametrize("case", _pymare_cases(),
                         ids=lambda c: f"{c['design']}-{c['model']}-{c['method']}-{c['test']}")
def test_pymare_metafor_reference(case, pymare_data):
    # PyMARE tests/data/metafor_reference.json: metafor 4.6.0 rma.uni(y, v, mods, method, test) [PUB].
    d = pymare_data[pymare_data.case == case["design"]]
    es = escalc("GEN", yi=d.y, vi=d.v)
    knha = {"z": False, "knha": True, "adhoc": "adhoc"}[case["test"]]
    method = "EE" if case["method"] == "FE" else case["method"]
    ncols = {"intercept": 0, "one": 1, "two": 2}[case["model"]]
    if ncols == 0:
        r = rma(es, method, knha)
        beta, se, pval, lb, ub, tau2 = [r.estimate], [r.se], [r.pval], [r.ci_lb], [r.ci_ub], r.tau2
        dof = r.df
    else:
        m = meta_regression(es, d[["mod1", "mod2"][:ncols]].to_numpy(), method, knha)
        f = m.fit
        beta, se, pval, lb, ub, tau2, dof = f.beta, f.se, f.pval, f.ci_lb, f.ci_ub, f.tau2, f.df
    assert tau2 == pytest.approx(case["tau2"], rel=1e-9, abs=1e-13)
    np.testing.assert_allclose(beta, case["beta"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(se, case["se"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pval, case["pval"], rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(lb, case["ci_lb"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ub, case["ci_ub"], rtol=1e-9, atol=1e-12)
    assert dof == case["dof"]


def test_meta_regression_ablat_dat_bcg(bcg_rr):
    # metafor confint.rma.html, mods = ~ablat: tau2 0.0764; test_misc_calc_q.r: QE 30.73309 [PUB].
    d = pd.read_csv(DATA / "dat_bcg.csv")
    m = meta_regression(bcg_rr, d.ablat.to_numpy(), "REML")
    assert m.tau2 == pytest.approx(0.0764, abs=5e-5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [(dict(method="XX"), "method"), (dict(knha="yes"), "knha"), (dict(level=120), "level"), (dict(tol=5.0), "tol")],
)
def test_rma_rejects_bad_arguments(bcg_rr, kwargs, field):
    with pytest.raises(StatsInputError) as err:
        rma(bcg_rr, **kwargs)
    assert err.value.field == field


def test_rma_requires_effect_sizes():
    with pytest.raises(StatsInputError) as err:
        rma([0.1, 0.2])
    assert err.value.field == "effects"


def test_exp_rejected_for_additive_measure():
    r = rma(escalc("MD", m1i=[1, 2], sd1i=[1, 1], n1i=[10, 10], m2i=[0, 0], sd2i=[1, 1], n2i=[10, 10]), "DL")
    with pytest.raises(StatsInputError) as err:
        r.exp()
    assert err.value.field == "measure"
