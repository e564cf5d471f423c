"""Step 2 of a meta-analysis: inverse-variance pooling (metafor ``rma.uni``, intercept-only).

Common-effect ("EE"/"FE") and random-effects models with the τ² estimators of
:mod:`palliro.stats.meta.tau2`. Inference:

* Wald z test and CI by default; ``knha=True`` gives the Knapp & Hartung (2003) *Stat Med*
  22:2693 adjustment (variance × Σw(y − μ̂)²/(k − 1), t on k − 1 df), **not** truncated at 1, as
  metafor's ``test="knha"``; ``knha="adhoc"`` truncates the factor at 1 (metafor ``test="adhoc"``).
* Prediction interval μ̂ ± crit·√(se² + τ²), crit from t_{k−1} under Knapp–Hartung, else normal
  (metafor ``predict.rma``; Riley, Higgins & Deeks 2011 *BMJ* 342:d549).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta._linalg import project
from palliro.stats.meta._validate import check_choice, check_level
from palliro.stats.meta.effects import RATIO_MEASURES, EffectSizes
from palliro.stats.meta.heterogeneity import (
    i2_h2_fixed,
    i2_h2_random,
    q_test,
    tau2_qprofile_ci,
    typical_variance,
)
from palliro.stats.meta.tau2 import FIXED_METHODS, METHODS, estimate_tau2


@dataclass(frozen=True)
class Transformed:
    """Pooled estimate and intervals back-transformed with exp() (ratio measures)."""

    estimate: float
    ci_lb: float
    ci_ub: float
    pi_lb: float | None
    pi_ub: float | None


@dataclass(frozen=True, eq=False)
class MetaResult:
    """Result of :func:`rma` (field names follow metafor's ``rma.uni`` object).

    ``statistic`` is a z value (``test == "z"``) or a t value on ``df`` degrees of freedom
    (``test == "t"``, Knapp–Hartung). ``weights`` are percentages summing to 100.
    ``tau2_ci``, ``I2_ci``, ``H2_ci`` are Q-profile intervals (None for common-effect fits or k < 2).
    """

    effects: EffectSizes
    method: str
    measure: str
    k: int
    level: float
    estimate: float
    se: float
    statistic: float
    pval: float
    ci_lb: float
    ci_ub: float
    pi_lb: float | None
    pi_ub: float | None
    test: str
    df: int | None
    knha: bool | str
    tau2: float
    tau2_se: float | None
    tau2_ci: tuple[float, float] | None
    #: Both Q-profile bounds fell below 0 (``tau2_ci`` is then (0, 0)): metafor's "null set".
    tau2_ci_null_set: bool
    I2: float
    I2_ci: tuple[float, float] | None
    H2: float
    H2_ci: tuple[float, float] | None
    Q: float
    Q_df: int
    Q_p: float
    weights: np.ndarray
    iterations: int | None
    converged: bool
    tol: float | None

    def __post_init__(self) -> None:
        self.weights.setflags(write=False)

    @property
    def zval(self) -> float | None:
        return self.statistic if self.test == "z" else None

    @property
    def tval(self) -> float | None:
        return self.statistic if self.test == "t" else None

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def is_random(self) -> bool:
        return self.method not in FIXED_METHODS

    def exp(self) -> Transformed:
        """Estimate, CI and PI on the ratio scale (RR, OR, Peto OR, HR only)."""
        return _exp(self.measure, self.estimate, self.ci_lb, self.ci_ub, self.pi_lb, self.pi_ub)

    @property
    def transformed(self) -> Transformed:
        return self.exp()


def _exp(measure, est, lb, ub, pi_lb, pi_ub) -> Transformed:
    if measure not in RATIO_MEASURES:
        raise StatsInputError(f"exp() applies to ratio measures {RATIO_MEASURES}, not {measure!r}", field="measure")
    return Transformed(
        math.exp(est),
        math.exp(lb),
        math.exp(ub),
        None if pi_lb is None else math.exp(pi_lb),
        None if pi_ub is None else math.exp(pi_ub),
    )


def _i2_h2_at(tau2: float, s2: float) -> tuple[float, float]:
    """I² and H² at a Q-profile bound; an infinite bound gives I² 100 % and H² infinite."""
    if math.isinf(tau2):
        return 100.0, math.inf
    return i2_h2_random(tau2, s2)


def _knha_choice(knha: bool | str) -> bool | str:
    if knha is True or knha is False:
        return knha
    if knha == "adhoc":
        return knha
    raise StatsInputError("must be True, False or 'adhoc'", field="knha")


@dataclass(frozen=True, eq=False)
class RegressionFit:
    """Coefficient-level output of the shared fitting core (also used for meta-regression)."""

    beta: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    test: str
    df: int | None
    crit: float
    tau2: float
    tau2_se: float | None
    iterations: int | None
    weights: np.ndarray
    vb: np.ndarray


def fit_core(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    method: str,
    knha: bool | str,
    level: float,
    tol: float | None,
    maxiter: int = 100,
) -> RegressionFit:
    """Weighted least squares with estimated τ² (metafor ``rma.uni`` with ``mods``)."""
    k, p = X.shape
    est = estimate_tau2(y, v, X, method, tol=tol, maxiter=maxiter) if k > p else estimate_tau2(y, v, X, "EE")
    fit = project(y, X, 1.0 / (v + est.tau2))
    beta, vb = fit.beta, fit.A.copy()
    if k == 1 and p == 1:
        # A single study pools to itself exactly (w·y/w can be off by one ulp).
        beta, vb = y / X[:, 0], np.array([[v[0] / X[0, 0] ** 2]])
    alpha = 1 - level / 100
    use_t = bool(knha) and k > p
    if use_t:
        s2w = fit.quad() / (k - p)
        if knha == "adhoc":
            s2w = max(1.0, s2w)
        vb = vb * s2w
        df: int | None = k - p
        crit = float(stats.t.isf(alpha / 2, df))
    else:
        df = None
        crit = float(stats.norm.isf(alpha / 2))
    se = np.sqrt(np.diag(vb))
    statistic = beta / se
    pval = 2 * (stats.t.sf(np.abs(statistic), df) if use_t else stats.norm.sf(np.abs(statistic)))
    w = fit.w
    return RegressionFit(
        beta=beta,
        se=se,
        statistic=statistic,
        pval=pval,
        ci_lb=beta - crit * se,
        ci_ub=beta + crit * se,
        test="t" if use_t else "z",
        df=df,
        crit=crit,
        tau2=est.tau2,
        tau2_se=est.se,
        iterations=est.iterations,
        weights=100.0 * w / w.sum(),
        vb=vb,
    )


def rma(
    effects: EffectSizes,
    method: str = "REML",
    knha: bool | str = False,
    level: float = 95.0,
    *,
    tol: float | None = None,
    maxiter: int = 100,
    tau2_ci: bool = True,
) -> MetaResult:
    """Pool ``effects`` with a common-effect (``"EE"``/``"FE"``) or random-effects model.

    Args:
        effects: output of :func:`~palliro.stats.meta.effects.escalc`.
        method: "EE"/"FE" or a τ² estimator: "DL", "REML" (default, as metafor), "ML", "PM", "EB",
            "HE", "SJ", "HS".
        knha: Knapp–Hartung adjustment (True), its truncated variant ("adhoc"), or Wald z (False).
        level: confidence level in percent for CI, PI and the τ² interval.
        tol: None = metafor's stopping rules (reproduces its printed output); a number gives a
            tighter solution of the estimating equations (e.g. 1e-10).
        maxiter: iteration cap for Fisher scoring (metafor default 100).
        tau2_ci: compute the Q-profile interval for τ², I² and H² (random-effects only).
    """
    if not isinstance(effects, EffectSizes):
        raise StatsInputError("expected an EffectSizes object from escalc()", field="effects")
    check_choice(method, METHODS, "method")
    knha = _knha_choice(knha)
    level = check_level(level)
    if tol is not None and not (0 < tol < 1):
        raise StatsInputError("must be a small positive number such as 1e-10", field="tol")
    y, v = np.asarray(effects.yi, float), np.asarray(effects.vi, float)
    k = effects.k
    X = np.ones((k, 1))
    core = fit_core(y, v, X, method if k > 1 else "EE", knha, level, tol, maxiter)
    q = q_test(y, v, X)
    random = method not in FIXED_METHODS and k > 1
    t2_ci = i2_ci = h2_ci = None
    null_set = False
    if random:
        s2 = typical_variance(v, X)
        i2, h2 = i2_h2_random(core.tau2, s2)
        if tau2_ci:
            profile = tau2_qprofile_ci(y, v, X, core.tau2, level, tol)
            t2_ci, null_set = profile.bounds, profile.null_set
            lo, hi = (_i2_h2_at(t, s2) for t in t2_ci)
            i2_ci, h2_ci = (lo[0], hi[0]), (lo[1], hi[1])
    else:
        i2, h2 = i2_h2_fixed(q)
    est, se = float(core.beta[0]), float(core.se[0])
    pi_lb = pi_ub = None
    if random:
        half = core.crit * math.sqrt(se**2 + core.tau2)
        pi_lb, pi_ub = est - half, est + half
    return MetaResult(
        effects=effects,
        method=method,
        measure=effects.measure,
        k=k,
        level=level,
        estimate=est,
        se=se,
        statistic=float(core.statistic[0]),
        pval=float(core.pval[0]),
        ci_lb=float(core.ci_lb[0]),
        ci_ub=float(core.ci_ub[0]),
        pi_lb=pi_lb,
        pi_ub=pi_ub,
        test=core.test,
        df=core.df,
        knha=knha,
        tau2=core.tau2,
        tau2_se=core.tau2_se if random else None,
        tau2_ci=t2_ci,
        tau2_ci_null_set=null_set,
        I2=i2,
        I2_ci=i2_ci,
        H2=h2,
        H2_ci=h2_ci,
        Q=q.Q,
        Q_df=q.df,
        Q_p=q.p,
        weights=core.weights,
        iterations=core.iterations,
        converged=True,
        tol=tol,
    )


@dataclass(frozen=True, eq=False)
class MetaRegressionResult:
    """Mixed-effects meta-regression (metafor ``rma(yi, vi, mods=...)``); coefficient 0 is the intercept."""

    effects: EffectSizes
    method: str
    names: tuple[str, ...]
    fit: RegressionFit

    @property
    def beta(self) -> np.ndarray:
        return self.fit.beta

    @property
    def tau2(self) -> float:
        return self.fit.tau2


def meta_regression(
    effects: EffectSizes,
    mods: np.ndarray,
    method: str = "REML",
    knha: bool | str = False,
    level: float = 95.0,
    *,
    names: tuple[str, ...] | None = None,
    tol: float | None = None,
) -> MetaRegressionResult:
    """Meta-regression of ``effects`` on the moderator columns ``mods`` (an intercept is added)."""
    check_choice(method, METHODS, "method")
    mods = np.asarray(mods, dtype=float)
    if mods.ndim == 1:
        mods = mods[:, None]
    if mods.shape[0] != effects.k or not np.all(np.isfinite(mods)):
        raise StatsInputError(f"needs {effects.k} finite rows, one per study", field="mods")
    X = np.column_stack([np.ones(effects.k), mods])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise StatsInputError("moderators are collinear with each other or the intercept", field="mods")
    core = fit_core(np.asarray(effects.yi, float), np.asarray(effects.vi, float), X, method,
                    _knha_choice(knha), check_level(level), tol)
    names = names or ("intercept",) + tuple(f"mod{i + 1}" for i in range(mods.shape[1]))
    return MetaRegressionResult(effects, method, tuple(names), core)
