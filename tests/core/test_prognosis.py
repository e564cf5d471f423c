"""Tests for palliro.core.prognosis against reference clinical.md §4 (points, groups, published figures)."""

from __future__ import annotations

import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.prognosis import (
    MODELS,
    angelo2014_30day,
    chow2002_nrf6,
    chow_nrf3,
    chow_sps3,
    evaluate,
    missing_inputs,
    mizumoto,
    rades_ambulatory_group,
    rades_bsc,
    rades_elderly_group,
    rades_mscc,
    teachh,
    teachh_partial,
)

# ---------------------------------------------------------------- TEACHH (Krishnan 2014 Table 2 [V])


def test_teachh_groups_and_medians():
    low = teachh("breast", 1, 55, 0, False, False)
    assert (low.points, low.group) == (0, "A")
    assert low.outcomes[0].value == 19.9 and (low.outcomes[0].low, low.outcomes[0].high) == (13.9, 31.1)
    mid = teachh("lung", 2, 70, 0, False, False)
    assert (mid.points, mid.group) == (3, "B") and mid.outcomes[0].value == 5.0
    high = teachh("other", 3, 61, 3, True, True)
    assert (high.points, high.group) == (6, "C") and high.outcomes[0].value == 1.7
    assert "Krishnan" in high.citation
    assert any("teachh_chemo_threshold" in u for u in high.unverified)


def test_teachh_chemo_rule_parameter():
    # Two prior courses: no point under Table 2 (>2), one point under the abstract (>=2).
    assert teachh("breast", 0, 50, 2, False, False).points == 0
    assert teachh("breast", 0, 50, 2, False, False, chemo_rule="ge2").points == 1
    assert teachh("breast", 0, 50, 1, False, False, chemo_rule="ge2").points == 0


def test_teachh_partial_score():
    # Lung 5 + ECOG 3 6 + liver 4 + >2 chemo 3 + age 2 + hospitalisation 2 = 22 (maximum).
    res = teachh_partial("lung", 3, 70, 3, True, True)
    assert res.points == 22 and res.group is None and res.outcomes == ()
    assert teachh_partial("other", 2, 60, 0, False, False).points == 2 + 4
    assert teachh_partial("prostate", 1, 60, 0, False, False).points == 0


# ------------------------------------------------------------------- Chow (§4.1 [V/S], §4.2 [S])


@pytest.mark.parametrize(
    ("primary", "bone_only", "kps", "group"),
    [
        ("breast", True, 70, "I"),
        ("lung", True, 70, "I"),
        ("lung", False, 70, "II"),
        ("lung", False, 60, "III"),
    ],
)
def test_chow_nrf3(primary, bone_only, kps, group):
    res = chow_nrf3(primary, bone_only, kps)
    assert res.group == group


def test_chow_nrf3_outcomes():
    res = chow_nrf3("lung", False, 60)
    jco = res.outcomes[0]
    assert (jco.low, jco.high, jco.unit, jco.tag) == (9, 10, "weeks", "S")
    assert res.outcomes[1].value == 13  # Angelo 2014 Norway validation [V]
    assert [o.value for o in chow_nrf3("breast", True, 80).outcomes[1:]] == [114, 35.1, 22.1]
    assert res.unverified


@pytest.mark.parametrize(
    ("primary", "bone_only", "kps", "points", "group", "weeks"),
    [
        ("breast", True, 70, 0, "0-4", (53, 64)),
        ("prostate", False, 70, 4, "0-4", (53, 64)),
        ("lung", False, 70, 5, "5", (21, 29)),
        ("lung", True, 60, 6, "6-8", (10, 11)),
        ("other", False, 50, 8, "6-8", (10, 11)),
    ],
)
def test_chow_sps3(primary, bone_only, kps, points, group, weeks):
    res = chow_sps3(primary, bone_only, kps)
    assert (res.points, res.group) == (points, group)
    assert (res.outcomes[0].low, res.outcomes[0].high) == weeks
    assert not res.verified


