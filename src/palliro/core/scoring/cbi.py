"""Copenhagen Burnout Inventory (CBI): personal, work-related and client-related burnout.

Source: Kristensen TS et al., Work & Stress 2005;19:192-207; scoring from the PUMA English
version of the questionnaire.

Answer codes follow the printed order, 1-5:

* frequency items: 1 Always, 2 Often, 3 Sometimes, 4 Seldom, 5 Never/almost never;
* degree items: 1 To a very high degree, 2 high, 3 somewhat, 4 low, 5 To a very low degree.

Codes 1-5 score 100, 75, 50, 25, 0 points (the EORTC descending formula with range 4); a
reversed item scores 0 ... 100. A scale is the mean of the points of its answered items (0-100,
higher = more burnout).

* Personal burnout: items 1-6; non-responder (missing) if fewer than 3 answered.
* Work-related burnout: items 7-13 (7-9 degree, 10-13 frequency); item 13 (enough energy for
  family and friends) is reversed; non-responder if fewer than 4 answered.
* Client-related burnout: items 14-19 (14-17 degree, 18-19 frequency); no reversed item
  [secondary source]. The non-responder threshold is **not verified**: it is the parameter
  ``client_min_answered`` with default 3 (by analogy with the personal scale) and the scale is
  marked ``verified=False``.
"""

from __future__ import annotations

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import (
    InstrumentDefinition,
    ItemDefinition,
    Method,
    ScaleDefinition,
    ScaleKind,
    Scorer,
)

CODE = "cbi"

FREQUENCY = ("Always", "Often", "Sometimes", "Seldom", "Never/almost never")
DEGREE = ("To a very high degree", "To a high degree", "Somewhat", "To a low degree", "To a very low degree")

# (item number, label, answer labels)
_ITEMS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "Tired", FREQUENCY),
    (2, "Physically exhausted", FREQUENCY),
    (3, "Emotionally exhausted", FREQUENCY),
    (4, "Cannot take it anymore", FREQUENCY),
    (5, "Worn out", FREQUENCY),
    (6, "Weak and susceptible to illness", FREQUENCY),
    (7, "Work emotionally exhausting", DEGREE),
    (8, "Burnt out because of work", DEGREE),
    (9, "Work frustrating", DEGREE),
    (10, "Worn out at the end of the working day", FREQUENCY),
    (11, "Exhausted in the morning at the thought of work", FREQUENCY),
    (12, "Every working hour tiring", FREQUENCY),
    (13, "Enough energy for family and friends in leisure time", FREQUENCY),
    (14, "Hard to work with clients", DEGREE),
    (15, "Working with clients drains energy", DEGREE),
    (16, "Working with clients frustrating", DEGREE),
    (17, "Giving more than getting back with clients", DEGREE),
    (18, "Tired of working with clients", FREQUENCY),
    (19, "Wondering how long one can continue working with clients", FREQUENCY),
)

PERSONAL_MIN_ANSWERED = 3
WORK_MIN_ANSWERED = 4
DEFAULT_CLIENT_MIN_ANSWERED = 3
WORK_REVERSED_ITEM = "13"


class CbiScorer(Scorer):
    """Scores the CBI's three burnout scales (0-100, higher = more burnout).

    Args:
        client_min_answered: answered items (1-6) needed for client-related burnout; default 3.
            [unverified]
    """

    def __init__(self, *, client_min_answered: int = DEFAULT_CLIENT_MIN_ANSWERED) -> None:
        if (
            isinstance(client_min_answered, bool)
            or not isinstance(client_min_answered, int)
            or not 1 <= client_min_answered <= 6
        ):
            raise PalliroValueError(
                f"must be an integer 1-6, got {client_min_answered!r}", field="client_min_answered"
            )
        self.client_min_answered = client_min_answered
        super().__init__(
            _definition(client_min_answered),
            parameters=(("client_min_answered", str(client_min_answered)),),
        )


def _scale(
    code: str,
    label: str,
    numbers: range,
    min_answered: int,
    *,
    reversed_items: frozenset[str] = frozenset(),
    unverified_reason: str | None = None,
) -> ScaleDefinition:
    return ScaleDefinition(
        code=code,
        label=label,
        kind=ScaleKind.BURNOUT,
        items=tuple(str(n) for n in numbers),
        method=Method.PERCENT_DESCENDING,
        min_answered=min_answered,
        missing_rule="CBI non-responder rule",
        score_min=0.0,
        score_max=100.0,
        higher_is_better=False,
        reversed_items=reversed_items,
        verified=unverified_reason is None,
        unverified_reason=unverified_reason,
    )


def _definition(client_min_answered: int) -> InstrumentDefinition:
    items = tuple(
        ItemDefinition(key=str(n), label=label, minimum=1, maximum=5, answer_labels=answers)
        for n, label, answers in _ITEMS
    )
    scales = (
        _scale("PB", "Personal burnout", range(1, 7), PERSONAL_MIN_ANSWERED),
        _scale(
            "WB",
            "Work-related burnout",
            range(7, 14),
            WORK_MIN_ANSWERED,
            reversed_items=frozenset({WORK_REVERSED_ITEM}),
        ),
        _scale(
            "CB",
            "Client-related burnout",
            range(14, 20),
            client_min_answered,
            unverified_reason="CBI client-related burnout non-responder threshold not checked against the "
            "primary source (parameter client_min_answered)",
        ),
    )
    return InstrumentDefinition(
        code=CODE,
        name="Copenhagen Burnout Inventory",
        version="2005",
        source="Kristensen et al., Work & Stress 2005;19:192-207; PUMA English version",
        items=items,
        scales=scales,
    )
