"""Golden tests for the Brief Pain Inventory (short form) scorer.

Source of the expected numbers: clinical.md §3.5 "Example [C]", computed from the ePPOC
documentation of the Cleeland BPI User Guide rules (severity mean of items 3-6; interference mean
of 9A-G, valid with at least 4 of 7 answered).
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, BpiScorer, ScaleKind

REF_TOL = 0.005  # reference values printed with 2 decimals
INTERFERENCE = ["9A", "9B", "9C", "9D", "9E", "9F", "9G"]


def response(severity: list[int | None], interference: list[int | None]) -> dict[str, int | None]:
    answers: dict[str, int | None] = dict(zip(["3", "4", "5", "6"], severity, strict=True))
    answers.update(zip(INTERFERENCE, interference, strict=True))
    return answers


def test_reference_example_severity_and_interference() -> None:
    # clinical.md §3.5: severity 8, 2, 5, 4 -> 4.75; interference 7, 6, 5, 8, 3, 6, 7 -> 6.00.
    result = SCORERS["bpi-sf"].score(response([8, 2, 5, 4], [7, 6, 5, 8, 3, 6, 7]))
    assert result["SEV"].value == pytest.approx(4.75, abs=REF_TOL)
    assert result["INT"].value == pytest.approx(6.00, abs=REF_TOL)
    assert result["WORST"].value == 8.0  # item 3, the consensus pain-response input
    assert (result["LEAST"].value, result["AVERAGE"].value, result["NOW"].value) == (2.0, 5.0, 4.0)
    assert result["INT"].kind is ScaleKind.INTERFERENCE
    assert result.verified


def test_interference_four_of_seven_rule() -> None:
    # clinical.md §3.5: only 7, 6, 5, 8 answered -> 6.50; with 3 answered -> missing.
    four = SCORERS["bpi-sf"].score(response([8, 2, 5, 4], [7, 6, 5, 8, None, None, None]))
    assert four["INT"].value == pytest.approx(6.50, abs=REF_TOL)
    assert four["INT"].n_answered == 4
    three = SCORERS["bpi-sf"].score(response([8, 2, 5, 4], [7, 6, 5, None, None, None, None]))
    assert three["INT"].value is None
    assert "3 of 7" in three["INT"].missing_reason
    assert "BPI interference rule" in three["INT"].missing_reason


def test_severity_missing_rule_parameter() -> None:
    answers = response([8, None, 5, 4], [7, 6, 5, 8, 3, 6, 7])
    strict = BpiScorer().score(answers)
    assert strict["SEV"].value is None
    assert "severity_min_answered" in strict["SEV"].missing_reason
    assert strict["WORST"].value == 8.0
    lenient = BpiScorer(severity_min_answered=3).score(answers)
    assert lenient["SEV"].value == pytest.approx(17 / 3, rel=1e-12)
    assert lenient.parameters == (("severity_min_answered", "3"),)


@pytest.mark.parametrize("value", [0, 5, "4", 2.5, True])
def test_invalid_severity_parameter(value: object) -> None:
    with pytest.raises(PalliroValueError) as info:
        BpiScorer(severity_min_answered=value)  # type: ignore[arg-type]
    assert info.value.field == "severity_min_answered"


def test_keys_are_case_insensitive() -> None:
    lower = {"3": 8, "9a": 7, "9b": 6, "9c": 5, "9d": 8}
    upper = {"3": 8, "9A": 7, "9B": 6, "9C": 5, "9D": 8}
    result = SCORERS["bpi-sf"].score(lower)
    assert result == SCORERS["bpi-sf"].score(upper)
    assert dict(result.answers)["9A"] == 7


@pytest.mark.parametrize(
    ("bad", "field"), [({"3": 11}, "3"), ({"9G": -1}, "9G"), ({"9H": 1}, "9H"), ({7: 1}, "7")]
)
def test_invalid_answers(bad: dict, field: str) -> None:
    with pytest.raises(PalliroValueError) as info:
        SCORERS["bpi-sf"].score(bad)
    assert info.value.field == field
