"""Tests for the death-rattle (Back scale) scorer and the SILENCE onset definition.

Sources: clinical.md §3.7: Back et al. 2001 grades 0-3; SILENCE trial (BMC Palliat Care 2018):
death rattle = grade >= 2 at 2 consecutive assessments 4 h apart.
"""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, death_rattle_onset


@pytest.mark.parametrize("grade", [0, 1, 2, 3])
def test_grade_is_reported_as_is(grade: int) -> None:
    result = SCORERS["palliro-death-rattle"].score({"intensity": grade})
    assert result["BACK"].value == float(grade)
    assert result.verified


def test_missing_and_invalid_grade() -> None:
    assert SCORERS["palliro-death-rattle"].score({})["BACK"].value is None
    with pytest.raises(PalliroValueError, match="outside 0-3") as info:
        SCORERS["palliro-death-rattle"].score({"intensity": 4})
    assert info.value.field == "intensity"


def test_definition_has_four_grade_labels() -> None:
    item = SCORERS["palliro-death-rattle"].definition.item("intensity")
    assert (item.minimum, item.maximum, len(item.answer_labels)) == (0, 3, 4)


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ([0, 1, 2, 2], 3),  # second consecutive grade >= 2
        ([2, 1, 2, 3, 3], 3),
        ([3, 3], 1),
        ([2, 1, 2, 1], None),  # never two in a row
        ([2, None, 2], None),  # a skipped assessment breaks the run
        ([], None),
    ],
)
def test_silence_onset(grades: list[int | None], expected: int | None) -> None:
    assert death_rattle_onset(grades) == expected


def test_onset_parameters_and_validation() -> None:
    assert death_rattle_onset([1, 1], min_grade=1) == 1
    assert death_rattle_onset([2, 2, 2], consecutive=3) == 2
    with pytest.raises(PalliroValueError) as info:
        death_rattle_onset([0, 5])
    assert info.value.field == "grades"
    with pytest.raises(PalliroValueError) as info:
        death_rattle_onset([0], min_grade=4)
    assert info.value.field == "min_grade"
    with pytest.raises(PalliroValueError) as info:
        death_rattle_onset([0], consecutive=0)
    assert info.value.field == "consecutive"
