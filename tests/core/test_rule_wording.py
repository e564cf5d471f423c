"""palliro.core.rules: alert details in words a nurse reads at a glance (question and answer from the
instrument), and the rule syntax when no labels are given."""

from pathlib import Path

import pytest

from palliro.core.questionnaire import load_questionnaire
from palliro.core.rules import RuleContext, evaluate, item_labels, load_rules

ROOT = Path(__file__).parents[2] / "src" / "palliro"


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "triage" / "data" / "rules.json")


def labels(code):
    return item_labels(load_questionnaire(ROOT / "instruments" / "data" / f"{code}.json"))


def details(rules, code, **context):
    return {f.rule_code: f.detail for f in evaluate(rules, RuleContext(instrument=code, labels=labels(code), **context))}


def test_it_reads_a_yes_no_red_flag_as_the_question_and_the_answer(rules):
    got = details(rules, "palliro-mscc", values={"limb-weakness": 1})["mscc-red-flag"]
    assert got == 'New or worse weakness or numbness in arms or legs: "Yes" (limb-weakness = 1; rule: = 1)'


def test_it_reads_a_pain_score_as_a_number_out_of_ten(rules):
    got = details(rules, "palliro-general", values={"pain-worst": 8})["pain-worst-high"]
    assert got == "Worst pain at treated site: 8 of 10 (rule: 7 or more)"


def test_it_keeps_the_words_of_a_scales_anchor(rules):
    got = details(rules, "palliro-general", values={"pain-worst": 10})["pain-worst-high"]
    assert got == 'Worst pain at treated site: 10 of 10 ("The worst pain you can imagine") (rule: 7 or more)'


def test_it_names_every_condition_that_held_and_the_days_after_treatment(rules):
    got = details(rules, "palliro-general", values={"flu-like": 3}, days_since_treatment=4)["fever-after-treatment"]
    assert got == 'Fever or flu-like symptoms: "A lot" (flu-like = 3; rule: 2 or more); 4 days after treatment'


def test_it_reads_a_rise_from_baseline_in_words(rules):
    got = details(rules, "palliro-general", values={"pain-worst": 5}, baseline={"pain-worst": 3})["pain-worst-rise"]
    assert got == "Worst pain at treated site: 5 of 10, baseline 3 of 10 (+2; rule: +2 or more)"


def test_it_reads_restarted_bleeding_now_and_before(rules):
    got = details(rules, "palliro-bleeding", values={"bleeding-any": 1, "bleeding-amount": 1},
                  previous={"bleeding-any": 1, "bleeding-stopped": 0})["bleeding-restarted"]
    assert got == ('now Any bleeding: "Yes" (bleeding-any = 1; rule: = 1); previously Bleeding stopped: '
                   '"Yes, it has stopped" (bleeding-stopped = 0; rule: = 0)')


def test_it_reads_a_graded_scale_with_its_words(rules):
    got = details(rules, "palliro-death-rattle", values={"intensity": 2, "family-distress": 3})
    assert got["death-rattle-distress"].startswith(
        'Noisy breathing (death rattle) intensity 0–3: 2 of 3 ("Clearly heard at the foot of the bed") (rule: 2 or more); ')


def test_it_keeps_the_rule_syntax_without_labels(rules):
    finding, = evaluate(rules, RuleContext(instrument="palliro-mscc", values={"limb-weakness": 1}))
    assert finding.detail == "limb-weakness == 1 (answered 1)"
    rise = evaluate(rules, RuleContext(instrument="palliro-general", values={"pain-worst": 5},
                                       baseline={"pain-worst": 3}))
    assert [f.detail for f in rise] == ["pain-worst 5, baseline 3 (+2)"]


def test_it_falls_back_to_the_rule_syntax_for_an_item_the_labels_do_not_know(rules):
    finding, = evaluate(rules, RuleContext(instrument="palliro-mscc", values={"limb-weakness": 1},
                                           labels=labels("palliro-general")))
    assert finding.detail == "limb-weakness == 1 (answered 1)"


def test_it_labels_a_counted_item_by_its_number():
    breakthrough = labels("palliro-general")["breakthrough-doses"]
    assert breakthrough.numbered and breakthrough.answer(3) == "3"
