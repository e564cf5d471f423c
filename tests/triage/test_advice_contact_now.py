"""Whenever a respondent is told to call now, the team has an alert: the advice_contact_now safety net."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.core.errors import PalliroValueError
from palliro.core.rules import AdviceHit, Finding, RuleContext, Severity, evaluate, parse_rule
from palliro.triage.models import Alert, AlertRule
from palliro.triage.rules_io import shipped_rules

from .helpers import submit

SAFETY_NET = {"code": "net", "kind": "advice_contact_now", "severity": "attention", "reason": "r", "advice": "a"}


def codes(patient):
    return sorted(Alert.objects.filter(patient=patient).values_list("rule__code", flat=True))


def treated_days_ago(patient, days):
    from palliro.clinic.models import RTCourse

    day = timezone.localdate() - timedelta(days=days)
    RTCourse.objects.create(patient=patient, indication="pain", target_region="Femur", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=day, last_fraction_date=day,
                            fractions_delivered=1)


def test_the_shipped_rules_hold_the_safety_net_and_migrate_loads_it(db):
    assert "advice_contact_now" in {rule.kind for rule in shipped_rules()}
    row = AlertRule.objects.get(code="advice-contact-now")
    assert row.kind == "advice_contact_now" and row.severity == "attention" and row.shipped
    assert row.to_rule().parameters["red_flag_severity"] == Severity.URGENT


def test_a_bone_questionnaire_with_fever_after_treatment_raises_the_fever_alert(ann):
    treated_days_ago(ann, 8)
    submit(ann, "palliro-bone", pain_flare="much-worse", flu_like="very-much", jaw_pain="a-lot")
    assert codes(ann) == ["fever-after-treatment"]


def test_a_call_now_answer_no_rule_covers_raises_the_safety_net_with_the_answers_as_shown(ann):
    treated_days_ago(ann, 8)
    submit(ann, "palliro-bone", pain_flare="much-worse", pain_flare_now="still-worse", flu_like="very-much",
           jaw_pain="a-lot", jaw_sore="yes")
    assert codes(ann) == ["advice-contact-now", "fever-after-treatment"]
    net = Alert.objects.get(rule__code="advice-contact-now")
    assert net.severity == "attention"
    assert "Is the pain still worse than before the treatment?: Yes, it is still worse" in net.detail
    assert "Do you have a sore on your gums" in net.detail
    assert "flu" not in net.detail  # the fever rule covers it: no second alert about the same answer


def test_no_second_alert_when_a_rule_already_covers_the_call_now_answer(ann):
    submit(ann, "palliro-general", pain_worst="9")
    assert codes(ann) == ["pain-worst-high"]


def test_fever_without_a_recorded_treatment_still_reaches_the_team(ann):
    submit(ann, "palliro-general", flu_like="a-lot")
    net = Alert.objects.get(patient=ann)
    assert net.rule.code == "advice-contact-now" and net.severity == "attention"
    assert "How much have you had fever" in net.detail and ": A lot" in net.detail


def test_a_red_flag_no_active_rule_covers_is_urgent(ann):
    AlertRule.objects.filter(code="mscc-red-flag").update(active=False)
    submit(ann, "palliro-mscc", limb_weakness="yes")
    net = Alert.objects.get(patient=ann)
    assert net.rule.code == "advice-contact-now" and net.severity == "urgent"
    assert "red flag" in net.detail


def test_nothing_is_raised_when_no_answer_says_call_now(ann):
    submit(ann, "palliro-general", pain_worst="5", flu_like="a-little")
    assert codes(ann) == []


def test_a_covering_finding_of_lower_severity_does_not_cover_a_red_flag():
    net = parse_rule(SAFETY_NET)
    weak = parse_rule({"code": "weak", "kind": "threshold", "severity": "attention", "reason": "r", "advice": "a",
                       "parameters": {"conditions": [{"item": "limb-weakness", "op": "==", "value": 1}]}})
    ctx = RuleContext(instrument="palliro-mscc", values={"limb-weakness": 1.0},
                      contact_now=(AdviceHit("limb-weakness", 1.0, red_flag=True, label="Weak legs: Yes"),))
    found = evaluate([weak, net], ctx)
    assert [(f.rule_code, f.severity) for f in found] == [("net", Severity.URGENT), ("weak", Severity.ATTENTION)]
    assert isinstance(found[0], Finding) and found[0].items == ("limb-weakness",)


def test_the_parameters_are_validated_like_every_other_kind():
    with pytest.raises(PalliroValueError) as error:
        parse_rule({**SAFETY_NET, "parameters": {"red_flag_severity": "loud"}})
    assert "red_flag_severity" in error.value.field
    with pytest.raises(PalliroValueError):
        parse_rule({**SAFETY_NET, "parameters": {"items": ["x"]}})
