"""Golden tests for the EORTC QLQ-C30 v3.0 scorer.

Source of every expected number: docs reference clinical.md §3.1, "Worked example [C]", computed
from the EORTC QLQ-C30 Scoring Manual 3rd ed. (Fayers et al. 2001) formulas and the Giesinger
et al. 2016 summary score. The reference prints two decimals, hence ``REF_TOL``; the exact
fractions below follow from the manual's formulas and are checked to floating-point precision.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, QlqC30Scorer, ScaleKind, observations

REF_TOL = 0.005  # reference values are rounded to 2 decimals
EXACT_TOL = 1e-9

# clinical.md §3.1 worked example: responses to items 1-30.
WORKED_EXAMPLE = [2, 2, 1, 1, 1, 2, 2, 1, 3, 2, 2, 2, 1, 1, 1, 2, 1, 3, 3, 1, 2, 2, 1, 2, 1, 2, 1, 2, 5, 4]

# clinical.md §3.1 worked example, "Scores" and "C30SUM 79.53".
REFERENCE_SCORES = {
    "QL2": 58.33,
    "PF2": 86.67,
    "RF2": 66.67,
    "EF": 75.00,
    "CF": 100.00,
    "SF": 83.33,
    "FA": 44.44,
    "NV": 0.00,
    "PA": 66.67,
    "DY": 0.00,
    "SL": 33.33,
    "AP": 0.00,
    "CO": 33.33,
    "DI": 0.00,
    "FI": 33.33,
    "C30SUM": 79.53,
}


def answers(**missing: None) -> dict[int, int | None]:
    result: dict[int, int | None] = {n: a for n, a in enumerate(WORKED_EXAMPLE, start=1)}
    for key in missing:
        result[int(key.removeprefix("q"))] = None
    return result


@pytest.fixture(scope="module")
def scorer() -> QlqC30Scorer:
    return QlqC30Scorer()


@pytest.mark.parametrize(("code", "expected"), sorted(REFERENCE_SCORES.items()))
def test_worked_example_every_scale(scorer: QlqC30Scorer, code: str, expected: float) -> None:
    result = scorer.score(answers())
    assert result[code].value == pytest.approx(expected, abs=REF_TOL)
    assert result[code].missing_reason is None


def test_worked_example_exact_fractions(scorer: QlqC30Scorer) -> None:
    # RS per scale from the worked example, then the manual's linear transform.
    f = Fraction
    exact = {
        "QL2": (f(9, 2) - 1) / 6 * 100,
        "PF2": (1 - (f(7, 5) - 1) / 3) * 100,
        "RF2": (1 - (f(2) - 1) / 3) * 100,
        "EF": (1 - (f(7, 4) - 1) / 3) * 100,
        "CF": f(100),
        "SF": (1 - (f(3, 2) - 1) / 3) * 100,
        "FA": (f(7, 3) - 1) / 3 * 100,
        "PA": (f(3) - 1) / 3 * 100,
        "SL": f(100, 3),
    }
    result = scorer.score(answers())
    for code, value in exact.items():
        assert result[code].value == pytest.approx(float(value), rel=EXACT_TOL), code
    symptoms = {"FA": exact["FA"], "NV": 0, "PA": exact["PA"], "DY": 0, "SL": exact["SL"]}
    symptoms |= {"AP": 0, "CO": f(100, 3), "DI": 0}
    functional = [exact[c] for c in ("PF2", "RF2", "EF", "CF", "SF")]
    summary = (sum(functional) + sum(100 - v for v in symptoms.values())) / 13
    assert result["C30SUM"].value == pytest.approx(float(summary), rel=EXACT_TOL)


def test_worked_example_raw_scores_and_counts(scorer: QlqC30Scorer) -> None:
    result = scorer.score(answers())
    assert result["PF2"].raw_score == pytest.approx(1.4, rel=EXACT_TOL)
    assert result["QL2"].raw_score == pytest.approx(4.5, rel=EXACT_TOL)
    assert (result["PF2"].n_answered, result["PF2"].n_items) == (5, 5)
    assert (result["C30SUM"].n_answered, result["C30SUM"].n_items) == (13, 13)
    assert result["C30SUM"].raw_score is None
    assert result.verified


def test_missing_items_21_22_use_remaining_half(scorer: QlqC30Scorer) -> None:
    # clinical.md §3.1 missing-data case: items 21, 22 missing -> EF 83.33 (items 23 = 1, 24 = 2).
    result = scorer.score(answers(q21=None, q22=None))
    assert result["EF"].value == pytest.approx(83.33, abs=REF_TOL)
    assert result["EF"].n_answered == 2
    assert result["C30SUM"].value is not None


def test_missing_items_26_27_drop_sf_and_summary(scorer: QlqC30Scorer) -> None:
    # clinical.md §3.1 missing-data case: items 26, 27 missing -> SF missing -> C30SUM missing.
    result = scorer.score(answers(q26=None, q27=None))
    assert result["SF"].value is None
    assert "half rule" in result["SF"].missing_reason
    assert result["C30SUM"].value is None
    assert "SF" in result["C30SUM"].missing_reason
    assert result["C30SUM"].n_answered == 12


def test_missing_items_10_12_drop_fatigue(scorer: QlqC30Scorer) -> None:
    # clinical.md §3.1 missing-data case: items 10, 12 missing -> FA missing (1 of 3 < half).
    result = scorer.score(answers(q10=None, q12=None))
    fatigue = result["FA"]
    assert fatigue.value is None
    assert fatigue.raw_score is None
    assert (fatigue.n_answered, fatigue.n_items) == (1, 3)
    assert "1 of 3" in fatigue.missing_reason
    assert result["C30SUM"].value is None


def test_single_item_scale_missing_when_item_missing(scorer: QlqC30Scorer) -> None:
    result = scorer.score(answers(q28=None))
    assert result["FI"].value is None
    assert result["FI"].missing_reason is not None
    # FI is not part of the summary score.
    assert result["C30SUM"].value == pytest.approx(79.53, abs=REF_TOL)


def test_absent_item_is_missing_like_none(scorer: QlqC30Scorer) -> None:
    full = answers()
    del full[8]
    assert scorer.score(full) == scorer.score(answers(q8=None))


def test_string_keys_are_accepted(scorer: QlqC30Scorer) -> None:
    as_strings = {str(k): v for k, v in answers().items()}
    assert scorer.score(as_strings) == scorer.score(answers())


def test_extremes() -> None:
    best = {n: 1 for n in range(1, 29)} | {29: 7, 30: 7}
    worst = {n: 4 for n in range(1, 29)} | {29: 1, 30: 1}
    scorer = SCORERS["eortc-qlq-c30"]
    best_score, worst_score = scorer.score(best), scorer.score(worst)
    for scale in best_score.scales:
        expected = 0.0 if scale.kind is ScaleKind.SYMPTOM else 100.0
        assert scale.value == pytest.approx(expected, abs=EXACT_TOL), scale.code
    for scale in worst_score.scales:
        expected = 100.0 if scale.kind is ScaleKind.SYMPTOM else 0.0
        assert scale.value == pytest.approx(expected, abs=EXACT_TOL), scale.code


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({29: 8}, "29", "outside 1-7"),
        ({1: 5}, "1", "outside 1-4"),
        ({1: 0}, "1", "outside 1-4"),
        ({31: 1}, "31", "no item"),
        ({"x": 1}, "x", "no item"),
        ({3: 2.0}, "3", "integer"),
        ({3: "2"}, "3", "integer"),
        ({3: True}, "3", "integer"),
        ({1: 2, "1": 2}, "1", "twice"),
    ],
)
def test_invalid_answers_name_the_item(scorer: QlqC30Scorer, bad: dict, field: str, message: str) -> None:
    with pytest.raises(PalliroValueError, match=message) as info:
        scorer.score(bad)
    assert info.value.field == field


def test_answers_must_be_a_mapping(scorer: QlqC30Scorer) -> None:
    with pytest.raises(PalliroValueError) as info:
        scorer.score(WORKED_EXAMPLE)  # type: ignore[arg-type]
    assert info.value.field == "answers"


def test_definition_metadata(scorer: QlqC30Scorer) -> None:
    definition = scorer.definition
    assert (definition.code, definition.version) == ("eortc-qlq-c30", "3.0")
    assert [i.key for i in definition.items] == [str(n) for n in range(1, 31)]
    assert {(i.minimum, i.maximum) for i in definition.items[:28]} == {(1, 4)}
    assert {(i.minimum, i.maximum) for i in definition.items[28:]} == {(1, 7)}
    assert definition.scale("FA").items == ("10", "12", "18")
    assert definition.scale("FA").min_answered == 2
    assert definition.scale("C30SUM").components == (
        "PF2", "RF2", "EF", "CF", "SF", "FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI",
    )  # fmt: skip
    assert definition.verified
    # Neutral labels only: short, and never a question.
    for item in definition.items:
        assert len(item.label) <= 60 and "?" not in item.label


def test_observations_are_namespaced(scorer: QlqC30Scorer) -> None:
    result = scorer.score(answers(q28=None))
    rows = observations(result)
    codes = [code for code, _ in rows]
    assert codes[0] == "eortc-qlq-c30/QL2"
    assert "eortc-qlq-c30/FI" not in codes  # missing scales are omitted
    assert dict(rows)["eortc-qlq-c30/C30SUM"] == pytest.approx(79.53, abs=REF_TOL)
    with_items = dict(observations(result, include_items=True))
    assert with_items["eortc-qlq-c30/item/29"] == 5.0
    assert "eortc-qlq-c30/item/28" not in with_items


def test_numpy_integer_keys_and_answers(scorer: QlqC30Scorer) -> None:
    as_numpy = {np.int64(k): np.int64(v) for k, v in answers().items()}
    assert scorer.score(as_numpy) == scorer.score(answers())


def test_key_of_unsupported_type(scorer: QlqC30Scorer) -> None:
    with pytest.raises(PalliroValueError, match="int or str"):
        scorer.score({(1,): 2})
