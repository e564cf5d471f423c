"""Survival analysis reproducing the defaults of R's ``survival`` package.

API convention for the whole of :mod:`palliro.stats`: estimators that are *fitted* (Kaplan–Meier,
Cox) are small classes whose ``fit()`` returns ``self`` and stores typed results as attributes
(like lifelines); tests, intervals and one-shot summaries are plain functions returning frozen
dataclasses.

Sources of the formulas:

* Kaplan–Meier with Greenwood variance and the ``conf.type`` transformations "log" (R default),
  "log-log" and "plain" exactly as ``survival::survfit`` (Therneau, survival package,
  ``survfit.formula``/``survfit0``); median and its CI as ``survival:::quantile.survfit``: the
  first time the curve (or a confidence curve) is at or below 0.5, and where a curve sits exactly
  on 0.5 over an interval, the midpoint of that interval.
* Log-rank test as ``survival::survdiff`` (rho = 0): observed, expected, the hypergeometric
  variance matrix, chi-square with a generalised inverse, optional strata summed (Peto & Peto 1972;
  Mantel 1966).
* Cox proportional hazards through ``lifelines.CoxPHFitter`` (Efron ties, the R ``coxph`` default).
* Harrell's C (Harrell et al. 1982; 1996) with R ``survival::concordance`` tie rules (see
  :func:`harrell_c`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from palliro.stats.errors import StatsInputError

#: Average Gregorian month in days (365.25 / 12 = 30.4375); used to express "1, 3 and 6 months".
DAYS_PER_MONTH: float = 365.25 / 12
#: Default reporting times in days: 7 days, 1, 3 and 6 months.
DEFAULT_TIMES_DAYS: tuple[float, ...] = (7.0, DAYS_PER_MONTH, 3 * DAYS_PER_MONTH, 6 * DAYS_PER_MONTH)

ConfType = Literal["log", "log-log", "plain"]
_CONF_TYPES: tuple[str, ...] = ("log", "log-log", "plain")
# R's quantile.survfit compares against p with tolerance sqrt(.Machine$double.eps).
_R_TOL = math.sqrt(np.finfo(float).eps)


# --------------------------------------------------------------------------------------------------
# Validation (the single place where survival input is checked)
# --------------------------------------------------------------------------------------------------


def _as_1d(values, field: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise StatsInputError(f"must be one-dimensional, got shape {arr.shape}", field=field)
    return arr


def validate_survival_data(
    durations,
    events,
    *,
    durations_field: str = "durations",
    events_field: str = "events",
    allow_empty: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert survival input; return ``(durations float64, events int8)``.

    Raises :class:`StatsInputError` naming the field (and first offending row) for: length
    mismatch, non-numeric values, NaN/inf, negative durations, events other than 0/1.
    """
    t = _as_1d(durations, durations_field)
    e = _as_1d(events, events_field)
    if len(t) != len(e):
        raise StatsInputError(
            f"length {len(e)} does not match {durations_field} length {len(t)}", field=events_field
        )
    if len(t) == 0 and not allow_empty:
        raise StatsInputError("no observations", field=durations_field)
    try:
        t = t.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must be numeric", field=durations_field) from exc
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise StatsInputError("missing or non-finite duration", field=durations_field, row=int(bad[0]))
    bad = np.flatnonzero(t < 0)
    if bad.size:
        raise StatsInputError(f"negative duration {t[bad[0]]:g}", field=durations_field, row=int(bad[0]))
    try:
        ef = e.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must be 0 (censored) or 1 (event)", field=events_field) from exc
    bad = np.flatnonzero(~np.isin(ef, (0.0, 1.0)))
    if bad.size:
        raise StatsInputError(
            f"must be 0 (censored) or 1 (event), got {e[bad[0]]!r}", field=events_field, row=int(bad[0])
        )
    return t, ef.astype(np.int8)


def _validate_groups(groups, n: int, field: str = "groups") -> np.ndarray:
    g = _as_1d(groups, field)
    if len(g) != n:
        raise StatsInputError(f"length {len(g)} does not match durations length {n}", field=field)
    missing = pd.isna(g)
    if missing.any():
        raise StatsInputError("missing group label", field=field, row=int(np.flatnonzero(missing)[0]))
    return g


