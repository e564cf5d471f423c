"""The relatives' questionnaires give advice written for the relative, with the patient version's bands.

A relative reads the advice after answering about the person they care for: it must tell them what they can
do (help them take their medicine, call the care team now on their behalf), never speak as if the relative were
the patient ("take your pain medicine", "if you feel ..."). The markers below are phrases only a text addressed
to the patient uses; each language's list was checked against the patient versions' advice, and every band a
relative reads must be worded anew in all four languages.
"""

import re

import pytest

from palliro.core.questionnaire import load_bank

BANK = load_bank()
PROXIES = sorted(code for code in BANK if code.endswith("-proxy") and code.removesuffix("-proxy") in BANK)
LANGUAGES = ("en", "nl", "fr", "es")

# "your care team" is patient-directed too: the team is the patient's, and the relative calls it on their behalf.
PATIENT_DIRECTED = {
    "en": (
        r"\byour (pain )?medicines?\b", r"\byour care team\b", r"\byou feel\b", r"\bif you have\b", r"\byou bleed\b",
        r"\byou are (very|too|losing)\b", r"\byourself\b", r"\byour (legs|mouth|eyesight|bones|bowels|appetite|mood|day)\b",
        r"\byour (walking aid|worries|next appointment|face|time)\b", r"\byou take\b", r"\bsomeone you trust\b",
        r"\byou can still\b", r"\bhelp you stay\b", r"\bso you do not\b",
    ),
    "nl": (
        r"\buw (pijnmedicijnen|medicijnen|zorgteam|benen|mond|botten|stemming|dag|loophulpmiddel|zorgen)\b",
        r"\buzelf\b", r"\bu zich\b", r"\bbent u\b", r"\bmeet u\b", r"\bvoelen uw\b", r"\buw volgende afspraak\b",
        r"\buw gezicht\b", r"\bdie u (vertrouwt|nog)\b", r"\bzodat u niet\b", r"\bwaar u zin in\b", r"\bals u niet goed\b",
    ),
    "fr": (
        r"\bvos médicaments\b", r"\bvotre équipe soignante\b", r"\bvous vous sentez\b", r"\bsi vous avez\b",
        r"\bvotre (température|vue|prochain rendez-vous)\b", r"\bvos (jambes|os|inquiétudes)\b",
        r"\b(reposez|asseyez|rincez|allongez)-vous\b", r"[ést]\(e\)", r"\bvous faire du mal\b", r"\bvous saignez\b",
        r"\bvous déshydrater\b", r"\bvous fait envie\b", r"\bde vous coucher\b", r"\bque vous pouvez encore\b",
        r"\bvous aider pour\b", r"\bvotre (aide à la marche|entourage)\b", r"\bsi vous ne voyez\b",
    ),
    "es": (
        r"\bsu equipo médico\b", r"\bcomo le indicó\b", r"\bsu próxima cita\b", r"\bsentimos que se\b",
        r"\bsi (tiene|está|piensa|necesita|sigue|lleva|ve)\b", r"^si no puede (retener|tragar)\b",
        r"\b(tómese|siéntese|enjuáguese|túmbese|muévase)\b", r"\bse sienta\b", r"\bpara no deshidratarse\b",
        r"\b(planifique|coma|beba|elija|reparta|intente)\b", r"\bque vea borroso\b", r"\bayudarle a mantener\b",
        r"\bde su entorno\b",
    ),
}
MARKERS = {lang: re.compile("|".join(patterns), re.IGNORECASE) for lang, patterns in PATIENT_DIRECTED.items()}
# The only advice both versions share: it says nothing about the patient, so it fits a relative as it stands.
NEUTRAL = "Good. There is nothing you need to do about this now."


def advice_texts(instrument):
    """(item, band, language, text) for every advice text of a questionnaire."""
    for item in instrument.questions:
        for band in item.advice_bands:
            for lang in LANGUAGES:
                yield item, band, lang, band.text.get(lang)


def patient_directed(lang: str, text: str) -> str | None:
    found = MARKERS[lang].search(text)
    return found.group(0) if found else None


@pytest.mark.parametrize("code", PROXIES)
def test_no_proxy_advice_speaks_to_the_patient_in_any_language(code):
    wrong = [
        f"{item.link_id} {band.low:g}-{band.high:g} [{lang}] {marker!r}: {text}"
        for item, band, lang, text in advice_texts(BANK[code])
        if (marker := patient_directed(lang, text))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_markers_catch_the_patient_versions_advice():
    """The markers are worth something only if they recognise the advice the relatives used to get.

    A plain imperative ("Eat small meals often") has no marker a relative's text could not share: those few are
    held by test_every_reworded_text_is_reworded_in_every_language instead.
    """
    for lang in LANGUAGES:
        texts = [
            text for code in PROXIES for _item, band, text_lang, text in advice_texts(BANK[code.removesuffix("-proxy")])
            if text_lang == lang and band.text.get("en") != NEUTRAL
        ]
        caught = [text for text in texts if patient_directed(lang, text)]
        assert len(caught) >= 0.9 * len(texts), (lang, sorted(set(texts) - set(caught)))


@pytest.mark.parametrize("code", PROXIES)
def test_every_proxy_band_has_its_patient_twins_limits_and_flags(code):
    patient, proxy = BANK[code.removesuffix("-proxy")], BANK[code]
    for item in proxy.questions:
        twin = patient.item("helped" if item.link_id == "patient-involved" else item.link_id)
        assert (item.contact_threshold, item.red_flag, item.direction) == (
            twin.contact_threshold, twin.red_flag, twin.direction
        ), item.link_id
        assert [(b.low, b.high, b.band) for b in item.advice_bands] == [
            (b.low, b.high, b.band) for b in twin.advice_bands
        ], item.link_id
        for band in item.advice_bands:
            contact = item.contact_now(band.low if item.direction != "higher-is-better" else band.high)
            assert contact == twin.contact_now(band.low if twin.direction != "higher-is-better" else band.high)


@pytest.mark.parametrize("code", PROXIES)
def test_every_reworded_text_is_reworded_in_every_language(code):
    """A band whose English was rewritten for the relative has all four texts of its own, none left behind."""
    patient = BANK[code.removesuffix("-proxy")]
    for item in BANK[code].questions:
        twin = patient.item("helped" if item.link_id == "patient-involved" else item.link_id)
        for band, old in zip(item.advice_bands, twin.advice_bands, strict=True):
            if band.text.get("en") == NEUTRAL:
                assert all(band.text.get(lang) == old.text.get(lang) for lang in LANGUAGES)
                continue
            assert band.text.get("en") != old.text.get("en"), (item.link_id, band.low)
            for lang in LANGUAGES[1:]:
                text = band.text.get(lang)
                assert text.strip() and text != band.text.get("en"), (item.link_id, band.low, lang)
