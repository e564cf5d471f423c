"""Typed BED/EQD2 results: one regimen, isoeffect conversion, EBRT + brachytherapy, comparison table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from palliro.core.dose._common import (
    SRC_BRENNER,
    SRC_SFRO,
    UNVERIFIED_BRACHY,
    UNVERIFIED_LQ,
    UNVERIFIED_TIME,
    check_alpha_beta,
)
from palliro.core.dose.formulas import bed, eqd2_of_fractions, isoeffective_total_dose, time_corrected_bed
from palliro.core.dose.regimen import Regimen, as_regimen, nominal_overall_time_days
from palliro.core.errors import ClinicalWarning, PalliroValueError, require_non_negative


@dataclass(frozen=True)
class TimeCorrection:
    """User-set repopulation parameters (reference §2.1, [U]); no defaults on purpose.

    Attributes:
        tk_days: kick-off time Tk in days (typical head & neck SCC 21-28 d [U]).
        dprolif_gy_per_day: BED recovered per day after Tk (typical 0.6-0.9 Gy/day [U]); see
            :func:`dprolif_from_tpot`.
    """

    tk_days: float
    dprolif_gy_per_day: float

    def __post_init__(self) -> None:
        require_non_negative(self.tk_days, "tk_days")
        require_non_negative(self.dprolif_gy_per_day, "dprolif_gy_per_day")


@dataclass(frozen=True)
class DoseResult:
    """BED and EQD2 of one regimen at one alpha/beta.

    ``bed`` and ``eqd2`` include the time correction when one was requested;
    ``bed_uncorrected`` never does.
    """

    regimen: Regimen
    alpha_beta: float
    bed: float
    eqd2: float
    bed_uncorrected: float
    time_correction: TimeCorrection | None
    overall_time_days: float | None
    warnings: tuple[ClinicalWarning, ...]
    unverified: tuple[str, ...]

    @property
    def verified(self) -> bool:
        """False whenever any part of the calculation rests on an [U] item."""
        return not self.unverified


def _dose_warnings(regimen: Regimen) -> list[ClinicalWarning]:
    d = regimen.dose_per_fraction
    out: list[ClinicalWarning] = []
    if d > 10.0:
        out.append(
            ClinicalWarning(
                "LQ_HIGH_DOSE_PER_FRACTION",
                f"{d:g} Gy per fraction is above 10 Gy, where the LQ model is reasonably well validated; "
                "interpret BED/EQD2 with caution.",
                SRC_BRENNER,
            )
        )
    if d > 18.0:
        out.append(
            ClinicalWarning(
                "LQ_BEYOND_18_GY",
                f"{d:g} Gy per fraction is above about 18 Gy, the upper limit of reasonable LQ use.",
                SRC_BRENNER,
            )
        )
    if regimen.schedule == "bid":
        out.append(
            ClinicalWarning(
                "BID_FULL_REPAIR_ASSUMED",
                "Twice-daily fractions are assumed fully repaired (>= 6-8 h apart); incomplete repair "
                "is not modelled.",
                SRC_SFRO,
            )
        )
    return out


def dose_metrics(
    regimen: Regimen | str,
    alpha_beta: float,
    *,
    time_correction: TimeCorrection | None = None,
    overall_time_days: float | None = None,
) -> DoseResult:
    """BED and EQD2 of ``regimen`` at ``alpha_beta``, optionally time-corrected.

    With ``time_correction``, T is ``overall_time_days`` (last - first fraction date, §2.1); if that
    is omitted the nominal T of :func:`nominal_overall_time_days` (Monday start, no gaps) is used and
    a ``NOMINAL_OVERALL_TIME`` warning says so.  Sources: Fowler 1989; reference §2.1.
    """
    reg = as_regimen(regimen, "regimen")
    ab = check_alpha_beta(alpha_beta)
    raw = bed(reg.total_dose, reg.dose_per_fraction, ab)
    warnings = _dose_warnings(reg)
    unverified = [UNVERIFIED_LQ]
    value, t = raw, None
    if time_correction is not None:
        if not isinstance(time_correction, TimeCorrection):
            raise PalliroValueError("must be a TimeCorrection", field="time_correction")
        if overall_time_days is None:
            t = float(nominal_overall_time_days(reg))
            warnings.append(
                ClinicalWarning(
                    "NOMINAL_OVERALL_TIME",
                    f"Overall time T = {t:g} d assumed (Monday start, no gaps); give the real dates.",
                    "Reference §2.1 convention: T = last - first fraction date",
                )
            )
        else:
            t = require_non_negative(overall_time_days, "overall_time_days")
        value = time_corrected_bed(raw, t, time_correction.tk_days, time_correction.dprolif_gy_per_day)
        unverified.append(UNVERIFIED_TIME)
        if value < 0:
            warnings.append(
                ClinicalWarning(
                    "TIME_CORRECTION_EXCEEDS_BED",
                    f"The repopulation term exceeds the BED ({raw:.2f} Gy); check Tk, Dprolif and T.",
                    "Reference §2.1",
                )
            )
    elif overall_time_days is not None:
        raise PalliroValueError(
            "overall_time_days given without a TimeCorrection (Tk, Dprolif)", field="overall_time_days"
        )
    return DoseResult(
        regimen=reg,
        alpha_beta=ab,
        bed=value,
        eqd2=value / (1.0 + 2.0 / ab),
        bed_uncorrected=raw,
        time_correction=time_correction,
        overall_time_days=t,
        warnings=tuple(warnings),
        unverified=tuple(unverified),
    )


@dataclass(frozen=True)
class IsoeffectResult:
    """A regimen converted to another dose per fraction at equal BED (Fowler 1989)."""

    original: Regimen
    alpha_beta: float
    new_dose_per_fraction: float
    new_total_dose: float
    new_fractions: float
    warnings: tuple[ClinicalWarning, ...]
    unverified: tuple[str, ...]


def convert_isoeffective(
    regimen: Regimen | str, new_dose_per_fraction: float, alpha_beta: float
) -> IsoeffectResult:
    """Isoeffective total dose at ``new_dose_per_fraction``; warns outside 1-6 Gy/fraction (SFRO)."""
    reg = as_regimen(regimen, "regimen")
    new_total = isoeffective_total_dose(
        reg.total_dose, reg.dose_per_fraction, new_dose_per_fraction, alpha_beta
    )
    warnings = _dose_warnings(reg)
    for label, d in (("original", reg.dose_per_fraction), ("new", float(new_dose_per_fraction))):
        if not 1.0 <= d <= 6.0:
            warnings.append(
                ClinicalWarning(
                    "ISOEFFECT_OUTSIDE_1_6_GY",
                    f"The {label} dose per fraction {d:g} Gy is outside the 1-6 Gy range of the formula.",
                    SRC_SFRO,
                )
            )
    return IsoeffectResult(
        original=reg,
        alpha_beta=float(alpha_beta),
        new_dose_per_fraction=float(new_dose_per_fraction),
        new_total_dose=new_total,
        new_fractions=new_total / float(new_dose_per_fraction),
        warnings=tuple(warnings),
        unverified=(UNVERIFIED_LQ,),
    )


@dataclass(frozen=True)
class CombinedDoseResult:
    """EQD2 of an EBRT course plus HDR brachytherapy, summed at one alpha/beta (GEC-ESTRO, §2.4)."""

    alpha_beta: float
    ebrt_eqd2: float
    brachy_eqd2: float
    total_eqd2: float
    total_bed: float
    warnings: tuple[ClinicalWarning, ...]
    unverified: tuple[str, ...]


def combine_ebrt_brachytherapy(
    ebrt: Regimen | str, brachy: Regimen | str | Sequence[float], alpha_beta: float
) -> CombinedDoseResult:
    """Sum EBRT and HDR EQD2 at the same alpha/beta (10 for CTV, 3 for OARs by convention, [U]).

    ``brachy`` is a regimen (``"7 Gy x 3"``) or a list of per-fraction doses (e.g. OAR D2cc per
    fraction), summed with :func:`eqd2_of_fractions`.  Full repair between HDR fractions and no time
    correction (GEC-ESTRO convention, reference §2.4).  Example: 45 Gy/25 + 7 Gy x 3 at a/b 10 = 74.0.
    """
    ab = check_alpha_beta(alpha_beta)
    ebrt_res = dose_metrics(as_regimen(ebrt, "ebrt"), ab)
    warnings = list(ebrt_res.warnings)
    if isinstance(brachy, Regimen | str):
        brachy_res = dose_metrics(as_regimen(brachy, "brachy"), ab)
        brachy_eqd2 = brachy_res.eqd2
        warnings.extend(brachy_res.warnings)
    else:
        brachy_eqd2 = eqd2_of_fractions(brachy, ab)
        for d in brachy:
            if d > 10.0:
                warnings.extend(_dose_warnings(Regimen.from_dose_per_fraction(d, 1)))
    total = ebrt_res.eqd2 + brachy_eqd2
    return CombinedDoseResult(
        alpha_beta=ab,
        ebrt_eqd2=ebrt_res.eqd2,
        brachy_eqd2=brachy_eqd2,
        total_eqd2=total,
        total_bed=total * (1.0 + 2.0 / ab),
        warnings=tuple(warnings),
        unverified=(UNVERIFIED_LQ, UNVERIFIED_BRACHY),
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One regimen evaluated at each alpha/beta of the comparison (``results`` aligned with them)."""

    regimen: Regimen
    results: tuple[DoseResult, ...]

    def at(self, alpha_beta: float) -> DoseResult:
        """The result for ``alpha_beta``."""
        for result in self.results:
            if math.isclose(result.alpha_beta, alpha_beta):
                return result
        raise PalliroValueError(f"alpha/beta {alpha_beta:g} is not in this comparison", field="alpha_beta")


