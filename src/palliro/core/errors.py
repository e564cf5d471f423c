"""Exceptions raised by :mod:`palliro.core`.

Domain code validates its input in one place per feature and raises
:class:`PalliroValueError` naming the offending field, so the web layer can attach the
message to the right form field or questionnaire item instead of showing a crash page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ClinicalWarning",
    "PalliroValueError",
    "require_bool",
    "require_choice",
    "require_int",
    "require_non_negative",
    "require_number",
    "require_positive",
    "require_range",
]


class PalliroValueError(ValueError):
    """Invalid input to a domain calculation.

    Attributes:
        field: name of the wrong field (argument, column or questionnaire item key).
    """

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


# --- shared validation helpers -------------------------------------------------------------
# Every calculator in palliro.core validates through these so messages look the same and always
# name the field.


@dataclass(frozen=True)
class ClinicalWarning:
    """A caveat attached to a calculation result (not a Python ``Warning``).

    Attributes:
        code: stable machine-readable identifier, e.g. ``"LQ_HIGH_DOSE_PER_FRACTION"``.
        message: human-readable explanation with the numbers involved.
        source: citation of the rule that triggered the warning.
    """

    code: str
    message: str
    source: str


def require_number(value: object, field: str) -> float:
    """Return ``value`` as a finite float, or raise naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PalliroValueError(f"must be a number, got {value!r}", field=field)
    result = float(value)
    if not math.isfinite(result):
        raise PalliroValueError(f"must be finite, got {value!r}", field=field)
    return result


def require_positive(value: object, field: str) -> float:
    """Return ``value`` as a float > 0, or raise naming ``field``."""
    result = require_number(value, field)
    if result <= 0:
        raise PalliroValueError(f"must be > 0, got {value!r}", field=field)
    return result


def require_non_negative(value: object, field: str) -> float:
    """Return ``value`` as a float >= 0, or raise naming ``field``."""
    result = require_number(value, field)
    if result < 0:
        raise PalliroValueError(f"must be >= 0, got {value!r}", field=field)
    return result


def require_range(value: object, field: str, low: float, high: float) -> float:
    """Return ``value`` as a float within ``[low, high]``, or raise naming ``field``."""
    result = require_number(value, field)
    if not low <= result <= high:
        raise PalliroValueError(f"must be between {low:g} and {high:g}, got {value!r}", field=field)
    return result


def require_int(value: object, field: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int (integral floats accepted) within optional bounds."""
    number = require_number(value, field)
    if number != int(number):
        raise PalliroValueError(f"must be a whole number, got {value!r}", field=field)
    result = int(number)
    if low is not None and result < low:
        raise PalliroValueError(f"must be >= {low}, got {value!r}", field=field)
    if high is not None and result > high:
        raise PalliroValueError(f"must be <= {high}, got {value!r}", field=field)
    return result


def require_bool(value: object, field: str) -> bool:
    """Return ``value`` if it is a bool; refuse truthy strings and numbers to avoid silent coercion."""
    if not isinstance(value, bool):
        raise PalliroValueError(f"must be True or False, got {value!r}", field=field)
    return value


def require_choice(value: object, field: str, allowed: Iterable[str]) -> str:
    """Return ``value`` normalised to lower case if it is one of ``allowed``, else raise."""
    options = tuple(allowed)
    if not isinstance(value, str) or value.strip().lower() not in options:
        raise PalliroValueError(f"must be one of {', '.join(options)}; got {value!r}", field=field)
    return value.strip().lower()
