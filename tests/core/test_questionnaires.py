"""Tests for palliro.core.questionnaire: loading, Palliro's checks, branching, answers, advice, export.

A small hand-written questionnaire exercises the API independently of the shipped bank's wording;
tests/core/test_item_bank.py checks the bank itself.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire import (
    PALLIRO_EXT,
    AnswerError,
    QuestionnaireError,
    advice_for,
    enabled_items,
    load_bank,
    load_questionnaire,
    to_questionnaire_response,
    validate_answers,
)

TR = "http://hl7.org/fhir/StructureDefinition/translation"
ORD = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ANSWERS = "https://palliro.org/fhir/CodeSystem/answers"
WHEN = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def tr(en: str) -> dict:
    """Translations that are recognisably derived from the English, enough for structural tests."""
    return {
        "extension": [
            {
                "url": TR,
                "extension": [
                    {"url": "lang", "valueCode": lang},
                    {"url": "content", "valueString": f"{en} [{lang}]"},
                ],
            }
            for lang in ("nl", "fr", "es")
        ]
    }


def option(code: str, ordinal: float, display: str) -> dict:
    return {
        "extension": [{"url": ORD, "valueDecimal": ordinal}],
        "valueCoding": {"system": ANSWERS, "code": code, "display": display, "_display": tr(display)},
    }


def advice(low: int, high: int, band: str, text: str) -> dict:
    return {
        "url": PALLIRO_EXT + "advice",
        "extension": [
            {"url": "min", "valueInteger": low},
            {"url": "max", "valueInteger": high},
            {"url": "band", "valueCode": band},
            {"url": "text", "valueString": text},
            *tr(text)["extension"],
        ],
    }


def item(link_id: str, kind: str, text: str, **extra) -> dict:
    node = {
        "linkId": link_id,
        "code": [{"system": "https://palliro.org/fhir/CodeSystem/items", "code": link_id}],
        "text": text,
        "_text": tr(text),
        "type": kind,
    }
    node.update(extra)
    return node


def mini() -> dict:
    """Covers every rule: choice, repeats, integer range, text, group, both directions, red flag."""
    worse = {"url": PALLIRO_EXT + "symptom-direction", "valueCode": "higher-is-worse"}
    better = {"url": PALLIRO_EXT + "symptom-direction", "valueCode": "higher-is-better"}
    return {
        "resourceType": "Questionnaire",
        "id": "mini",
        "url": "https://palliro.org/fhir/Questionnaire/mini",
        "version": "1.0.0",
        "title": "Mini",
        "_title": tr("Mini"),
        "status": "active",
        "language": "en",
        "item": [
            item(
                "pain",
                "choice",
                "How bad?",
                required=True,
                extension=[
                    worse,
                    advice(0, 0, "none", "Nothing to do."),
                    advice(1, 1, "mild", "Rest."),
                    advice(2, 3, "severe", "Call now."),
                    {"url": PALLIRO_EXT + "contact-threshold", "valueInteger": 2},
                ],
                answerOption=[
                    option("0", 0, "0 – none"),
                    option("1", 1, "1"),
                    option("2", 2, "2"),
                    option("3", 3, "3 – worst"),
                ],
            ),
            item(
                "any",
                "choice",
                "Any bleeding?",
                required=True,
                answerOption=[option("no", 0, "No"), option("yes", 1, "Yes")],
            ),
            item(
                "amount",
                "choice",
                "How much?",
                required=True,
                enableWhen=[
                    {"question": "any", "operator": "=", "answerCoding": {"system": ANSWERS, "code": "yes"}}
                ],
                extension=[
                    worse,
                    advice(1, 1, "mild", "Keep a note."),
                    advice(2, 3, "severe", "Call now, emergency if heavy."),
                    {"url": PALLIRO_EXT + "contact-threshold", "valueInteger": 2},
                    {"url": PALLIRO_EXT + "red-flag", "valueBoolean": True},
                ],
                answerOption=[
                    option("spots", 1, "Spots"),
                    option("lot", 2, "A lot"),
                    option("clots", 3, "Clots"),
                ],
            ),
            item(
                "where",
                "choice",
                "Where?",
                repeats=True,
                enableWhen=[
                    {"question": "any", "operator": "=", "answerCoding": {"system": ANSWERS, "code": "yes"}}
                ],
                answerOption=[option("nose", 1, "Nose"), option("urine", 2, "Urine")],
            ),
            item(
                "doses",
                "integer",
                "Extra doses?",
                enableWhen=[
                    {"question": "pain", "operator": "!=", "answerCoding": {"system": ANSWERS, "code": "0"}}
                ],
                extension=[
                    worse,
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 5},
                    advice(0, 2, "none", "Fine."),
                    advice(3, 5, "moderate", "Tell the team."),
                ],
            ),
            item(
                "mood",
                "choice",
                "How do you feel?",
                extension=[
                    better,
                    advice(0, 0, "severe", "Call now."),
                    advice(1, 2, "none", "Good."),
                    {"url": PALLIRO_EXT + "contact-threshold", "valueInteger": 0},
                ],
                answerOption=[option("bad", 0, "Bad"), option("ok", 1, "OK"), option("good", 2, "Good")],
            ),
            item("note", "text", "Anything else?", maxLength=10),
            {
                "linkId": "grp",
                "type": "group",
                "text": "More",
                "_text": tr("More"),
                "enableWhen": [{"question": "doses", "operator": ">=", "answerInteger": 3}],
                "item": [item("inner", "boolean", "Still bleeding?")],
            },
        ],
    }


@pytest.fixture(scope="module")
def inst():
    return load_questionnaire(mini())


# --- loading ------------------------------------------------------------------------------------


def test_model_reads_every_field(inst):
    assert (inst.code, inst.version, inst.canonical) == (
        "mini",
        "1.0.0",
        "https://palliro.org/fhir/Questionnaire/mini|1.0.0",
    )
    assert inst.title("fr") == "Mini [fr]"
    pain = inst.item("pain")
    assert pain.text("nl") == "How bad? [nl]" and pain.required and pain.direction == "higher-is-worse"
    assert [(o.code, o.ordinal) for o in pain.options] == [("0", 0), ("1", 1), ("2", 2), ("3", 3)]
    assert pain.options[0].display("es") == "0 – none [es]"
    assert pain.options[1].display("es") == "1"  # bare numbers need no translation
    assert pain.contact_threshold == 2 and not pain.red_flag
    assert pain.advice("fr", 3) == "Call now. [fr]" and pain.advice("en", 0) == "Nothing to do."
    assert inst.item("amount").red_flag
    doses = inst.item("doses")
    assert (doses.min_value, doses.max_value, doses.type) == (0, 5, "integer")
    assert inst.item("inner").parent == "grp"
    assert [i.link_id for i in inst.questions] == [
        "pain",
        "any",
        "amount",
        "where",
        "doses",
        "mood",
        "note",
        "inner",
    ]


def test_load_from_file_and_fresh_resource_copy(tmp_path):
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(mini()), encoding="utf-8")
    inst = load_questionnaire(path)
    copy_ = inst.resource()
    copy_["title"] = "changed"
    assert inst.resource()["title"] == "Mini"


def test_unknown_language_and_item_raise(inst):
    with pytest.raises(PalliroValueError) as info:
        inst.title("de")
    assert info.value.field == "lang"
    with pytest.raises(PalliroValueError, match="no item 'nope'"):
        inst.item("nope")


def test_translations_can_be_waived_for_single_language_instruments():
    data = mini()
    for node in data["item"]:
        node.pop("_text", None)
    with pytest.raises(QuestionnaireError):
        load_questionnaire(data)
    assert load_questionnaire(data, languages=()).item("pain").text("en") == "How bad?"


def broken() -> dict:
    data = mini()
    items = {node["linkId"]: node for node in data["item"]}
    items["note"]["linkId"] = "any"  # duplicate linkId
    items["pain"]["_text"]["extension"].pop(1)  # no French item text
    items["mood"]["answerOption"][2]["valueCoding"].pop("_display")  # untranslated answer display
    items["mood"]["answerOption"][1].pop("extension")  # no ordinal value
    items["amount"]["enableWhen"][0]["question"] = "ghost"  # enableWhen to a missing linkId
    items["where"]["enableWhen"][0]["answerCoding"]["code"] = "maybe"  # not an option of 'any'
    items["pain"]["extension"][3] = advice(2, 2, "severe", "Call now.")  # value 3 left uncovered
    items["doses"]["extension"][4] = advice(2, 5, "moderate", "Tell the team.")  # overlaps 0–2
    del data["_title"]["extension"][2]  # no Spanish title
    return data


def test_broken_questionnaire_reports_every_problem_with_its_link_id():
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(broken())
    err = info.value
    assert err.field == "mini"
    assert "duplicate linkId" in err.messages_for("any")
    assert "text: missing 'fr' translation" in err.messages_for("pain")
    assert "answerOption 'good' display: missing 'nl' translation" in err.messages_for("mood")
    assert "answerOption 'ok' has no ordinalValue" in err.messages_for("mood")
    assert "enableWhen on 'ghost': no item has that linkId" in err.messages_for("amount")
    assert "enableWhen on 'any': 'maybe' is not an answer option of 'any'" in err.messages_for("where")
    assert "advice bands leave a gap: no band for value 3" in err.messages_for("pain")
    assert "advice bands 0–2 and 2–5 overlap" in err.messages_for("doses")
    assert "title: missing 'es' translation" in err.messages_for(None)
    assert (
        len(err.problems) == 11
    )  # the nine defects above; the untranslated display counts once per language
    assert "duplicate linkId" in str(err) and "any:" in str(err)


@pytest.mark.parametrize(
    ("mutate", "link_id", "message"),
    [
        (lambda d: d["item"][0]["extension"].pop(4), "pain", None),  # no threshold: loads
        (
            lambda d: d["item"][0]["extension"].__setitem__(
                4, {"url": PALLIRO_EXT + "red-flag", "valueBoolean": True}
            ),
            "pain",
            "red-flag needs a contact-threshold",
        ),
        (lambda d: d.__setitem__("status", "finished"), None, "status must be one of"),
        (
            lambda d: d["item"][2]["enableWhen"][0].__setitem__("operator", "=="),
            "amount",
            "unknown operator '=='",
        ),
        (lambda d: d["item"][2].__setitem__("enableBehavior", "some"), "amount", "enableBehavior must be"),
        (
            lambda d: d["item"][0]["extension"].__setitem__(
                4, {"url": PALLIRO_EXT + "contact-threshold", "valueInteger": 3}
            ),
            "pain",
            "contact-threshold 3 must start an advice band",
        ),
        (lambda d: d["item"][0]["extension"].pop(0), "pain", "contact-threshold needs symptom-direction"),
        (
            lambda d: d["item"][0]["extension"].append({"url": PALLIRO_EXT + "advise", "valueString": "x"}),
            "pain",
            "unknown Palliro extension",
        ),
        (lambda d: d["item"][4]["extension"].pop(2), "doses", "advice and contact-threshold need"),
        (lambda d: d["item"][1].pop("code"), "any", "an answerable item needs a code"),
        (lambda d: d["item"][1].__setitem__("type", "date"), "any", "item type 'date' is not supported"),
        (
            lambda d: d["item"][4]["enableWhen"].__setitem__(
                0, {"question": "any", "operator": ">", "answerCoding": {"code": "yes"}}
            ),
            "doses",
            "operator '>' needs a number question",
        ),
        (
            lambda d: d["item"][4]["enableWhen"].__setitem__(
                0, {"question": "pain", "operator": "=", "answerInteger": 1}
            ),
            "doses",
            "answer type integer does not fit a choice question",
        ),
        (
            lambda d: d["item"][0].__setitem__(
                "enableWhen", [{"question": "pain", "operator": "exists", "answerBoolean": True}]
            ),
            "pain",
            "cannot depend on itself",
        ),
    ],
)
def test_single_rule_violations(mutate, link_id, message):
    data = mini()
    mutate(data)
    if message is None:
        load_questionnaire(data)
        return
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(data)
    assert any(message in m for m in info.value.messages_for(link_id)), info.value


def test_enable_when_cycle_is_refused():
    data = mini()
    data["item"][1]["enableWhen"] = [{"question": "amount", "operator": "exists", "answerBoolean": True}]
    with pytest.raises(QuestionnaireError, match="enableWhen cycle"):
        load_questionnaire(data)


def test_fhir_structure_errors_name_the_item():
    data = mini()
    data["item"][2]["colour"] = "red"
    data["title"] = ["Mini"]
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(data)
    assert any("FHIR" in m and "colour" in m for m in info.value.messages_for("amount"))
    assert any(m.startswith("FHIR: title:") for m in info.value.messages_for(None))


def test_bad_sources(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="not valid JSON"):
        load_questionnaire(bad)
    with pytest.raises(PalliroValueError, match="cannot read"):
        load_questionnaire(tmp_path / "missing.json")
    with pytest.raises(QuestionnaireError, match="resourceType"):
        load_questionnaire({"resourceType": "Patient"})
    with pytest.raises(PalliroValueError) as info:
        load_bank(tmp_path / "empty")
    assert info.value.field == "directory"


# --- branching ----------------------------------------------------------------------------------


def shown(inst, answers):
    return [i.link_id for i in enabled_items(inst, answers)]


def test_enable_when_branches(inst):
    assert shown(inst, {}) == ["pain", "any", "mood", "note"]
    assert shown(inst, {"any": "yes"}) == ["pain", "any", "amount", "where", "mood", "note"]
    assert shown(inst, {"any": "no", "pain": "0"}) == ["pain", "any", "mood", "note"]
    assert "doses" in shown(inst, {"pain": "1"})
    # a group and its children follow the group's condition (numeric >=)
    assert shown(inst, {"pain": "2", "doses": 2})[-2:] == ["doses", "mood", "note"][-2:]
    assert shown(inst, {"pain": "2", "doses": 3})[-2:] == ["grp", "inner"]
    # answers of a disabled question do not enable anything
    assert "grp" not in shown(inst, {"pain": "0", "doses": 4})


def test_enable_when_behaviour_any_and_exists(inst):
    data = mini()
    data["item"][3]["enableWhen"] = [
        {"question": "pain", "operator": "=", "answerCoding": {"code": "3"}},
        {"question": "note", "operator": "exists", "answerBoolean": True},
    ]
    data["item"][3]["enableBehavior"] = "any"
    other = load_questionnaire(data)
    assert "where" not in shown(other, {"pain": "1"})
    assert "where" in shown(other, {"pain": "3"})
    assert "where" in shown(other, {"pain": "1", "note": "hi"})
    data["item"][3]["enableBehavior"] = "all"
    both = load_questionnaire(data)
    assert "where" not in shown(both, {"pain": "3"})
    assert "where" in shown(both, {"pain": "3", "note": "hi"})


# --- answer validation --------------------------------------------------------------------------


def test_valid_answers_have_no_errors(inst):
    answers = {
        "pain": "2",
        "any": "yes",
        "amount": "lot",
        "where": ["nose", "urine"],
        "doses": 3,
        "mood": "ok",
        "note": "thanks",
        "inner": False,
    }
    assert validate_answers(inst, answers) == {}


def test_answer_errors(inst):
    errors = validate_answers(
        inst,
        {
            "pain": "7",
            "any": "yes",
            "where": ["nose", "nose"],
            "mood": ["ok", "good"],
            "note": "x" * 11,
            "ghost": 1,
        },
    )
    assert errors == {
        "pain": "Please choose one of the answers shown.",
        "amount": "Please answer this question.",
        "where": "Each answer can be chosen only once.",
        "mood": "Please choose only one answer.",
        "note": "Please use at most 10 characters.",
        "ghost": "This question is not part of the questionnaire.",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (6, "Please enter a number from 0 to 5."),
        (-1, "Please enter a number from 0 to 5."),
        (2.5, "Please enter a whole number."),
        (True, "Please enter a whole number."),
        ("3", "Please enter a whole number."),
    ],
)
def test_integer_errors(inst, value, message):
    assert validate_answers(inst, {"pain": "1", "any": "no", "doses": value}) == {"doses": message}


def test_messages_are_localised_and_drafts_skip_required(inst):
    assert validate_answers(inst, {}, "nl") == {
        "pain": "Beantwoord deze vraag alstublieft.",
        "any": "Beantwoord deze vraag alstublieft.",
    }
    assert validate_answers(inst, {"pain": "1", "any": "yes"}, "es", complete=False) == {}
    assert validate_answers(inst, {"pain": "9"}, "fr", complete=False) == {
        "pain": "Veuillez choisir une des réponses proposées."
    }
    with pytest.raises(PalliroValueError) as info:
        validate_answers(inst, {}, "de")
    assert info.value.field == "lang"


def test_answers_to_disabled_items_are_ignored(inst):
    assert validate_answers(inst, {"pain": "0", "any": "no", "amount": "bogus", "doses": 99}) == {}


# --- advice -------------------------------------------------------------------------------------


def test_advice_bands_contact_and_red_flag(inst):
    got = advice_for(inst, {"pain": "1", "any": "yes", "amount": "clots", "doses": 3, "mood": "bad"}, "fr")
    assert [(a.link_id, a.band, a.text, a.contact_now, a.red_flag) for a in got] == [
        ("pain", "mild", "Rest. [fr]", False, False),
        ("amount", "severe", "Call now, emergency if heavy. [fr]", True, True),
        ("doses", "moderate", "Tell the team. [fr]", False, False),
        ("mood", "severe", "Call now. [fr]", True, False),  # higher-is-better: at or below threshold 0
    ]
    got = {
        a.link_id: a
        for a in advice_for(inst, {"pain": "2", "any": "yes", "amount": "spots", "mood": "ok"}, "en")
    }
    assert got["pain"].contact_now and not got["pain"].red_flag  # threshold reached, not a red-flag item
    assert not got["amount"].contact_now and not got["amount"].red_flag  # red-flag item below threshold
    assert not got["mood"].contact_now


def test_advice_refuses_invalid_answers(inst):
    with pytest.raises(AnswerError) as info:
        advice_for(inst, {"pain": "11"}, "en")
    assert info.value.errors == {"pain": "Please choose one of the answers shown."}
    assert info.value.field == "pain"


# --- QuestionnaireResponse ----------------------------------------------------------------------


def test_questionnaire_response_is_valid_fhir(inst):
    answers = {
        "pain": "3",
        "any": "yes",
        "amount": "lot",
        "where": ["urine"],
        "doses": 4,
        "mood": "good",
        "note": "merci",
        "inner": True,
    }
    qr = to_questionnaire_response(inst, answers, "fr", "Patient/42", WHEN, author_ref="RelatedPerson/7")
    QuestionnaireResponse.model_validate(copy.deepcopy(qr))
    assert qr["questionnaire"] == "https://palliro.org/fhir/Questionnaire/mini|1.0.0"
    assert (qr["status"], qr["language"], qr["authored"]) == ("completed", "fr", "2026-11-21T09:30:00+00:00")
    assert qr["author"] == {"reference": "RelatedPerson/7"}
    by_id = {i["linkId"]: i for i in qr["item"]}
    assert by_id["pain"]["text"] == "How bad? [fr]"
    assert by_id["pain"]["answer"] == [
        {"valueCoding": {"system": ANSWERS, "code": "3", "display": "3 – worst [fr]"}}
    ]
    assert by_id["where"]["answer"] == [
        {"valueCoding": {"system": ANSWERS, "code": "urine", "display": "Urine [fr]"}}
    ]
    assert by_id["doses"]["answer"] == [{"valueInteger": 4}]
    assert by_id["note"]["answer"] == [{"valueString": "merci"}]
    assert by_id["grp"]["item"] == [
        {"linkId": "inner", "text": "Still bleeding? [fr]", "answer": [{"valueBoolean": True}]}
    ]


def test_questionnaire_response_leaves_out_disabled_and_empty(inst):
    qr = to_questionnaire_response(
        inst, {"pain": "0", "any": "no", "amount": "lot", "note": ""}, "en", "Patient/1", WHEN
    )
    assert [i["linkId"] for i in qr["item"]] == ["pain", "any"]


def test_questionnaire_response_refuses_bad_input(inst):
    with pytest.raises(AnswerError) as info:
        to_questionnaire_response(inst, {"pain": "1"}, "en", "Patient/1", WHEN)
    assert info.value.errors == {"any": "Please answer this question."}
    draft = to_questionnaire_response(inst, {"pain": "1"}, "en", "Patient/1", WHEN, status="in-progress")
    assert draft["status"] == "in-progress"
    for kwargs, field in [
        ({"authored": datetime(2026, 11, 21)}, "authored"),
        ({"lang": "de"}, "lang"),
        ({"subject_ref": "42"}, "subject_ref"),
        ({"status": "done"}, "status"),
    ]:
        args = {"lang": "en", "subject_ref": "Patient/1", "authored": WHEN} | kwargs
        with pytest.raises(PalliroValueError) as err:
            to_questionnaire_response(inst, {"pain": "1", "any": "no"}, **args)
        assert err.value.field == field


# --- properties on the shipped general questionnaire --------------------------------------------

GENERAL = load_bank()["palliro-general"]


def _answer_strategy(item):
    if item.type == "choice":
        codes = [o.code for o in item.options]
        if item.repeats:
            return st.lists(st.sampled_from(codes), min_size=1, unique=True)
        return st.sampled_from(codes)
    if item.type == "integer":
        return st.integers(int(item.min_value), int(item.max_value))
    return st.text(max_size=item.max_length or 50)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.fixed_dictionaries({i.link_id: _answer_strategy(i) for i in GENERAL.questions}))
def test_any_valid_general_answers_validate_advise_and_export(answers):
    assert validate_answers(GENERAL, answers, "es") == {}
    advice = advice_for(GENERAL, answers, "nl")
    enabled = {i.link_id for i in enabled_items(GENERAL, answers)}
    assert {a.link_id for a in advice} == {i.link_id for i in GENERAL.questions if i.advice_bands} & enabled
    for a in advice:
        item = GENERAL.item(a.link_id)
        assert a.contact_now == item.contact_now(a.value) and a.text
    qr = to_questionnaire_response(GENERAL, answers, "fr", "Patient/1", WHEN, source_ref="Patient/1")
    assert {i["linkId"] for i in qr["item"]} <= enabled


def test_a_trusted_response_is_the_same_valid_document():
    from datetime import UTC, datetime

    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from palliro.core.questionnaire import load_bank, to_questionnaire_response

    general = load_bank()["palliro-general"]
    answers = {item.link_id: item.options[-1].code for item in general.questions if item.options}
    authored = datetime(2026, 1, 1, tzinfo=UTC)
    checked = to_questionnaire_response(general, answers, "fr", "Patient/P-1", authored)
    trusted = to_questionnaire_response(general, answers, "fr", "Patient/P-1", authored, trusted=True)
    assert trusted == checked
    QuestionnaireResponse.model_validate(trusted)
