"""Step 1 of a meta-analysis: per-study effect sizes and sampling variances (metafor ``escalc``).

Formulas (metafor ``escalc`` documentation and the sources it cites):

* ``RR`` log risk ratio: yi = log(a/n1) − log(c/n2), vi = 1/a − 1/n1 + 1/c − 1/n2.
* ``OR`` log odds ratio: yi = log(ad/bc), vi = 1/a + 1/b + 1/c + 1/d (Woolf 1955).
* ``RD`` risk difference: yi = a/n1 − c/n2, vi = p1(1−p1)/n1 + p2(1−p2)/n2 (large-sample, "LS").
* ``PETO`` Peto log odds ratio: yi = (a − E)/V, vi = 1/V (Yusuf et al. 1985).
* ``HR`` log hazard ratio from HR and its CI (SE = (log ub − log lb)/(2·z)) or from log HR and SE
  (Parmar, Torri & Stewart 1998 *Stat Med* 17:2815).
* ``MD`` mean difference: yi = m1 − m2, vi = sd1²/n1 + sd2²/n2.
* ``SMD`` Hedges' g: yi = c(m)·(m1 − m2)/s_pooled with the exact bias correction
  c(m) = Γ(m/2)/(√(m/2)·Γ((m−1)/2)), m = n1 + n2 − 2 (Hedges 1981); vi = 1/n1 + 1/n2 + yi²/(2(n1+n2))
  (metafor's default ``vtype="LS"``).
* ``GEN`` any effect already on an additive scale, given as yi with vi or sei.

Continuity correction for 2×2 tables follows metafor: ``add`` (default 1/2) is added to every cell
of the tables selected by ``to``: ``"only0"`` (tables with a zero cell, default), ``"all"``,
``"if0all"`` (all tables if any has a zero cell) or ``"none"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta._validate import (
    as_vector,
    check_choice,
    check_level,
    labels_for,
    require_counts,
    require_positive,
)

MEASURES = ("RR", "OR", "RD", "PETO", "HR", "MD", "SMD", "GEN")
#: Measures analysed on the log scale; results are back-transformed with exp() for display.
RATIO_MEASURES = ("RR", "OR", "PETO", "HR")
CORRECTION_TARGETS = ("only0", "all", "if0all", "none")

MEASURE_LABELS = {
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "PETO": "Peto odds ratio",
    "HR": "Hazard ratio",
    "RD": "Risk difference",
    "MD": "Mean difference",
    "SMD": "Standardised mean difference (Hedges' g)",
    "GEN": "Effect",
}


@dataclass(frozen=True, eq=False)
class EffectSizes:
    """Per-study effect sizes ``yi`` (log scale for ratio measures) and sampling variances ``vi``.

    Attributes:
        measure: one of :data:`MEASURES`.
        yi, vi: read-only float arrays of equal length k.
        labels: study labels.
        corrected: per-study flag, True where a continuity correction was added to the table.
        dropped: labels of studies removed before analysis (``drop00=True``: no events in either
            arm, or events in every patient of both arms).
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    corrected: np.ndarray
    dropped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Private read-only copies: results must not change if the caller edits its arrays.
        for name, dtype in (("yi", float), ("vi", float), ("corrected", bool)):
            arr = np.array(getattr(self, name), dtype=dtype, copy=True).reshape(-1)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        k = self.yi.size
        if k == 0:
            raise StatsInputError("no studies", field="yi")
        if self.vi.size != k or self.corrected.size != k or len(self.labels) != k:
            raise StatsInputError("yi, vi, labels and corrected must have one entry per study", field="effects")

    @property
    def k(self) -> int:
        return int(self.yi.size)

    @property
    def sei(self) -> np.ndarray:
        return np.sqrt(self.vi)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    def ci(self, level: float = 95.0) -> tuple[np.ndarray, np.ndarray]:
        """Per-study Wald confidence limits on the analysis scale."""
        z = stats.norm.ppf(1 - (1 - check_level(level) / 100) / 2)
        return self.yi - z * self.sei, self.yi + z * self.sei

    def take(self, index: Sequence[int] | np.ndarray) -> EffectSizes:
        """Return the studies at positions ``index`` (in that order)."""
        idx = np.asarray(index, dtype=int)
        if idx.size == 0:
            raise StatsInputError("selects no studies", field="index")
        return EffectSizes(
            measure=self.measure,
            yi=self.yi[idx].copy(),
            vi=self.vi[idx].copy(),
            labels=tuple(self.labels[i] for i in idx),
            corrected=self.corrected[idx].copy(),
            dropped=self.dropped,
        )


def _make(measure: str, yi: np.ndarray, vi: np.ndarray, labels: tuple[str, ...], corrected=None, dropped=()):
    bad = np.flatnonzero(~np.isfinite(yi) | ~np.isfinite(vi) | (vi <= 0))
    if bad.size:
        i = int(bad[0])
        raise StatsInputError(
            f"study {labels[i]!r} gives no finite effect size or a non-positive variance "
            "(check for zero cells or use a continuity correction)",
            field="vi",
            row=i,
        )
    if corrected is None:
        corrected = np.zeros(yi.size, dtype=bool)
    return EffectSizes(measure, yi.astype(float), vi.astype(float), labels, np.asarray(corrected, bool), tuple(dropped))


