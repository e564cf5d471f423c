"""Tests for palliro.core.pain against reference clinical.md §1.2 and §1.4 test vectors [C]."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palliro.core.errors import PalliroValueError
from palliro.core.pain import (
    DiaryEntry,
    FlareParameters,
    ICEParameters,
    ResponseCategory,
    classify_response,
    classify_series,
    detect_flare,
    response_course,
)

CR, PR, PP, IR, NE = (
    ResponseCategory.CR,
    ResponseCategory.PR,
    ResponseCategory.PP,
    ResponseCategory.IR,
    ResponseCategory.NOT_EVALUABLE,
)

# Reference §1.2 test vectors for the literal algorithm [C]: (p0, o0, pt, ot) -> class.
LITERAL_VECTORS = [
    (8, 60, 0, 60, CR),
    (8, 60, 0, 40, CR),
    (8, 60, 0, 90, IR),  # analgesic increase blocks CR and PR; pain fell, so not PP
    (6, 60, 4, 60, PR),
    (6, 60, 4, 70, IR),  # OMED increase blocks PR
    (6, 60, 6, 45, PR),  # OMED -25 %, pain not up
    (6, 60, 6, 46, IR),  # -23 % only
    (6, 60, 7, 45, IR),  # pain up blocks PR
    (6, 60, 5, 60, IR),
    (6, 60, 8, 60, PP),
    (6, 60, 8, 50, IR),  # literal "stable OMED"
    (6, 60, 6, 75, PP),  # +25 %, pain stable
    (6, 60, 7, 80, PP),  # +33 %, pain +1
    (6, 60, 9, 120, IR),  # ambiguity (c)
    (6, 0, 6, 10, PP),  # o0 = 0 -> +inf choice
    (1, 30, 0, 30, CR),
]


@pytest.mark.parametrize(("p0", "o0", "pt", "ot", "expected"), LITERAL_VECTORS)
def test_literal_vectors(p0, o0, pt, ot, expected):
    res = classify_response(p0, o0, pt, ot)
    assert res.category is expected
    assert res.unverified  # ICE wording is [U]


def test_responder_flag_and_changes():
    res = classify_response(6, 60, 4, 60)
    assert res.responder and res.evaluable
    assert res.pain_change == -2
    assert res.omed_change == 0
    assert not classify_response(6, 60, 8, 60).responder


# Non-default parameters: one test per ambiguity (a)-(e) of reference §1.2.
def test_a_stable_tolerance():
    assert classify_response(6, 60, 8, 50).category is IR
    assert classify_response(6, 60, 8, 50, ICEParameters(omed_stable_tolerance=0.2)).category is PP
    # A 10 % rise is "stable" at tolerance 0.1, so it no longer blocks PR.
    assert classify_response(6, 60, 4, 66, ICEParameters(omed_stable_tolerance=0.1)).category is PR


def test_b_increase_threshold():
    prm = ICEParameters(analgesic_increase="ge25pct")
    assert classify_response(6, 60, 4, 70, prm).category is PR  # +17 % no longer blocks PR
    assert classify_response(8, 60, 0, 70, prm).category is CR
    assert classify_response(8, 60, 0, 90, prm).category is IR  # +50 % still blocks


def test_c_pain_and_omed_increase():
    assert classify_response(6, 60, 9, 120, ICEParameters(pain_and_omed_increase="PP")).category is PP


def test_d_zero_baseline_not_evaluable():
    res = classify_response(6, 0, 6, 10, ICEParameters(zero_baseline_omed="not_evaluable"))
    assert res.category is NE
    assert "baseline OMED is 0" in res.reason
    # Zero to zero is no change in either mode.
    assert classify_response(6, 0, 4, 0, ICEParameters(zero_baseline_omed="not_evaluable")).category is PR
    assert math.isinf(classify_response(6, 0, 6, 10).omed_change)


def test_e_pain_decrease_with_omed_increase():
    assert (
        classify_response(8, 60, 0, 90, ICEParameters(pain_decrease_with_omed_increase="PP")).category is PP
    )
    assert (
        classify_response(6, 60, 4, 90, ICEParameters(pain_decrease_with_omed_increase="PP")).category is PP
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((None, 60, 4, 60), "missing pain"),
        ((6, 60, float("nan"), 60), "missing pain"),
        ((6, None, 4, 60), "missing OMED"),
        ((6, 60, 4, None), "missing OMED"),
    ],
)
def test_missing_is_not_evaluable(args, reason):
    res = classify_response(*args)
    assert res.category is NE
    assert reason in res.reason
    assert not res.evaluable


@pytest.mark.parametrize(
    ("args", "field"),
    [((11, 60, 4, 60), "p0"), ((6, -1, 4, 60), "o0"), ((6, 60, "4", 60), "pt"), ((6, 60, 4, True), "ot")],
)
def test_invalid_inputs_raise(args, field):
    with pytest.raises(PalliroValueError) as err:
        classify_response(*args)
    assert err.value.field == field


def test_invalid_parameters():
    with pytest.raises(PalliroValueError) as err:
        ICEParameters(analgesic_increase="some")  # type: ignore[arg-type]
    assert err.value.field == "analgesic_increase"
    with pytest.raises(PalliroValueError):
        ICEParameters(omed_stable_tolerance=0.3)


_maybe_pain = st.one_of(st.none(), st.integers(0, 10), st.floats(0, 10))
_maybe_omed = st.one_of(st.none(), st.just(0.0), st.floats(0, 1000))
_params = st.builds(
    ICEParameters,
    omed_stable_tolerance=st.sampled_from([0.0, 0.1, 0.2]),
    analgesic_increase=st.sampled_from(["any", "ge25pct"]),
    pain_and_omed_increase=st.sampled_from(["IR", "PP"]),
    zero_baseline_omed=st.sampled_from(["infinite", "not_evaluable"]),
    pain_decrease_with_omed_increase=st.sampled_from(["IR", "PP"]),
)


@settings(max_examples=100, derandomize=True)
@given(p0=_maybe_pain, o0=_maybe_omed, pt=_maybe_pain, ot=_maybe_omed, prm=_params)
def test_property_exactly_one_category(p0, o0, pt, ot, prm):
    res = classify_response(p0, o0, pt, ot, prm)
    # Exhaustive: always one of the five; exclusive: the enum value is a single member.
    assert sum(res.category is c for c in ResponseCategory) == 1
    assert res.responder == (res.category in (CR, PR))
    if None in (p0, o0, pt, ot):
        assert res.category is NE


# ---- Time to response / duration ------------------------------------------------------------


def test_response_course_with_progression():
    res = response_course([(1, "IR"), (2, "PR"), (4, "CR"), (8, "IR"), (12, "PP")])
    assert res.responded and res.time_to_response == 2
    assert res.best_response is CR
    assert res.duration_of_response == 10 and res.duration_censored is False
    assert res.progression_time == 12


def test_response_course_censored_and_not_evaluable_skipped():
    res = response_course([(4, PR), (2, NE), (8, PR), (12, NE)])
    assert res.time_to_response == 4
    assert res.duration_of_response == 4 and res.duration_censored is True
    assert res.last_assessment_time == 8


def test_response_course_no_response_and_from_classifications():
    series = classify_series(6, 60, [(1, 6, 60), (2, 8, 60), (4, None, 60)])
    res = response_course(series)
    assert not res.responded and res.time_to_response is None and res.duration_of_response is None
    assert res.best_response is IR
    assert res.last_assessment_time == 2
    assert response_course([]).best_response is None


def test_response_course_errors():
    with pytest.raises(PalliroValueError):
        response_course([(1, "XX")])
    with pytest.raises(PalliroValueError):
        response_course([(1, "PR"), (1, "CR")])


# ---- Pain flare (reference §1.4 vectors [C]; baseline p0 = 5, o0 = 30) -----------------------

P0, O0 = 5, 30


def _diary(pains, omeds):
    return [(day, p, o) for day, (p, o) in enumerate(zip(pains, omeds, strict=True), start=1)]


def _flare(diary, params=None):
    return detect_flare(P0, O0, diary, first_rt_day=1, last_rt_day=1, params=params)


def test_flare_pain_spike_then_return():
    # Days 1-10 = 7, 7, 5, ... with OMED 30 -> flare on days 1-2.
    res = _flare(_diary([7, 7] + [5] * 8, [30] * 10))
    assert res.flare and res.pattern == "flare"
    assert (res.first_day, res.last_day, res.duration_days) == (1, 2, 2)
    assert res.returned_to_baseline and res.return_day == 3


def test_flare_progression_pattern():
    # Pain 7 on day 1 and >= 7 through day 10 -> no flare (progression pattern).
    res = _flare(_diary([7, 8, 7, 9, 7, 7, 8, 7, 7, 7], [30] * 10))
    assert not res.flare and res.pattern == "no_return"
    assert res.first_day == 1 and not res.returned_to_baseline
    res = _flare(_diary([7] * 10, [30] * 10), FlareParameters(require_return_to_baseline=False))
    assert res.flare and res.duration_days == 10


def test_flare_omed_increase():
    # OMED 30 -> 40 (+33 %) on day 2 with pain 5, back to 30 on day 4 -> flare.
    res = _flare(_diary([5] * 10, [30, 40, 40] + [30] * 7))
    assert res.flare and (res.first_day, res.duration_days, res.return_day) == (2, 2, 4)


def test_flare_pain_plus_one_only():
    res = _flare(_diary([6] * 10, [30] * 10))
    assert not res.flare and res.pattern == "none" and res.criteria_days == ()


def test_flare_two_consecutive_days_variant():
    two = FlareParameters.consecutive_two_days()
    assert _flare(_diary([7, 7] + [5] * 8, [30] * 10), two).flare
    single = _diary([7, 5, 7, 5] + [5] * 6, [30] * 10)
    assert _flare(single).flare
    res = _flare(single, two)
    assert not res.flare and res.pattern == "none" and res.criteria_days == (1, 3)


def test_flare_window_and_missing_days():
    # Return on day 12 is outside the window (last RT day 1 + 10 days): no flare.
    diary = _diary([7] * 10 + [7, 5], [30] * 12)
    assert _flare(diary).pattern == "no_return"
    res = detect_flare(P0, O0, diary, first_rt_day=1, last_rt_day=2)
    assert res.flare and res.return_day == 12
    # A missing day cannot confirm a return.
    gap = [(1, 7, 30), (2, None, 30), (3, 5, None), (4, 5, 30)]
    res = _flare(gap)
    assert res.flare and res.return_day == 4 and res.duration_days == 1
    assert _flare([DiaryEntry(1, 7, 30), DiaryEntry(2, 5, 30)]).flare


def test_flare_errors():
    with pytest.raises(PalliroValueError) as err:
        _flare([(1, 7, 30), (1, 5, 30)])
    assert err.value.field == "diary"
    with pytest.raises(PalliroValueError) as err:
        _flare([(1, 12, 30)])
    assert err.value.field == "diary[0].worst_pain"
    with pytest.raises(PalliroValueError) as err:
        detect_flare(P0, O0, [], first_rt_day=5, last_rt_day=1)
    assert err.value.field == "last_rt_day"
