"""Tests of Palliro's shipped item bank (src/palliro/instruments/data/*.json).

The bank's clinical content follows DESIGN.md §1: C2 (bone metastases), C3 (MSCC), C6 (death
rattle, reference/clinical.md §3.7), C7 (bleeding) and general palliative symptoms; the pain diary
gives the daily inputs of the pain-flare definition (reference/clinical.md §1.4).
"""

from __future__ import annotations

import json
import re

import pytest

from palliro.core.questionnaire import BANK_DIR, advice_for, enabled_items, load_bank, load_questionnaire

BANK = load_bank()
OTHER_LANGUAGES = ("nl", "fr", "es")
PATIENT_PROXY_PAIRS = (
    "palliro-general",
    "palliro-bone",
    "palliro-mscc",
    "palliro-bleeding",
    "palliro-pain-diary",
)
EXPECTED = {*PATIENT_PROXY_PAIRS, *(f"{c}-proxy" for c in PATIENT_PROXY_PAIRS), "palliro-death-rattle"}


def patient_facing_texts(instrument):
    """(where, LocalizedText) for every string a respondent reads."""
    yield "title", instrument.title_i18n
    for item in instrument.items:
        yield f"{item.link_id} text", item.text_i18n
        for option in item.options:
            yield f"{item.link_id} option {option.code}", option.display_text
        for band in item.advice_bands:
            yield f"{item.link_id} advice {band.low:g}-{band.high:g}", band.text


def test_the_bank_ships_every_questionnaire():
    assert set(BANK) == EXPECTED
    assert {p.stem for p in BANK_DIR.glob("*.json")} == EXPECTED


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_file_loads_and_has_its_metadata(code):
    path = BANK_DIR / f"{code}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    instrument = load_questionnaire(path)
    assert instrument.code == code == raw["id"]
    assert instrument.url == f"https://palliro.org/fhir/Questionnaire/{code}"
    # 1.1.0: the relatives' versions got advice written for the relative (the patient versions are unchanged).
    version = "1.1.0" if code.endswith("-proxy") else "1.0.0"
    assert (raw["status"], raw["language"], instrument.version) == ("active", "en", version)
    assert all(
        item.code_system == "https://palliro.org/fhir/CodeSystem/items" for item in instrument.questions
    )
    assert "loinc" not in path.read_text(encoding="utf-8").lower()  # no LOINC code is claimed


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_no_patient_facing_string_lacks_a_translation(code):
    for where, text in patient_facing_texts(BANK[code]):
        assert text is not None, where
        for lang in OTHER_LANGUAGES:
            translated = text.get(lang)
            assert translated.strip(), f"{code} {where}: empty {lang}"
            if len(text.default.split()) > 3:  # short labels ("No", "OK") may legitimately coincide
                assert translated != text.default, f"{code} {where}: {lang} is a copy of the English"


def test_translations_use_their_languages_accents():
    joined = {
        lang: " ".join(t.get(lang) for i in BANK.values() for _, t in patient_facing_texts(i))
        for lang in OTHER_LANGUAGES
    }
    assert {"é", "è", "à", "ç", "ê"} <= set(joined["fr"])
    assert {"á", "é", "í", "ó", "ú", "ñ", "¿"} <= set(joined["es"])
    assert "ë" in joined["nl"] or "é" in joined["nl"]


def test_every_symptom_item_is_scored_and_every_option_ordered():
    for instrument in BANK.values():
        for item in instrument.questions:
            for option in item.options:
                assert option.ordinal == option.ordinal, (instrument.code, item.link_id, option.code)
            if item.direction:
                assert item.advice_bands, (instrument.code, item.link_id)


def test_advice_is_general_and_never_a_dose():
    dose = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|ml|mL|microgram|milligram|drops?|tablets?)\b")
    drugs = re.compile(
        r"morphin|oxycod|fentanyl|paracetamol|acetaminophen|ibuprofen|tramadol|hyoscin|"
        r"glycopyrr|dexamethason|metoclopramid|laxido|movicol",
        re.IGNORECASE,
    )
    for instrument in BANK.values():
        for item in instrument.questions:
            for band in item.advice_bands:
                for lang in ("en", *OTHER_LANGUAGES):
                    text = band.text.get(lang)
                    assert not dose.search(text) and not drugs.search(text), (item.link_id, lang, text)


