"""Heterogeneity statistics: Cochran's Q, I², H² and the Q-profile confidence interval for τ².

* Q = Σ (1/vi)(yi − Xβ̂_FE)² on k − p df (Cochran 1954).
* I² and H² for random-effects fits use metafor's "typical" within-study variance
  s² = (k − p)/tr(P) with P from weights 1/vi (for an intercept-only model
  s² = (k−1)Σw/((Σw)² − Σw²), Higgins & Thompson 2002 *Stat Med* 21:1539): I² = 100·τ²/(τ² + s²),
  H² = (τ² + s²)/s². For common-effect fits I² = 100·(Q − df)/Q and H² = Q/df.
* Q-profile CI for τ² (Viechtbauer 2007 *Stat Med* 26:37; metafor ``confint.rma.uni``): the τ²
  values at which the generalised Q equals the χ²_{k−p} quantiles, searched with R's ``uniroot``
  on [0, max(100, 10·τ̂²)]. I²/H² intervals are the same transformation applied to the bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from palliro.stats.meta._linalg import project
from palliro.stats.meta._roots import R_UNIROOT_TOL, brent_root
from palliro.stats.meta.tau2 import q_generalised


@dataclass(frozen=True)
class QTest:
    """Cochran's Q test of homogeneity."""

    Q: float
    df: int
    p: float


def q_test(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> QTest:
    k, p = X.shape
    df = k - p
    if df < 1:
        return QTest(0.0, 0, 1.0)
    q = project(y - y.mean(), X, 1.0 / v).quad()
    return QTest(q, df, float(stats.chi2.sf(q, df)))


def typical_variance(v: np.ndarray, X: np.ndarray) -> float:
    """metafor's s² = (k − p)/tr(P) with P built from weights 1/vi."""
    k, p = X.shape
    return (k - p) / project(np.zeros(k), X, 1.0 / v).trace()


def i2_h2_random(tau2: float, s2: float) -> tuple[float, float]:
    return 100.0 * tau2 / (tau2 + s2), (tau2 + s2) / s2


def i2_h2_fixed(q: QTest) -> tuple[float, float]:
    if q.df < 1 or q.Q <= 0:
        return 0.0, 1.0
    return max(0.0, 100.0 * (q.Q - q.df) / q.Q), max(1.0, q.Q / q.df)


def tau2_qprofile_ci(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2_hat: float, level: float, tol: float | None = None
) -> tuple[float, float]:
    """Q-profile confidence interval for τ² (bounds truncated at 0, as metafor reports them)."""
    k, p = X.shape
    df = k - p
    alpha = 1 - level / 100
    crit_u = float(stats.chi2.isf(alpha / 2, df))
    crit_l = float(stats.chi2.ppf(alpha / 2, df))
    lo, hi = 0.0, max(100.0, 10.0 * tau2_hat)
    root_tol = R_UNIROOT_TOL if tol is None else tol
    q_lo = q_generalised(y, v, X, lo)
    q_hi = q_generalised(y, v, X, hi)

    def bound(crit: float) -> float:
        root, _ = brent_root(
            lambda t: q_generalised(y, v, X, t) - crit, lo, hi, tol=root_tol, f_lower=q_lo - crit, f_upper=q_hi - crit
        )
        return root

    if q_lo < crit_l:
        ub = lo
    elif q_hi > crit_l:
        ub = hi
    else:
        ub = bound(crit_l)
    if q_hi > crit_u:
        lb = ub = hi
    elif q_lo < crit_u:
        lb = lo
    else:
        lb = bound(crit_u)
    return lb, ub
