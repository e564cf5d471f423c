"""EORTC QLQ-C15-PAL, the 15-item palliative-care core questionnaire.

Source: Groenvold M et al., Eur J Cancer 2006;42:55-64 (15 items; four QLQ-C30 scales shortened
by item response theory). Items 1-14 are answered 1-4, item 15 (global quality of life) 1-7.

Not verified: the EORTC describes the scoring in an Addendum to the QLQ-C30 Scoring Manual that
was not available. Every scale is therefore marked ``verified=False``, and:

* ``item_map`` (scale code -> C15-PAL item numbers) defaults to the recalled map
  PF 1-3, DY 4, PA 5+12, SL 6, FA 7+11, AP 8, NV 9, CO 10, EF 13+14, QL 15.
* Scales are scored with the plain EORTC linear transform and half rule of the QLQ-C30. The
  addendum may prescribe a different scoring for the shortened PF, EF, FA and NV scales to make
  them comparable with QLQ-C30 scores; do not compare these values with QLQ-C30 scales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import InstrumentDefinition, ItemDefinition, ScaleKind, Scorer
from palliro.core.scoring.qlq_c30 import eortc_scale

CODE = "eortc-qlq-c15-pal"
N_ITEMS = 15

_SCALES: tuple[tuple[str, str, ScaleKind], ...] = (
    ("QL", "Overall quality of life", ScaleKind.GLOBAL),
    ("PF", "Physical functioning", ScaleKind.FUNCTIONAL),
    ("EF", "Emotional functioning", ScaleKind.FUNCTIONAL),
    ("FA", "Fatigue", ScaleKind.SYMPTOM),
    ("NV", "Nausea", ScaleKind.SYMPTOM),
    ("PA", "Pain", ScaleKind.SYMPTOM),
    ("DY", "Dyspnoea", ScaleKind.SYMPTOM),
    ("SL", "Insomnia", ScaleKind.SYMPTOM),
    ("AP", "Appetite loss", ScaleKind.SYMPTOM),
    ("CO", "Constipation", ScaleKind.SYMPTOM),
)

DEFAULT_ITEM_MAP: Mapping[str, tuple[int, ...]] = {
    "QL": (15,),
    "PF": (1, 2, 3),
    "EF": (13, 14),
    "FA": (7, 11),
    "NV": (9,),
    "PA": (5, 12),
    "DY": (4,),
    "SL": (6,),
    "AP": (8,),
    "CO": (10,),
}

_UNVERIFIED = (
    "C15-PAL item-to-scale map and scoring not checked against the EORTC addendum to the QLQ-C30 "
    "Scoring Manual; plain EORTC linear transform used, not comparable with QLQ-C30 scales"
)


class QlqC15PalScorer(Scorer):
    """Scores the QLQ-C15-PAL's ten scales (0-100, EORTC formulas, half rule).

    Args:
        item_map: scale code -> C15-PAL item numbers (1-15), for all ten scales. Defaults to
            :data:`DEFAULT_ITEM_MAP`. [unverified]
    """

    def __init__(self, *, item_map: Mapping[str, Sequence[int]] | None = None) -> None:
        chosen = _check_item_map(DEFAULT_ITEM_MAP if item_map is None else item_map)
        self.item_map = chosen
        super().__init__(
            _definition(chosen),
            parameters=(
                (
                    "item_map",
                    "; ".join(f"{code}={'+'.join(map(str, chosen[code]))}" for code, _l, _k in _SCALES),
                ),
            ),
        )


def _check_item_map(item_map: Mapping[str, Sequence[int]]) -> dict[str, tuple[int, ...]]:
    if not isinstance(item_map, Mapping):
        raise PalliroValueError("must map scale codes to item numbers", field="item_map")
    expected = {code for code, _label, _kind in _SCALES}
    if set(item_map) != expected:
        raise PalliroValueError(
            f"must give items for exactly the scales {sorted(expected)}, got {sorted(map(str, item_map))}",
            field="item_map",
        )
    chosen: dict[str, tuple[int, ...]] = {}
    used: set[int] = set()
    for code, numbers in item_map.items():
        numbers = tuple(numbers)
        if not numbers:
            raise PalliroValueError(f"scale {code} has no items", field="item_map")
        for n in numbers:
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= N_ITEMS:
                raise PalliroValueError(
                    f"scale {code}: item {n!r} is not an integer 1-{N_ITEMS}", field="item_map"
                )
            if n in used:
                raise PalliroValueError(f"item {n} is assigned to more than one scale", field="item_map")
            used.add(n)
        chosen[code] = numbers
    return chosen


def _definition(item_map: Mapping[str, tuple[int, ...]]) -> InstrumentDefinition:
    scale_of = {n: code for code, numbers in item_map.items() for n in numbers}
    labels = {code: label for code, label, _kind in _SCALES}
    items = tuple(
        ItemDefinition(
            key=str(n),
            label=f"{labels[scale_of[n]]}, item {n}" if n in scale_of else f"Item {n}",
            minimum=1,
            maximum=7 if n == N_ITEMS else 4,
        )
        for n in range(1, N_ITEMS + 1)
    )
    scales = tuple(
        eortc_scale(code, label, kind, tuple(str(n) for n in item_map[code]), unverified_reason=_UNVERIFIED)
        for code, label, kind in _SCALES
    )
    try:
        return InstrumentDefinition(
            code=CODE,
            name="EORTC QLQ-C15-PAL",
            version="2006",
            source="Groenvold et al., Eur J Cancer 2006;42:55-64; scoring addendum not checked",
            items=items,
            scales=scales,
        )
    except PalliroValueError as exc:
        # A custom map that mixes the 1-7 item with 1-4 items cannot be scored by one transform.
        raise PalliroValueError(str(exc), field="item_map") from exc