def test_red_flags_are_exactly_the_emergencies():
    flagged = {(code, item.link_id) for code, i in BANK.items() for item in i.questions if item.red_flag}
    expected = {"limb-weakness", "bladder-bowel-control", "bleeding-amount"}
    assert {link for _, link in flagged} == expected
    for code, link in flagged:
        assert BANK[code].item(link).contact_threshold is not None


@pytest.mark.parametrize(
    ("module", "codes"),
    [
        (
            "palliro-general",
            {
                "pain-worst",
                "pain-average",
                "pain-elsewhere",
                "analgesic-use",
                "breakthrough-doses",
                "fatigue",
                "drowsiness",
                "nausea",
                "vomiting",
                "appetite",
                "breathlessness",
                "sleep",
                "constipation",
                "diarrhoea",
                "wellbeing",
                "low-mood",
                "anxiety",
                "helplessness",
                "daily-activities",
                "walking",
                "social-life",
                "skin-reaction",
                "flu-like",
                "helped",
                "anything-else",
            },
        ),
        ("palliro-bone", {"pain-flare", "pain-flare-now", "flu-like", "jaw-pain", "jaw-sore"}),  # C2
        (
            "palliro-mscc",
            {
                "back-pain",
                "limb-weakness",
                "bladder-bowel-control",
                "swallowing",
                "mouth-pain",
                "dry-mouth",
                "blurred-vision",
                "weight-gain",
                "sleep",
                "mood-changes",
                "worry-dependence",
                "worry-home",
                "worry-future",
            },
        ),  # C3
        ("palliro-bleeding", {"bleeding-any", "bleeding-site", "bleeding-amount", "bleeding-stopped"}),  # C7
        ("palliro-pain-diary", {"diary-pain-worst", "diary-regular", "diary-extra-doses"}),
        ("palliro-death-rattle", {"respondent-role", "intensity", "family-distress", "interventions"}),  # C6
    ],
)
def test_modules_cover_their_capability(module, codes):
    assert {item.link_id for item in BANK[module].questions} == codes


def bands(item):
    return [(band.low, band.high, band.band) for band in item.advice_bands]


@pytest.mark.parametrize("code", PATIENT_PROXY_PAIRS)
def test_proxy_versions_mirror_the_patient_version(code):
    patient, proxy = BANK[code], BANK[f"{code}-proxy"]
    assert patient.respondents == ("patient",) and proxy.respondents == ("proxy",)
    assert proxy.derived_from == (patient.canonical,)
    own = {"helped": "patient-involved"}  # the only item whose meaning differs by respondent
    assert [own.get(i.link_id, i.link_id) for i in patient.questions] == [i.link_id for i in proxy.questions]
    for item in patient.questions:
        twin = proxy.item(own.get(item.link_id, item.link_id))
        if item.link_id not in own:
            # The same bands; only their wording differs (the proxy's advice speaks to the relative).
            assert (twin.code, twin.options, bands(twin), twin.contact_threshold, twin.red_flag) == (
                item.code,
                item.options,
                bands(item),
                item.contact_threshold,
                item.red_flag,
            )
    reworded = [
        i for i in patient.questions if i.text("en") != proxy.item(own.get(i.link_id, i.link_id)).text("en")
    ]
    assert len(reworded) >= len(patient.questions) // 2  # the proxy asks in the third person


def test_pain_items_are_0_to_10_with_translated_anchors():
    for code, link in [
        ("palliro-general", "pain-worst"),
        ("palliro-mscc", "back-pain"),
        ("palliro-pain-diary", "diary-pain-worst"),
    ]:
        item = BANK[code].item(link)
        assert [o.ordinal for o in item.options] == list(range(11))
        assert item.options[0].display("nl") == "0 – Geen pijn"
        assert item.options[10].display("es") == "10 – El peor dolor que pueda imaginar"


def test_death_rattle_intensity_is_a_0_to_3_scale():
    # reference/clinical.md §3.7: Back scale grades 0-3; Palliro's own wording of the four levels.
    instrument = BANK["palliro-death-rattle"]
    assert [o.ordinal for o in instrument.item("intensity").options] == [0, 1, 2, 3]
    assert [o.ordinal for o in instrument.item("family-distress").options] == [0, 1, 2, 3]
    assert instrument.respondents == ("proxy", "staff")
    assert instrument.item("interventions").repeats


def shown(code, answers):
    return {i.link_id for i in enabled_items(BANK[code], answers)}


