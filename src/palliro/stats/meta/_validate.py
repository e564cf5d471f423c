"""Input checks shared by every meta-analysis entry point (one place, one message style)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from palliro.stats.errors import StatsInputError


def as_vector(values: object, field: str, *, n: int | None = None) -> np.ndarray:
    """Convert to a 1-D float array, rejecting non-numeric, missing or infinite entries."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must contain numbers only", field=field) from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise StatsInputError("must be one-dimensional", field=field)
    if arr.size == 0:
        raise StatsInputError("must not be empty", field=field)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise StatsInputError("missing or non-finite value", field=field, row=int(bad[0]))
    if n is not None and arr.size != n:
        raise StatsInputError(f"has {arr.size} values but {n} studies were given", field=field)
    return arr


def require_positive(arr: np.ndarray, field: str, *, strict: bool = True) -> None:
    bad = np.flatnonzero(arr <= 0 if strict else arr < 0)
    if bad.size:
        word = "positive" if strict else "non-negative"
        raise StatsInputError(f"must be {word} (got {arr[bad[0]]:g})", field=field, row=int(bad[0]))


def require_counts(arr: np.ndarray, field: str) -> None:
    require_positive(arr, field, strict=False)
    bad = np.flatnonzero(arr != np.round(arr))
    if bad.size:
        raise StatsInputError(f"must be whole numbers (got {arr[bad[0]]:g})", field=field, row=int(bad[0]))


def labels_for(labels: Sequence[object] | None, k: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(f"Study {i + 1}" for i in range(k))
    out = tuple(str(x) for x in labels)
    if len(out) != k:
        raise StatsInputError(f"has {len(out)} labels but {k} studies were given", field="labels")
    return out


def check_level(level: float) -> float:
    level = float(level)
    if not 50.0 <= level < 100.0:
        raise StatsInputError("must be a percentage between 50 and 100, e.g. 95", field="level")
    return level


def check_choice(value: str, choices: Sequence[str], field: str) -> str:
    if value not in choices:
        raise StatsInputError(f"{value!r} is not one of {', '.join(map(repr, choices))}", field=field)
    return value
