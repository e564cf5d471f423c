"""Between-study variance (τ²) estimators, ported from metafor's ``rma.uni`` algorithms.

Sources for the estimators: DerSimonian & Laird (1986) *Control Clin Trials* 7:177; Hedges (1983)
(HE, method of moments on unweighted residuals); Hunter & Schmidt (2004) (HS); Sidik & Jonkman
(2005) *J Biopharm Stat* 15:823 (SJ); Paule & Mandel (1982) (PM); Morris (1983) (EB); Viechtbauer
(2005) *J Educ Behav Stat* 30:261 (ML/REML by Fisher scoring; the standard errors of τ²). The
iteration details (HE start, step halving at the boundary, stop when |Δτ²| < 1e-5, at most 100
iterations, the ML/REML check against τ² = 0, PM by ``uniroot`` on [0, max(100, 10·mad(y)²)])
follow metafor so that the printed values are reproduced exactly; ``tol`` tightens all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from palliro.stats.errors import StatsInputError
from palliro.stats.meta._linalg import Projection, project
from palliro.stats.meta._roots import R_UNIROOT_TOL, RootNotFound, brent_root

#: Estimators that give τ² = 0 by construction (common-effect / "fixed-effect" models).
FIXED_METHODS = ("EE", "FE")
#: Random-effects τ² estimators.
RANDOM_METHODS = ("DL", "REML", "ML", "PM", "EB", "HE", "SJ", "HS")
METHODS = FIXED_METHODS + RANDOM_METHODS

#: metafor's defaults: Fisher-scoring threshold, iteration cap and ``uniroot`` tolerance.
METAFOR_THRESHOLD = 1e-5
METAFOR_MAXITER = 100


@dataclass(frozen=True)
class Tau2Estimate:
    """τ² with its standard error and iteration record."""

    tau2: float
    se: float | None
    iterations: int | None
    converged: bool


def _mad(y: np.ndarray) -> float:
    # R's mad(): scaled median absolute deviation, constant 1.4826.
    return 1.4826 * float(np.median(np.abs(y - np.median(y))))


def q_generalised(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """Generalised Q statistic Σ w (y − Xβ̂)² with w = 1/(v + τ²) (Q-profile, PM)."""
    return project(y, X, 1.0 / (v + tau2)).quad()


def tau2_search_max(y: np.ndarray) -> float:
    """Upper end of metafor's PM search interval: ``max(100, 10·mad(y)²)``."""
    return max(100.0, 10.0 * _mad(y) ** 2)


def _loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, reml: bool) -> float:
    # Only differences between two τ² values are used, so constants do not matter.
    fit = project(y, X, 1.0 / (v + tau2))
    k, p = X.shape
    ll = -0.5 * np.sum(np.log(v + tau2)) - 0.5 * fit.quad()
    if reml:
        ll -= 0.5 * np.linalg.slogdet(X.T @ fit.U)[1]
        ll -= 0.5 * (k - p) * math.log(2 * math.pi)
    else:
        ll -= 0.5 * k * math.log(2 * math.pi)
    return float(ll)


