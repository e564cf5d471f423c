"""Cumulative re-irradiation dose with recovery discount and spinal-cord guidance (reference §2.5)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from palliro.core.dose._common import (
    FLOAT_TOL,
    NIEDER_COURSE_MAX_GY2,
    NIEDER_CUMULATIVE_MAX_GY2,
    NIEDER_MIN_INTERVAL_MONTHS,
    SAHGAL_MIN_INTERVAL_MONTHS,
    SAHGAL_SBRT_MAX_NBED,
    SAHGAL_SBRT_MAX_SHARE,
    SAHGAL_TOTAL_MAX_NBED,
    SRC_NIEDER,
    SRC_RECOVERY,
    SRC_SAHGAL,
    UNVERIFIED_LQ,
    check_alpha_beta,
)
from palliro.core.dose.metrics import dose_metrics
from palliro.core.dose.regimen import Regimen, as_regimen
from palliro.core.errors import ClinicalWarning, PalliroValueError, require_non_negative

Technique = Literal["conventional", "sbrt"]
Recovery = Literal["none", "simple_25pct_6m_50pct_12m"]
Guidance = Literal["nieder2006_cord", "sahgal2012_cord_sbrt"]
RECOVERY_OPTIONS: tuple[str, ...] = ("none", "simple_25pct_6m_50pct_12m")
GUIDANCE_OPTIONS: tuple[str, ...] = ("nieder2006_cord", "sahgal2012_cord_sbrt")


@dataclass(frozen=True)
class Course:
    """One course of RT to an organ: the organ's dose as a regimen (e.g. cord Dmax 30 Gy/10)."""

    regimen: Regimen
    technique: Technique = "conventional"
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.regimen, Regimen):
            raise PalliroValueError("must be a Regimen (use parse_regimen for text)", field="regimen")
        if self.technique not in ("conventional", "sbrt"):
            raise PalliroValueError("must be 'conventional' or 'sbrt'", field="technique")


@dataclass(frozen=True)
class CourseDose:
    """A course's BED/EQD2 and the recovery discount applied to it (0 for the last course)."""

    course: Course
    bed: float
    eqd2: float
    recovery_fraction: float
    effective_bed: float
    effective_eqd2: float


@dataclass(frozen=True)
class ReirradiationResult:
    """Cumulative dose over courses at one alpha/beta, raw and after the chosen recovery discount.

    ``guidance_met`` is True/False when a guidance was requested and could be judged, None when it
    was not requested or an interval needed for it is unknown.
    """

    alpha_beta: float
    courses: tuple[CourseDose, ...]
    intervals_months: tuple[float, ...] | None
    cumulative_bed: float
    cumulative_eqd2: float
    effective_bed: float
    effective_eqd2: float
    recovery: str
    guidance: str | None
    guidance_met: bool | None
    warnings: tuple[ClinicalWarning, ...]
    unverified: tuple[str, ...]


def _recovery_fraction(months: float) -> float:
    # Step function as stated in the source: 25 % after 6 months, 50 % after 12 months.
    if months >= 12.0:
        return 0.5
    if months >= 6.0:
        return 0.25
    return 0.0


