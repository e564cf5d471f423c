"""EORTC QLQ-BM22, the bone-metastasis module.

Sources: Chow E et al., Eur J Cancer 2009;45:1146-1152 and Cancer 2012 (PMID 21837676): 22 items
in four scales, the symptom scales Painful Sites (5 items) and Pain Characteristics (3) and the
functional scales Functional Interference (8) and Psychosocial Aspects (6). Items are answered 1-4
and scored by the standard EORTC formulas with the half rule (see :mod:`.qlq_c30`).

Not verified (the EORTC scoring instructions for the module were not available), hence every
scale is marked ``verified=False``:

* ``item_offset``: the item numbering. Default 30, the numbering when the module is appended to
  the QLQ-C30 (PS 31-35, PC 36-38, FI 39-46, PA 47-52); use 0 for the standalone numbering 1-22.
  The order of scales within the module is assumed from the same recollection.
* ``reversed_items``: module positions (1-22) of positively worded items that are reversed
  (``5 - answer``) before scoring. Some Psychosocial Aspects items are recalled to be positively
  worded, but which ones is not confirmed, so the default reverses **none** and applies the
  standard EORTC functional formula to FI and PA as answered.
"""

from __future__ import annotations

from collections.abc import Iterable

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import InstrumentDefinition, ItemDefinition, ScaleKind, Scorer
from palliro.core.scoring.qlq_c30 import eortc_scale

CODE = "eortc-qlq-bm22"
N_ITEMS = 22
DEFAULT_ITEM_OFFSET = 30

# (code, label, kind, module positions)
_SCALES: tuple[tuple[str, str, ScaleKind, range], ...] = (
    ("PS", "Painful sites", ScaleKind.SYMPTOM, range(1, 6)),
    ("PC", "Pain characteristics", ScaleKind.SYMPTOM, range(6, 9)),
    ("FI", "Functional interference", ScaleKind.FUNCTIONAL, range(9, 17)),
    ("PA", "Psychosocial aspects", ScaleKind.FUNCTIONAL, range(17, 23)),
)

_NUMBERING_UNVERIFIED = (
    "item-to-scale numbering of the BM22 not checked against the EORTC module scoring instructions"
)
_DIRECTION_UNVERIFIED = (
    "item numbering and item direction (which positively worded items are reversed) of the BM22 "
    "not checked against the EORTC module scoring instructions"
)


class QlqBm22Scorer(Scorer):
    """Scores the QLQ-BM22's four scales (0-100, EORTC formulas, half rule).

    Args:
        item_offset: added to the module position (1-22) to form the item key; 30 (default)
            for the numbering after the QLQ-C30, 0 for standalone numbering. [unverified]
        reversed_items: module positions (1-22) of positively worded items to reverse before
            scoring; default none. [unverified]
    """

    def __init__(self, *, item_offset: int = DEFAULT_ITEM_OFFSET, reversed_items: Iterable[int] = ()) -> None:
        if isinstance(item_offset, bool) or not isinstance(item_offset, int) or item_offset < 0:
            raise PalliroValueError(
                f"must be a non-negative integer, got {item_offset!r}", field="item_offset"
            )
        positions = frozenset(reversed_items)
        bad = sorted(
            str(p)
            for p in positions
            if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= N_ITEMS
        )
        if bad:
            raise PalliroValueError(
                f"module positions must be integers 1-{N_ITEMS}, got {', '.join(bad)}", field="reversed_items"
            )
        self.item_offset = item_offset
        self.reversed_items = positions
        super().__init__(
            _definition(item_offset, positions),
            parameters=(
                ("item_offset", str(item_offset)),
                ("reversed_items", ",".join(str(p) for p in sorted(positions)) or "none"),
            ),
        )


def _definition(offset: int, reversed_positions: frozenset[int]) -> InstrumentDefinition:
    def key(position: int) -> str:
        return str(offset + position)

    items: list[ItemDefinition] = []
    scales = []
    for code, label, kind, positions in _SCALES:
        items.extend(
            ItemDefinition(key=key(p), label=f"{label}, module item {p}", minimum=1, maximum=4)
            for p in positions
        )
        scales.append(
            eortc_scale(
                code,
                label,
                kind,
                tuple(key(p) for p in positions),
                reversed_items=frozenset(key(p) for p in positions if p in reversed_positions),
                unverified_reason=_NUMBERING_UNVERIFIED
                if kind is ScaleKind.SYMPTOM
                else _DIRECTION_UNVERIFIED,
            )
        )
    return InstrumentDefinition(
        code=CODE,
        name="EORTC QLQ-BM22",
        version="2009",
        source="Chow et al., Eur J Cancer 2009;45:1146-1152; Chow et al., Cancer 2012 (PMID 21837676)",
        items=tuple(items),
        scales=tuple(scales),
    )
