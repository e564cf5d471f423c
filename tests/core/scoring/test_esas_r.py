"""Golden tests for the ESAS-r scorer.

Source of the expected numbers: clinical.md §3.4 "Example [C]" (pain 6, tiredness 5, drowsiness 3,
nausea 1, appetite 4, shortness of breath 2, depression 3, anxiety 4, wellbeing 5 -> TSDS 33,
PHS 21, PSS 7). Sums of integers are exact, hence the zero tolerance.
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, EsasRScorer
from palliro.core.scoring.esas_r import DEFAULT_SUBSCALE_ITEMS

EXAMPLE = {
    "pain": 6,
    "tiredness": 5,
    "drowsiness": 3,
    "nausea": 1,
    "lack_of_appetite": 4,
    "shortness_of_breath": 2,
    "depression": 3,
    "anxiety": 4,
    "wellbeing": 5,
}


def test_reference_example_totals() -> None:
    result = SCORERS["esas-r"].score(EXAMPLE)
    assert result["TSDS"].value == 33.0
    assert result["PHS"].value == 21.0
    assert result["PSS"].value == 7.0
    assert result["PAIN"].value == 6.0
    assert result["WELLBEING"].value == 5.0


def test_optional_other_item_is_reported_but_not_summed() -> None:
    result = SCORERS["esas-r"].score(EXAMPLE | {"other": 9})
    assert result["OTHER"].value == 9.0
    assert result["TSDS"].value == 33.0
    assert SCORERS["esas-r"].score(EXAMPLE)["OTHER"].value is None


def test_any_missing_item_leaves_sum_missing() -> None:
    result = SCORERS["esas-r"].score(EXAMPLE | {"anxiety": None})
    assert result["TSDS"].value is None
    assert result["PSS"].value is None
    assert "8 of 9" in result["TSDS"].missing_reason
    assert result["PHS"].value == 21.0


def test_subscores_are_unverified_single_items_are_not() -> None:
    result = SCORERS["esas-r"].score(EXAMPLE)
    for code in ("TSDS", "PHS", "PSS"):
        assert result[code].verified is False
        assert "subscore composition" in result[code].unverified_reason
    assert result["PAIN"].verified is True
    assert result["TSDS"].kind == "total"
    assert SCORERS["esas-r"].definition.scale("PHS").score_max == 60.0


def test_subscale_items_parameter() -> None:
    custom = dict(DEFAULT_SUBSCALE_ITEMS) | {"PSS": ("depression", "anxiety", "wellbeing")}
    result = EsasRScorer(subscale_items=custom).score(EXAMPLE)
    assert result["PSS"].value == 12.0
    assert EsasRScorer(subscale_items=custom).definition.scale("PSS").score_max == 30.0


@pytest.mark.parametrize(
    "subscales",
    [
        {"TSDS": ("pain",)},
        dict(DEFAULT_SUBSCALE_ITEMS) | {"PSS": ("depression", "other")},
        dict(DEFAULT_SUBSCALE_ITEMS) | {"PSS": ("depression", "depression")},
        dict(DEFAULT_SUBSCALE_ITEMS) | {"PSS": ()},
    ],
)
def test_invalid_subscale_items(subscales: dict) -> None:
    with pytest.raises(PalliroValueError) as info:
        EsasRScorer(subscale_items=subscales)
    assert info.value.field == "subscale_items"


@pytest.mark.parametrize(("bad", "field"), [({"pain": 11}, "pain"), ({"fatigue": 2}, "fatigue")])
def test_invalid_answers(bad: dict, field: str) -> None:
    with pytest.raises(PalliroValueError) as info:
        SCORERS["esas-r"].score(bad)
    assert info.value.field == field
