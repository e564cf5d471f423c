"""Fractionation regimens: the :class:`Regimen` type, text parsing and nominal overall time."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from palliro.core.dose._common import MAX_DOSE_PER_FRACTION_GY, MAX_FRACTIONS, SCHEDULES, Schedule
from palliro.core.errors import PalliroValueError, require_int, require_positive


@dataclass(frozen=True)
class Regimen:
    """A fractionation regimen: total dose (Gy), number of fractions, dose per fraction and schedule.

    Build with :meth:`from_dose_per_fraction`, :meth:`from_total` or :func:`parse_regimen`; the
    constructor checks that ``total_dose == fractions * dose_per_fraction``.
    """

    total_dose: float
    fractions: int
    dose_per_fraction: float
    schedule: Schedule = "daily"

    def __post_init__(self) -> None:
        total = require_positive(self.total_dose, "total_dose")
        n = require_int(self.fractions, "fractions", 1, MAX_FRACTIONS)
        d = require_positive(self.dose_per_fraction, "dose_per_fraction")
        if d > MAX_DOSE_PER_FRACTION_GY:
            raise PalliroValueError(
                f"{d:g} Gy per fraction exceeds the plausibility limit of {MAX_DOSE_PER_FRACTION_GY:g} Gy",
                field="dose_per_fraction",
            )
        if self.schedule not in SCHEDULES:
            raise PalliroValueError(
                f"must be one of {', '.join(SCHEDULES)}; got {self.schedule!r}", field="schedule"
            )
        if abs(total - n * d) > 1e-6 * max(total, 1.0):
            raise PalliroValueError(f"total dose {total:g} Gy is not {n} x {d:g} Gy", field="total_dose")

    @classmethod
    def from_dose_per_fraction(
        cls, dose_per_fraction: float, fractions: int, schedule: Schedule = "daily"
    ) -> Regimen:
        """Regimen of ``fractions`` x ``dose_per_fraction`` Gy."""
        d = require_positive(dose_per_fraction, "dose_per_fraction")
        n = require_int(fractions, "fractions", 1, MAX_FRACTIONS)
        return cls(total_dose=round(d * n, 10), fractions=n, dose_per_fraction=d, schedule=schedule)

    @classmethod
    def from_total(cls, total_dose: float, fractions: int, schedule: Schedule = "daily") -> Regimen:
        """Regimen of ``total_dose`` Gy in ``fractions`` equal fractions."""
        total = require_positive(total_dose, "total_dose")
        n = require_int(fractions, "fractions", 1, MAX_FRACTIONS)
        return cls(total_dose=total, fractions=n, dose_per_fraction=round(total / n, 10), schedule=schedule)

    @property
    def label(self) -> str:
        """Short text such as ``"20 Gy/5 (4 Gy)"`` or ``"4 Gy x 5 weekly"``."""
        if self.schedule == "daily":
            return f"{self.total_dose:g} Gy/{self.fractions} ({self.dose_per_fraction:g} Gy)"
        return f"{self.dose_per_fraction:g} Gy x {self.fractions} {self.schedule}"


_NUM = r"(\d+(?:\.\d+)?)"
_UNIT = r"(c?gy)"
_FX = r"(?:fractions?|fx|fr|#)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("d_x_n", re.compile(rf"^{_NUM}\s*{_UNIT}\s*x\s*{_NUM}\s*{_FX}?$")),
    ("n_x_d", re.compile(rf"^{_NUM}\s*x\s*{_NUM}\s*{_UNIT}$")),
    ("total_per_n", re.compile(rf"^{_NUM}\s*{_UNIT}\s*/\s*{_NUM}\s*{_FX}?$")),
    ("total_in_n", re.compile(rf"^{_NUM}\s*{_UNIT}\s+in\s+{_NUM}\s*{_FX}?$")),
)
_SCHEDULE_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bb\.?i\.?d\.?(?=\s|$|x)|\btwice (?:a )?daily\b|\btwice a day\b", "bid"),
    (r"\bonce (?:a )?weekly\b|\bweekly\b|\bonce a week\b|\bper week\b|/\s*week\b|\bqw\b", "weekly"),
    (r"\bonce (?:a )?daily\b|\bdaily\b|\bq\.?d\.?(?=\s|$|x)|\bper day\b", "daily"),
)
_ACCEPTED = '"8 Gy x 1", "20 Gy/5", "30 Gy in 10 fractions", "5 x 4 Gy", "3.7 Gy bid x 4", "4 Gy x 5 weekly"'


def parse_regimen(text: str) -> Regimen:
    """Parse a regimen written the way clinicians write it.

    Accepts dose-per-fraction forms (``"8 Gy x 1"``, ``"8Gy x1"``, ``"8 Gy × 1"``, ``"5 x 4 Gy"``),
    total-dose forms (``"20 Gy/5"``, ``"20 Gy in 5 fractions"``, ``"24 Gy/2 fx"``), ``cGy``, a decimal
    comma, and a schedule word anywhere (``bid``/``twice daily``, ``weekly``, ``daily``).  Without a
    schedule word the schedule is ``"daily"`` (documented default).  A dose unit is required so that
    ``"20/5"`` cannot be misread.

    Raises:
        PalliroValueError: (field ``"regimen"``, ``"fractions"``, ``"dose_per_fraction"`` ...) for text
        that cannot be parsed or describes an impossible regimen.
    """
    if not isinstance(text, str) or not text.strip():
        raise PalliroValueError(f"empty regimen; write e.g. {_ACCEPTED}", field="regimen")
    s = text.strip().lower().replace("×", "x").replace("*", "x")
    s = re.sub(r"(?<=\d),(?=\d)", ".", s)
    found = set()
    for pattern, schedule in _SCHEDULE_WORDS:
        if re.search(pattern, s):
            found.add(schedule)
            s = re.sub(pattern, " ", s)
    if len(found) > 1:
        raise PalliroValueError(f"conflicting schedules {sorted(found)} in {text!r}", field="regimen")
    schedule: Schedule = found.pop() if found else "daily"  # type: ignore[assignment]
    s = re.sub(r"\s+", " ", s).strip()
    if not re.search(r"c?gy", s):
        raise PalliroValueError(f"no dose unit (Gy or cGy) in {text!r}", field="regimen")
    for kind, pattern in _PATTERNS:
        match = pattern.match(s)
        if match is None:
            continue
        if kind == "n_x_d":
            n_text, d_text, unit = match.groups()
        else:
            a_text, unit, n_text = match.groups()
        scale = 0.01 if unit == "cgy" else 1.0
        n_value = float(n_text)
        if n_value != int(n_value):
            raise PalliroValueError(f"number of fractions must be whole, got {n_text}", field="fractions")
        n = int(n_value)
        if n < 1:
            raise PalliroValueError(f"number of fractions must be >= 1 in {text!r}", field="fractions")
        if kind in ("d_x_n", "n_x_d"):
            d = float(d_text if kind == "n_x_d" else a_text) * scale
            if d <= 0:
                raise PalliroValueError(
                    f"dose per fraction must be > 0 in {text!r}", field="dose_per_fraction"
                )
            return Regimen.from_dose_per_fraction(d, n, schedule)
        total = float(a_text) * scale
        if total <= 0:
            raise PalliroValueError(f"total dose must be > 0 in {text!r}", field="total_dose")
        return Regimen.from_total(total, n, schedule)
    raise PalliroValueError(f"cannot read {text!r}; write e.g. {_ACCEPTED}", field="regimen")


def as_regimen(value: Regimen | str, field_name: str) -> Regimen:
    if isinstance(value, Regimen):
        return value
    if isinstance(value, str):
        return parse_regimen(value)
    raise PalliroValueError(f"expected a Regimen or regimen text, got {value!r}", field=field_name)


def nominal_overall_time_days(regimen: Regimen, start_weekday: int = 0) -> int:
    """Overall time T (last - first fraction, days) if treatment starts on ``start_weekday`` (0 = Monday).

    Daily and twice-daily regimens are assumed to be treated Monday-Friday without gaps (two fractions
    per treatment day for ``bid``); weekly regimens take ``7 * (n - 1)`` days.  Example: 30 fractions
    daily from a Monday give T = 39 (reference §2.3).
    """
    weekday = require_int(start_weekday, "start_weekday", 0, 6)
    if regimen.schedule == "weekly":
        return 7 * (regimen.fractions - 1)
    if weekday > 4:
        raise PalliroValueError("daily treatment cannot start on a weekend day", field="start_weekday")
    treatment_days = regimen.fractions if regimen.schedule == "daily" else math.ceil(regimen.fractions / 2)
    day, counted = 0, 0
    while True:
        if (weekday + day) % 7 < 5:
            counted += 1
            if counted == treatment_days:
                return day
        day += 1