@dataclass(frozen=True, eq=False)
class Tables:
    """Validated 2×2 tables: events/non-events in the treatment (a, b) and control (c, d) arms."""

    ai: np.ndarray
    bi: np.ndarray
    ci: np.ndarray
    di: np.ndarray
    labels: tuple[str, ...]

    @property
    def n1i(self) -> np.ndarray:
        return self.ai + self.bi

    @property
    def n2i(self) -> np.ndarray:
        return self.ci + self.di

    def take(self, mask: np.ndarray) -> Tables:
        return Tables(self.ai[mask], self.bi[mask], self.ci[mask], self.di[mask],
                      tuple(lab for lab, keep in zip(self.labels, mask, strict=True) if keep))


def tables_2x2(ai=None, bi=None, ci=None, di=None, n1i=None, n2i=None, labels=None) -> Tables:
    """Validate 2×2 counts given as (ai, bi, ci, di) or as events/totals (ai, n1i, ci, n2i)."""
    if ai is None or ci is None:
        raise StatsInputError("event counts ai (treatment) and ci (control) are required", field="ai/ci")
    a = as_vector(ai, "ai")
    k = a.size
    c = as_vector(ci, "ci", n=k)
    if bi is not None and di is not None:
        b = as_vector(bi, "bi", n=k)
        d = as_vector(di, "di", n=k)
    elif n1i is not None and n2i is not None:
        n1 = as_vector(n1i, "n1i", n=k)
        n2 = as_vector(n2i, "n2i", n=k)
        for arr, name in ((n1, "n1i"), (n2, "n2i")):
            require_counts(arr, name)
        over = np.flatnonzero((a > n1) | (c > n2))
        if over.size:
            raise StatsInputError("more events than patients in an arm", field="ai/ci", row=int(over[0]))
        b, d = n1 - a, n2 - c
    else:
        raise StatsInputError("give either non-event counts bi, di or arm totals n1i, n2i", field="bi/di")
    for arr, name in ((a, "ai"), (b, "bi"), (c, "ci"), (d, "di")):
        require_counts(arr, name)
    empty = np.flatnonzero((a + b == 0) | (c + d == 0))
    if empty.size:
        raise StatsInputError("an arm has no patients", field="n1i/n2i", row=int(empty[0]))
    return Tables(a, b, c, d, labels_for(labels, k))


def continuity_correct(t: Tables, add: float, to: str) -> tuple[Tables, np.ndarray]:
    """Add ``add`` to every cell of the tables chosen by ``to`` (metafor's rule)."""
    check_choice(to, CORRECTION_TARGETS, "to")
    if add < 0 or not math.isfinite(add):
        raise StatsInputError("continuity correction must be a non-negative number", field="add")
    has_zero = (t.ai == 0) | (t.bi == 0) | (t.ci == 0) | (t.di == 0)
    if to == "none" or add == 0:
        mask = np.zeros(t.ai.size, bool)
    elif to == "all":
        mask = np.ones(t.ai.size, bool)
    elif to == "if0all":
        mask = np.full(t.ai.size, bool(has_zero.any()))
    else:
        mask = has_zero
    inc = np.where(mask, add, 0.0)
    return Tables(t.ai + inc, t.bi + inc, t.ci + inc, t.di + inc, t.labels), mask


def double_zero(t: Tables) -> np.ndarray:
    """Tables with no events in both arms, or events in every patient of both arms."""
    return ((t.ai == 0) & (t.ci == 0)) | ((t.bi == 0) & (t.di == 0))


