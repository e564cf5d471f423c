"""External validation of prognostic survival models (e.g. Chow NRF, TEACHH, Rades, Mizumoto).

Two views, as in the usual validation papers (Steyerberg, *Clinical Prediction Models*, 2019,
ch. 15-17; Royston & Altman, BMC Med Res Methodol 2013;13:33):

* **Calibration by risk group**: for each published risk group, the observed Kaplan–Meier median
  and survival at a chosen time (with CIs, R ``survfit`` conventions) next to the value the source
  paper published, plus the log-rank test across groups.
* **Discrimination**: Harrell's C of each score (R ``survival::concordance`` tie rules).

Durations and published values must use the same time unit; :data:`DAYS_PER_WEEK` and
:data:`~palliro.stats.survival.DAYS_PER_MONTH` help convert published weeks/months to days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from palliro.stats.errors import StatsInputError
from palliro.stats.survival import (
    DAYS_PER_MONTH,
    ConcordanceResult,
    ConfType,
    KaplanMeier,
    LogRankResult,
    MedianSurvival,
    SurvivalAt,
    harrell_c,
    logrank_test,
    validate_survival_data,
)

DAYS_PER_WEEK: float = 7.0

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_WEEK",
    "CalibrationRow",
    "CalibrationTable",
    "PublishedGroupValue",
    "ScoreConcordance",
    "calibration_table",
    "concordance_by_score",
]


@dataclass(frozen=True)
class PublishedGroupValue:
    """What the source publication reported for one risk group (in the durations' time unit).

    ``verified`` is False for values not checked against the primary text (reference tag [U] or
    [S]); ``unverified_reason`` then says why, and reports must show it.
    """

    median: float | None = None
    median_lower: float | None = None
    median_upper: float | None = None
    survival: float | None = None  # survival proportion at the table's ``time``
    source: str = ""
    verified: bool = False
    unverified_reason: str | None = "not checked against the primary publication"

    def __post_init__(self) -> None:
        if self.survival is not None and not 0 <= self.survival <= 1:
            raise StatsInputError(f"must be a proportion in [0, 1], got {self.survival!r}", field="survival")
        for name in ("median", "median_lower", "median_upper"):
            v = getattr(self, name)
            if v is not None and not v >= 0:
                raise StatsInputError(f"must be non-negative, got {v!r}", field=name)
        if self.verified and self.unverified_reason is not None:
            object.__setattr__(self, "unverified_reason", None)


@dataclass(frozen=True)
class CalibrationRow:
    """Observed versus published survival for one risk group."""

    group: object
    n: int
    events: int
    median: MedianSurvival | None
    survival_at_time: SurvivalAt | None
    published: PublishedGroupValue | None
    published_median_in_ci: bool | None
    published_survival_in_ci: bool | None


@dataclass(frozen=True)
class CalibrationTable:
    """Calibration table over risk groups with the log-rank test across groups (if ≥ 2 with data)."""

    time: float
    conf_type: str
    rows: tuple[CalibrationRow, ...]
    logrank: LogRankResult | None


def _in_ci(value: float | None, lower: float | None, upper: float | None) -> bool | None:
    """Whether a published value lies inside the observed CI; None when undecidable.

    A missing upper limit (curve's CI never crosses 0.5) is treated as +inf, which is what it means.
    """
    if value is None or lower is None:
        return None
    return lower <= value <= (upper if upper is not None else float("inf"))


def calibration_table(
    durations,
    events,
    risk_groups,
    time: float,
    published: Mapping[object, PublishedGroupValue] | None = None,
    group_order: Sequence | None = None,
    conf_type: ConfType = "log",
    alpha: float = 0.05,
) -> CalibrationTable:
    """Observed KM median and survival at ``time`` per risk group, beside published values.

    Groups are listed in ``group_order`` if given, else in the order of ``published`` if given,
    else sorted. A group listed there but absent from the data appears with n = 0 (the cohort has
    no such patients); a group in the data but not listed raises, so no patients vanish silently.
    """
    t, e = validate_survival_data(durations, events)
    g = np.asarray(risk_groups, dtype=object)
    if g.ndim != 1 or len(g) != len(t):
        raise StatsInputError(f"must be one-dimensional with length {len(t)}", field="risk_groups")
    missing = pd.isna(g)
    if missing.any():
        raise StatsInputError("missing risk group", field="risk_groups", row=int(np.flatnonzero(missing)[0]))
    if isinstance(time, bool) or not isinstance(time, int | float | np.number) or not time >= 0:
        raise StatsInputError(f"must be a non-negative number, got {time!r}", field="time")
    present = list(dict.fromkeys(g.tolist()))
    if group_order is not None:
        order = list(group_order)
    elif published is not None:
        order = list(published.keys())
    else:
        order = sorted(present, key=str)
    unlisted = [x for x in present if x not in order]
    if unlisted:
        raise StatsInputError(f"risk group(s) {unlisted!r} not in the group list", field="risk_groups")
    rows = []
    for label in order:
        mask = g == label
        pub = published.get(label) if published is not None else None
        n = int(mask.sum())
        if n == 0:
            rows.append(CalibrationRow(label, 0, 0, None, None, pub, None, None))
            continue
        km = KaplanMeier(conf_type=conf_type, alpha=alpha).fit(t[mask], e[mask], label=str(label))
        at = km.survival_at([float(time)])[0]
        med_in = _in_ci(pub.median, km.median.lower, km.median.upper) if pub else None
        surv_in = _in_ci(pub.survival, at.lower, at.upper) if pub else None
        rows.append(CalibrationRow(label, n, km.n_events, km.median, at, pub, med_in, surv_in))
    groups_with_data = [r.group for r in rows if r.n > 0]
    lr = None
    if len(groups_with_data) >= 2 and e.sum() > 0:
        codes = np.array([groups_with_data.index(x) for x in g.tolist()])
        raw = logrank_test(t, e, codes)
        # codes sort in group order; put the labels back on the per-group rows
        lr = replace(raw, groups=tuple(replace(r, group=groups_with_data[int(r.group)]) for r in raw.groups))
    return CalibrationTable(float(time), conf_type, tuple(rows), lr)


@dataclass(frozen=True)
class ScoreConcordance:
    """Harrell's C for one prognostic score; ``n_dropped`` patients lacked the score."""

    name: str
    n: int
    n_dropped: int
    result: ConcordanceResult


def concordance_by_score(
    durations,
    events,
    scores: Mapping[str, object],
    direction: Literal["risk", "survival"] | Mapping[str, Literal["risk", "survival"]] = "risk",
    missing: Literal["error", "drop"] = "error",
) -> tuple[ScoreConcordance, ...]:
    """Harrell's C of each named score against the same survival data.

    ``direction``: "risk" (higher score = worse prognosis, e.g. number of risk factors, TEACHH
    points) or "survival" (higher = better, e.g. Rades points, which are 6-month survival / 10);
    one value for all scores or a mapping per score. ``missing="drop"`` evaluates each score on the
    patients who have it and reports how many were dropped; the default rejects missing scores.
    """
    t, e = validate_survival_data(durations, events)
    if not scores:
        raise StatsInputError("at least one score is required", field="scores")
    if missing not in ("error", "drop"):
        raise StatsInputError("must be 'error' or 'drop'", field="missing")
    out = []
    for name, values in scores.items():
        d = direction.get(name) if isinstance(direction, Mapping) else direction
        if d not in ("risk", "survival"):
            raise StatsInputError(
                f"direction for score {name!r} must be 'risk' or 'survival'", field="direction"
            )
        try:
            x = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise StatsInputError("must be numeric", field=f"scores[{name!r}]") from exc
        if x.ndim != 1 or len(x) != len(t):
            raise StatsInputError(f"must have length {len(t)} (as durations)", field=f"scores[{name!r}]")
        keep = np.isfinite(x)
        if not keep.all() and missing == "error":
            raise StatsInputError(
                "missing score (use missing='drop' to evaluate on patients with a score)",
                field=f"scores[{name!r}]",
                row=int(np.flatnonzero(~keep)[0]),
            )
        if keep.sum() < 2:
            raise StatsInputError("fewer than 2 patients with this score", field=f"scores[{name!r}]")
        res = harrell_c(t[keep], e[keep], x[keep], direction=d)
        out.append(ScoreConcordance(str(name), int(keep.sum()), int((~keep).sum()), res))
    return tuple(out)
