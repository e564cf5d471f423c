"""palliro.core.rules: every shipped rule with cases that fire and cases that must not, and validation."""

import json
from pathlib import Path

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.pain import DiaryEntry
from palliro.core.rules import (
    DiaryContext,
    RuleContext,
    Severity,
    evaluate,
    load_rules,
    parse_rule,
    parse_rules,
)

RULES_FILE = Path(__file__).parents[2] / "src" / "palliro" / "triage" / "data" / "rules.json"


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES_FILE)


def fired(rules, **context):
    return [f.rule_code for f in evaluate(rules, RuleContext(**context))]


def test_it_loads_the_shipped_file_with_every_kind(rules):
    assert {r.kind for r in rules} == {"threshold", "baseline_change", "restarted", "pain_flare", "non_response",
                                         "advice_contact_now", "free_text"}
    assert all(r.reason and r.advice for r in rules)


# --- absolute threshold ---------------------------------------------------------------------------

def test_it_fires_on_worst_pain_of_7(rules):
    assert fired(rules, instrument="palliro-general", values={"pain-worst": 7}) == ["pain-worst-high"]


def test_it_fires_on_a_relatives_worst_pain_of_9(rules):
    assert "pain-worst-high" in fired(rules, instrument="palliro-general-proxy", values={"pain-worst": 9})


def test_it_does_not_fire_on_worst_pain_of_6(rules):
    assert fired(rules, instrument="palliro-general", values={"pain-worst": 6}) == []


def test_it_does_not_apply_a_rule_to_another_instrument(rules):
    assert fired(rules, instrument="palliro-bone", values={"pain-worst": 10}) == []


def test_it_fires_on_a_diary_day_with_pain_8_but_not_7(rules):
    assert fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 8}) == ["diary-pain-high"]
    assert fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 7}) == []


# --- change from baseline -------------------------------------------------------------------------

def test_it_fires_on_two_points_above_own_baseline(rules):
    got = fired(rules, instrument="palliro-general", values={"pain-worst": 5}, baseline={"pain-worst": 3})
    assert got == ["pain-worst-rise"]


def test_it_does_not_fire_on_one_point_above_baseline(rules):
    assert fired(rules, instrument="palliro-general", values={"pain-worst": 4}, baseline={"pain-worst": 3}) == []


def test_it_does_not_fire_without_a_baseline(rules):
    assert fired(rules, instrument="palliro-general", values={"pain-worst": 6}) == []


def test_it_reports_the_numbers_of_a_baseline_change(rules):
    finding = evaluate(rules, RuleContext(instrument="palliro-general", values={"pain-worst": 8},
                                          baseline={"pain-worst": 2}))
    assert [f.rule_code for f in finding] == ["pain-worst-high", "pain-worst-rise"]
    assert "baseline 2 (+6)" in finding[1].detail


# --- red flags: spinal cord compression -----------------------------------------------------------

@pytest.mark.parametrize("item", ["limb-weakness", "bladder-bowel-control"])
@pytest.mark.parametrize("instrument", ["palliro-mscc", "palliro-mscc-proxy"])
def test_it_raises_an_urgent_mscc_alert_on_either_red_flag(rules, item, instrument):
    findings = evaluate(rules, RuleContext(instrument=instrument, values={item: 1}))
    assert [f.rule_code for f in findings] == ["mscc-red-flag"]
    assert findings[0].severity is Severity.URGENT
    assert "spinal cord compression" in findings[0].reason


def test_it_does_not_raise_mscc_when_both_answers_are_no(rules):
    assert fired(rules, instrument="palliro-mscc", values={"limb-weakness": 0, "bladder-bowel-control": 0}) == []


# --- bleeding that restarted ----------------------------------------------------------------------

def test_it_fires_when_bleeding_returns_after_none(rules):
    got = fired(rules, instrument="palliro-bleeding", values={"bleeding-any": 1, "bleeding-amount": 2},
                previous={"bleeding-any": 0})
    assert got == ["bleeding-restarted"]


def test_it_fires_when_bleeding_returns_after_it_had_stopped(rules):
    got = fired(rules, instrument="palliro-bleeding", values={"bleeding-any": 1, "bleeding-amount": 1},
                previous={"bleeding-any": 1, "bleeding-stopped": 0})
    assert got == ["bleeding-restarted"]


def test_it_does_not_call_ongoing_bleeding_restarted(rules):
    got = fired(rules, instrument="palliro-bleeding", values={"bleeding-any": 1, "bleeding-amount": 1},
                previous={"bleeding-any": 1, "bleeding-stopped": 2})
    assert got == []


def test_it_does_not_call_a_first_report_restarted(rules):
    assert fired(rules, instrument="palliro-bleeding", values={"bleeding-any": 1, "bleeding-amount": 1}) == []