def _from_tables(measure: str, t: Tables, add: float, to: str, drop00: bool) -> EffectSizes:
    dropped: tuple[str, ...] = ()
    if drop00:
        dz = double_zero(t)
        dropped = tuple(lab for lab, z in zip(t.labels, dz, strict=True) if z)
        if dz.all():
            raise StatsInputError("every study has no events in both arms", field="ai/ci")
        t = t.take(~dz)
    tc, mask = continuity_correct(t, add, to)
    a, b, c, d = tc.ai, tc.bi, tc.ci, tc.di
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(a / n1) - np.log(c / n2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log(a * d / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RD":
            p1, p2 = a / n1, c / n2
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        else:  # PETO
            n = n1 + n2
            expected = n1 * (a + c) / n
            var = n1 * n2 * (a + c) * (b + d) / (n**2 * (n - 1))
            yi = (a - expected) / var
            vi = 1 / var
    return _make(measure, yi, vi, t.labels, mask, dropped)


def escalc(
    measure: str,
    *,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    m1i=None,
    m2i=None,
    sd1i=None,
    sd2i=None,
    yi=None,
    vi=None,
    sei=None,
    hr=None,
    hr_lb=None,
    hr_ub=None,
    ci_level: float = 95.0,
    labels: Sequence[object] | None = None,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = False,
) -> EffectSizes:
    """Compute per-study effect sizes (see module docstring for the formulas per ``measure``).

    Inputs by measure: RR/OR/RD/PETO ``ai, bi, ci, di`` or ``ai, n1i, ci, n2i`` (RR/OR/RD also
    ``yi`` on the log / difference scale with ``sei`` or ``vi``); HR ``hr, hr_lb,
    hr_ub`` (CI at ``ci_level``) or ``yi`` (log HR) with ``sei``/``vi``; MD/SMD ``m1i, sd1i, n1i,
    m2i, sd2i, n2i``; GEN ``yi`` with ``vi`` or ``sei``.
    """
    check_choice(measure, MEASURES, "measure")
    if measure in ("RR", "OR", "RD") and ai is None and yi is not None:
        # Already-computed (e.g. covariate-adjusted) log ratios or differences with their SE.
        return _generic(measure, yi, vi, sei, labels)
    if measure in ("RR", "OR", "RD", "PETO"):
        return _from_tables(measure, tables_2x2(ai, bi, ci, di, n1i, n2i, labels), float(add), to, drop00)
    if measure in ("MD", "SMD"):
        return _from_means(measure, m1i, sd1i, n1i, m2i, sd2i, n2i, labels)
    if measure == "HR" and hr is not None:
        return _from_hr_ci(hr, hr_lb, hr_ub, ci_level, labels)
    return _generic(measure, yi, vi, sei, labels)


def _generic(measure: str, yi, vi, sei, labels) -> EffectSizes:
    if yi is None:
        need = "hr with hr_lb/hr_ub, or yi (log HR) with sei" if measure == "HR" else "yi with vi or sei"
        raise StatsInputError(f"missing input: give {need}", field="yi")
    y = as_vector(yi, "yi")
    if (vi is None) == (sei is None):
        raise StatsInputError("give exactly one of vi (variance) or sei (standard error)", field="vi/sei")
    if vi is not None:
        v = as_vector(vi, "vi", n=y.size)
        require_positive(v, "vi")
    else:
        s = as_vector(sei, "sei", n=y.size)
        require_positive(s, "sei")
        v = s**2
    return _make(measure, y, v, labels_for(labels, y.size))


def _from_hr_ci(hr, hr_lb, hr_ub, ci_level: float, labels) -> EffectSizes:
    h = as_vector(hr, "hr")
    if hr_lb is None or hr_ub is None:
        raise StatsInputError("hazard ratios need both confidence limits hr_lb and hr_ub", field="hr_lb/hr_ub")
    lb = as_vector(hr_lb, "hr_lb", n=h.size)
    ub = as_vector(hr_ub, "hr_ub", n=h.size)
    for arr, name in ((h, "hr"), (lb, "hr_lb"), (ub, "hr_ub")):
        require_positive(arr, name)
    bad = np.flatnonzero(~((lb < h) & (h < ub)))
    if bad.size:
        raise StatsInputError("must satisfy hr_lb < hr < hr_ub", field="hr", row=int(bad[0]))
    z = stats.norm.ppf(1 - (1 - check_level(ci_level) / 100) / 2)
    se = (np.log(ub) - np.log(lb)) / (2 * z)
    return _make("HR", np.log(h), se**2, labels_for(labels, h.size))


def hedges_correction(m: np.ndarray) -> np.ndarray:
    """Exact small-sample factor c(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) (Hedges 1981)."""
    return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def _from_means(measure: str, m1i, sd1i, n1i, m2i, sd2i, n2i, labels) -> EffectSizes:
    for value, name in ((m1i, "m1i"), (sd1i, "sd1i"), (n1i, "n1i"), (m2i, "m2i"), (sd2i, "sd2i"), (n2i, "n2i")):
        if value is None:
            raise StatsInputError(f"required for measure {measure!r}", field=name)
    m1 = as_vector(m1i, "m1i")
    k = m1.size
    m2 = as_vector(m2i, "m2i", n=k)
    s1 = as_vector(sd1i, "sd1i", n=k)
    s2 = as_vector(sd2i, "sd2i", n=k)
    n1 = as_vector(n1i, "n1i", n=k)
    n2 = as_vector(n2i, "n2i", n=k)
    require_positive(s1, "sd1i")
    require_positive(s2, "sd2i")
    for arr, name in ((n1, "n1i"), (n2, "n2i")):
        require_counts(arr, name)
        small = np.flatnonzero(arr < 2)
        if small.size:
            raise StatsInputError("each arm needs at least 2 patients", field=name, row=int(small[0]))
    labs = labels_for(labels, k)
    if measure == "MD":
        return _make("MD", m1 - m2, s1**2 / n1 + s2**2 / n2, labs)
    m = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
    g = hedges_correction(m) * (m1 - m2) / sp
    return _make("SMD", g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)), labs)
