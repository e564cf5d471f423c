"""Proportions: confidence intervals, rates by subgroup, chi-square and Fisher tests, mortality.

Sources:

* Wilson score interval without continuity correction (Wilson 1927; Newcombe 1998, method 3).
* Exact Clopper–Pearson interval from beta quantiles (Clopper & Pearson 1934; Newcombe 1998,
  method 5).
* Pearson chi-square test of independence with optional Yates correction for 2×2 tables, and the
  Cochran (1954) expected-count rule for the warning: any expected count < 1 or more than 20 % of
  cells with expected count < 5.
* Fisher's exact test: 2×2 exact (conditional hypergeometric) with the conditional maximum
  likelihood odds ratio and its exact CI, as R ``fisher.test``; r×c via SciPy's Monte Carlo
  version with a fixed seed (R uses an exact network algorithm; see :func:`fisher_exact_test`).

All functions return frozen dataclasses; bad input raises :class:`StatsInputError` naming the field.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.stats.contingency import odds_ratio as _scipy_odds_ratio

from palliro.stats.errors import StatsInputError
from palliro.stats.survival import validate_survival_data

CIMethod = Literal["wilson", "clopper-pearson"]
_CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson")


class SmallExpectedCountWarning(UserWarning):
    """Chi-square approximation is doubtful (Cochran's rule violated)."""


@dataclass(frozen=True)
class ProportionCI:
    """A proportion with its two-sided confidence interval."""

    successes: int
    n: int
    proportion: float
    lower: float
    upper: float
    method: str
    confidence: float


def _check_confidence(confidence: float) -> float:
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise StatsInputError(f"must be in (0, 1), got {confidence!r}", field="confidence")
    return float(confidence)


def _check_count(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return int(value)
        raise StatsInputError(f"must be a whole number, got {value!r}", field=field)
    return int(value)


def _check_x_n(successes, n) -> tuple[int, int]:
    x = _check_count(successes, "successes")
    m = _check_count(n, "n")
    if m <= 0:
        raise StatsInputError(f"must be positive, got {m}", field="n")
    if not 0 <= x <= m:
        raise StatsInputError(f"must be between 0 and n = {m}, got {x}", field="successes")
    return x, m


def wilson_ci(successes: int, n: int, confidence: float = 0.95) -> ProportionCI:
    """Wilson score interval (no continuity correction), Newcombe (1998) method 3."""
    x, m = _check_x_n(successes, n)
    conf = _check_confidence(confidence)
    z = float(sps.norm.ppf(1 - (1 - conf) / 2))
    p = x / m
    denom = 1 + z * z / m
    centre = (p + z * z / (2 * m)) / denom
    half = z * math.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
    # Exact bounds at the extremes avoid -1e-17 style rounding noise.
    lower = 0.0 if x == 0 else max(0.0, centre - half)
    upper = 1.0 if x == m else min(1.0, centre + half)
    return ProportionCI(x, m, p, lower, upper, "wilson", conf)


def clopper_pearson_ci(successes: int, n: int, confidence: float = 0.95) -> ProportionCI:
    """Exact Clopper–Pearson interval from beta quantiles, Newcombe (1998) method 5."""
    x, m = _check_x_n(successes, n)
    conf = _check_confidence(confidence)
    a = 1 - conf
    lower = 0.0 if x == 0 else float(sps.beta.ppf(a / 2, x, m - x + 1))
    upper = 1.0 if x == m else float(sps.beta.ppf(1 - a / 2, x + 1, m - x))
    return ProportionCI(x, m, x / m, lower, upper, "clopper-pearson", conf)


def proportion_ci(
    successes: int, n: int, method: CIMethod = "wilson", confidence: float = 0.95
) -> ProportionCI:
    """Dispatch to :func:`wilson_ci` (default) or :func:`clopper_pearson_ci`."""
    if method == "wilson":
        return wilson_ci(successes, n, confidence)
    if method == "clopper-pearson":
        return clopper_pearson_ci(successes, n, confidence)
    raise StatsInputError(f"must be one of {_CI_METHODS}, got {method!r}", field="method")


# --------------------------------------------------------------------------------------------------
# Rates by subgroup
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRate:
    """Event rate in one subgroup."""

    group: object
    n: int
    events: int
    proportion: float
    lower: float
    upper: float
    method: str
    confidence: float


def _binary(values, field: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise StatsInputError(f"must be one-dimensional, got shape {arr.shape}", field=field)
    try:
        f = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must be 0/1", field=field) from exc
    bad = np.flatnonzero(~np.isin(f, (0.0, 1.0)))
    if bad.size:
        raise StatsInputError(f"must be 0 or 1, got {arr[bad[0]]!r}", field=field, row=int(bad[0]))
    return f.astype(np.int64)


def rates_by_group(
    groups, outcomes, method: CIMethod = "wilson", confidence: float = 0.95
) -> tuple[GroupRate, ...]:
    """Event rate with CI per subgroup, groups in sorted order.

    ``outcomes`` are 0/1 per patient; missing outcomes are rejected rather than dropped, so the
    caller decides (and reports) how missing data are handled.
    """
    y = _binary(outcomes, "outcomes")
    g = np.asarray(groups)
    if g.ndim != 1 or len(g) != len(y):
        raise StatsInputError(f"length {len(g)} does not match outcomes length {len(y)}", field="groups")
    if len(y) == 0:
        raise StatsInputError("no observations", field="outcomes")
    missing = pd.isna(g)
    if missing.any():
        raise StatsInputError("missing group label", field="groups", row=int(np.flatnonzero(missing)[0]))
    labels, idx = np.unique(g, return_inverse=True)
    n = np.bincount(idx)
    ev = np.bincount(idx, weights=y).astype(np.int64)
    rows = []
    for label, ni, ei in zip(labels, n, ev, strict=True):
        ci = proportion_ci(int(ei), int(ni), method, confidence)
        rows.append(
            GroupRate(
                label.item() if hasattr(label, "item") else label,
                int(ni),
                int(ei),
                ci.proportion,
                ci.lower,
                ci.upper,
                ci.method,
                ci.confidence,
            )
        )
    return tuple(rows)


# --------------------------------------------------------------------------------------------------
# Contingency-table tests
# --------------------------------------------------------------------------------------------------


def _table(table) -> np.ndarray:
    arr = np.asarray(table)
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise StatsInputError(
            f"must be a 2-D table with at least 2 rows and 2 columns, got {arr.shape}", field="table"
        )
    try:
        f = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must contain counts", field="table") from exc
    if not np.all(np.isfinite(f)) or np.any(f < 0) or np.any(f != np.round(f)):
        raise StatsInputError("must contain non-negative whole counts", field="table")
    if np.any(f.sum(axis=1) == 0) or np.any(f.sum(axis=0) == 0):
        raise StatsInputError("a row or column total is zero; the test is undefined", field="table")
    return f.astype(np.int64)


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test of independence."""

    statistic: float
    df: int
    p_value: float
    expected: tuple[tuple[float, ...], ...]
    min_expected: float
    cells_expected_below_5: int
    yates: bool
    warning: str | None


def chi_square_test(table, yates: bool = False) -> ChiSquareResult:
    """Pearson chi-square test on an r×c table of counts.

    ``yates``: apply Yates' continuity correction (only affects 2×2 tables). Default False, i.e.
    the uncorrected Pearson statistic; note that R's ``chisq.test`` defaults to ``correct=TRUE``.
    When Cochran's rule is violated a :class:`SmallExpectedCountWarning` is issued and the message
    is also stored in ``warning`` (consider :func:`fisher_exact_test`).
    """
    t = _table(table)
    stat, p, df, expected = sps.chi2_contingency(t, correction=bool(yates))
    below5 = int(np.count_nonzero(expected < 5))
    min_e = float(expected.min())
    message = None
    if min_e < 1 or below5 > 0.2 * expected.size:
        message = (
            f"chi-square approximation may be inaccurate: minimum expected count {min_e:.2f}, "
            f"{below5} of {expected.size} cells below 5 (Cochran's rule)"
        )
        warnings.warn(message, SmallExpectedCountWarning, stacklevel=2)
    return ChiSquareResult(
        statistic=float(stat),
        df=int(df),
        p_value=float(p),
        expected=tuple(tuple(float(v) for v in row) for row in expected),
        min_expected=min_e,
        cells_expected_below_5=below5,
        yates=bool(yates) and t.shape == (2, 2),
        warning=message,
    )


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test. Odds-ratio fields are set only for 2×2 tables."""

    p_value: float
    alternative: str
    exact: bool
    method: str
    odds_ratio: float | None
    or_lower: float | None
    or_upper: float | None
    n_resamples: int | None


_FISHER_RESAMPLES = 99_999
_FISHER_SEED = 20_260_101


def fisher_exact_test(
    table, alternative: Literal["two-sided", "less", "greater"] = "two-sided", confidence: float = 0.95
) -> FisherResult:
    """Fisher's exact test.

    2×2: exact p (as R ``fisher.test``) with the *conditional* MLE odds ratio and exact CI (R
    reports the same; SciPy's default statistic is the unconditional sample odds ratio).
    r×c: SciPy's Monte Carlo p-value over tables with the observed margins, 99 999 resamples and a
    fixed seed so the result is reproducible; ``exact`` is False and the Monte Carlo standard error
    is about sqrt(p(1−p)/99 999) (≤ 0.0016). R uses an exact network algorithm for r×c.
    """
    t = _table(table)
    if alternative not in ("two-sided", "less", "greater"):
        raise StatsInputError("must be 'two-sided', 'less' or 'greater'", field="alternative")
    conf = _check_confidence(confidence)
    if t.shape == (2, 2):
        p = float(sps.fisher_exact(t, alternative=alternative).pvalue)
        res = _scipy_odds_ratio(t, kind="conditional")
        ci = res.confidence_interval(confidence_level=conf, alternative=alternative)
        return FisherResult(
            p, alternative, True, "exact 2x2", float(res.statistic), float(ci.low), float(ci.high), None
        )
    if alternative != "two-sided":
        raise StatsInputError("one-sided alternatives exist only for 2x2 tables", field="alternative")
    method = sps.MonteCarloMethod(n_resamples=_FISHER_RESAMPLES, rng=np.random.default_rng(_FISHER_SEED))
    p = float(sps.fisher_exact(t, method=method).pvalue)
    return FisherResult(p, alternative, False, "monte-carlo r x c", None, None, None, _FISHER_RESAMPLES)


# --------------------------------------------------------------------------------------------------
# Mortality within a horizon
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MortalityWithin:
    """Crude mortality within ``horizon`` days among patients with complete follow-up to it."""

    horizon: float
    n_total: int
    n_excluded_censored_before_horizon: int
    n_denominator: int
    deaths: int
    proportion: float | None
    lower: float | None
    upper: float | None
    method: str
    confidence: float


def mortality_within(
    days_to_death_or_censor,
    died,
    horizon: float = 30,
    method: CIMethod = "wilson",
    confidence: float = 0.95,
) -> MortalityWithin:
    """Proportion dying within ``horizon`` days (e.g. 30-day mortality after palliative RT).

    Numerator: deaths at day ≤ ``horizon``. Denominator: all patients except those censored
    (alive at last contact) *before* the horizon, whose status at the horizon is unknown; their
    number is reported. A patient censored exactly at the horizon counts as a survivor. This
    complete-case definition is what crude "30-day mortality" tables report; with heavy early
    censoring prefer 1 − KM survival at the horizon (:class:`~palliro.stats.survival.KaplanMeier`).
    """
    t, e = validate_survival_data(
        days_to_death_or_censor, died, durations_field="days_to_death_or_censor", events_field="died"
    )
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | float | np.number)
        or not math.isfinite(horizon)
        or horizon <= 0
    ):
        raise StatsInputError(f"must be a positive number of days, got {horizon!r}", field="horizon")
    excluded = (e == 0) & (t < horizon)
    deaths = int(np.count_nonzero((e == 1) & (t <= horizon)))
    denom = int(len(t) - np.count_nonzero(excluded))
    conf = _check_confidence(confidence)
    if denom == 0:
        return MortalityWithin(
            float(horizon), len(t), int(excluded.sum()), 0, 0, None, None, None, method, conf
        )
    ci = proportion_ci(deaths, denom, method, conf)
    return MortalityWithin(
        float(horizon),
        len(t),
        int(excluded.sum()),
        denom,
        deaths,
        ci.proportion,
        ci.lower,
        ci.upper,
        ci.method,
        conf,
    )
