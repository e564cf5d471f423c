"""Tests for the EORTC QLQ-BM22 scorer.

Expected values are computed by hand from the standard EORTC formulas that clinical.md §3.2 says
the module uses (QLQ-C30 Scoring Manual, Fayers et al. 2001: symptom ``(RS-1)/3*100``,
functional ``(1-(RS-1)/3)*100``, half rule). Item numbering and direction are unverified
(clinical.md §3.2, §6 item 3), so the tests also pin down that this is reported.
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, QlqBm22Scorer

EXACT_TOL = 1e-9

# Module positions 1-22: PS 1-5, PC 6-8, FI 9-16, PA 17-22.
EXAMPLE = [2, 3, 1, 1, 4, 2, 2, 3, 1, 2, 2, 1, 3, 1, 1, 1, 2, 1, 3, 4, 1, 2]


def appended(values: list[int | None]) -> dict[int, int | None]:
    return {30 + position: a for position, a in enumerate(values, start=1)}


def test_default_scorer_in_registry_uses_appended_numbering() -> None:
    scorer = SCORERS["eortc-qlq-bm22"]
    assert [i.key for i in scorer.definition.items] == [str(n) for n in range(31, 53)]
    assert scorer.definition.scale("PS").items == ("31", "32", "33", "34", "35")
    assert scorer.definition.scale("PA").items == tuple(str(n) for n in range(47, 53))
    assert scorer.parameters == (("item_offset", "30"), ("reversed_items", "none"))


def test_hand_computed_example() -> None:
    result = QlqBm22Scorer().score(appended(EXAMPLE))
    # PS RS = 11/5; PC RS = 7/3; FI RS = 12/8; PA RS = 13/6 (hand-computed from EXAMPLE).
    assert result["PS"].value == pytest.approx((11 / 5 - 1) / 3 * 100, rel=EXACT_TOL)  # 40.00
    assert result["PS"].value == pytest.approx(40.0, abs=1e-9)
    assert result["PC"].value == pytest.approx(400 / 9, rel=EXACT_TOL)  # 44.44
    assert result["FI"].value == pytest.approx(250 / 3, rel=EXACT_TOL)  # 83.33
    assert result["PA"].value == pytest.approx((1 - (13 / 6 - 1) / 3) * 100, rel=EXACT_TOL)  # 61.11


def test_every_scale_is_marked_unverified() -> None:
    result = QlqBm22Scorer().score(appended(EXAMPLE))
    assert not result.verified
    for scale in result.scales:
        assert scale.verified is False
        assert "BM22" in scale.unverified_reason
    assert "direction" in result["PA"].unverified_reason
    assert "direction" in result["FI"].unverified_reason


def test_reversed_items_parameter() -> None:
    # Reversing module position 20 (answer 4 -> 1): PA RS = 10/6 -> (1 - (10/6-1)/3)*100 = 77.78.
    result = QlqBm22Scorer(reversed_items=[20]).score(appended(EXAMPLE))
    assert result["PA"].value == pytest.approx((1 - (10 / 6 - 1) / 3) * 100, rel=EXACT_TOL)
    assert result["PA"].raw_score == pytest.approx(10 / 6, rel=EXACT_TOL)
    assert result["PS"].value == pytest.approx(40.0, abs=EXACT_TOL)
    assert result.parameters == (("item_offset", "30"), ("reversed_items", "20"))


def test_standalone_numbering() -> None:
    scorer = QlqBm22Scorer(item_offset=0)
    by_position = {position: a for position, a in enumerate(EXAMPLE, start=1)}
    assert scorer.score(by_position).scales == QlqBm22Scorer().score(appended(EXAMPLE)).scales
    with pytest.raises(PalliroValueError) as info:
        scorer.score({23: 1})
    assert info.value.field == "23"


def test_half_rule_on_functional_interference() -> None:
    values: list[int | None] = list(EXAMPLE)
    for position in (9, 10, 11, 12):  # 4 of 8 FI items left: exactly half, scored
        values[position - 1] = None
    assert QlqBm22Scorer().score(appended(values))["FI"].value is not None
    values[12] = None  # position 13: 3 of 8 left
    fi = QlqBm22Scorer().score(appended(values))["FI"]
    assert fi.value is None and "3 of 8" in fi.missing_reason


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"item_offset": -1}, "item_offset"),
        ({"item_offset": "30"}, "item_offset"),
        ({"reversed_items": [0]}, "reversed_items"),
        ({"reversed_items": [23]}, "reversed_items"),
        ({"reversed_items": ["20"]}, "reversed_items"),
    ],
)
def test_invalid_parameters(kwargs: dict, field: str) -> None:
    with pytest.raises(PalliroValueError) as info:
        QlqBm22Scorer(**kwargs)
    assert info.value.field == field


def test_out_of_range_answer_names_item() -> None:
    with pytest.raises(PalliroValueError, match="outside 1-4") as info:
        QlqBm22Scorer().score({40: 5})
    assert info.value.field == "40"
