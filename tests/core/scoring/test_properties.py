"""Property tests over every registered scorer (Hypothesis, derandomised, <= 100 examples each).

* Every scale value lies in its declared range (0-100 for the EORTC instruments and CBI).
* Monotonicity: answering an item one step worse never makes any scale better. Which direction
  of an answer is "worse" is stated here independently of the scorers, from the instruments'
  response formats (clinical.md §3): EORTC items 1-28 and C15-PAL 1-14 higher = more problems,
  global items higher = better; BPI, ESAS-r and Back grades higher = worse; CBI codes 1 = Always
  (worst) except the reversed work item 13. Whether a *scale* is better when higher follows from
  its kind (functional, global and summary scales: higher = better).
* EORTC half rule: a scale with fewer than half of its items answered is None with a reason;
  with at least half it has a value.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palliro.core.errors import PalliroValueError
from palliro.core.scoring import SCORERS, InstrumentScore, ScaleKind, Scorer, observations

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None)

HIGHER_IS_BETTER_KINDS = {ScaleKind.FUNCTIONAL, ScaleKind.GLOBAL, ScaleKind.SUMMARY}
EORTC = ("eortc-qlq-c30", "eortc-qlq-bm22", "eortc-qlq-c15-pal")


def higher_answer_is_worse(instrument: str, key: str) -> bool:
    if instrument == "eortc-qlq-c30":
        return int(key) <= 28
    if instrument == "eortc-qlq-c15-pal":
        return int(key) <= 14
    if instrument == "cbi":
        return key == "13"
    # BM22 with its default (no item reversed), BPI, ESAS-r, death rattle.
    return True


def answers_strategy(scorer: Scorer, p_missing: bool = True) -> st.SearchStrategy[dict[str, int | None]]:
    def item(lo: int, hi: int) -> st.SearchStrategy[int | None]:
        values = st.integers(lo, hi)
        return st.one_of(st.none(), values) if p_missing else values

    return st.fixed_dictionaries({i.key: item(i.minimum, i.maximum) for i in scorer.definition.items})


def check_invariants(scorer: Scorer, result: InstrumentScore) -> None:
    assert result.instrument == scorer.definition.code
    assert [s.code for s in result.scales] == [s.code for s in scorer.definition.scales]
    for scale, definition in zip(result.scales, scorer.definition.scales, strict=True):
        assert (scale.value is None) == (scale.missing_reason is not None), scale
        assert 0 <= scale.n_answered <= scale.n_items
        assert scale.verified == definition.verified
        if scale.value is not None:
            assert math.isfinite(scale.value)
            assert definition.score_min - 1e-9 <= scale.value <= definition.score_max + 1e-9, scale
    assert len(observations(result)) == sum(s.value is not None for s in result.scales)


@pytest.mark.parametrize("code", sorted(SCORERS))
@SETTINGS
@given(data=st.data())
def test_values_stay_in_range(code: str, data: st.DataObject) -> None:
    scorer = SCORERS[code]
    check_invariants(scorer, scorer.score(data.draw(answers_strategy(scorer))))


@pytest.mark.parametrize("code", EORTC)
def test_eortc_scales_are_0_to_100(code: str) -> None:
    assert {(s.score_min, s.score_max) for s in SCORERS[code].definition.scales} == {(0.0, 100.0)}


@pytest.mark.parametrize("code", sorted(SCORERS))
def test_declared_direction_matches_kind(code: str) -> None:
    for scale in SCORERS[code].definition.scales:
        assert scale.higher_is_better == (scale.kind in HIGHER_IS_BETTER_KINDS), scale.code


@pytest.mark.parametrize("code", sorted(SCORERS))
@SETTINGS
@given(data=st.data())
def test_worse_answer_never_gives_better_score(code: str, data: st.DataObject) -> None:
    scorer = SCORERS[code]
    answers = data.draw(answers_strategy(scorer))
    baseline = scorer.score(answers)
    # Every answered item is moved one step towards "worse" in turn.
    for item in scorer.definition.items:
        current = answers[item.key]
        step = 1 if higher_answer_is_worse(code, item.key) else -1
        if current is None or not item.minimum <= current + step <= item.maximum:
            continue
        worse = scorer.score(answers | {item.key: current + step})
        for b, w in zip(baseline.scales, worse.scales, strict=True):
            if b.value is None or w.value is None:
                continue
            if b.kind in HIGHER_IS_BETTER_KINDS:
                assert w.value <= b.value + 1e-9, (b.code, item.key, answers)
            else:
                assert w.value >= b.value - 1e-9, (b.code, item.key, answers)


@pytest.mark.parametrize("code", EORTC)
@SETTINGS
@given(data=st.data())
def test_eortc_half_rule(code: str, data: st.DataObject) -> None:
    scorer = SCORERS[code]
    complete = data.draw(answers_strategy(scorer, p_missing=False))
    # Remove a random subset of items so that every scale size meets both sides of the rule.
    missing = data.draw(st.sets(st.sampled_from([i.key for i in scorer.definition.items])))
    answers = {k: (None if k in missing else v) for k, v in complete.items()}
    result = scorer.score(answers)
    for scale in scorer.definition.scales:
        if not scale.items:
            continue
        answered = sum(answers[k] is not None for k in scale.items)
        scored = result[scale.code]
        assert scored.n_answered == answered
        if 2 * answered >= len(scale.items):
            assert scored.value is not None, scale.code
        else:
            assert scored.value is None, scale.code
            assert f"{answered} of {len(scale.items)}" in scored.missing_reason
            rule = "EORTC half rule" if len(scale.items) > 1 else "single-item"
            assert rule in scored.missing_reason
    if scorer.definition.code == "eortc-qlq-c30":
        components = scorer.definition.scale("C30SUM").components
        complete = all(result[c].value is not None for c in components)
        assert (result["C30SUM"].value is not None) == complete
        if not complete:
            assert "component scales missing" in result["C30SUM"].missing_reason


@pytest.mark.parametrize("code", sorted(SCORERS))
@SETTINGS
@given(data=st.data())
def test_out_of_range_answer_raises_naming_item(code: str, data: st.DataObject) -> None:
    scorer = SCORERS[code]
    item = data.draw(st.sampled_from(scorer.definition.items))
    bad = data.draw(
        st.one_of(st.integers(max_value=item.minimum - 1), st.integers(min_value=item.maximum + 1))
    )
    key = item.key
    with pytest.raises(PalliroValueError) as info:
        scorer.score({key: bad})
    assert info.value.field == key
    assert key in str(info.value)


@pytest.mark.parametrize("code", sorted(SCORERS))
@SETTINGS
@given(data=st.data())
def test_scoring_is_deterministic_and_immutable(code: str, data: st.DataObject) -> None:
    scorer = SCORERS[code]
    answers = data.draw(answers_strategy(scorer))
    first = scorer.score(answers)
    assert scorer.score(dict(answers)) == first
    with pytest.raises(AttributeError):
        first.scales[0].value = 1.0  # type: ignore[misc]
