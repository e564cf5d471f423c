"""Exact scoring of the standard instruments (pure Python, no Django).

Each instrument has one module with its definition as data and a :class:`Scorer`:

======================  ===================  =========================================
code                    scorer               scales
======================  ===================  =========================================
``eortc-qlq-c30``       QlqC30Scorer         QL2, PF2, RF2, EF, CF, SF, FA, NV, PA, DY,
                                             SL, AP, CO, DI, FI, C30SUM (0-100)
``eortc-qlq-bm22``      QlqBm22Scorer        PS, PC, FI, PA (0-100) [unverified]
``eortc-qlq-c15-pal``   QlqC15PalScorer      QL, PF, EF, FA, NV, PA, DY, SL, AP, CO [unverified]
``bpi-sf``              BpiScorer            WORST, LEAST, AVERAGE, NOW, SEV, INT (0-10)
``esas-r``              EsasRScorer          one scale per item (0-10); TSDS, PHS, PSS [unverified]
``cbi``                 CbiScorer            PB, WB, CB [CB unverified] (0-100)
``palliro-death-rattle``  DeathRattleScorer  BACK (0-3)
======================  ===================  =========================================

Usage::

    from palliro.core.scoring import SCORERS, observations

    scorer = SCORERS["eortc-qlq-c30"]
    result = scorer.score({1: 2, 2: 2, ..., 30: 4})   # item key -> answer code, None = missing
    result["C30SUM"].value                            # float, or None with .missing_reason
    observations(result)                              # [("eortc-qlq-c30/QL2", 58.33...), ...]

* ``scorer.definition`` (:class:`InstrumentDefinition`) lists the items with their answer ranges
  and the scales with their items, formula, kind, value range and missing-data rule; the
  questionnaire layer builds FHIR Questionnaires and Observations from it. Labels are short and
  neutral; no copyrighted question wording is stored.
* ``scorer.score(answers)`` validates the answers (unknown item, non-integer or out-of-range
  answer -> :class:`~palliro.core.errors.PalliroValueError` whose ``field`` is the item key) and
  returns a frozen :class:`InstrumentScore` of :class:`ScaleScore` objects.
* ``observations(score, include_items=False)`` flattens a score into ``(code, value)`` rows for
  the Observation table: codes are ``"<instrument>/<scale>"`` (e.g. ``"eortc-qlq-c30/PF2"``),
  missing scales are omitted, and with ``include_items=True`` answered items are added as
  ``"<instrument>/item/<key>"`` with their answer code.
* Rules that the reference could not verify are named constructor parameters with documented
  defaults, and the affected scales carry ``verified=False`` and an ``unverified_reason``, which
  every :class:`ScaleScore` repeats. ``InstrumentScore.parameters`` records the choices used.
* :data:`SCORERS` holds one scorer per instrument with default parameters; construct a scorer
  directly to choose other parameters.
"""

from __future__ import annotations

from palliro.core.errors import PalliroValueError
from palliro.core.scoring.base import (
    Answers,
    InstrumentDefinition,
    InstrumentScore,
    ItemDefinition,
    Method,
    ScaleDefinition,
    ScaleKind,
    ScaleScore,
    Scorer,
    observations,
    validate_answers,
)
from palliro.core.scoring.bpi import BpiScorer
from palliro.core.scoring.cbi import CbiScorer
from palliro.core.scoring.death_rattle import DeathRattleScorer, death_rattle_onset
from palliro.core.scoring.esas_r import EsasRScorer
from palliro.core.scoring.qlq_bm22 import QlqBm22Scorer
from palliro.core.scoring.qlq_c15_pal import QlqC15PalScorer
from palliro.core.scoring.qlq_c30 import QlqC30Scorer

SCORERS: dict[str, Scorer] = {
    scorer.definition.code: scorer
    for scorer in (
        QlqC30Scorer(),
        QlqBm22Scorer(),
        QlqC15PalScorer(),
        BpiScorer(),
        EsasRScorer(),
        CbiScorer(),
        DeathRattleScorer(),
    )
}


def get_scorer(code: str) -> Scorer:
    """The default scorer for instrument ``code``; :class:`PalliroValueError` if unknown."""
    try:
        return SCORERS[code]
    except (KeyError, TypeError):
        raise PalliroValueError(
            f"unknown instrument {code!r} (known: {', '.join(SCORERS)})", field="instrument"
        ) from None


def score(code: str, answers: Answers) -> InstrumentScore:
    """Score ``answers`` with the default scorer of instrument ``code``."""
    return get_scorer(code).score(answers)


__all__ = [
    "SCORERS",
    "Answers",
    "BpiScorer",
    "CbiScorer",
    "DeathRattleScorer",
    "EsasRScorer",
    "InstrumentDefinition",
    "InstrumentScore",
    "ItemDefinition",
    "Method",
    "QlqBm22Scorer",
    "QlqC15PalScorer",
    "QlqC30Scorer",
    "ScaleDefinition",
    "ScaleKind",
    "ScaleScore",
    "Scorer",
    "death_rattle_onset",
    "get_scorer",
    "observations",
    "score",
    "validate_answers",
]
