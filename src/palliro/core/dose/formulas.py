"""Scalar LQ formulas: BED, EQDX/EQD2, isoeffect, repopulation (Fowler 1989; reference §2.1)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from palliro.core.dose._common import check_alpha_beta
from palliro.core.errors import PalliroValueError, require_non_negative, require_positive


def bed(total_dose: float, dose_per_fraction: float, alpha_beta: float) -> float:
    """Biologically effective dose ``BED = D * (1 + d / (alpha/beta))`` in Gy (Fowler 1989)."""
    total = require_non_negative(total_dose, "total_dose")
    d = require_non_negative(dose_per_fraction, "dose_per_fraction")
    return total * (1.0 + d / check_alpha_beta(alpha_beta))


def eqdx(total_dose: float, dose_per_fraction: float, alpha_beta: float, x: float) -> float:
    """Equivalent dose in ``x``-Gy fractions ``EQDX = D * (d + a/b) / (x + a/b)`` (Bentzen 2012)."""
    total = require_non_negative(total_dose, "total_dose")
    d = require_non_negative(dose_per_fraction, "dose_per_fraction")
    ab = check_alpha_beta(alpha_beta)
    ref = require_positive(x, "x")
    return total * (d + ab) / (ref + ab)


def eqd2(total_dose: float, dose_per_fraction: float, alpha_beta: float) -> float:
    """Equivalent dose in 2-Gy fractions, ``EQD2 = BED / (1 + 2/(a/b))`` (Fowler 1989)."""
    return eqdx(total_dose, dose_per_fraction, alpha_beta, 2.0)


def isoeffective_total_dose(
    total_dose: float, dose_per_fraction: float, new_dose_per_fraction: float, alpha_beta: float
) -> float:
    """Total dose in ``new_dose_per_fraction`` fractions isoeffective to ``total_dose``.

    ``D2 = D1 * (a/b + d1) / (a/b + d2)`` (Fowler 1989).  See :func:`convert_isoeffective` for the
    version that also reports the SFRO validity range.
    """
    total = require_non_negative(total_dose, "total_dose")
    d1 = require_non_negative(dose_per_fraction, "dose_per_fraction")
    d2 = require_positive(new_dose_per_fraction, "new_dose_per_fraction")
    ab = check_alpha_beta(alpha_beta)
    return total * (ab + d1) / (ab + d2)


def dprolif_from_tpot(alpha: float, tpot_days: float) -> float:
    """Dose recovered per day by repopulation, ``Dprolif = ln 2 / (alpha * Tpot)`` in Gy/day (BED units).

    Source: reference §2.1 (standard LQ repopulation term, [U]).
    """
    return math.log(2.0) / (require_positive(alpha, "alpha") * require_positive(tpot_days, "tpot_days"))


def time_corrected_bed(
    bed_value: float, overall_time_days: float, tk_days: float, dprolif_gy_per_day: float
) -> float:
    """``BED - Dprolif * (T - Tk)`` for ``T > Tk``, otherwise ``BED`` unchanged (reference §2.1, [U]).

    ``overall_time_days`` follows the convention T = last fraction date - first fraction date.
    The result may be negative for absurd parameters; :func:`dose_metrics` warns about that.
    """
    value = require_non_negative(bed_value, "bed")
    t = require_non_negative(overall_time_days, "overall_time_days")
    tk = require_non_negative(tk_days, "tk_days")
    dp = require_non_negative(dprolif_gy_per_day, "dprolif_gy_per_day")
    return value - dp * (t - tk) if t > tk else value


def overall_time_days(first_fraction: date, last_fraction: date) -> int:
    """Overall treatment time T in days = ``last_fraction - first_fraction`` (reference §2.1 convention)."""
    if not isinstance(first_fraction, date) or not isinstance(last_fraction, date):
        raise PalliroValueError("first and last fraction must be dates", field="first_fraction")
    days = (last_fraction - first_fraction).days
    if days < 0:
        raise PalliroValueError("last fraction is before the first fraction", field="last_fraction")
    return days


def eqd2_of_fractions(doses_per_fraction: Sequence[float], alpha_beta: float) -> float:
    """Sum of per-fraction EQD2 values, ``sum(d_i * (d_i + a/b) / (2 + a/b))``.

    Used for brachytherapy OAR D2cc reported per fraction (GEC-ESTRO convention, reference §2.4).
    """
    if isinstance(doses_per_fraction, str) or len(doses_per_fraction) == 0:
        raise PalliroValueError("give at least one dose per fraction", field="doses_per_fraction")
    ab = check_alpha_beta(alpha_beta)
    total = 0.0
    for i, dose in enumerate(doses_per_fraction):
        d = require_non_negative(dose, f"doses_per_fraction[{i}]")
        total += d * (d + ab) / (2.0 + ab)
    return total
