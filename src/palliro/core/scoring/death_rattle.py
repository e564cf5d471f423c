"""Death-rattle intensity on the Back scale (Palliro instrument "palliro-death-rattle").

Source: Back IN et al., Palliat Med 2001;15:329, grades as worded in Wildiers et al. 2009 and
quoted in the Cochrane review (PMC6478131):

* 0 not audible
* 1 audible only near the patient
* 2 clearly audible at the end of the bed in a quiet room
* 3 clearly audible at about 9.5 m in a quiet room

The grade is reported as is (0-3, higher = worse); it is rated by relatives or staff.
:func:`death_rattle_onset` applies the SILENCE trial definition (BMC Palliat Care 2018,
s12904-018-0359-4): death rattle is present from the second of two consecutive assessments,
taken 4 hours apart, with grade 2 or more.

Other scales (Likar 2008's 1-5 scale, the Victoria Respiratory Congestion Scale) are not
implemented: the latter's grades could not be verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import (
    InstrumentDefinition,
    ItemDefinition,
    Method,
    ScaleDefinition,
    ScaleKind,
    Scorer,
)

CODE = "palliro-death-rattle"
ITEM = "intensity"
MAX_GRADE = 3
SILENCE_MIN_GRADE = 2
SILENCE_CONSECUTIVE = 2

BACK_GRADES = (
    "Not audible",
    "Audible only near the patient",
    "Clearly audible at the end of the bed",
    "Clearly audible at about 9.5 m",
)

DEFINITION = InstrumentDefinition(
    code=CODE,
    name="Death-rattle intensity (Back scale)",
    version="1",
    source="Back et al., Palliat Med 2001;15:329 (grades as worded in Wildiers et al. 2009)",
    items=(
        ItemDefinition(
            key=ITEM, label="Death-rattle intensity", minimum=0, maximum=MAX_GRADE, answer_labels=BACK_GRADES
        ),
    ),
    scales=(
        ScaleDefinition(
            code="BACK",
            label="Death-rattle intensity (Back scale)",
            kind=ScaleKind.INTENSITY,
            items=(ITEM,),
            method=Method.SUM,
            min_answered=1,
            missing_rule="single-item scale",
            score_min=0.0,
            score_max=float(MAX_GRADE),
            higher_is_better=False,
        ),
    ),
)


class DeathRattleScorer(Scorer):
    """Scores the Back-scale death-rattle grade (0-3)."""

    def __init__(self) -> None:
        super().__init__(DEFINITION)


def death_rattle_onset(
    grades: Sequence[int | None],
    *,
    min_grade: int = SILENCE_MIN_GRADE,
    consecutive: int = SILENCE_CONSECUTIVE,
) -> int | None:
    """Index of the assessment at which death rattle is first established, or None.

    ``grades`` are Back grades of successive assessments taken at the protocol's interval
    (4-hourly in SILENCE); None marks an assessment that was not done, which breaks a run because
    the grade in between is unknown. Defaults follow the SILENCE trial: grade >= 2 at 2
    consecutive assessments.
    """
    if isinstance(min_grade, bool) or not isinstance(min_grade, int) or not 1 <= min_grade <= MAX_GRADE:
        raise PalliroValueError(f"must be an integer 1-{MAX_GRADE}, got {min_grade!r}", field="min_grade")
    if isinstance(consecutive, bool) or not isinstance(consecutive, int) or consecutive < 1:
        raise PalliroValueError(f"must be a positive integer, got {consecutive!r}", field="consecutive")
    run = 0
    for index, grade in enumerate(grades):
        if grade is not None and (
            isinstance(grade, bool) or not isinstance(grade, Integral) or not 0 <= grade <= MAX_GRADE
        ):
            raise PalliroValueError(
                f"grade {grade!r} at position {index} is not an integer 0-{MAX_GRADE}", field="grades"
            )
        run = run + 1 if grade is not None and grade >= min_grade else 0
        if run >= consecutive:
            return index
    return None
