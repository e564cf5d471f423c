"""Linear-quadratic (LQ) dose calculators for palliative radiotherapy.

BED, EQD2, EQDX, isoeffective conversion, overall-time (repopulation) correction, EBRT +
brachytherapy sums, cumulative re-irradiation dose with spinal-cord guidance, and a regimen
comparison table.  Pure Python: no Django.

Sources (see ``/work/shared/reference/clinical.md`` §2):

- LQ formulas: Fowler, *Br J Radiol* 1989;62:679; EQDX naming: Bentzen et al., *Radiother Oncol*
  2012;105:266.
- LQ validity at high dose per fraction: Brenner, *Semin Radiat Oncol* 2008 (PMC2750078).
- Isoeffect conversion range 1-6 Gy per fraction: SFRO calculator page.
- Re-irradiation recovery "simple method": cited in Doi/Nieder, *Strahlenther Onkol* 2021;197:463.
- Spinal cord, conventional re-RT: Nieder et al., *IJROBP* 2006;66:1446 (PMID 17084560).
- Spinal cord, SBRT after conventional RT: Sahgal et al., *IJROBP* 2012;82:107-116.

Unverified [U] parts, exposed as explicit parameters or reported in ``unverified`` fields:

- The LQ formulas themselves are tagged [U, standard] in the reference (textbook, primary text not
  re-checked); every result lists :data:`UNVERIFIED_LQ`.
- Repopulation correction: the model form is [U]; ``tk_days`` and ``dprolif_gy_per_day`` have no
  defaults and must be set by the user (:class:`TimeCorrection`).
- EBRT + HDR summation follows the GEC-ESTRO convention [U] (full repair, no time correction).
- Typical alpha/beta values other than spinal cord 2 Gy (Nieder 2006) are textbook values [U]; this
  module never picks an alpha/beta for the caller.
"""

from __future__ import annotations

from palliro.core.dose.formulas import (
    bed,
    dprolif_from_tpot,
    eqd2,
    eqd2_of_fractions,
    eqdx,
    isoeffective_total_dose,
    overall_time_days,
    time_corrected_bed,
)
from palliro.core.dose.metrics import (
    CombinedDoseResult,
    ComparisonRow,
    DoseResult,
    IsoeffectResult,
    RegimenComparison,
    TimeCorrection,
    combine_ebrt_brachytherapy,
    compare_regimens,
    convert_isoeffective,
    dose_metrics,
)
from palliro.core.dose.regimen import Regimen, nominal_overall_time_days, parse_regimen
from palliro.core.dose.reirradiation import (
    Course,
    CourseDose,
    ReirradiationResult,
    cumulative_dose,
)

__all__ = [
    "ComparisonRow",
    "CombinedDoseResult",
    "Course",
    "CourseDose",
    "DoseResult",
    "IsoeffectResult",
    "ReirradiationResult",
    "Regimen",
    "RegimenComparison",
    "TimeCorrection",
    "bed",
    "combine_ebrt_brachytherapy",
    "compare_regimens",
    "convert_isoeffective",
    "cumulative_dose",
    "dose_metrics",
    "dprolif_from_tpot",
    "eqd2",
    "eqd2_of_fractions",
    "eqdx",
    "isoeffective_total_dose",
    "nominal_overall_time_days",
    "overall_time_days",
    "parse_regimen",
    "time_corrected_bed",
]