def test_branching_in_the_bank():
    assert not {"bleeding-site", "bleeding-amount", "bleeding-stopped"} & shown(
        "palliro-bleeding", {"bleeding-any": "no"}
    )
    assert {"bleeding-site", "bleeding-amount", "bleeding-stopped"} <= shown(
        "palliro-bleeding", {"bleeding-any": "yes"}
    )
    assert "breakthrough-doses" not in shown("palliro-general", {"analgesic-use": "none"})
    assert "breakthrough-doses" not in shown("palliro-general", {})
    assert "breakthrough-doses" in shown("palliro-general", {"analgesic-use": "same"})
    assert "pain-flare-now" in shown("palliro-bone", {"pain-flare": "much-worse"})
    assert "pain-flare-now" not in shown("palliro-bone", {"pain-flare": "no"})
    assert "family-distress" not in shown("palliro-death-rattle", {"intensity": "0"})


def advice_by_item(code, answers, lang="en"):
    return {a.link_id: a for a in advice_for(BANK[code], answers, lang)}


@pytest.mark.parametrize(
    ("code", "answers", "link", "band", "contact", "red"),
    [
        ("palliro-general", {"pain-worst": "7"}, "pain-worst", "moderate", False, False),
        ("palliro-general", {"pain-worst": "8"}, "pain-worst", "severe", True, False),
        ("palliro-general", {"pain-worst": "0"}, "pain-worst", "none", False, False),
        ("palliro-general", {"wellbeing": "very-bad"}, "wellbeing", "severe", True, False),
        ("palliro-general", {"wellbeing": "bad"}, "wellbeing", "moderate", False, False),
        (
            "palliro-general",
            {"analgesic-use": "more", "breakthrough-doses": 5},
            "breakthrough-doses",
            "moderate",
            False,
            False,
        ),
        ("palliro-general", {"low-mood": "a-lot"}, "low-mood", "severe", True, False),
        ("palliro-mscc", {"limb-weakness": "yes"}, "limb-weakness", "severe", True, True),
        ("palliro-mscc", {"limb-weakness": "no"}, "limb-weakness", "none", False, False),
        ("palliro-mscc", {"bladder-bowel-control": "yes"}, "bladder-bowel-control", "severe", True, True),
        (
            "palliro-bleeding",
            {"bleeding-any": "yes", "bleeding-amount": "heavy-clots"},
            "bleeding-amount",
            "severe",
            True,
            True,
        ),
        (
            "palliro-bleeding",
            {"bleeding-any": "yes", "bleeding-amount": "a-little"},
            "bleeding-amount",
            "mild",
            False,
            False,
        ),
        (
            "palliro-bleeding-proxy",
            {"bleeding-any": "yes", "bleeding-stopped": "ongoing"},
            "bleeding-stopped",
            "severe",
            True,
            False,
        ),
        (
            "palliro-bone",
            {"pain-flare": "a-little-worse", "pain-flare-now": "still-worse"},
            "pain-flare-now",
            "severe",
            True,
            False,
        ),
        (
            "palliro-death-rattle",
            {"intensity": "2", "family-distress": "2"},
            "family-distress",
            "severe",
            True,
            False,
        ),
        ("palliro-pain-diary", {"diary-extra-doses": 2}, "diary-extra-doses", "mild", False, False),
    ],
)
def test_advice_and_contact_for_sample_answers(code, answers, link, band, contact, red):
    got = advice_by_item(code, answers)[link]
    assert (got.band, got.contact_now, got.red_flag) == (band, contact, red)
    for lang in OTHER_LANGUAGES:
        assert advice_by_item(code, answers, lang)[link].text == BANK[code].item(link).advice(lang, got.value)


def test_contact_advice_tells_the_respondent_to_call():
    """Wherever the contact flag is raised, the band's own text must say to call (no contradiction)."""
    # At the bedside (death rattle) the team is in the building: "tell the nurse now" is the contact.
    call = {
        "en": ("call", "tell"),
        "nl": ("bel", "vertel"),
        "fr": ("appelez", "parlez"),
        "es": ("llame", "dígaselo"),
    }
    for instrument in BANK.values():
        for item in instrument.questions:
            if item.contact_threshold is None:
                continue
            for band in item.advice_bands:
                if item.contact_now(band.low if item.direction == "higher-is-worse" else band.high):
                    for lang, words in call.items():
                        text = band.text.get(lang).lower()
                        assert any(w in text for w in words), (instrument.code, item.link_id, lang)
