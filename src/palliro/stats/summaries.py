"""Descriptive summaries for longitudinal scores (e.g. quality-of-life trajectories).

Mean with a t-based confidence interval, mean ± t(1−α/2; n−1)·s/√n (Student 1908), per group and
time point. Missing scores (NaN/None) are excluded and counted in ``n_missing`` so the report
always shows how much data each point rests on; missing group or time labels are rejected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from palliro.stats.errors import StatsInputError


@dataclass(frozen=True)
class MeanCI:
    """Mean with t-based CI. With n < 2 the CI is None and ``ci_unavailable_reason`` says why."""

    group: object
    time: object
    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    lower: float | None
    upper: float | None
    confidence: float
    ci_unavailable_reason: str | None


def _check_confidence(confidence: float) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise StatsInputError(f"must be in (0, 1), got {confidence!r}", field="confidence")
    return float(confidence)


def _numeric_with_missing(values, field: str) -> np.ndarray:
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise StatsInputError(f"must be one-dimensional, got shape {raw.shape}", field=field)
    if raw.dtype.kind in "fiu":  # fast path for numeric arrays: NaN means missing
        out = raw.astype(float)
        bad = np.flatnonzero(np.isinf(out))
        if bad.size:
            raise StatsInputError("infinite value", field=field, row=int(bad[0]))
        return out
    arr = np.asarray(values, dtype=object)  # keep the original element types for messages
    out = np.empty(len(arr))
    for i, v in enumerate(arr.tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out[i] = np.nan
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            raise StatsInputError(f"must be numeric, got {v!r}", field=field, row=i)
        if not math.isfinite(float(v)):
            raise StatsInputError("infinite value", field=field, row=i)
        out[i] = float(v)
    return out


def _summarise(x: np.ndarray, group, time, conf: float) -> MeanCI:
    present = x[~np.isnan(x)]
    n, n_missing = int(present.size), int(x.size - present.size)
    if n == 0:
        return MeanCI(group, time, 0, n_missing, None, None, None, None, conf, "no non-missing values")
    mean = float(present.mean())
    if n == 1:
        return _cell(group, time, 1, n_missing, mean, None, None, conf)
    return _cell(group, time, n, n_missing, mean, float(present.std(ddof=1)),
                 float(sps.t.ppf(1 - (1 - conf) / 2, n - 1)), conf)


def _cell(group, time, n: int, n_missing: int, mean: float, sd, quantile, conf: float) -> MeanCI:
    """One row: mean ± t quantile × SD/√n, or no SD and CI for a single value (n = 1: sd and quantile None)."""
    if n == 1:
        return MeanCI(group, time, 1, n_missing, mean, None, None, None, conf, "n = 1: SD and CI undefined")
    half = quantile * sd / math.sqrt(n)
    return MeanCI(group, time, n, n_missing, mean, sd, mean - half, mean + half, conf, None)


def mean_ci(values, confidence: float = 0.95) -> MeanCI:
    """Mean with t-based CI of one sample (group and time None)."""
    return _summarise(_numeric_with_missing(values, "values"), None, None, _check_confidence(confidence))


def _labels(values, n: int, field: str) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or len(arr) != n:
        raise StatsInputError(f"must be one-dimensional with length {n} (as values)", field=field)
    missing = pd.isna(arr)
    if missing.any():
        raise StatsInputError("missing label", field=field, row=int(np.flatnonzero(missing)[0]))
    return arr


def natural_key(label) -> tuple:
    """Sort key for labels with numbers in them: "week 2" before "week 12" (text parts compare as text,
    digit runs as numbers)."""
    parts = re.split(r"(\d+)", str(label))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def _sort_key(v):
    # Numeric time points sort numerically, labels naturally ("week 2" before "week 12"); mixed types by text.
    return (
        (0, float(v), ())
        if isinstance(v, int | float | np.number) and not isinstance(v, bool)
        else (1, 0.0, natural_key(v))
    )


def mean_ci_by_group(values, groups, times, confidence: float = 0.95) -> tuple[MeanCI, ...]:
    """Mean with t-based CI for every (group, time point) present in the data.

    Rows are ordered by group then time point (numeric times numerically).
    """
    x = _numeric_with_missing(values, "values")
    g = _labels(groups, len(x), "groups")
    t = _labels(times, len(x), "times")
    if len(x) == 0:
        raise StatsInputError("no observations", field="values")
    conf = _check_confidence(confidence)
    cells: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(g.tolist(), t.tolist(), strict=True)):
        cells.setdefault(key, []).append(i)
    keys = sorted(cells, key=lambda k: (_sort_key(k[0]), _sort_key(k[1])))
    return tuple(_summarise(x[cells[k]], k[0], k[1], conf) for k in keys)


def pool_moments(keys: np.ndarray, counts, means, m2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pool cells (count, mean, sum of squared deviations M2) that share an integer key (0..k−1).

    Chan, Golub & LeVeque (1979): pooled M2 = ΣM2ᵢ + Σnᵢ(meanᵢ − mean)², with the pooled mean Σnᵢmeanᵢ/Σnᵢ;
    a two-pass formula, so no cancellation when the spread is small against the values.
    Returns (key, count, mean, M2) per key present.
    """
    keys = np.asarray(keys, dtype=np.int64)
    n = np.asarray(counts, dtype=float)
    mean_i = np.asarray(means, dtype=float)
    k = int(keys.max()) + 1 if len(keys) else 0
    total_n = np.bincount(keys, weights=n, minlength=k)
    present = np.flatnonzero(total_n > 0)
    mean = np.bincount(keys, weights=n * mean_i, minlength=k)[present] / total_n[present]
    where = np.full(k, -1)
    where[present] = np.arange(len(present))
    spread = n * (mean_i - mean[where[keys]]) ** 2
    pooled = np.bincount(keys, weights=np.asarray(m2, dtype=float) + spread, minlength=k)[present]
    return present, total_n[present].astype(np.int64), mean, pooled


