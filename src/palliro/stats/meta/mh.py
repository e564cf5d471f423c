"""Common-effect pooling of 2×2 tables: Mantel–Haenszel (RR, OR, RD) and Peto's odds ratio.

Sources (as implemented in metafor ``rma.mh`` / ``rma.peto``):

* MH OR: Mantel & Haenszel (1959); variance of log OR by Robins, Breslow & Greenland (1986)
  *Biometrics* 42:311. Cochran–Mantel–Haenszel test with continuity correction; Tarone's (1985)
  correction of the Breslow–Day (1980) homogeneity test.
* MH RR: Greenland & Robins (1985) *Biometrics* 41:55 (estimate and variance of log RR).
* MH RD: Greenland & Robins (1985) estimate; variance of Sato, Greenland & Robins (1989)
  *Biometrics* 45:1323 (metafor's choice; Stata ``metan`` uses the Greenland–Robins variance).
* Peto: Yusuf et al. (1985) *Prog Cardiovasc Dis* 27:335: log OR = Σ(O − E)/ΣV, var = 1/ΣV.

The pooled estimate uses the raw counts. As in metafor, the heterogeneity Q uses the per-study
estimates from :func:`escalc` with ``add=1/2, to="only0", drop00=True``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta._validate import check_choice, check_level
from palliro.stats.meta.effects import EffectSizes, Tables, _from_tables, tables_2x2
from palliro.stats.meta.pooling import Transformed, _exp


@dataclass(frozen=True, eq=False)
class FixedCountsResult:
    """Result of :func:`rma_mh` or :func:`rma_peto` (estimate on the log scale for RR/OR).

    ``cmh``/``tarone`` are filled for the MH odds ratio only (None otherwise).
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
    Q: float
    Q_df: int
    Q_p: float
    I2: float
    H2: float
    weights: np.ndarray
    cmh: float | None = None
    cmh_p: float | None = None
    tarone: float | None = None
    tarone_p: float | None = None

    test = "z"
    tau2 = 0.0
    pi_lb = None
    pi_ub = None

    @property
    def zval(self) -> float:
        return self.statistic

    def exp(self) -> Transformed:
        return _exp("OR" if self.measure == "PETO" else self.measure, self.estimate, self.ci_lb, self.ci_ub,
                    None, None)


def _heterogeneity(effects: EffectSizes, estimate: float) -> tuple[float, int, float, float, float]:
    df = effects.k - 1
    if df < 1:
        return 0.0, 0, 1.0, 0.0, 1.0
    q = float(np.sum((effects.yi - estimate) ** 2 / effects.vi))
    i2 = max(0.0, 100.0 * (q - df) / q) if q > 0 else 0.0
    return q, df, float(stats.chi2.sf(q, df)), i2, q / df  # H² untruncated, as metafor's rma.mh


def _finish(effects, method, measure, level, est, var, weights, **extra) -> FixedCountsResult:
    if not (var > 0 and math.isfinite(var) and math.isfinite(est)):
        raise StatsInputError("the pooled estimate is not estimable from these counts (too few events)",
                              field="ai/ci")
    se = math.sqrt(var)
    z = est / se
    crit = float(stats.norm.isf((1 - level / 100) / 2))
    q, df, qp, i2, h2 = _heterogeneity(effects, est)
    w = np.asarray(weights, float)
    return FixedCountsResult(
        effects=effects, method=method, measure=measure, k=effects.k, level=level, estimate=est, se=se,
        statistic=z, pval=float(2 * stats.norm.sf(abs(z))), ci_lb=est - crit * se, ci_ub=est + crit * se,
        Q=q, Q_df=df, Q_p=qp, I2=i2, H2=h2, weights=100 * w / w.sum(), **extra,
    )


def _table_input(ai, bi, ci, di, n1i, n2i, labels) -> Tables:
    return tables_2x2(ai, bi, ci, di, n1i, n2i, labels)