def estimate_tau2(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    method: str,
    *,
    tol: float | None = None,
    maxiter: int = METAFOR_MAXITER,
    stepadj: float = 1.0,
) -> Tau2Estimate:
    """Estimate τ² for the model y = Xβ + u + e, u ~ N(0, τ²), e ~ N(0, v).

    ``tol=None`` uses metafor's stopping rules (Fisher scoring threshold 1e-5, ``uniroot``
    tolerance ≈ 1.22e-4); a number replaces both, e.g. ``tol=1e-10`` for the exact solution.
    """
    if method not in METHODS:
        raise StatsInputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}", field="method")
    k, p = X.shape
    if method in FIXED_METHODS:
        return Tau2Estimate(0.0, None, None, True)
    if k - p < 1:
        raise StatsInputError(
            f"method {method!r} needs at least {p + 1} studies to estimate tau2 (got {k})", field="method"
        )
    if np.any(v <= 0):
        raise StatsInputError("sampling variances must be positive for random-effects models", field="vi")
    threshold = METAFOR_THRESHOLD if tol is None else tol
    root_tol = R_UNIROOT_TOL if tol is None else tol
    # metafor centres y before computing residual quadratic forms (numerical stability).
    yc = y - y.mean()
    ones = np.ones(k)
    df = k - p

    if method == "HS":
        fe = project(yc, X, 1.0 / v)
        tau2 = max(0.0, (fe.quad() - k) / float(np.sum(fe.w)))
        se = math.sqrt(
            (2 * df + 4 * tau2 * fe.trace() + 2 * tau2**2 * fe.trace_pdpd(ones, ones)) / float(np.sum(fe.w)) ** 2
        )
        return Tau2Estimate(tau2, se, None, True)

    if method == "DL":
        fe = project(yc, X, 1.0 / v)
        tr_p = fe.trace()
        tau2 = max(0.0, (fe.quad() - df) / tr_p)
        se = math.sqrt((2 * df + 4 * tau2 * tr_p + 2 * tau2**2 * fe.trace_pdpd(ones, ones)) / tr_p**2)
        return Tau2Estimate(tau2, se, None, True)

    if method == "SJ":
        tau2_0 = float(np.var(yc, ddof=0))
        fit = project(yc, X, 1.0 / (v + tau2_0))
        tau2 = max(0.0, tau2_0 * fit.quad() / df)
        se = math.sqrt(
            tau2_0**2
            / df**2
            * (
                2 * fit.trace_pdpd(v, v)
                + 4 * tau2 * fit.trace_pdpd(ones, v)
                + 2 * tau2**2 * fit.trace_pdpd(ones, ones)
            )
        )
        return Tau2Estimate(tau2, se, None, True)

    if method == "PM":
        return _paule_mandel(y, yc, v, X, root_tol, maxiter)

    # HE: also the starting value of the Fisher-scoring estimators.
    ols = project(yc, X, ones)
    tr_pv = ols.trace_d(v)
    tau2_he = (ols.quad() - tr_pv) / df
    if method == "HE":
        tau2 = max(0.0, tau2_he)
        se = math.sqrt((2 * ols.trace_pdpd(v, v) + 4 * tau2 * tr_pv + 2 * tau2**2 * df) / df**2)
        return Tau2Estimate(tau2, se, None, True)

    tau2, iterations = _fisher_scoring(yc, v, X, method, max(0.0, tau2_he), threshold, maxiter, stepadj)
    if method in ("ML", "REML") and tau2 > threshold:
        ll0 = _loglik(yc, v, X, 0.0, method == "REML")
        ll = _loglik(yc, v, X, tau2, method == "REML")
        # metafor's ll0check: Fisher scoring can stop at a local maximum when τ² = 0 is better.
        if ll0 - ll > root_tol:
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    fit = project(yc, X, 1.0 / (v + tau2))
    if method == "ML":
        se = math.sqrt(2.0 / float(np.sum(fit.w**2)))
    elif method == "REML":
        se = math.sqrt(2.0 / fit.trace_pdpd(ones, ones))
    else:  # EB
        se = math.sqrt(2.0 * k**2 / df / float(np.sum(fit.w)) ** 2)
    return Tau2Estimate(tau2, se, iterations, True)


def _fisher_scoring(
    yc: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    method: str,
    tau2: float,
    threshold: float,
    maxiter: int,
    stepadj: float,
) -> tuple[float, int]:
    k, p = X.shape
    ones = np.ones(k)
    change = threshold + 1.0
    iterations = 0
    while change > threshold:
        iterations += 1
        old = tau2
        fit: Projection = project(yc, X, 1.0 / (v + tau2))
        if method == "ML":
            adj = (fit.quad_pp() - float(np.sum(fit.w))) / float(np.sum(fit.w**2))
        elif method == "REML":
            adj = (fit.quad_pp() - fit.trace()) / fit.trace_pdpd(ones, ones)
        else:  # EB
            adj = (fit.quad() * k / (k - p) - k) / float(np.sum(fit.w))
        adj *= stepadj
        if math.isnan(adj):
            adj = 0.0
        # Step halving keeps τ² inside the parameter space instead of truncating the step.
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if iterations > maxiter:
            raise StatsInputError(
                f"Fisher scoring for {method} did not converge in {maxiter} iterations; "
                "try method='DL' or 'PM', or a larger maxiter",
                field="method",
            )
    return tau2, iterations


def _paule_mandel(
    y: np.ndarray, yc: np.ndarray, v: np.ndarray, X: np.ndarray, root_tol: float, maxiter: int
) -> Tau2Estimate:
    k, p = X.shape
    target = float(k - p)
    upper = tau2_search_max(y)

    def excess(t: float) -> float:
        return q_generalised(yc, v, X, t) - target

    f0 = excess(0.0)
    if f0 < 0:
        tau2, iterations = 0.0, 0
    else:
        fmax = excess(upper)
        if fmax > 0:
            raise StatsInputError(
                f"Paule-Mandel tau2 exceeds the search limit {upper:g}; use another method", field="method"
            )
        try:
            tau2, iterations = brent_root(excess, 0.0, upper, tol=root_tol, maxiter=maxiter, f_lower=f0, f_upper=fmax)
        except RootNotFound as exc:
            raise StatsInputError(f"Paule-Mandel search failed: {exc}", field="method") from exc
    fit = project(yc, X, 1.0 / (v + tau2))
    se = math.sqrt(2.0 * k**2 / (k - p) / float(np.sum(fit.w)) ** 2)
    return Tau2Estimate(max(0.0, tau2), se, iterations, True)
