"""Bone-metastasis pain endpoints: International Consensus (ICE) response, pain flare, response timing.

Sources (reference ``clinical.md`` §1):

- ICE: Chow E et al., *Radiother Oncol* 2002;64:275-280 and the 2012 update, Chow E, Hoskin P,
  Mitera G et al., *IJROBP* 2012;82:1730-1737 (doi:10.1016/j.ijrobp.2011.02.008).
- Pain flare: Chow E et al., *Radiother Oncol* 2005;75:64-69; Hird A et al., *IJROBP* 2009;75:193-197
  (worst pain, return to baseline within 10 days after RT); variants requiring >= 2 consecutive days:
  Loblaw 2007 (*Support Care Cancer* 15:451) and Tanaka 2016.

Unverified [U] parts, exposed as parameters with the literal reading as default:

- The ICE category wording is the widely quoted 2012 text; the verbatim paper was not checked, and
  the 2025 second update (Oldenburger et al., ESTRO 2025) was not read.
- :class:`ICEParameters` (a)-(e): what "stable OMED" means, what counts as an analgesic increase,
  pain +2 together with OMED +25 %, percentage change from a zero baseline OMED, and pain decrease
  together with OMED +25 %.
- Missing pain or OMED gives ``NOT_EVALUABLE`` (not IR): a design decision, not a published rule.
- Flare: the handling of a zero baseline OMED (any opioid start counts as a >= 25 % increase) and of
  missing diary days (they break runs and cannot confirm a return) are implementation choices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from palliro.core.errors import PalliroValueError, require_bool, require_int, require_number, require_positive

__all__ = [
    "DiaryEntry",
    "FlareParameters",
    "FlareResult",
    "ICEParameters",
    "PainResponse",
    "ResponseCategory",
    "ResponseCourse",
    "classify_response",
    "classify_series",
    "detect_flare",
    "response_course",
]

_EPS = 1e-9
PAIN_CHANGE = 2.0  # points on the 0-10 scale (ICE 2012)
OMED_CHANGE = 0.25  # relative change in daily OMED (ICE 2012)

SRC_ICE = "Chow E et al., Radiother Oncol 2002;64:275; Chow E, Hoskin P, Mitera G et al., IJROBP 2012;82:1730"
SRC_FLARE = "Chow E et al., Radiother Oncol 2005;75:64; Hird A et al., IJROBP 2009;75:193"
UNVERIFIED_ICE = (
    "ice_wording: ICE 2012 definitions as widely quoted; verbatim text and 2025 update not checked [U]"
)
UNVERIFIED_MISSING = (
    "not_evaluable_rule: missing pain/OMED -> not evaluable is a design decision, not published"
)
UNVERIFIED_ZERO = (
    "zero_baseline_omed: percentage change from a baseline OMED of 0 is an implementation choice [U]"
)


class ResponseCategory(StrEnum):
    """ICE pain response category, plus ``NOT_EVALUABLE`` for missing data."""

    CR = "CR"
    PR = "PR"
    PP = "PP"
    IR = "IR"
    NOT_EVALUABLE = "NOT_EVALUABLE"


@dataclass(frozen=True)
class ICEParameters:
    """Choices the ICE wording leaves open (reference §1.2 ambiguities (a)-(e)); defaults are literal.

    Attributes:
        omed_stable_tolerance: (a) OMED counts as "stable" when ``|o_t - o_0| <= tolerance * o_0``;
            ``0.0`` (literal) means equality.
        analgesic_increase: (b) what blocks CR/PR as an "analgesic increase": ``"any"`` (literal; any
            increase beyond the stable tolerance) or ``"ge25pct"`` (only an increase of >= 25 %).
        pain_and_omed_increase: (c) pain >= +2 together with OMED >= +25 %: ``"IR"`` (literal) or ``"PP"``.
        zero_baseline_omed: (d) baseline OMED 0 and follow-up OMED > 0: ``"infinite"`` (treat as an
            infinite increase) or ``"not_evaluable"``.  Both 0 is always "no change".
        pain_decrease_with_omed_increase: (e) pain decreased with OMED >= +25 %: ``"IR"`` (literal) or
            ``"PP"``.
    """

    omed_stable_tolerance: float = 0.0
    analgesic_increase: Literal["any", "ge25pct"] = "any"
    pain_and_omed_increase: Literal["IR", "PP"] = "IR"
    zero_baseline_omed: Literal["infinite", "not_evaluable"] = "infinite"
    pain_decrease_with_omed_increase: Literal["IR", "PP"] = "IR"

    def __post_init__(self) -> None:
        tol = require_number(self.omed_stable_tolerance, "omed_stable_tolerance")
        if not 0.0 <= tol < OMED_CHANGE:
            raise PalliroValueError("must be >= 0 and below 0.25", field="omed_stable_tolerance")
        options = {
            "analgesic_increase": ("any", "ge25pct"),
            "pain_and_omed_increase": ("IR", "PP"),
            "zero_baseline_omed": ("infinite", "not_evaluable"),
            "pain_decrease_with_omed_increase": ("IR", "PP"),
        }
        for name, allowed in options.items():
            if getattr(self, name) not in allowed:
                raise PalliroValueError(
                    f"must be one of {', '.join(allowed)}; got {getattr(self, name)!r}", field=name
                )


@dataclass(frozen=True)
class PainResponse:
    """Result of :func:`classify_response`.

    Attributes:
        category: one of the five :class:`ResponseCategory` values.
        reason: the rule that decided the category, or why it is not evaluable.
        pain_change: ``p_t - p_0`` (None if not evaluable for missing pain).
        omed_change: relative OMED change ``(o_t - o_0)/o_0`` (``inf`` from a zero baseline).
    """

    category: ResponseCategory
    reason: str
    pain_change: float | None
    omed_change: float | None
    params: ICEParameters
    unverified: tuple[str, ...]

    @property
    def responder(self) -> bool:
        """Overall response = CR or PR."""
        return self.category in (ResponseCategory.CR, ResponseCategory.PR)

    @property
    def evaluable(self) -> bool:
        return self.category is not ResponseCategory.NOT_EVALUABLE


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pain(value: object, name: str) -> float:
    result = require_number(value, name)
    if not 0.0 <= result <= 10.0:
        raise PalliroValueError(f"must be between 0 and 10, got {value!r}", field=name)
    return result


def _omed(value: object, name: str) -> float:
    result = require_number(value, name)
    if result < 0:
        raise PalliroValueError(f"must be >= 0 mg/day, got {value!r}", field=name)
    return result


def classify_response(
    p0: float | None,
    o0: float | None,
    pt: float | None,
    ot: float | None,
    params: ICEParameters | None = None,
) -> PainResponse:
    """Classify pain response at one time point by the International Consensus Endpoints.

    Args:
        p0, pt: worst pain at the treated site (0-10) at baseline and follow-up.
        o0, ot: daily oral morphine equivalent dose (mg/day) at baseline and follow-up.
        params: :class:`ICEParameters`; the default is the literal reading of reference §1.2.

    Literal algorithm (precedence CR > PR > PP > IR; Chow 2002/2012, reference §1.2)::

        CR: p_t == 0 and no analgesic increase
        PR: (dp <= -2 and no analgesic increase) or (rel <= -25 % and dp <= 0)
        PP: (dp >= +2 and OMED stable) or (rel >= +25 % and dp in [0, +1])
        IR: otherwise

    Missing pain or OMED (None/NaN) gives ``NOT_EVALUABLE`` with the reason.
    """
    prm = ICEParameters() if params is None else params
    if not isinstance(prm, ICEParameters):
        raise PalliroValueError("must be an ICEParameters", field="params")
    unverified = [UNVERIFIED_ICE]
    missing_pain = [n for n, v in (("p0", p0), ("pt", pt)) if _is_missing(v)]
    missing_omed = [n for n, v in (("o0", o0), ("ot", ot)) if _is_missing(v)]
    base_pain = None if _is_missing(p0) else _pain(p0, "p0")
    now_pain = None if _is_missing(pt) else _pain(pt, "pt")
    base_omed = None if _is_missing(o0) else _omed(o0, "o0")
    now_omed = None if _is_missing(ot) else _omed(ot, "ot")
    if missing_pain or missing_omed:
        parts = []
        if missing_pain:
            parts.append(f"missing pain score ({', '.join(missing_pain)})")
        if missing_omed:
            parts.append(f"missing OMED ({', '.join(missing_omed)})")
        dp = None if missing_pain else now_pain - base_pain  # type: ignore[operator]
        return PainResponse(
            ResponseCategory.NOT_EVALUABLE, "; ".join(parts), dp, None, prm, (*unverified, UNVERIFIED_MISSING)
        )
    assert base_pain is not None and now_pain is not None and base_omed is not None and now_omed is not None
    dp = now_pain - base_pain
    if base_omed == 0.0:
        if now_omed == 0.0:
            rel = 0.0
        else:
            unverified.append(UNVERIFIED_ZERO)
            if prm.zero_baseline_omed == "not_evaluable":
                return PainResponse(
                    ResponseCategory.NOT_EVALUABLE,
                    "baseline OMED is 0, so the percentage change is undefined (zero_baseline_omed='not_evaluable')",
                    dp,
                    None,
                    prm,
                    tuple(unverified),
                )
            rel = math.inf
    else:
        rel = (now_omed - base_omed) / base_omed

    stable = abs(now_omed - base_omed) <= prm.omed_stable_tolerance * base_omed + _EPS
    if prm.analgesic_increase == "any":
        increase = now_omed > base_omed and not stable
    else:
        increase = rel >= OMED_CHANGE - _EPS
    big_increase = rel >= OMED_CHANGE - _EPS

    def result(category: ResponseCategory, reason: str) -> PainResponse:
        return PainResponse(category, reason, dp, rel, prm, tuple(unverified))

    if now_pain == 0.0 and not increase:
        return result(ResponseCategory.CR, "pain 0 without analgesic increase")
    if dp <= -PAIN_CHANGE + _EPS and not increase:
        return result(ResponseCategory.PR, "pain reduced by >= 2 without analgesic increase")
    if rel <= -OMED_CHANGE + _EPS and dp <= _EPS:
        return result(ResponseCategory.PR, "OMED reduced by >= 25 % without pain increase")
    if dp >= PAIN_CHANGE - _EPS and stable:
        return result(ResponseCategory.PP, "pain increased by >= 2 with stable OMED")
    if big_increase and -_EPS <= dp <= 1.0 + _EPS:
        return result(ResponseCategory.PP, "OMED increased by >= 25 % with pain stable or +1")
    if prm.pain_and_omed_increase == "PP" and dp >= PAIN_CHANGE - _EPS and big_increase:
        return result(ResponseCategory.PP, "pain >= +2 and OMED >= +25 % (pain_and_omed_increase='PP')")
    if prm.pain_decrease_with_omed_increase == "PP" and dp < -_EPS and big_increase:
        return result(
            ResponseCategory.PP, "pain decreased with OMED >= +25 % (pain_decrease_with_omed_increase='PP')"
        )
    return result(ResponseCategory.IR, "not captured by the CR, PR or PP definitions")


def classify_series(
    p0: float | None,
    o0: float | None,
    follow_up: Sequence[tuple[float, float | None, float | None]],
    params: ICEParameters | None = None,
) -> tuple[tuple[float, PainResponse], ...]:
    """Classify each ``(time, pain, omed)`` follow-up against the same baseline (see :func:`classify_response`)."""
    out = []
    for i, point in enumerate(follow_up):
        if len(point) != 3:
            raise PalliroValueError(
                "each follow-up point must be (time, pain, omed)", field=f"follow_up[{i}]"
            )
        t, pt, ot = point
        out.append((require_number(t, f"follow_up[{i}].time"), classify_response(p0, o0, pt, ot, params)))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Time to response and duration of response
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCourse:
    """Timing of pain response over a series of assessments (time units as given, e.g. weeks).

    Attributes:
        responded: any CR or PR.
        time_to_response: first assessment time with CR/PR (None if never).
        best_response: best evaluable category (CR > PR > IR > PP), None if none evaluable.
        duration_of_response: from the first response to the first later PP (an event), or to the
            last evaluable assessment (censored).
        duration_censored: True when no PP followed the response.
        progression_time: time of that PP, if any.
        last_assessment_time: last evaluable assessment (the censoring time for time to response).
    """

    responded: bool
    time_to_response: float | None
    best_response: ResponseCategory | None
    duration_of_response: float | None
    duration_censored: bool | None
    progression_time: float | None
    last_assessment_time: float | None


_RANK = {ResponseCategory.CR: 0, ResponseCategory.PR: 1, ResponseCategory.IR: 2, ResponseCategory.PP: 3}


def response_course(
    series: Sequence[tuple[float, ResponseCategory | str | PainResponse]],
) -> ResponseCourse:
    """Time to response and duration of response from ``(time, category)`` assessments.

    Not-evaluable assessments are skipped; IR after a response does not end it (only PP does).
    Times are measured from the start of RT in the caller's unit (ICE trials: weeks 1, 2, 4, 8, 12
    or months 1, 2, 3; reference §1.3).
    """
    points: list[tuple[float, ResponseCategory]] = []
    for i, item in enumerate(series):
        if len(item) != 2:
            raise PalliroValueError("each assessment must be (time, category)", field=f"series[{i}]")
        t, value = item
        time = require_number(t, f"series[{i}].time")
        if isinstance(value, PainResponse):
            category = value.category
        else:
            try:
                category = ResponseCategory(value)
            except ValueError:
                raise PalliroValueError(
                    f"must be one of {', '.join(c.value for c in ResponseCategory)}; got {value!r}",
                    field=f"series[{i}].category",
                ) from None
        points.append((time, category))
    times = [t for t, _ in points]
    if len(set(times)) != len(times):
        raise PalliroValueError("assessment times must be unique", field="series")
    points.sort(key=lambda p: p[0])
    evaluable = [(t, c) for t, c in points if c is not ResponseCategory.NOT_EVALUABLE]
    if not evaluable:
        return ResponseCourse(False, None, None, None, None, None, None)
    best = min((c for _, c in evaluable), key=_RANK.__getitem__)
    last = evaluable[-1][0]
    first = next((t for t, c in evaluable if c in (ResponseCategory.CR, ResponseCategory.PR)), None)
    if first is None:
        return ResponseCourse(False, None, best, None, None, None, last)
    progression = next((t for t, c in evaluable if t > first and c is ResponseCategory.PP), None)
    if progression is None:
        return ResponseCourse(True, first, best, last - first, True, None, last)
    return ResponseCourse(True, first, best, progression - first, False, progression, last)


# --------------------------------------------------------------------------------------------
# Pain flare
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryEntry:
    """One diary day: worst pain (0-10) and daily OMED (mg/day); either may be None if not recorded."""

    day: int
    worst_pain: float | None
    omed: float | None


@dataclass(frozen=True)
class FlareParameters:
    """Pain flare definition (Chow 2005 / Hird 2009 by default).

    Attributes:
        pain_increase: points above baseline worst pain (2).
        omed_increase_fraction: relative OMED increase (0.25; Loblaw 2007 used 0.50).
        consecutive_days: days in a row the criteria must hold (1; Loblaw 2007 and Tanaka 2016 used 2).
        follow_up_days: days after the last RT day included in the window (10).
        require_return_to_baseline: a flare must return to baseline pain and OMED within the window,
            which distinguishes it from progression (True).
    """

    pain_increase: float = 2.0
    omed_increase_fraction: float = 0.25
    consecutive_days: int = 1
    follow_up_days: int = 10
    require_return_to_baseline: bool = True

    def __post_init__(self) -> None:
        require_positive(self.pain_increase, "pain_increase")
        require_positive(self.omed_increase_fraction, "omed_increase_fraction")
        require_int(self.consecutive_days, "consecutive_days", 1, 30)
        require_int(self.follow_up_days, "follow_up_days", 0, 365)
        require_bool(self.require_return_to_baseline, "require_return_to_baseline")

    @classmethod
    def chow_hird(cls) -> FlareParameters:
        """Chow 2005 / Hird 2009: +2 points or +25 % OMED, return to baseline within RT + 10 days."""
        return cls()

    @classmethod
    def consecutive_two_days(cls) -> FlareParameters:
        """Loblaw 2007 / Tanaka 2016 variant: criteria on >= 2 consecutive days.

        Loblaw also used the McGill Present Pain Intensity scale, a 50 % analgesic increase and a
        7-day diary; set those fields explicitly to reproduce it.
        """
        return cls(consecutive_days=2)


@dataclass(frozen=True)
class FlareResult:
    """Result of :func:`detect_flare`.

    Attributes:
        flare: a confirmed flare (criteria met and, if required, returned to baseline).
        pattern: ``"flare"``, ``"no_return"`` (increase without return: progression pattern) or ``"none"``.
        first_day: first day of the first qualifying episode (also given for ``"no_return"``).
        last_day: last day the criteria held before the return (flares only).
        duration_days: ``last_day - first_day + 1`` (flares only).
        returned_to_baseline: pain and OMED back to baseline on a later day within the window.
        return_day: that day.
        criteria_days: every day in the window meeting the flare criteria.
    """

    flare: bool
    pattern: Literal["flare", "no_return", "none"]
    first_day: int | None
    last_day: int | None
    duration_days: int | None
    returned_to_baseline: bool
    return_day: int | None
    criteria_days: tuple[int, ...]
    params: FlareParameters
    source: str = SRC_FLARE
    unverified: tuple[str, ...] = field(default=())


def _entries(diary: Sequence[DiaryEntry | tuple[int, float | None, float | None]]) -> list[DiaryEntry]:
    out: list[DiaryEntry] = []
    for i, item in enumerate(diary):
        entry = item if isinstance(item, DiaryEntry) else None
        if entry is None:
            if not isinstance(item, tuple | list) or len(item) != 3:
                raise PalliroValueError(
                    "each diary entry must be (day, worst_pain, omed)", field=f"diary[{i}]"
                )
            entry = DiaryEntry(*item)
        day = require_int(entry.day, f"diary[{i}].day")
        pain = None if _is_missing(entry.worst_pain) else _pain(entry.worst_pain, f"diary[{i}].worst_pain")
        omed = None if _is_missing(entry.omed) else _omed(entry.omed, f"diary[{i}].omed")
        out.append(DiaryEntry(day, pain, omed))
    days = [e.day for e in out]
    if len(set(days)) != len(days):
        raise PalliroValueError("each day may appear only once", field="diary")
    return sorted(out, key=lambda e: e.day)


def detect_flare(
    baseline_pain: float,
    baseline_omed: float,
    diary: Sequence[DiaryEntry | tuple[int, float | None, float | None]],
    *,
    first_rt_day: int,
    last_rt_day: int,
    params: FlareParameters | None = None,
) -> FlareResult:
    """Detect a pain flare in a daily diary (Chow 2005; Hird 2009; reference §1.4).

    A day meets the criteria if worst pain is >= ``pain_increase`` above baseline with OMED not
    below baseline, or OMED is >= ``(1 + omed_increase_fraction)`` x baseline (and above it) with
    pain not below baseline.  The first run of ``consecutive_days`` such days starts an episode; it
    is a flare if, on a later day in the window (``first_rt_day`` .. ``last_rt_day + follow_up_days``),
    both pain and OMED are back at or below baseline.  Diary days outside the window are ignored;
    days with missing values neither meet the criteria nor confirm a return.
    """
    prm = FlareParameters() if params is None else params
    if not isinstance(prm, FlareParameters):
        raise PalliroValueError("must be a FlareParameters", field="params")
    p0 = _pain(baseline_pain, "baseline_pain")
    o0 = _omed(baseline_omed, "baseline_omed")
    start = require_int(first_rt_day, "first_rt_day")
    end_rt = require_int(last_rt_day, "last_rt_day")
    if end_rt < start:
        raise PalliroValueError("last RT day is before the first RT day", field="last_rt_day")
    window_end = end_rt + prm.follow_up_days
    entries = [e for e in _entries(diary) if start <= e.day <= window_end]
    unverified = (UNVERIFIED_ZERO,) if o0 == 0.0 else ()

    def meets(e: DiaryEntry) -> bool:
        if e.worst_pain is None or e.omed is None:
            return False
        pain_arm = e.worst_pain - p0 >= prm.pain_increase - _EPS and e.omed >= o0 - _EPS
        omed_arm = (
            e.omed > o0 and e.omed >= (1.0 + prm.omed_increase_fraction) * o0 - _EPS and e.worst_pain >= p0
        )
        return pain_arm or omed_arm

    def returned(e: DiaryEntry) -> bool:
        return e.worst_pain is not None and e.omed is not None and e.worst_pain <= p0 and e.omed <= o0

    criteria_days = tuple(e.day for e in entries if meets(e))
    flagged = set(criteria_days)
    first = None
    for day in criteria_days:
        if all(day + k in flagged for k in range(prm.consecutive_days)):
            first = day
            break
    if first is None:
        return FlareResult(
            False, "none", None, None, None, False, None, criteria_days, prm, unverified=unverified
        )
    back = next((e.day for e in entries if e.day > first and returned(e)), None)
    if back is None:
        if prm.require_return_to_baseline:
            return FlareResult(
                False, "no_return", first, None, None, False, None, criteria_days, prm, unverified=unverified
            )
        last = max(d for d in criteria_days if d >= first)
        return FlareResult(
            True,
            "flare",
            first,
            last,
            last - first + 1,
            False,
            None,
            criteria_days,
            prm,
            unverified=unverified,
        )
    last = max(d for d in criteria_days if first <= d < back)
    return FlareResult(
        True, "flare", first, last, last - first + 1, True, back, criteria_days, prm, unverified=unverified
    )