def cumulative_dose(
    courses: Sequence[Course | Regimen | str],
    alpha_beta: float,
    *,
    intervals_months: Sequence[float] | None = None,
    recovery: Recovery = "none",
    guidance: Guidance | None = None,
) -> ReirradiationResult:
    """Cumulative BED/EQD2 of successive courses to one organ (reference §2.5).

    Args:
        courses: in time order; text and bare regimens become conventional courses.
        alpha_beta: one alpha/beta for the organ (cord: 2 Gy for cervical/thoracic, Nieder 2006).
        intervals_months: ``len(courses) - 1`` gaps, end of one course to start of the next.
        recovery: ``"none"`` (plain sum) or ``"simple_25pct_6m_50pct_12m"``: each earlier course's
            BED is discounted by 25 % if >= 6 months and 50 % if >= 12 months elapsed before the last
            course (simple method cited by Doi/Nieder 2021).  Needs ``intervals_months``.
        guidance: ``"nieder2006_cord"`` (conventional re-RT: cumulative BED <= 135.5 Gy2, each course
            <= 98 Gy2, interval >= 6 months) or ``"sahgal2012_cord_sbrt"`` (last course SBRT: total
            nBED <= ~70 Gy2/2, SBRT nBED <= ~25 Gy2/2, SBRT share <= ~50 %, interval >= 5 months).
            Both need ``alpha_beta == 2`` and are judged on the undiscounted doses; breaches are
            returned as warnings.
    """
    if isinstance(courses, str) or len(courses) == 0:
        raise PalliroValueError("give at least one course", field="courses")
    ab = check_alpha_beta(alpha_beta)
    items: list[Course] = []
    for i, c in enumerate(courses):
        items.append(c if isinstance(c, Course) else Course(as_regimen(c, f"courses[{i}]")))
    if recovery not in RECOVERY_OPTIONS:
        raise PalliroValueError(
            f"must be one of {', '.join(RECOVERY_OPTIONS)}; got {recovery!r}", field="recovery"
        )
    if guidance is not None and guidance not in GUIDANCE_OPTIONS:
        raise PalliroValueError(
            f"must be one of {', '.join(GUIDANCE_OPTIONS)}; got {guidance!r}", field="guidance"
        )
    gaps: tuple[float, ...] | None = None
    if intervals_months is not None:
        if isinstance(intervals_months, str) or len(intervals_months) != len(items) - 1:
            raise PalliroValueError(
                f"need {len(items) - 1} interval(s) for {len(items)} course(s)", field="intervals_months"
            )
        gaps = tuple(
            require_non_negative(g, f"intervals_months[{i}]") for i, g in enumerate(intervals_months)
        )
    if recovery != "none" and gaps is None and len(items) > 1:
        raise PalliroValueError(
            "the recovery discount needs the intervals between courses", field="intervals_months"
        )

    warnings: list[ClinicalWarning] = []
    rows: list[CourseDose] = []
    factor = 1.0 + 2.0 / ab
    for i, course in enumerate(items):
        res = dose_metrics(course.regimen, ab)
        warnings.extend(res.warnings)
        frac = 0.0
        if recovery != "none" and gaps is not None and i < len(items) - 1:
            frac = _recovery_fraction(sum(gaps[i:]))
        eff = res.bed * (1.0 - frac)
        rows.append(CourseDose(course, res.bed, res.eqd2, frac, eff, eff / factor))
    if recovery != "none" and len(items) > 1:
        warnings.append(
            ClinicalWarning(
                "RECOVERY_ASSUMED",
                "Earlier courses discounted for recovery (25 % after 6 months, 50 % after 12 months); "
                "this is a simple assumption, not an organ-specific model.",
                SRC_RECOVERY,
            )
        )
    cum_bed = sum(r.bed for r in rows)
    eff_bed = sum(r.effective_bed for r in rows)
    met: bool | None = None
    if guidance is not None:
        if not math.isclose(ab, 2.0):
            raise PalliroValueError(
                f"{guidance} thresholds are expressed at alpha/beta = 2 Gy; got {ab:g}", field="alpha_beta"
            )
        check = _nieder_check if guidance == "nieder2006_cord" else _sahgal_check
        met, extra = check(rows, gaps)
        warnings.extend(extra)
    return ReirradiationResult(
        alpha_beta=ab,
        courses=tuple(rows),
        intervals_months=gaps,
        cumulative_bed=cum_bed,
        cumulative_eqd2=cum_bed / factor,
        effective_bed=eff_bed,
        effective_eqd2=eff_bed / factor,
        recovery=recovery,
        guidance=guidance,
        guidance_met=met,
        warnings=tuple(warnings),
        unverified=(UNVERIFIED_LQ,),
    )