def _check_conf(conf_type: str, alpha: float) -> None:
    if conf_type not in _CONF_TYPES:
        raise StatsInputError(f"must be one of {_CONF_TYPES}, got {conf_type!r}", field="conf_type")
    if not 0 < alpha < 1:
        raise StatsInputError(f"must be in (0, 1), got {alpha!r}", field="alpha")


# --------------------------------------------------------------------------------------------------
# Kaplan–Meier
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival time with its confidence interval (None where not reached)."""

    median: float | None
    lower: float | None
    upper: float | None
    conf_type: str
    confidence: float


@dataclass(frozen=True)
class SurvivalAt:
    """Survival probability at a chosen time, as ``summary(survfit, times=)``.

    ``estimable`` is False when ``time`` is beyond the last follow-up while the curve is still
    above zero; then ``survival`` and the limits are None.
    """

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    n_at_risk: int
    cumulative_events: int
    estimable: bool


@dataclass(frozen=True)
class AtRisk:
    """One column of a number-at-risk table: subjects with duration >= time."""

    time: float
    n_at_risk: int
    cumulative_events: int
    cumulative_censored: int


def _conf_limits(surv: np.ndarray, se_log: np.ndarray, conf_type: str, z: float):
    """Pointwise limits as survfit's ``conf.type``; ``se_log`` is the Greenwood SE of log S."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            lower = surv * np.exp(-z * se_log)
            upper = np.minimum(surv * np.exp(z * se_log), 1.0)
            undefined = surv <= 0
        elif conf_type == "log-log":
            log_s = np.log(surv)
            width = z * se_log / np.abs(log_s)
            lower = np.exp(log_s * np.exp(width))
            upper = np.exp(log_s * np.exp(-width))
            # R leaves log-log undefined at S = 1 and S = 0; at S = 1 we report [1, 1] instead of NA
            # because the curve is certain there (no events yet).
            one = surv >= 1
            lower = np.where(one, 1.0, lower)
            upper = np.where(one, 1.0, upper)
            undefined = surv <= 0
        else:  # plain
            se = se_log * surv
            lower = np.maximum(surv - z * se, 0.0)
            upper = np.minimum(surv + z * se, 1.0)
            undefined = ~np.isfinite(se)
    lower = np.where(undefined | ~np.isfinite(lower), np.nan, lower)
    upper = np.where(undefined | ~np.isfinite(upper), np.nan, upper)
    return lower, upper


def _r_quantile(times: np.ndarray, curve: np.ndarray, p: float) -> float | None:
    """First time ``curve <= p``; midpoint rule where the curve sits exactly at ``p`` (R)."""
    ok = ~np.isnan(curve)
    x, y = times[ok], curve[ok]
    hits = np.flatnonzero(y <= p + _R_TOL)
    if hits.size == 0:
        return None
    first = hits[0]
    if abs(y[first] - p) < _R_TOL:
        below = np.flatnonzero(y < p - _R_TOL)
        if below.size:
            return float((x[first] + x[below[0]]) / 2)
    return float(x[first])