def mean_ci_from_moments(groups, times, counts, means, m2, confidence: float = 0.95) -> tuple[MeanCI, ...]:
    """:func:`mean_ci_by_group` from per-cell moments: count, mean and M2 = Σ(x − mean)².

    For data summarised elsewhere (e.g. summed by the database, pooled by :func:`pool_moments`): one entry
    per (group, time point) cell, each with count ≥ 1 and no missing values. SD = √(M2/(n−1)); it agrees
    with the SD computed from the values to rounding error, not bit for bit. Rows are ordered as there.
    """
    n = np.asarray(counts, dtype=np.int64)
    mean = np.asarray(means, dtype=float)
    dev = np.asarray(m2, dtype=float)
    g = _labels(groups, len(n), "groups")
    t = _labels(times, len(n), "times")
    if len(n) == 0:
        raise StatsInputError("no observations", field="values")
    if not (len(mean) == len(dev) == len(n)):
        raise StatsInputError(f"must have length {len(n)} (as counts)", field="means")
    if (n < 1).any():
        raise StatsInputError("every cell needs at least one value", field="counts", row=int(np.flatnonzero(n < 1)[0]))
    bad = np.flatnonzero(~np.isfinite(mean) | ~np.isfinite(dev) | (dev < 0))
    if bad.size:
        raise StatsInputError("missing, infinite or negative moment", field="means", row=int(bad[0]))
    conf = _check_confidence(confidence)
    keys = list(zip(g.tolist(), t.tolist(), strict=True))
    if len(set(keys)) != len(keys):
        raise StatsInputError("each (group, time point) cell must appear once", field="groups")
    many = n > 1
    sd = np.zeros(len(n))
    sd[many] = np.sqrt(dev[many] / (n[many] - 1))
    quantile = np.full(len(n), np.nan)
    quantile[many] = sps.t.ppf(1 - (1 - conf) / 2, n[many] - 1)  # one vectorised call for every cell
    order = sorted(range(len(keys)), key=lambda i: (_sort_key(keys[i][0]), _sort_key(keys[i][1])))
    return tuple(
        _cell(*keys[i], int(n[i]), 0, float(mean[i]), float(sd[i]), float(quantile[i]), conf) for i in order
    )
