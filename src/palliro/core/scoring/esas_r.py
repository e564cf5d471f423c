"""ESAS-r, the revised Edmonton Symptom Assessment System.

Source: Watanabe SM et al., J Pain Symptom Manage 2011;41:456. Nine core items rated 0-10 for
"now" (0 = none / best wellbeing, 10 = worst possible), plus an optional "other problem" item.
Each item is reported as its own scale.

Subscores named by Cheung/Zimmermann, J Pain Symptom Manage 2009;37:297: total symptom distress
score (TSDS), physical (PHS) and psychological (PSS) subscores. Their composition is the one in
common use but is **not verified**, so it is the parameter ``subscale_items`` and those three
scales are marked ``verified=False``. Defaults:

* TSDS = sum of the 9 core items (0-90)
* PHS = pain + tiredness + drowsiness + nausea + lack of appetite + shortness of breath (0-60)
* PSS = depression + anxiety (0-20)

No published missing-item rule was found; by design a sum is missing if any of its items is
missing (a partial sum would not be comparable across patients). The "other problem" item never
enters a sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import (
    InstrumentDefinition,
    ItemDefinition,
    Method,
    ScaleDefinition,
    ScaleKind,
    Scorer,
)

CODE = "esas-r"

# (item key, scale code, label)
_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("pain", "PAIN", "Pain"),
    ("tiredness", "TIREDNESS", "Tiredness"),
    ("drowsiness", "DROWSINESS", "Drowsiness"),
    ("nausea", "NAUSEA", "Nausea"),
    ("lack_of_appetite", "APPETITE", "Lack of appetite"),
    ("shortness_of_breath", "SOB", "Shortness of breath"),
    ("depression", "DEPRESSION", "Depression"),
    ("anxiety", "ANXIETY", "Anxiety"),
    ("wellbeing", "WELLBEING", "Wellbeing (0 = best)"),
    ("other", "OTHER", "Other problem"),
)
CORE_ITEMS = tuple(key for key, _code, _label in _ITEMS if key != "other")

_SUBSCALES: tuple[tuple[str, str, ScaleKind], ...] = (
    ("TSDS", "Total symptom distress score", ScaleKind.TOTAL),
    ("PHS", "Physical symptom subscore", ScaleKind.SUBSCORE),
    ("PSS", "Psychological symptom subscore", ScaleKind.SUBSCORE),
)

DEFAULT_SUBSCALE_ITEMS: Mapping[str, tuple[str, ...]] = {
    "TSDS": CORE_ITEMS,
    "PHS": ("pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite", "shortness_of_breath"),
    "PSS": ("depression", "anxiety"),
}

_UNVERIFIED = "ESAS-r subscore composition is the one in common use, not checked against a primary source"


class EsasRScorer(Scorer):
    """Scores the ESAS-r: each item (0-10) and the TSDS, PHS and PSS sums.

    Args:
        subscale_items: for each of ``"TSDS"``, ``"PHS"``, ``"PSS"`` the core item keys summed.
            Defaults to :data:`DEFAULT_SUBSCALE_ITEMS`. [unverified]
    """

    def __init__(self, *, subscale_items: Mapping[str, Sequence[str]] | None = None) -> None:
        chosen = _check_subscales(DEFAULT_SUBSCALE_ITEMS if subscale_items is None else subscale_items)
        self.subscale_items = chosen
        super().__init__(
            _definition(chosen),
            parameters=(
                (
                    "subscale_items",
                    "; ".join(f"{code}={'+'.join(chosen[code])}" for code, _l, _k in _SUBSCALES),
                ),
            ),
        )


def _check_subscales(subscales: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    if not isinstance(subscales, Mapping):
        raise PalliroValueError("must map subscale codes to item keys", field="subscale_items")
    expected = [code for code, _label, _kind in _SUBSCALES]
    if set(subscales) != set(expected):
        raise PalliroValueError(
            f"must give items for exactly {expected}, got {sorted(map(str, subscales))}",
            field="subscale_items",
        )
    chosen: dict[str, tuple[str, ...]] = {}
    for code in expected:
        keys = tuple(subscales[code])
        unknown = [k for k in keys if k not in CORE_ITEMS]
        if not keys or unknown or len(set(keys)) != len(keys):
            raise PalliroValueError(
                f"{code} must list distinct core items from {list(CORE_ITEMS)}, got {list(keys)}",
                field="subscale_items",
            )
        chosen[code] = keys
    return chosen


def _definition(subscales: Mapping[str, tuple[str, ...]]) -> InstrumentDefinition:
    items = tuple(ItemDefinition(key=key, label=label, minimum=0, maximum=10) for key, _code, label in _ITEMS)
    single = [
        ScaleDefinition(
            code=code,
            label=label,
            kind=ScaleKind.SYMPTOM,
            items=(key,),
            method=Method.SUM,
            min_answered=1,
            missing_rule="single-item scale",
            score_min=0.0,
            score_max=10.0,
            higher_is_better=False,
        )
        for key, code, label in _ITEMS
    ]
    sums = [
        ScaleDefinition(
            code=code,
            label=label,
            kind=kind,
            items=subscales[code],
            method=Method.SUM,
            min_answered=len(subscales[code]),
            missing_rule="all items required",
            score_min=0.0,
            score_max=10.0 * len(subscales[code]),
            higher_is_better=False,
            verified=False,
            unverified_reason=_UNVERIFIED,
        )
        for code, label, kind in _SUBSCALES
    ]
    return InstrumentDefinition(
        code=CODE,
        name="Edmonton Symptom Assessment System, revised (ESAS-r)",
        version="revised 2011",
        source="Watanabe et al., J Pain Symptom Manage 2011;41:456; subscores: Cheung et al., "
        "J Pain Symptom Manage 2009;37:297",
        items=items,
        scales=tuple(single + sums),
    )
