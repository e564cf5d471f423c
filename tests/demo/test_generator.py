import statistics
from collections import Counter
from dataclasses import asdict
from datetime import date

import pytest

from palliro.demo.generator import build_department

ANCHOR = date(2026, 6, 30)


def test_the_same_seed_gives_the_same_department():
    first = [asdict(p) for p in build_department(200, seed=7, anchor=ANCHOR)]
    second = [asdict(p) for p in build_department(200, seed=7, anchor=ANCHOR)]
    assert first == second


def test_another_seed_gives_another_department():
    first = [p.pseudonym for p in build_department(50, seed=7, anchor=ANCHOR)]
    second = [p.pseudonym for p in build_department(50, seed=8, anchor=ANCHOR)]
    assert first != second


def test_the_mix_is_a_believable_palliative_department():
    patients = list(build_department(3000, seed=42, anchor=ANCHOR, n_sites=2))
    indications = Counter(p.courses[0]["indication"] for p in patients)
    assert set(indications) == {"pain", "mscc", "bleeding", "brain", "obstruction"}
    assert 0.35 < indications["pain"] / 3000 < 0.5
    regimens = Counter((c["total_dose_gy"], c["fractions_planned"]) for p in patients for c in p.courses)
    for regimen in [(8, 1), (20, 5), (30, 10), (24, 2)]:
        assert regimens[regimen] > 50
    assert Counter(p.site_index for p in patients) == {0: 1500, 1: 1500}
    assert any(p.procedures for p in patients) and any(p.episodes for p in patients)
    assert any(c.get("reirradiates") == 0 for p in patients for c in p.courses)
    assert sum(len(p.episodes) > 1 for p in patients) > 20  # recurrent bowel obstruction


def test_whole_brain_survival_resembles_published_cohorts():
    # Published WBRT cohorts report a median survival of about 84 days (DESIGN C11); synthetic data aims near it.
    patients = list(build_department(6000, seed=42, anchor=date(2030, 1, 1)))
    days = [
        (p.death_date - p.courses[0]["first_fraction_date"]).days
        for p in patients
        if p.courses[0]["indication"] == "brain" and p.death_date
    ]
    assert 60 <= statistics.median(days) <= 110


def test_records_respect_the_clinical_rules():
    for p in build_department(2000, seed=3, anchor=ANCHOR):
        assert p.birth_date < p.courses[0]["first_fraction_date"] <= ANCHOR
        if p.death_date:
            assert p.death_date <= ANCHOR or p.vital_status == "alive"
        for c in p.courses:
            steps = [c["referral_date"], c["consultation_date"], c["simulation_date"], c["first_fraction_date"]]
            assert steps == sorted(steps)
            if c["last_fraction_date"]:
                assert c["last_fraction_date"] >= c["first_fraction_date"]
                assert c["fractions_delivered"] <= c["fractions_planned"]
                if c["fractions_delivered"] < c["fractions_planned"]:
                    assert c["stop_reason"]
        for a in p.analgesics:
            assert a["recorded_on"] <= ANCHOR


@pytest.mark.parametrize("kwargs", [{"n_patients": -1}, {"n_patients": 1, "n_sites": 9}])
def test_it_rejects_impossible_sizes(kwargs):
    with pytest.raises(ValueError):
        list(build_department(seed=1, anchor=ANCHOR, **{"n_sites": 2, **kwargs}))