def test_chow2002_nrf6_groups_and_kps_rule():
    res = chow2002_nrf6("lung", False, 70, 5, 8, 1)
    assert (res.points, res.group) == (5, "5-6")
    assert (res.outcomes[0].value, res.outcomes[0].low, res.outcomes[0].high) == (11, 9, 14)
    four = chow2002_nrf6("lung", False, 70, 4, 0, 1)
    assert (four.group, four.outcomes[0].value) == ("4", 24)
    low = chow2002_nrf6("breast", True, 60, 3, 7, 0)
    assert (low.points, low.group, low.outcomes[0].value) == (0, "<=3", 62)
    assert chow2002_nrf6("breast", True, 60, 3, 7, 0, kps_rule="le60").points == 1


# ------------------------------------------------------------------------- Mizumoto (§4.5 [V])


def test_mizumoto_groups():
    a = mizumoto(False, 1, False, False, False, True, 70)
    assert (a.points, a.group) == (1, "A")
    assert [o.value for o in a.outcomes] == [27.1, 89, 77, 54]
    b = mizumoto(True, 3, False, False, False, False, 50)
    assert (b.points, b.group) == (6, "B")
    assert [o.value for o in b.outcomes] == [5.4, 46, 22, 9]
    c = mizumoto(True, 3, True, True, True, True, 71)
    assert (c.points, c.group, c.max_points) == (14, "C", 14)
    assert [o.value for o in c.outcomes] == [1.8, 7, 4, 0]
    assert len(c.unverified) == 2
    # Boundaries 4/5 and 9/10.
    assert mizumoto(False, 3, False, False, False, True, 50).group == "A"  # 4
    assert mizumoto(False, 3, True, False, False, False, 50).group == "B"  # 5
    assert mizumoto(True, 3, True, False, False, True, 50).group == "B"  # 9
    assert mizumoto(True, 3, True, True, False, False, 50).group == "C"  # 10


# -------------------------------------------------------------------------- Rades (§4.4 [U/V/S])


def test_rades_mscc_range_and_groups():
    worst = rades_mscc("lung", 6, True, True, False, 3)
    assert (worst.points, worst.group) == (20, "20-25")
    assert [o.value for o in worst.outcomes] == [4, 7, 14]
    best = rades_mscc("myeloma_lymphoma", 24, False, False, True, 30)
    assert (best.points, best.group) == (45, "41-45")
    assert [o.value for o in best.outcomes] == [99, 90, 80]
    assert best.outcomes[0].tag == "U"
    assert len(best.unverified) == 2
    mid = rades_mscc("breast", 24, True, False, True, 10)  # 8 + 7 + 5 + 8 + 7 + 5 = 40
    assert (mid.points, mid.group) == (40, "36-40")
    g3 = rades_mscc("other", 10, True, False, True, 3)  # 4 + 4 + 5 + 8 + 7 + 3 = 31
    assert (g3.points, g3.group, g3.outcomes[0].value, g3.outcomes[0].tag) == (31, "31-35", 48, "V")
    assert len(g3.unverified) == 1


def test_rades_bsc():
    top = rades_bsc(4, "lung", True, True, 3, False, 2)
    assert (top.points, top.group) == (25, ">=19 (BSC suggested)")
    bottom = rades_bsc(2, "breast", False, False, 30, True, 20)
    assert (bottom.points, bottom.group) == (6, "<19")
    with pytest.raises(PalliroValueError) as err:
        rades_bsc(1, "lung", True, True, 3, False, 2)
    assert err.value.field == "ecog"


@pytest.mark.parametrize(
    ("points", "label", "rate"),
    [(21, "<=28", 6), (29, "29-31", 44), (34, "32-34", 70), (35, "35-37", 86), (44, ">=38", 99)],
)
def test_rades_ambulatory(points, label, rate):
    res = rades_ambulatory_group(points)
    assert (res.group, res.outcomes[0].value) == (label, rate)


@pytest.mark.parametrize(
    ("points", "label", "rate"), [(25, "25-39", 11), (40, "40-48", 56), (57, "49-57", 97)]
)
def test_rades_elderly(points, label, rate):
    res = rades_elderly_group(points)
    assert (res.group, res.outcomes[0].value) == (label, rate)


