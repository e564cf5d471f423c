"""Shared constants, citations and checks for :mod:`palliro.core.dose`."""

from __future__ import annotations

from typing import Literal

from palliro.core.errors import require_positive

Schedule = Literal["daily", "weekly", "bid"]
SCHEDULES: tuple[str, ...] = ("daily", "weekly", "bid")

#: Plausibility bounds for a single course; beyond them the text is treated as a typo.
MAX_FRACTIONS = 100
MAX_DOSE_PER_FRACTION_GY = 50.0

SRC_FOWLER = "Fowler JF, Br J Radiol 1989;62:679 (LQ/BED); Bentzen SM et al., Radiother Oncol 2012;105:266"
SRC_BRENNER = "Brenner DJ, Semin Radiat Oncol 2008;18:234 (PMC2750078)"
SRC_SFRO = "SFRO isoeffect calculator (d 1-6 Gy, >=6-8 h between fractions)"
SRC_RECOVERY = "Simple recovery method cited in Doi H, Nieder C et al., Strahlenther Onkol 2021;197:463"
SRC_NIEDER = "Nieder C et al., Int J Radiat Oncol Biol Phys 2006;66:1446 (PMID 17084560)"
SRC_SAHGAL = "Sahgal A et al., Int J Radiat Oncol Biol Phys 2012;82:107-116"
SRC_GEC_ESTRO = "GEC-ESTRO EQD2 summation convention (full repair between HDR fractions)"

UNVERIFIED_LQ = "lq_model: BED/EQD2 formulas are textbook LQ (Fowler 1989); primary text not re-checked [U]"
UNVERIFIED_TIME = (
    "repopulation: BED - Dprolif*(T - Tk) model and its Tk/Dprolif values are not established for "
    "palliative settings [U]; parameters are user-set"
)
UNVERIFIED_BRACHY = "brachy_sum: EBRT + HDR EQD2 summation follows the GEC-ESTRO convention [U]"

# Spinal-cord re-irradiation thresholds (units as in the sources).
NIEDER_CUMULATIVE_MAX_GY2 = 135.5  # cumulative BED at alpha/beta 2
NIEDER_COURSE_MAX_GY2 = 98.0  # each course, BED at alpha/beta 2
NIEDER_NO_MYELOPATHY_GY2 = 120.0
NIEDER_MIN_INTERVAL_MONTHS = 6.0
SAHGAL_TOTAL_MAX_NBED = 70.0  # nBED = EQD2 at alpha/beta 2 (Gy2/2)
SAHGAL_SBRT_MAX_NBED = 25.0
SAHGAL_SBRT_MAX_SHARE = 0.5
SAHGAL_MIN_INTERVAL_MONTHS = 5.0

FLOAT_TOL = 1e-9


def check_alpha_beta(alpha_beta: object) -> float:
    """Return alpha/beta as a float > 0 or raise naming ``alpha_beta``."""
    return require_positive(alpha_beta, "alpha_beta")
