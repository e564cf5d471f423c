"""palliro.core.rules, kind free_text: a comment written in a free-text answer raises a finding with the text."""

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.rules import ItemLabel, RuleContext, Severity, evaluate, parse_rule


def rule(**parameters):
    return parse_rule({"code": "free-text-comment", "kind": "free_text", "severity": "attention",
                       "parameters": parameters, "reason": "A comment.", "advice": "Read it."})


def found(texts, r=None, **context):
    return evaluate([r or rule()], RuleContext(instrument="palliro-general", texts=texts, **context))


def test_it_quotes_the_comment_with_the_items_label():
    labels = {"anything-else": ItemLabel("Anything else")}
    finding, = found({"anything-else": "since yesterday I can hardly move my legs"}, labels=labels)
    assert finding.detail == 'Anything else: "since yesterday I can hardly move my legs"'
    assert finding.severity is Severity.ATTENTION and finding.items == ("anything-else",)


def test_it_names_the_item_by_its_link_id_without_labels():
    finding, = found({"anything-else": "  new pain\nin my hip "})
    assert finding.detail == 'anything-else: "new pain in my hip"'


@pytest.mark.parametrize("text", ["", "   ", "-", "...", "x", "No", "no.", "Nee", "rien !", "Nada", "nothing else", "OK"])
def test_it_ignores_answers_that_say_nothing(text):
    assert found({"anything-else": text}) == []


def test_a_short_real_comment_still_fires():
    assert len(found({"anything-else": "help"})) == 1
    assert len(found({"anything-else": "pijn"})) == 1


def test_an_empty_ignore_list_lets_every_text_through():
    assert len(found({"anything-else": "No"}, rule(ignore=[]))) == 1


def test_it_trims_a_long_comment_and_points_to_the_response_page():
    finding, = found({"anything-else": "word " * 200}, rule(max_chars=50))
    quoted = finding.detail.split('"')[1]
    assert quoted.endswith("… (full text on the response page)") and len(quoted) < 100


def test_it_looks_only_at_the_items_it_names():
    texts = {"anything-else": "new pain", "other-text": "fell yesterday"}
    finding, = found(texts, rule(items=["other-text"]))
    assert finding.detail == 'other-text: "fell yesterday"'
    finding, = found(texts)
    assert finding.detail == 'anything-else: "new pain"; other-text: "fell yesterday"'


def test_it_does_not_fire_without_free_text():
    assert found({}) == []


def test_it_does_not_apply_to_a_non_response_check():
    assert evaluate([rule()], RuleContext(consecutive_missed=5)) == []


@pytest.mark.parametrize(("parameters", "field"), [
    ({"items": []}, "parameters.items"),
    ({"items": "anything-else"}, "parameters.items"),
    ({"items": ["anything-else", ""]}, "parameters.items[1]"),
    ({"min_length": 0}, "parameters.min_length"),
    ({"min_length": "2"}, "parameters.min_length"),
    ({"max_chars": 5}, "parameters.max_chars"),
    ({"ignore": "no"}, "parameters.ignore"),
    ({"ignore": ["no", 3]}, "parameters.ignore"),
    ({"words": 3}, "parameters"),
])
def test_it_refuses_bad_parameters_naming_the_field(parameters, field):
    with pytest.raises(PalliroValueError) as exc:
        rule(**parameters)
    assert exc.value.field == field