def test_rades_totals_out_of_range():
    with pytest.raises(PalliroValueError):
        rades_ambulatory_group(45)
    with pytest.raises(PalliroValueError):
        rades_elderly_group(24)


# ------------------------------------------------------------------------- Angelo 2014 (§4.6)


def test_angelo_criteria():
    res = angelo2014_30day("bladder", 3, True, True, True, True)
    assert res.points == 6 and res.group == "all criteria met"
    assert res.outcomes[0].value == 69 and res.outcomes[0].unit == "days"
    part = angelo2014_30day("breast", 3, True, True, True, True)
    assert part.points == 5 and part.outcomes == ()
    assert not part.verified


# ------------------------------------------------------------------------ validation & registry


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: chow_nrf3("kidneyish", True, 70), "primary"),
        (lambda: chow_nrf3("lung", True, 65), "kps"),
        (lambda: chow_nrf3("lung", True, 110), "kps"),
        (lambda: chow_nrf3("lung", "yes", 70), "bone_only_metastases"),
        (lambda: teachh("lung", 5, 70, 0, False, False), "ecog"),
        (lambda: teachh("lung", 1, -3, 0, False, False), "age"),
        (lambda: teachh("lung", 1, 70, 0, False, False, chemo_rule="gt3"), "chemo_rule"),
        (lambda: chow2002_nrf6("lung", True, 70, 11, 0, 0), "esas_fatigue"),
        (lambda: rades_mscc("lung", -1, True, True, True, 3), "interval_months"),
    ],
)
def test_validation_names_field(call, field):
    with pytest.raises(PalliroValueError) as err:
        call()
    assert err.value.field == field


def test_missing_inputs_and_evaluate():
    available = {"primary": "lung", "kps": 60, "age": None}
    assert missing_inputs("chow_nrf3", available) == ("bone_only_metastases",)
    assert missing_inputs("teachh", available) == (
        "ecog",
        "age",
        "prior_chemo_courses",
        "hospitalised_3_months",
        "liver_metastases",
    )
    res = evaluate("chow_nrf3", {**available, "bone_only_metastases": False, "unused": 1})
    assert res.group == "III"
    with pytest.raises(PalliroValueError, match="bone_only_metastases") as err:
        evaluate("chow_nrf3", available)
    assert err.value.field == "inputs"
    with pytest.raises(PalliroValueError) as err:
        missing_inputs("nieder2023", {})
    assert err.value.field == "model"
    full = {
        "primary": "breast",
        "ecog": 0,
        "age": 50,
        "prior_chemo_courses": 2,
        "hospitalised_3_months": False,
        "liver_metastases": False,
    }
    assert evaluate("teachh", full, chemo_rule="ge2").points == 1
    with pytest.raises(PalliroValueError):
        evaluate("teachh", full, kps_rule="le60")
    assert set(MODELS) >= {"teachh", "chow_nrf3", "mizumoto", "rades_mscc"}


def test_each_model_says_which_way_its_points_run():
    # clinical.md §4.4: Rades MSCC points are 6-month survival / 10 (more = longer survival); the BSC score's
    # points rise with a worse prognosis (>= 19: death within 2 months likely), like every other score here.
    good = dict(primary="breast", other_bone_metastases=False, visceral_metastases=False, interval_months=24,
                ambulatory=True, motor_deficit_days=20)
    poor = dict(primary="lung", other_bone_metastases=True, visceral_metastases=True, interval_months=6,
                ambulatory=False, motor_deficit_days=3)
    assert MODELS["rades_mscc"].direction == "survival"
    assert rades_mscc(**good).points > rades_mscc(**poor).points
    assert MODELS["rades_bsc"].direction == "risk"
    assert rades_bsc(ecog=4, **poor).points > rades_bsc(ecog=2, **good).points
    assert {spec.direction for name, spec in MODELS.items() if name != "rades_mscc"} == {"risk"}
