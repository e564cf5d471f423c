"""Golden tests for the Copenhagen Burnout Inventory scorer.

Source of the expected numbers: clinical.md §3.6 "Example [C]", from the PUMA English version
scoring (Kristensen et al. 2005): answers map to 100/75/50/25/0, a scale is the mean of its
answered items, work item 7 of its scale (questionnaire item 13) is reversed.
Answer codes here: 1 Always/very high degree ... 5 Never/very low degree.
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, CbiScorer

REF_TOL = 0.005  # reference prints 42.86
ALWAYS, OFTEN, SOMETIMES, SELDOM, NEVER = 1, 2, 3, 4, 5

# clinical.md §3.6: personal Always, Often, Sometimes, Sometimes, Seldom, Never -> 50.0.
PERSONAL = {1: ALWAYS, 2: OFTEN, 3: SOMETIMES, 4: SOMETIMES, 5: SELDOM, 6: NEVER}
# clinical.md §3.6: work 75, 50, 25, 75, 50, 25 points plus "Always" on the reversed item -> 300/7.
WORK = {7: 2, 8: 3, 9: 4, 10: 2, 11: 3, 12: 4, 13: ALWAYS}


def test_reference_examples() -> None:
    result = SCORERS["cbi"].score(PERSONAL | WORK)
    assert result["PB"].value == pytest.approx(50.0, abs=REF_TOL)
    assert result["WB"].value == pytest.approx(42.86, abs=REF_TOL)
    assert result["WB"].value == pytest.approx(300 / 7, rel=1e-12)
    assert result["CB"].value is None


def test_reversed_item_scores_never_as_100() -> None:
    only_item_13 = {13: NEVER, 7: NEVER, 8: NEVER, 9: NEVER}
    # 0 + 0 + 0 + 100 over 4 answered items.
    assert SCORERS["cbi"].score(only_item_13)["WB"].value == pytest.approx(25.0, abs=1e-12)


def test_answer_labels_follow_codes() -> None:
    definition = SCORERS["cbi"].definition
    assert definition.item("1").answer_labels[0] == "Always"
    assert definition.item("7").answer_labels[-1] == "To a very low degree"
    assert definition.scale("WB").reversed_items == frozenset({"13"})


def test_personal_non_responder_below_three() -> None:
    two = SCORERS["cbi"].score({1: ALWAYS, 2: OFTEN})["PB"]
    assert two.value is None and "2 of 6" in two.missing_reason
    three = SCORERS["cbi"].score({1: ALWAYS, 2: OFTEN, 3: SOMETIMES})["PB"]
    assert three.value == pytest.approx(75.0, abs=1e-12)


def test_work_non_responder_below_four() -> None:
    three = SCORERS["cbi"].score({7: 1, 8: 1, 9: 1})["WB"]
    assert three.value is None and "at least 4" in three.missing_reason
    four = SCORERS["cbi"].score({7: 1, 8: 1, 9: 1, 10: 1})["WB"]
    assert four.value == pytest.approx(100.0, abs=1e-12)


def test_client_scale_threshold_is_an_unverified_parameter() -> None:
    answers = {14: ALWAYS, 15: OFTEN, 16: SELDOM}
    default = SCORERS["cbi"].score(answers)
    assert default["CB"].value == pytest.approx((100 + 75 + 25) / 3, rel=1e-12)
    assert default["CB"].verified is False and "client_min_answered" in default["CB"].unverified_reason
    assert default["PB"].verified is True and default["WB"].verified is True
    stricter = CbiScorer(client_min_answered=4).score(answers)
    assert stricter["CB"].value is None
    assert stricter.parameters == (("client_min_answered", "4"),)


@pytest.mark.parametrize("value", [0, 7, None, "3"])
def test_invalid_client_parameter(value: object) -> None:
    with pytest.raises(PalliroValueError) as info:
        CbiScorer(client_min_answered=value)  # type: ignore[arg-type]
    assert info.value.field == "client_min_answered"


@pytest.mark.parametrize(("bad", "field"), [({1: 0}, "1"), ({19: 6}, "19"), ({20: 1}, "20")])
def test_invalid_answers(bad: dict, field: str) -> None:
    with pytest.raises(PalliroValueError) as info:
        SCORERS["cbi"].score(bad)
    assert info.value.field == field