@dataclass(frozen=True)
class RegimenComparison:
    """BED/EQD2 of several regimens at several alpha/beta values (reference §2.3 layout)."""

    alpha_betas: tuple[float, ...]
    rows: tuple[ComparisonRow, ...]

    def to_records(self) -> list[dict[str, object]]:
        """Flat rows (one per regimen) for CSV export or ``pandas.DataFrame``."""
        records: list[dict[str, object]] = []
        for row in self.rows:
            rec: dict[str, object] = {
                "regimen": row.regimen.label,
                "total_dose": row.regimen.total_dose,
                "fractions": row.regimen.fractions,
                "dose_per_fraction": row.regimen.dose_per_fraction,
                "schedule": row.regimen.schedule,
            }
            for res in row.results:
                rec[f"BED{res.alpha_beta:g}"] = res.bed
                rec[f"EQD2({res.alpha_beta:g})"] = res.eqd2
            rec["warnings"] = "; ".join(sorted({w.code for r in row.results for w in r.warnings}))
            records.append(rec)
        return records


def compare_regimens(
    regimens: Sequence[Regimen | str],
    alpha_betas: Sequence[float] = (10.0, 3.0, 2.0),
    *,
    time_correction: TimeCorrection | None = None,
) -> RegimenComparison:
    """Compare regimens by BED and EQD2 at each alpha/beta (default 10, 3, 2 as in reference §2.3).

    Text regimens are parsed with :func:`parse_regimen`.  With ``time_correction`` each regimen uses
    its nominal overall time (and carries a ``NOMINAL_OVERALL_TIME`` warning).
    """
    if isinstance(regimens, str) or len(regimens) == 0:
        raise PalliroValueError("give at least one regimen", field="regimens")
    if isinstance(alpha_betas, str) or len(alpha_betas) == 0:
        raise PalliroValueError("give at least one alpha/beta", field="alpha_betas")
    abs_ = tuple(check_alpha_beta(ab) for ab in alpha_betas)
    rows = []
    for i, item in enumerate(regimens):
        reg = as_regimen(item, f"regimens[{i}]")
        rows.append(
            ComparisonRow(reg, tuple(dose_metrics(reg, ab, time_correction=time_correction) for ab in abs_))
        )
    return RegimenComparison(alpha_betas=abs_, rows=tuple(rows))
