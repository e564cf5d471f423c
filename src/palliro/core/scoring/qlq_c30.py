"""EORTC QLQ-C30 version 3.0.

Source: EORTC QLQ-C30 Scoring Manual, 3rd ed. (Fayers et al., EORTC 2001), as implemented in
raybaser/PROscorer ``qlq_c30.R``; summary score from Giesinger et al., J Clin Epidemiol
2016;69:79-88.

* Items 1-28 are answered 1-4 (higher = more problems); items 29-30 are answered 1-7 (higher =
  better).
* ``RS`` is the mean of the answered items. Functional scales: ``(1 - (RS-1)/range)*100``;
  symptom scales and global health status: ``(RS-1)/range*100``; range 3 (items 1-28) or 6.
* Half rule: a scale is scored when at least half of its items are answered; single-item scales
  are missing when their item is.
* Summary score ``C30SUM`` = mean of PF2, RF2, EF, CF, SF and of ``100 - x`` for FA, NV, PA, DY,
  SL, AP, CO, DI (QL2 and FI excluded), computed only when all 13 are present.

Only structure and scoring are here; the EORTC item wording is licensed and is not stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from palliro.core.scoring.base import (
    InstrumentDefinition,
    ItemDefinition,
    Method,
    ScaleDefinition,
    ScaleKind,
    ScaleScore,
    Scorer,
    half_rule,
    missing_score,
)

CODE = "eortc-qlq-c30"

# (code, label, kind, items); order follows the scoring manual's table.
_SCALES: tuple[tuple[str, str, ScaleKind, tuple[int, ...]], ...] = (
    ("QL2", "Global health status/QoL", ScaleKind.GLOBAL, (29, 30)),
    ("PF2", "Physical functioning", ScaleKind.FUNCTIONAL, (1, 2, 3, 4, 5)),
    ("RF2", "Role functioning", ScaleKind.FUNCTIONAL, (6, 7)),
    ("EF", "Emotional functioning", ScaleKind.FUNCTIONAL, (21, 22, 23, 24)),
    ("CF", "Cognitive functioning", ScaleKind.FUNCTIONAL, (20, 25)),
    ("SF", "Social functioning", ScaleKind.FUNCTIONAL, (26, 27)),
    ("FA", "Fatigue", ScaleKind.SYMPTOM, (10, 12, 18)),
    ("NV", "Nausea and vomiting", ScaleKind.SYMPTOM, (14, 15)),
    ("PA", "Pain", ScaleKind.SYMPTOM, (9, 19)),
    ("DY", "Dyspnoea", ScaleKind.SYMPTOM, (8,)),
    ("SL", "Insomnia", ScaleKind.SYMPTOM, (11,)),
    ("AP", "Appetite loss", ScaleKind.SYMPTOM, (13,)),
    ("CO", "Constipation", ScaleKind.SYMPTOM, (16,)),
    ("DI", "Diarrhoea", ScaleKind.SYMPTOM, (17,)),
    ("FI", "Financial difficulties", ScaleKind.SYMPTOM, (28,)),
)

SUMMARY_FUNCTIONAL = ("PF2", "RF2", "EF", "CF", "SF")
SUMMARY_SYMPTOMS = ("FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI")


def eortc_scale(
    code: str,
    label: str,
    kind: ScaleKind,
    items: tuple[str, ...],
    *,
    reversed_items: frozenset[str] = frozenset(),
    unverified_reason: str | None = None,
) -> ScaleDefinition:
    """A scale scored by the EORTC manual's linear transform and half rule.

    Shared by the EORTC modules (BM22, C15-PAL): functional scales use the descending formula
    (higher = better), symptom and global scales the ascending one.
    """
    functional = kind is ScaleKind.FUNCTIONAL
    return ScaleDefinition(
        code=code,
        label=label,
        kind=kind,
        items=items,
        method=Method.PERCENT_DESCENDING if functional else Method.PERCENT_ASCENDING,
        min_answered=half_rule(len(items)),
        missing_rule="EORTC half rule" if len(items) > 1 else "single-item scale",
        score_min=0.0,
        score_max=100.0,
        higher_is_better=kind in (ScaleKind.FUNCTIONAL, ScaleKind.GLOBAL),
        reversed_items=reversed_items,
        verified=unverified_reason is None,
        unverified_reason=unverified_reason,
    )


def _item_labels() -> dict[int, str]:
    labels: dict[int, str] = {}
    for _code, label, _kind, items in _SCALES:
        for number in items:
            labels[number] = f"{label}, item {number}"
    return labels


def _definition() -> InstrumentDefinition:
    labels = _item_labels()
    items = tuple(
        ItemDefinition(key=str(n), label=labels[n], minimum=1, maximum=7 if n >= 29 else 4)
        for n in range(1, 31)
    )
    scales = [
        eortc_scale(code, label, kind, tuple(str(n) for n in numbers))
        for code, label, kind, numbers in _SCALES
    ]
    scales.append(
        ScaleDefinition(
            code="C30SUM",
            label="Summary score",
            kind=ScaleKind.SUMMARY,
            items=(),
            method=Method.DERIVED,
            components=SUMMARY_FUNCTIONAL + SUMMARY_SYMPTOMS,
            min_answered=len(SUMMARY_FUNCTIONAL) + len(SUMMARY_SYMPTOMS),
            missing_rule="all 13 component scales required (Giesinger 2016)",
            score_min=0.0,
            score_max=100.0,
            higher_is_better=True,
        )
    )
    return InstrumentDefinition(
        code=CODE,
        name="EORTC QLQ-C30",
        version="3.0",
        source="EORTC QLQ-C30 Scoring Manual, 3rd ed. (Fayers et al. 2001); summary score: "
        "Giesinger et al., J Clin Epidemiol 2016;69:79-88",
        items=items,
        scales=tuple(scales),
    )


DEFINITION = _definition()


class QlqC30Scorer(Scorer):
    """Scores the QLQ-C30 v3.0: 15 scales and the 2016 summary score (see module docstring)."""

    def __init__(self) -> None:
        super().__init__(DEFINITION)

    def score_derived(self, scale: ScaleDefinition, scored: Mapping[str, ScaleScore]) -> ScaleScore:
        components = [scored[code] for code in scale.components]
        missing = [c.code for c in components if c.value is None]
        n_present = len(components) - len(missing)
        if missing:
            return missing_score(
                scale,
                n_answered=n_present,
                n_items=len(components),
                reason=f"component scales missing: {', '.join(missing)} ({scale.missing_rule})",
            )
        # Symptom scales enter inverted so that, like the functional scales, higher = better.
        parts = [
            c.value if c.code in SUMMARY_FUNCTIONAL else 100.0 - c.value
            for c in components
            if c.value is not None
        ]
        return ScaleScore(
            code=scale.code,
            label=scale.label,
            kind=scale.kind,
            value=math.fsum(parts) / len(parts),
            raw_score=None,
            n_answered=n_present,
            n_items=len(components),
            missing_reason=None,
            verified=scale.verified,
            unverified_reason=scale.unverified_reason,
        )
