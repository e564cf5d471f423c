"""Heterogeneity statistics: Cochran's Q, I², H² and the Q-profile confidence interval for τ².

* Q = Σ (1/vi)(yi − Xβ̂_FE)² on k − p df (Cochran 1954).
* I² and H² for random-effects fits use metafor's "typical" within-study variance
  s² = (k − p)/tr(P) with P from weights 1/vi (for an intercept-only model
  s² = (k−1)Σw/((Σw)² − Σw²), Higgins & Thompson 2002 *Stat Med* 21:1539): I² = 100·τ²/(τ² + s²),
  H² = (τ² + s²)/s². For common-effect fits I² = 100·(Q − df)/Q and H² = Q/df.
* Q-profile CI for τ² (Viechtbauer 2007 *Stat Med* 26:37; metafor ``confint.rma.uni``): the τ²
  values at which the generalised Q equals the χ²_{k−p} quantiles, searched with R's ``uniroot``
  on [0, max(100, 10·τ̂²)]. Where a bound lies beyond that limit metafor prints ">100" (its
  ``tau2.max``); here the search range is widened tenfold until it holds the bound (Q falls to 0 as
  τ² grows, so it always does), and the actual bound is reported. When even τ² = 0 gives a Q below
  the lower quantile, both bounds are 0 and the interval is what metafor calls the null set
  (``QProfileInterval.null_set``). I²/H² intervals are the same transformation applied to the bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from palliro.stats.meta._linalg import project
from palliro.stats.meta._roots import R_UNIROOT_TOL, brent_root
from palliro.stats.meta.tau2 import q_generalised

#: How far the Q-profile search widens its range before calling a bound infinite.
_WIDEST = 1e300


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
    # Not truncated at 1: metafor's rma.uni and rma.mh report H² = Q/df as it is when Q < df.
    return max(0.0, 100.0 * (q.Q - q.df) / q.Q), q.Q / q.df


@dataclass(frozen=True)
class QProfileInterval:
    """Q-profile bounds for τ²; ``null_set`` when both fall below 0 (reported as 0, 0)."""

    lower: float
    upper: float
    null_set: bool

    @property
    def bounds(self) -> tuple[float, float]:
        return self.lower, self.upper


def tau2_qprofile_ci(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2_hat: float, level: float, tol: float | None = None
) -> QProfileInterval:
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
    while q_hi > crit_l and hi < _WIDEST:
        hi *= 10.0
        q_hi = q_generalised(y, v, X, hi)

    def bound(crit: float) -> float:
        root, _ = brent_root(
            lambda t: q_generalised(y, v, X, t) - crit, lo, hi, tol=root_tol, f_lower=q_lo - crit, f_upper=q_hi - crit
        )
        return root

    if q_lo < crit_l:
        ub = lo
    elif q_hi > crit_l:  # only with effect sizes so far apart that Q stays up at τ² = 1e300
        ub = math.inf
    else:
        ub = bound(crit_l)
    if q_hi > crit_u:
        lb = math.inf if ub == math.inf else hi
    elif q_lo < crit_u:
        lb = lo
    else:
        lb = bound(crit_u)
    return QProfileInterval(lb, ub, null_set=q_lo < crit_l)