def test_it_does_not_fire_when_bleeding_stays_away(rules):
    assert fired(rules, instrument="palliro-bleeding", values={"bleeding-any": 0}, previous={"bleeding-any": 0}) == []


def test_it_raises_heavy_bleeding_as_urgent(rules):
    assert fired(rules, instrument="palliro-bleeding-proxy", values={"bleeding-any": 1, "bleeding-amount": 4}) == [
        "bleeding-heavy"
    ]


# --- pain flare from the diary (clinical.md §1.4 test vectors: p0 = 5, o0 = 30) --------------------

def diary(pains, omeds=None, today=None, last_rt_day=4):
    omeds = omeds or [30.0] * len(pains)
    entries = tuple(DiaryEntry(d + 1, p, o) for d, (p, o) in enumerate(zip(pains, omeds, strict=True)))
    return DiaryContext(5.0, 30.0, entries, 1, last_rt_day, today if today is not None else len(pains))


def test_it_fires_a_flare_on_the_first_day_of_pain_7_from_baseline_5(rules):
    # clinical.md §1.4: days 1-10 = 7, 7, 5, ... with OMED 30 -> flare (days 1-2)
    got = fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 7}, diary=diary([7]))
    assert got == ["pain-flare"]


def test_it_fires_a_flare_on_a_25_percent_opioid_rise_with_pain_unchanged(rules):
    # clinical.md §1.4: OMED 30 -> 40 (+33 %) on day 2 with pain 5 -> flare
    got = fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 5},
                diary=diary([5, 5], [30.0, 40.0]))
    assert got == ["pain-flare"]


def test_it_does_not_fire_on_pain_plus_one(rules):
    # clinical.md §1.4: pain 6 (+1) only -> none
    got = fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 6}, diary=diary([6, 6, 6]))
    assert got == []


def test_it_does_not_fire_once_pain_is_back_at_baseline(rules):
    got = fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 5}, diary=diary([7, 7, 5]))
    assert got == []


def test_it_does_not_fire_after_the_ten_day_window(rules):
    # last RT day 4 + 10 follow-up days: day 15 is outside the window
    got = fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 7},
                diary=diary([5] * 14 + [7], last_rt_day=4))
    assert got == []


def test_it_marks_the_flare_alert_unverified(rules):
    finding = evaluate(rules, RuleContext(instrument="palliro-pain-diary", values={"diary-pain-worst": 7},
                                          diary=diary([7])))[0]
    assert finding.unverified and "return" in finding.unverified[0]
    assert "worst pain 7 (baseline 5)" in finding.detail


def test_the_shipped_flare_rule_names_its_alert_without_return_choice(rules):
    flare = next(r for r in rules if r.kind == "pain_flare")
    assert flare.parameters["alert_without_return"] is True
    assert flare.parameters["flare"].require_return_to_baseline is False


def test_it_can_wait_for_the_return_to_baseline_before_raising_a_flare(rules):
    shipped = next(r for r in rules if r.kind == "pain_flare")
    waiting = parse_rule({"code": "flare-confirmed", "kind": "pain_flare", "severity": "info",
                          "reason": shipped.reason, "advice": shipped.advice,
                          "instruments": list(shipped.instruments), "parameters": {"alert_without_return": False}})
    context = dict(instrument="palliro-pain-diary", values={"diary-pain-worst": 7})
    assert evaluate([waiting], RuleContext(**context, diary=diary([7]))) == []
    # clinical.md §1.4: days 1-10 = 7, 7, 5, ... -> flare (days 1-2), confirmed by the return on day 3
    assert evaluate([waiting], RuleContext(**context, diary=diary([7, 7]))) == []
    finding, = evaluate([waiting], RuleContext(**context, diary=diary([7, 7, 5])))
    assert "from day 1 to day 2, back to baseline on day 3" in finding.detail
    assert not any("alert_without_return" in mark for mark in finding.unverified)


def test_it_carries_the_diarys_own_unverified_marks(rules):
    context = DiaryContext(5.0, 0.0, (DiaryEntry(1, 7, 0.0),), 1, 4, 1, ("no_analgesic_record: ... [U]",))
    finding, = evaluate(rules, RuleContext(instrument="palliro-pain-diary", values={"diary-pain-worst": 7},
                                           diary=context))
    marks = " ".join(finding.unverified)
    assert "alert_without_return" in marks and "zero_baseline_omed" in marks and "no_analgesic_record" in marks


def test_it_needs_a_diary_context_for_a_flare(rules):
    assert fired(rules, instrument="palliro-pain-diary", values={"diary-pain-worst": 7}) == []


# --- fever after treatment ------------------------------------------------------------------------

def test_it_fires_on_flu_like_symptoms_within_14_days_of_treatment(rules):
    got = fired(rules, instrument="palliro-general", values={"flu-like": 2}, days_since_treatment=3)
    assert got == ["fever-after-treatment"]