class KaplanMeier:
    """Kaplan–Meier estimator matching ``survival::survfit`` (Greenwood SE, ``conf.type``).

    Parameters:
        conf_type: "log" (R default), "log-log" or "plain" pointwise intervals.
        alpha: 1 - confidence level (default 0.05 for 95 % intervals).

    After :meth:`fit`, the attributes are per distinct observed time (events and censorings,
    like R): ``timeline``, ``n_risk``, ``n_event``, ``n_censor``, ``survival``, ``std_err``
    (SE of log S, i.e. of the cumulative hazard, as R's ``std.err``), ``ci_lower``, ``ci_upper``;
    plus ``n``, ``n_events``, ``median`` (:class:`MedianSurvival`) and ``label``.
    """

    def __init__(self, conf_type: ConfType = "log", alpha: float = 0.05) -> None:
        _check_conf(conf_type, alpha)
        self.conf_type = conf_type
        self.alpha = alpha
        self._fitted = False

    def fit(self, durations, events, label: str | None = None) -> KaplanMeier:
        t, e = validate_survival_data(durations, events)
        self.label = label
        self._durations, self._events = t, e
        timeline, inverse = np.unique(t, return_inverse=True)
        n_event = np.bincount(inverse, weights=e, minlength=len(timeline)).astype(np.int64)
        n_leave = np.bincount(inverse, minlength=len(timeline)).astype(np.int64)
        n_risk = n_leave[::-1].cumsum()[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            surv = np.cumprod(1.0 - n_event / n_risk)
            greenwood = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        var_log = np.cumsum(greenwood)
        z = float(sps.norm.ppf(1 - self.alpha / 2))
        self.timeline = timeline
        self.n_risk = n_risk
        self.n_event = n_event
        self.n_censor = n_leave - n_event
        self.survival = surv
        self.std_err = np.sqrt(var_log)
        self.ci_lower, self.ci_upper = _conf_limits(surv, self.std_err, self.conf_type, z)
        self.n = int(len(t))
        self.n_events = int(e.sum())
        self._fitted = True
        self.median = self.quantile(0.5)
        return self

    def _require_fit(self) -> None:
        if not self._fitted:
            raise StatsInputError("call fit() first", field="KaplanMeier")

    def quantile(self, p: float = 0.5) -> MedianSurvival:
        """Time by which a proportion ``1 - p`` has had the event (p = 0.5: median), with CI.

        CI as R's ``quantile.survfit``: the limits are where the lower and the upper pointwise
        confidence curves cross ``p`` (Brookmeyer & Crowley 1982 style inversion).
        """
        self._require_fit()
        if not 0 < p < 1:
            raise StatsInputError(f"must be in (0, 1), got {p!r}", field="p")
        return MedianSurvival(
            median=_r_quantile(self.timeline, self.survival, p),
            lower=_r_quantile(self.timeline, self.ci_lower, p),
            upper=_r_quantile(self.timeline, self.ci_upper, p),
            conf_type=self.conf_type,
            confidence=1 - self.alpha,
        )

    def _index_at(self, times: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.timeline, times, side="right") - 1

    def survival_at(self, times: Sequence[float] = DEFAULT_TIMES_DAYS) -> tuple[SurvivalAt, ...]:
        """Survival (with CI) at each time; same convention as ``summary(fit, times=)``."""
        self._require_fit()
        tt = _validate_times(times)
        idx = self._index_at(tt)
        last_time = self.timeline[-1]
        out = []
        for time, i in zip(tt, idx, strict=True):
            n_at_risk = int(np.count_nonzero(self._durations >= time))
            cum_events = int(self._events[self._durations <= time].sum())
            if i < 0:
                s, lo, hi, ok = 1.0, 1.0, 1.0, True
            elif time > last_time and self.survival[-1] > 0:
                s, lo, hi, ok = None, None, None, False
            else:
                s, lo, hi, ok = float(self.survival[i]), self.ci_lower[i], self.ci_upper[i], True
                lo = None if np.isnan(lo) else float(lo)
                hi = None if np.isnan(hi) else float(hi)
            out.append(SurvivalAt(float(time), s, lo, hi, n_at_risk, cum_events, ok))
        return tuple(out)

    def at_risk(self, times: Sequence[float] = DEFAULT_TIMES_DAYS) -> tuple[AtRisk, ...]:
        """Number-at-risk table (subjects with duration >= t) with cumulative events/censorings."""
        self._require_fit()
        tt = _validate_times(times)
        order = np.sort(self._durations)
        ev_times = np.sort(self._durations[self._events == 1])
        cens_times = np.sort(self._durations[self._events == 0])
        n_risk = len(order) - np.searchsorted(order, tt, side="left")
        cum_ev = np.searchsorted(ev_times, tt, side="right")
        cum_cens = np.searchsorted(cens_times, tt, side="right")
        return tuple(
            AtRisk(float(a), int(b), int(c), int(d))
            for a, b, c, d in zip(tt, n_risk, cum_ev, cum_cens, strict=True)
        )

    def survival_function(self) -> pd.DataFrame:
        """Tabular form of the fitted curve (one row per distinct time)."""
        self._require_fit()
        return pd.DataFrame(
            {
                "time": self.timeline,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.ci_lower,
                "upper": self.ci_upper,
            }
        )


def _validate_times(times, field: str = "times") -> np.ndarray:
    tt = _as_1d(np.atleast_1d(np.asarray(times, dtype=float)), field)
    if tt.size == 0:
        raise StatsInputError("at least one time is required", field=field)
    bad = np.flatnonzero(~np.isfinite(tt) | (tt < 0))
    if bad.size:
        raise StatsInputError("times must be finite and non-negative", field=field, row=int(bad[0]))
    return tt


# --------------------------------------------------------------------------------------------------
# Log-rank test
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRankGroup:
    """Per-group row of ``survdiff`` output."""

    group: object
    n: int
    observed: float
    expected: float
    oe2_over_e: float
    oe2_over_v: float


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank test over two or more groups (``survdiff``, rho = 0)."""

    groups: tuple[LogRankGroup, ...]
    chisq: float
    df: int
    p_value: float
    variance: tuple[tuple[float, ...], ...]
    stratified: bool


def _logrank_components(t: np.ndarray, e: np.ndarray, gidx: np.ndarray, k: int):
    """Observed, expected and variance matrix for one stratum (vectorised over event times)."""
    times, tinv = np.unique(t, return_inverse=True)
    leave = np.zeros((len(times), k))
    np.add.at(leave, (tinv, gidx), 1.0)
    dead = np.zeros((len(times), k))
    np.add.at(dead, (tinv, gidx), e.astype(float))
    n_gt = leave[::-1].cumsum(axis=0)[::-1]
    d_t = dead.sum(axis=1)
    keep = d_t > 0
    n_gt, d_t, dead = n_gt[keep], d_t[keep], dead[keep]
    n_t = n_gt.sum(axis=1)
    frac = n_gt / n_t[:, None]
    expected = (d_t[:, None] * frac).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t - 1), 0.0)
    var = np.diag((c[:, None] * frac).sum(axis=0)) - (frac * c[:, None]).T @ frac
    return dead.sum(axis=0), expected, var


def logrank_test(durations, events, groups, strata=None) -> LogRankResult:
    """Log-rank test comparing survival across ``groups`` (≥ 2), optionally stratified.

    Matches ``survdiff(Surv(time, status) ~ group [+ strata(s)])``: groups are ordered by sorted
    label (as R factor levels); chi-square uses a generalised inverse of the variance matrix and
    df = its rank (k − 1 normally). ``oe2_over_e``/``oe2_over_v`` are the per-group columns that
    survdiff prints.
    """
    t, e = validate_survival_data(durations, events)
    g = _validate_groups(groups, len(t))
    labels, gidx = np.unique(g, return_inverse=True)
    k = len(labels)
    if k < 2:
        raise StatsInputError("need at least two distinct groups", field="groups")
    observed = np.zeros(k)
    expected = np.zeros(k)
    var = np.zeros((k, k))
    if strata is None:
        observed, expected, var = _logrank_components(t, e, gidx, k)
    else:
        s = _validate_groups(strata, len(t), field="strata")
        for level in np.unique(s):
            m = s == level
            o_s, e_s, v_s = _logrank_components(t[m], e[m], gidx[m], k)
            observed += o_s
            expected += e_s
            var += v_s
    diff = observed - expected
    df = int(np.linalg.matrix_rank(var, tol=1e-10 * max(1.0, float(np.abs(var).max()))))
    if df == 0:
        raise StatsInputError("no events in any comparable risk set; test undefined", field="events")
    chisq = float(diff @ np.linalg.pinv(var, rcond=1e-10) @ diff)
    counts = np.bincount(gidx, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = tuple(
            LogRankGroup(
                group=labels[i].item() if hasattr(labels[i], "item") else labels[i],
                n=int(counts[i]),
                observed=float(observed[i]),
                expected=float(expected[i]),
                oe2_over_e=float(diff[i] ** 2 / expected[i]) if expected[i] > 0 else math.nan,
                oe2_over_v=float(diff[i] ** 2 / var[i, i]) if var[i, i] > 0 else math.nan,
            )
            for i in range(k)
        )
    return LogRankResult(
        groups=rows,
        chisq=chisq,
        df=df,
        p_value=float(sps.chi2.sf(chisq, df)),
        variance=tuple(tuple(float(v) for v in row) for row in var),
        stratified=strata is not None,
    )


# --------------------------------------------------------------------------------------------------
# Harrell's C
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcordanceResult:
    """Harrell's C with the pair counts it is built from (R ``concordance()`` naming)."""

    c_index: float
    concordant: int
    discordant: int
    tied_score: int
    tied_time: int
    comparable_pairs: int
    direction: str


def harrell_c(
    durations, events, scores, direction: Literal["risk", "survival"] = "risk"
) -> ConcordanceResult:
    """Harrell's concordance index of a score against right-censored survival.

    ``direction="risk"``: a higher score predicts *shorter* survival (a Cox linear predictor or a
    prognostic risk-point total; R ``concordance(..., reverse=TRUE)``, the coxph convention).
    ``direction="survival"``: a higher score predicts longer survival (R's default ``reverse=FALSE``).

    Tie handling follows ``survival::concordance`` with ``timewt="n"`` (= Harrell's C):
    a pair is comparable when the shorter time is an event; an event and a censoring at the same
    time are comparable (the censored subject is still at risk, as in the Cox risk set); two events
    at the same time are not comparable (counted in ``tied_time``); comparable pairs with equal
    scores count one half: C = (concordant + tied_score / 2) / (concordant + discordant + tied_score).
    No standard error is given (R's infinitesimal-jackknife SE is not reproduced here).
    Runs in O(n log n) with a Fenwick tree over score ranks.
    """
    t, e = validate_survival_data(durations, events)
    x = _as_1d(scores, "scores")
    if len(x) != len(t):
        raise StatsInputError(f"length {len(x)} does not match durations length {len(t)}", field="scores")
    x = x.astype(float)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise StatsInputError("missing or non-finite score", field="scores", row=int(bad[0]))
    if direction not in ("risk", "survival"):
        raise StatsInputError("must be 'risk' or 'survival'", field="direction")
    if direction == "survival":
        x = -x
    ranks = np.unique(x, return_inverse=True)[1] + 1  # 1-based ranks; equal scores share a rank
    size = int(ranks.max())
    fast = _harrell_c_table(t, e, ranks, size, direction)
    if fast is not None:
        return fast
    tree = [0] * (size + 1)

    def add(i: int) -> None:
        while i <= size:
            tree[i] += 1
            i += i & -i

    def prefix(i: int) -> int:
        s = 0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return s

    order = np.lexsort((e, -t))  # descending time; within a time, censored (e = 0) first
    t_o, e_o, r_o = t[order], e[order], ranks[order].tolist()
    block_starts = np.flatnonzero(np.r_[True, t_o[1:] != t_o[:-1]]).tolist() + [len(t_o)]
    conc = disc = tied_x = tied_y = 0
    in_tree = 0
    for b in range(len(block_starts) - 1):
        lo, hi = block_starts[b], block_starts[b + 1]
        n_ev = int(e_o[lo:hi].sum())
        first_event = hi - n_ev
        for j in range(lo, first_event):  # censored at this time join the risk set first
            add(r_o[j])
            in_tree += 1
        for j in range(first_event, hi):
            r = r_o[j]
            below = prefix(r - 1)
            upto = prefix(r)
            conc += below
            tied_x += upto - below
            disc += in_tree - upto
        tied_y += n_ev * (n_ev - 1) // 2
        for j in range(first_event, hi):
            add(r_o[j])
            in_tree += 1
    comparable = conc + disc + tied_x
    c = (conc + tied_x / 2) / comparable if comparable else math.nan
    return ConcordanceResult(float(c), conc, disc, tied_x, tied_y, comparable, direction)


#: :func:`harrell_c` counts pairs from a table of (score, time) counts instead of a tree when that table
#: has at most this many cells (few distinct scores and times: prognostic point totals, a Cox predictor
#: of a few categorical covariates, survival in whole days).
_MAX_TABLE_CELLS = 4_000_000


def _harrell_c_table(t: np.ndarray, e: np.ndarray, ranks: np.ndarray, size: int, direction: str):
    """The same counts as the tree in :func:`harrell_c`, from cumulative (score × time) counts.

    In the order of :func:`harrell_c` (descending time, censored first within a time) an event is
    compared with every subject before the first event of its time block: the blocks of longer times and
    the censored of its own time. Splitting each block into a censored and an event segment, that set is
    "segment < own segment", so one cumulative count table over (score rank, segment) answers every event.
    Returns None when the table would exceed :data:`_MAX_TABLE_CELLS`.
    """
    order = np.lexsort((e, -t))
    t_o, e_o, r_o = t[order], e[order].astype(np.int64), ranks[order]
    new_block = np.r_[True, t_o[1:] != t_o[:-1]]
    block = np.cumsum(new_block) - 1
    n_seg = 2 * (int(block[-1]) + 1)
    if (size + 1) * (n_seg + 1) > _MAX_TABLE_CELLS:
        return None
    seg = 2 * block + e_o
    cells = np.bincount(r_o * (n_seg + 1) + seg + 1, minlength=(size + 1) * (n_seg + 1))
    before = np.cumsum(cells.reshape(size + 1, n_seg + 1), axis=1)  # [rank, s]: that rank, segment < s
    upto = np.cumsum(before, axis=0)  # [rank, s]: rank <= that rank, segment < s
    ev = np.flatnonzero(e_o)
    s_ev, r_ev = seg[ev], r_o[ev]
    below = upto[r_ev - 1, s_ev]
    equal = before[r_ev, s_ev]
    in_risk = upto[size, s_ev]
    conc = int(below.sum())
    tied_x = int(equal.sum())
    disc = int((in_risk - below - equal).sum())
    n_ev_block = np.bincount(block, weights=e_o).astype(np.int64)
    tied_y = int((n_ev_block * (n_ev_block - 1) // 2).sum())
    comparable = conc + disc + tied_x
    c = (conc + tied_x / 2) / comparable if comparable else math.nan
    return ConcordanceResult(float(c), conc, disc, tied_x, tied_y, comparable, direction)


# --------------------------------------------------------------------------------------------------
# Cox proportional hazards (lifelines wrapper)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoxCoefficient:
    """One row of ``summary(coxph)``: log hazard ratio, HR with CI, Wald z and p."""

    name: str
    coef: float
    se: float
    hazard_ratio: float
    hr_lower: float
    hr_upper: float
    z: float
    p_value: float


def fit_lifelines_cox(
    frame: pd.DataFrame, duration_col: str, event_col: str, reported: Sequence[str], *, alpha: float = 0.05,
    strata: str | None = None,
):
    """lifelines' ``CoxPHFitter`` fitted to ``frame`` (already validated), with the checks every Cox fit here
    needs: no events, a model that does not converge (e.g. collinear covariates) and a diverging coefficient
    among ``reported`` (separation: every event in one group) each raise :class:`StatsInputError` instead of
    a lifelines exception or a meaningless hazard ratio."""
    from lifelines import CoxPHFitter  # imported lazily: lifelines import is slow
    from lifelines.exceptions import ConvergenceError

    if frame[event_col].sum() == 0:
        raise StatsInputError("no events: Cox model not estimable", field=event_col)
    fitter = CoxPHFitter(alpha=alpha)
    try:
        fitter.fit(frame, duration_col=duration_col, event_col=event_col, strata=[strata] if strata else None)
    except ConvergenceError:
        # lifelines' own message points at its documentation; say what to look at instead.
        raise StatsInputError("the Cox model did not converge (a covariate collinear with another, the "
                              "treatment or the strata?)", field="covariates") from None
    summ = fitter.summary
    # Separation drives a coefficient towards infinity; lifelines stops with a large one and a huge SE.
    z_limit = float(sps.norm.ppf(1 - alpha / 2))
    for name in reported:
        coef, se = float(summ.loc[name, "coef"]), float(summ.loc[name, "se(coef)"])
        if not (abs(coef) < 20 and math.isfinite(se) and abs(coef) + z_limit * se < 700):
            raise StatsInputError(
                "the hazard ratio is not estimable (the model diverges, e.g. all events in one group)", field=name
            )
    return fitter


class CoxPH:
    """Cox proportional-hazards model (Efron ties, as R ``coxph`` default) via lifelines.

    After :meth:`fit`: ``coefficients`` (tuple of :class:`CoxCoefficient`), ``n``, ``n_events``,
    ``log_likelihood`` (partial), ``lr_chisq``/``lr_df``/``lr_p`` (likelihood-ratio test against
    the null model), ``concordance`` (:class:`ConcordanceResult` of the linear predictor, R tie
    rules) and ``confidence``.
    """

    def __init__(self, alpha: float = 0.05, ties: Literal["efron"] = "efron") -> None:
        if ties != "efron":
            raise StatsInputError("only 'efron' ties are supported (R coxph default)", field="ties")
        if not 0 < alpha < 1:
            raise StatsInputError(f"must be in (0, 1), got {alpha!r}", field="alpha")
        self.alpha = alpha
        self.ties = ties
        self._fitted = False

    def fit(self, data: pd.DataFrame, duration_col: str, event_col: str, covariates: Sequence[str]) -> CoxPH:
        if not isinstance(data, pd.DataFrame):
            raise StatsInputError("must be a pandas DataFrame", field="data")
        covariates = list(covariates)
        if not covariates:
            raise StatsInputError("at least one covariate is required", field="covariates")
        for col in [duration_col, event_col, *covariates]:
            if col not in data.columns:
                raise StatsInputError("column not found in data", field=col)
        if len(set(covariates)) != len(covariates) or {duration_col, event_col} & set(covariates):
            raise StatsInputError(
                "covariates must be distinct from each other and the outcome", field="covariates"
            )
        t, e = validate_survival_data(
            data[duration_col].to_numpy(),
            data[event_col].to_numpy(),
            durations_field=duration_col,
            events_field=event_col,
        )
        frame = pd.DataFrame({duration_col: t, event_col: e.astype(int)}, index=data.index)
        for col in covariates:
            try:
                values = pd.to_numeric(data[col], errors="raise").to_numpy(dtype=float)
            except (TypeError, ValueError) as exc:
                raise StatsInputError(
                    "covariate must be numeric (encode categories first)", field=col
                ) from exc
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise StatsInputError("missing or non-finite value", field=col, row=int(bad[0]))
            if np.ptp(values) == 0:
                raise StatsInputError("covariate is constant", field=col)
            frame[col] = values
        fitter = fit_lifelines_cox(frame, duration_col, event_col, covariates, alpha=self.alpha)
        summ = fitter.summary
        z_crit = float(sps.norm.ppf(1 - self.alpha / 2))
        rows = []
        for name in covariates:
            coef, se = float(summ.loc[name, "coef"]), float(summ.loc[name, "se(coef)"])
            rows.append(
                CoxCoefficient(
                    name=name,
                    coef=coef,
                    se=se,
                    hazard_ratio=math.exp(coef),
                    hr_lower=math.exp(coef - z_crit * se),
                    hr_upper=math.exp(coef + z_crit * se),
                    z=coef / se,
                    p_value=float(2 * sps.norm.sf(abs(coef / se))),
                )
            )
        lr = fitter.log_likelihood_ratio_test()
        self.coefficients = tuple(rows)
        self.n = int(len(frame))
        self.n_events = int(e.sum())
        self.log_likelihood = float(fitter.log_likelihood_)
        self.lr_chisq = float(lr.test_statistic)
        self.lr_df = int(lr.degrees_freedom)
        self.lr_p = float(lr.p_value)
        self.confidence = 1 - self.alpha
        lp = frame[covariates].to_numpy() @ np.array([r.coef for r in rows])
        self.concordance = harrell_c(t, e, lp, direction="risk")
        self._fitter = fitter
        self._fitted = True
        return self

    def coefficient(self, name: str) -> CoxCoefficient:
        """Return the row for covariate ``name``."""
        if not self._fitted:
            raise StatsInputError("call fit() first", field="CoxPH")
        for row in self.coefficients:
            if row.name == name:
                return row
        raise StatsInputError("not a covariate of this model", field=name)
