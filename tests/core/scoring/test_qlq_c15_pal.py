"""Tests for the EORTC QLQ-C15-PAL scorer.

The item map (clinical.md §3.3) and the addendum scoring are unverified; expected values are
hand-computed from the plain EORTC linear transform (QLQ-C30 Scoring Manual, Fayers et al. 2001)
that the scorer documents as its default.
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, QlqC15PalScorer
from palliro.core.scoring.qlq_c15_pal import DEFAULT_ITEM_MAP

EXACT_TOL = 1e-9

# Items 1-15; item 15 is answered 1-7.
EXAMPLE = {1: 2, 2: 1, 3: 1, 4: 3, 5: 2, 6: 2, 7: 3, 8: 1, 9: 2, 10: 4, 11: 2, 12: 4, 13: 1, 14: 2, 15: 3}


def test_hand_computed_example() -> None:
    result = QlqC15PalScorer().score(EXAMPLE)
    expected = {
        "QL": (3 - 1) / 6 * 100,  # item 15 = 3 -> 33.33
        "PF": (1 - (4 / 3 - 1) / 3) * 100,  # items 1-3 = 2,1,1 -> 88.89
        "EF": (1 - (1.5 - 1) / 3) * 100,  # items 13,14 = 1,2 -> 83.33
        "FA": (2.5 - 1) / 3 * 100,  # items 7,11 = 3,2 -> 50.00
        "NV": (2 - 1) / 3 * 100,  # item 9 = 2 -> 33.33
        "PA": (3 - 1) / 3 * 100,  # items 5,12 = 2,4 -> 66.67
        "DY": (3 - 1) / 3 * 100,  # item 4 = 3 -> 66.67
        "SL": (2 - 1) / 3 * 100,
        "AP": 0.0,
        "CO": 100.0,
    }
    for code, value in expected.items():
        assert result[code].value == pytest.approx(value, rel=EXACT_TOL, abs=EXACT_TOL), code


def test_all_scales_unverified_with_reason() -> None:
    result = SCORERS["eortc-qlq-c15-pal"].score(EXAMPLE)
    assert not result.verified
    for scale in result.scales:
        assert scale.verified is False
        assert "addendum" in scale.unverified_reason


def test_item_15_range_and_default_map() -> None:
    definition = QlqC15PalScorer().definition
    assert (definition.item("15").minimum, definition.item("15").maximum) == (1, 7)
    assert {(i.minimum, i.maximum) for i in definition.items[:14]} == {(1, 4)}
    assert definition.scale("EF").items == ("13", "14")
    assert sorted(n for numbers in DEFAULT_ITEM_MAP.values() for n in numbers) == list(range(1, 16))
    with pytest.raises(PalliroValueError, match="outside 1-7") as info:
        QlqC15PalScorer().score({15: 8})
    assert info.value.field == "15"


def test_half_rule() -> None:
    answers = dict(EXAMPLE) | {1: None, 2: None}
    pf = QlqC15PalScorer().score(answers)["PF"]
    assert pf.value is None and "half rule" in pf.missing_reason
    answers[2] = 1
    assert QlqC15PalScorer().score(answers)["PF"].value == pytest.approx(100.0, abs=EXACT_TOL)


def test_custom_item_map() -> None:
    custom = dict(DEFAULT_ITEM_MAP) | {"PA": (5,), "FA": (7, 11, 12)}
    result = QlqC15PalScorer(item_map=custom).score(EXAMPLE)
    assert result["PA"].value == pytest.approx(100 / 3, rel=EXACT_TOL)
    assert result["FA"].value == pytest.approx((3 - 1) / 3 * 100, rel=EXACT_TOL)  # items 3,2,4
    assert "PA=5" in result.parameters[0][1]


@pytest.mark.parametrize(
    "item_map",
    [
        {"QL": (15,)},  # scales missing
        dict(DEFAULT_ITEM_MAP) | {"PF": (1, 2, 16)},  # item out of range
        dict(DEFAULT_ITEM_MAP) | {"PF": (1, 2, 3, 4)},  # item 4 also in DY
        dict(DEFAULT_ITEM_MAP) | {"PF": ()},
        dict(DEFAULT_ITEM_MAP) | {"QL": (15, 13), "EF": (14,)},  # mixes the 1-7 and 1-4 items
    ],
)
def test_invalid_item_map(item_map: dict) -> None:
    with pytest.raises(PalliroValueError) as info:
        QlqC15PalScorer(item_map=item_map)
    assert info.value.field == "item_map"