@pytest.mark.parametrize("days", [None, 15, -1])
def test_it_does_not_fire_flu_like_symptoms_away_from_treatment(rules, days):
    assert fired(rules, instrument="palliro-general", values={"flu-like": 4}, days_since_treatment=days) == []


def test_it_does_not_fire_on_a_little_flu_like_feeling(rules):
    assert fired(rules, instrument="palliro-general", values={"flu-like": 1}, days_since_treatment=1) == []


# --- death rattle ---------------------------------------------------------------------------------

def test_it_fires_on_audible_rattle_with_high_family_distress(rules):
    got = fired(rules, instrument="palliro-death-rattle", values={"intensity": 2, "family-distress": 3})
    assert got == ["death-rattle-distress"]


@pytest.mark.parametrize("values", [{"intensity": 3, "family-distress": 1}, {"intensity": 1, "family-distress": 3}])
def test_it_needs_both_rattle_and_distress(rules, values):
    assert fired(rules, instrument="palliro-death-rattle", values=values) == []


# --- non-response ---------------------------------------------------------------------------------

def test_it_fires_after_two_missed_questionnaires(rules):
    assert fired(rules, consecutive_missed=2) == ["non-response"]


@pytest.mark.parametrize("missed", [None, 0, 1])
def test_it_does_not_fire_below_two_missed(rules, missed):
    assert fired(rules, consecutive_missed=missed) == []


def test_it_does_not_evaluate_non_response_on_a_submission(rules):
    assert fired(rules, instrument="palliro-general", values={}, consecutive_missed=5) == []


# --- ordering, inactive rules, validation ---------------------------------------------------------

def test_it_lists_urgent_findings_first():
    raw = [
        {"code": "a", "kind": "threshold", "severity": "info", "reason": "r", "advice": "a",
         "parameters": {"conditions": [{"item": "x", "op": ">=", "value": 1}]}},
        {"code": "b", "kind": "threshold", "severity": "urgent", "reason": "r", "advice": "a",
         "parameters": {"conditions": [{"item": "x", "op": ">=", "value": 1}]}},
        {"code": "c", "kind": "threshold", "severity": "urgent", "reason": "r", "advice": "a", "active": False,
         "parameters": {"conditions": [{"item": "x", "op": ">=", "value": 1}]}},
    ]
    assert fired(parse_rules(raw), instrument="any", values={"x": 1}) == ["b", "a"]


GOOD = {"code": "x", "kind": "threshold", "severity": "attention", "reason": "r", "advice": "a",
        "parameters": {"conditions": [{"item": "pain-worst", "op": ">=", "value": 7}]}}


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "magic"}, "kind"),
    ({"severity": "high"}, "severity"),
    ({"reason": ""}, "reason"),
    ({"advice": None}, "advice"),
    ({"instruments": "palliro-general"}, "instruments"),
    ({"parameters": {"conditions": []}}, "parameters.conditions"),
    ({"parameters": {"conditions": [{"item": "a", "op": "=>", "value": 1}]}}, "parameters.conditions[0].op"),
    ({"parameters": {"conditions": [{"item": "a", "op": ">=", "value": "7"}]}}, "parameters.conditions[0].value"),
    ({"parameters": {"conditions": [{"item": "a", "op": ">=", "value": 1}], "colour": 1}}, "parameters"),
    ({"kind": "baseline_change", "parameters": {"item": "a", "increase": 0}}, "parameters.increase"),
    ({"kind": "pain_flare", "parameters": {"consecutive_days": 0}}, "parameters.consecutive_days"),
    ({"kind": "pain_flare", "parameters": {"alert_without_return": "yes"}}, "parameters.alert_without_return"),
    ({"kind": "non_response", "parameters": {}}, "parameters"),
    ({"active": "yes"}, "active"),
    ({"extra": 1}, "rule"),
])
def test_it_refuses_a_bad_rule_naming_the_field(change, field):
    with pytest.raises(PalliroValueError) as caught:
        parse_rule({**GOOD, **change})
    assert caught.value.field == field


def test_it_refuses_duplicate_codes():
    with pytest.raises(PalliroValueError, match="duplicate") as caught:
        parse_rules([GOOD, GOOD])
    assert caught.value.field == "rules[1].code"


def test_it_refuses_a_context_that_is_not_a_rule_context(rules):
    with pytest.raises(PalliroValueError) as caught:
        evaluate(rules, {"instrument": "palliro-general"})
    assert caught.value.field == "context"


def test_the_shipped_file_is_valid_json_with_unique_codes():
    data = json.loads(RULES_FILE.read_text())
    codes = [r["code"] for r in data["rules"]]
    assert len(codes) == len(set(codes))