def _interval_verdict(
    gaps: tuple[float, ...] | None, n_gaps: int, minimum: float, source: str
) -> tuple[bool | None, list[ClinicalWarning]]:
    if n_gaps == 0:
        return True, []
    if gaps is None:
        return None, [
            ClinicalWarning(
                "REIRRADIATION_INTERVAL_UNKNOWN",
                f"Intervals between courses not given; the guidance requires >= {minimum:g} months.",
                source,
            )
        ]
    short = [g for g in gaps if g < minimum]
    if short:
        return False, [
            ClinicalWarning(
                "REIRRADIATION_INTERVAL_SHORT",
                f"Interval of {min(short):g} months is shorter than {minimum:g} months.",
                source,
            )
        ]
    return True, []


def _nieder_check(
    rows: list[CourseDose], gaps: tuple[float, ...] | None
) -> tuple[bool | None, list[ClinicalWarning]]:
    out: list[ClinicalWarning] = []
    ok = True
    for i, row in enumerate(rows, start=1):
        if row.bed > NIEDER_COURSE_MAX_GY2 + FLOAT_TOL:
            ok = False
            out.append(
                ClinicalWarning(
                    "CORD_COURSE_ABOVE_98_GY2",
                    f"Course {i}: BED {row.bed:.1f} Gy2 exceeds 98 Gy2 (EQD2 49 Gy) per course.",
                    SRC_NIEDER,
                )
            )
    total = sum(r.bed for r in rows)
    if total > NIEDER_CUMULATIVE_MAX_GY2 + FLOAT_TOL:
        ok = False
        out.append(
            ClinicalWarning(
                "CORD_CUMULATIVE_ABOVE_135_5_GY2",
                f"Cumulative BED {total:.1f} Gy2 exceeds 135.5 Gy2 (EQD2 67.75 Gy); the risk of "
                "myelopathy is no longer judged small.",
                SRC_NIEDER,
            )
        )
    interval_ok, extra = _interval_verdict(gaps, len(rows) - 1, NIEDER_MIN_INTERVAL_MONTHS, SRC_NIEDER)
    out.extend(extra)
    if not ok or interval_ok is False:
        return False, out
    return interval_ok, out


def _sahgal_check(
    rows: list[CourseDose], gaps: tuple[float, ...] | None
) -> tuple[bool | None, list[ClinicalWarning]]:
    if rows[-1].course.technique != "sbrt":
        raise PalliroValueError("sahgal2012_cord_sbrt needs the last course to be SBRT", field="courses")
    out: list[ClinicalWarning] = []
    ok = True
    total = sum(r.eqd2 for r in rows)  # nBED = EQD2 at alpha/beta 2
    sbrt = rows[-1].eqd2
    if sbrt > SAHGAL_SBRT_MAX_NBED + FLOAT_TOL:
        ok = False
        out.append(
            ClinicalWarning(
                "CORD_SBRT_ABOVE_25_NBED",
                f"SBRT thecal-sac Pmax nBED {sbrt:.1f} Gy2/2 exceeds the ~20-25 Gy2/2 range judged safe.",
                SRC_SAHGAL,
            )
        )
    if total > SAHGAL_TOTAL_MAX_NBED + FLOAT_TOL:
        ok = False
        out.append(
            ClinicalWarning(
                "CORD_TOTAL_ABOVE_70_NBED",
                f"Total Pmax nBED {total:.1f} Gy2/2 exceeds ~70 Gy2/2.",
                SRC_SAHGAL,
            )
        )
    if total > 0 and sbrt / total > SAHGAL_SBRT_MAX_SHARE + FLOAT_TOL:
        ok = False
        out.append(
            ClinicalWarning(
                "CORD_SBRT_SHARE_ABOVE_50PCT",
                f"SBRT contributes {100 * sbrt / total:.0f} % of the total nBED (limit ~50 %).",
                SRC_SAHGAL,
            )
        )
    if len(rows) > 1:
        last_gap = None if gaps is None else (gaps[-1],)
        interval_ok, extra = _interval_verdict(last_gap, 1, SAHGAL_MIN_INTERVAL_MONTHS, SRC_SAHGAL)
    else:
        interval_ok, extra = True, []
    out.extend(extra)
    if not ok or interval_ok is False:
        return False, out
    return interval_ok, out