def rma_mh(
    measure: str,
    *,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    labels: Sequence[object] | None = None,
    level: float = 95.0,
    correct: bool = True,
) -> FixedCountsResult:
    """Mantel–Haenszel pooled RR, OR or RD from 2×2 counts (see module docstring)."""
    check_choice(measure, ("RR", "OR", "RD"), "measure")
    level = check_level(level)
    t = _table_input(ai, bi, ci, di, n1i, n2i, labels)
    effects = _from_tables(measure, t, 0.5, "only0", drop00=True)
    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2 = a + b, c + d
    n = n1 + n2
    extra: dict[str, float | None] = {}
    if measure == "OR":
        r_i, s_i = a * d / n, b * c / n
        p_i, q_i = (a + d) / n, (b + c) / n
        R, S = r_i.sum(), s_i.sum()
        est = math.log(R / S) if R > 0 and S > 0 else math.nan
        var = (np.sum(p_i * r_i) / (2 * R**2) + np.sum(p_i * s_i + q_i * r_i) / (2 * R * S)
               + np.sum(q_i * s_i) / (2 * S**2)) if R > 0 and S > 0 else math.nan
        weights = s_i
        extra = _cmh_tarone(t, math.exp(est) if math.isfinite(est) else math.nan, correct)
    elif measure == "RR":
        r_i, s_i = a * n2 / n, c * n1 / n
        R, S = r_i.sum(), s_i.sum()
        est = math.log(R / S) if R > 0 and S > 0 else math.nan
        var = float(np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (R * S)) if R > 0 and S > 0 else math.nan
        weights = s_i
    else:
        w_i = n1 * n2 / n
        W = w_i.sum()
        est = float(np.sum((a * n2 - c * n1) / n) / W)
        P = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2)
        Q = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * n))
        var = float((est * P + Q) / W**2)
        weights = w_i
    return _finish(effects, "MH", measure, level, float(est), float(var), weights, **extra)


def _cmh_tarone(t: Tables, psi: float, correct: bool) -> dict[str, float | None]:
    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2, m1 = a + b, c + d, a + c
    n = n1 + n2
    m2 = b + d
    informative = n > 1
    num = abs(np.sum(a - n1 * m1 / n)) - (0.5 if correct else 0.0)
    den = np.sum((n1 * n2 * m1 * m2 / (n**2 * (n - 1)))[informative])
    cmh = float(num**2 / den) if den > 0 else math.nan
    out: dict[str, float | None] = {"cmh": cmh, "cmh_p": float(stats.chi2.sf(cmh, 1)) if den > 0 else None}
    k = a.size
    if k < 2 or not math.isfinite(psi):
        return out | {"tarone": None, "tarone_p": None}
    # Expected count in cell a under the common odds ratio psi: root of
    # (1 − ψ)A² + (n2 − m1 + ψ(n1 + m1))A − ψ n1 m1 = 0 inside the admissible range.
    lo, hi = np.maximum(0, m1 - n2), np.minimum(n1, m1)
    qa = 1 - psi
    qb = n2 - m1 + psi * (n1 + m1)
    qc = -psi * n1 * m1
    if abs(qa) < 1e-12:
        A = -qc / qb
    else:
        disc = np.sqrt(qb**2 - 4 * qa * qc)
        r1, r2 = (-qb + disc) / (2 * qa), (-qb - disc) / (2 * qa)
        A = np.where((r1 >= lo - 1e-9) & (r1 <= hi + 1e-9), r1, r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1 / (1 / A + 1 / (n1 - A) + 1 / (m1 - A) + 1 / (n2 - m1 + A))
        ok = np.isfinite(var) & (var > 0)
        bd = np.sum(((a - A) ** 2 / var)[ok])
    tarone = float(bd - np.sum((a - A)[ok]) ** 2 / np.sum(var[ok]))
    return out | {"tarone": tarone, "tarone_p": float(stats.chi2.sf(tarone, int(ok.sum()) - 1))}


def rma_peto(
    *,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    labels: Sequence[object] | None = None,
    level: float = 95.0,
) -> FixedCountsResult:
    """Peto's one-step pooled log odds ratio from 2×2 counts."""
    level = check_level(level)
    t = _table_input(ai, bi, ci, di, n1i, n2i, labels)
    effects = _from_tables("PETO", t, 0.5, "only0", drop00=True)
    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2 = a + b, c + d
    n = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = n1 * (a + c) / n
        v = np.where(n > 1, n1 * n2 * (a + c) * (b + d) / (n**2 * (n - 1)), 0.0)
    V = float(v.sum())
    est = float(np.sum(a - expected) / V) if V > 0 else math.nan
    return _finish(effects, "PETO", "PETO", level, est, 1 / V if V > 0 else math.nan, v)
