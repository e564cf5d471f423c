"""Brief Pain Inventory, short form (BPI-SF): pain severity and pain interference.

Source: rules as documented by ePPOC, following the Cleeland BPI User Guide (2009) [secondary].

* Severity items 3-6 (worst, least, average pain and pain now), each 0-10. Each is reported as
  its own scale; "worst pain" (item 3) is the input to the international consensus pain-response
  endpoints. Composite severity = mean of items 3-6.
* Interference items 9A-9G (general activity, mood, walking ability, normal work, relations with
  others, sleep, enjoyment of life), each 0-10. Score = mean of the answered items, valid only if
  at least 4 of the 7 are answered.

The sources give no missing-item rule for composite severity; it is the parameter
``severity_min_answered`` with default 4 (all items), the conservative choice.
Items 1, 2, 7 and 8 of the form (yes/no, body diagram, treatments, relief) are not scored here.
The BPI wording is licensed and is not stored; labels name the domain only.
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

CODE = "bpi-sf"

# (item key, single-item scale code or None, label)
_SEVERITY_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("3", "WORST", "Worst pain"),
    ("4", "LEAST", "Least pain"),
    ("5", "AVERAGE", "Average pain"),
    ("6", "NOW", "Pain now"),
)
_INTERFERENCE_ITEMS: tuple[tuple[str, str], ...] = (
    ("9A", "Interference: general activity"),
    ("9B", "Interference: mood"),
    ("9C", "Interference: walking ability"),
    ("9D", "Interference: normal work"),
    ("9E", "Interference: relations with others"),
    ("9F", "Interference: sleep"),
    ("9G", "Interference: enjoyment of life"),
)
INTERFERENCE_MIN_ANSWERED = 4
DEFAULT_SEVERITY_MIN_ANSWERED = 4


class BpiScorer(Scorer):
    """Scores the BPI-SF: four severity items, composite severity and interference (0-10).

    Args:
        severity_min_answered: answered items (1-4) needed for the composite severity score;
            default 4. No published rule was found.
    """

    def __init__(self, *, severity_min_answered: int = DEFAULT_SEVERITY_MIN_ANSWERED) -> None:
        if (
            isinstance(severity_min_answered, bool)
            or not isinstance(severity_min_answered, int)
            or not 1 <= severity_min_answered <= len(_SEVERITY_ITEMS)
        ):
            raise PalliroValueError(
                f"must be an integer 1-{len(_SEVERITY_ITEMS)}, got {severity_min_answered!r}",
                field="severity_min_answered",
            )
        self.severity_min_answered = severity_min_answered
        super().__init__(
            _definition(severity_min_answered),
            parameters=(("severity_min_answered", str(severity_min_answered)),),
        )


def _scale(
    code: str, label: str, kind: ScaleKind, items: tuple[str, ...], min_answered: int, rule: str
) -> ScaleDefinition:
    return ScaleDefinition(
        code=code,
        label=label,
        kind=kind,
        items=items,
        method=Method.MEAN,
        min_answered=min_answered,
        missing_rule=rule,
        score_min=0.0,
        score_max=10.0,
        higher_is_better=False,
    )


def _definition(severity_min_answered: int) -> InstrumentDefinition:
    items = tuple(
        ItemDefinition(key=key, label=label, minimum=0, maximum=10) for key, _c, label in _SEVERITY_ITEMS
    )
    items += tuple(
        ItemDefinition(key=key, label=label, minimum=0, maximum=10) for key, label in _INTERFERENCE_ITEMS
    )
    severity_keys = tuple(key for key, _c, _l in _SEVERITY_ITEMS)
    scales = [
        _scale(code, label, ScaleKind.SEVERITY, (key,), 1, "single-item scale")
        for key, code, label in _SEVERITY_ITEMS
    ]
    scales.append(
        _scale(
            "SEV",
            "Pain severity",
            ScaleKind.SEVERITY,
            severity_keys,
            severity_min_answered,
            "no published rule; parameter severity_min_answered",
        )
    )
    scales.append(
        _scale(
            "INT",
            "Pain interference",
            ScaleKind.INTERFERENCE,
            tuple(key for key, _l in _INTERFERENCE_ITEMS),
            INTERFERENCE_MIN_ANSWERED,
            "BPI interference rule",
        )
    )
    return InstrumentDefinition(
        code=CODE,
        name="Brief Pain Inventory, short form",
        version="short form",
        source="Cleeland BPI User Guide (2009), as documented by ePPOC",
        items=items,
        scales=tuple(scales),
    )
