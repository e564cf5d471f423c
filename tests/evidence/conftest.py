from datetime import date, timedelta
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"

MALFORMED_ROWS = (
    b"study,ai,n1i,ci,n2i\n"
    b"Good,4,123,11,139\n"
    b"Text,four,123,11,139\n"      # line 3: non-numeric
    b"Negative,-2,100,5,100\n"     # line 4: negative count
    b"Too many,30,20,5,100\n"      # line 5: events > total
)
MISSING_COLUMN = b"study,ai,n1i,ci\nA,4,123,11\n"


@pytest.fixture
def review_a(site_a, clinician_a):
    from palliro.evidence.models import Review

    return Review.objects.create(site=site_a, owner=clinician_a, title="Single vs multiple fractions",
                                 question="Does 8 Gy x 1 relieve pain as well as 20 Gy / 5?")


@pytest.fixture
def outcome_rr(review_a):
    from palliro.evidence.models import Outcome

    return Outcome.objects.create(review=review_a, name="Tuberculosis", measure="RR", method="REML")


@pytest.fixture
def bcg_outcome(outcome_rr):
    from palliro.evidence.models import StudyRow
    from palliro.evidence.tables import read_upload

    parsed = read_upload((DATA / "dat_bcg.csv").read_bytes(), "RR", subgroup_column="alloc")
    for i, s in enumerate(parsed.studies):
        StudyRow.objects.create(outcome=outcome_rr, position=i, label=s.label, year=s.year, subgroup=s.subgroup,
                                **{k: int(v) for k, v in s.inputs.items()})
    return outcome_rr


def add_course(patient, dose, fractions, first, *, death=None, alive=None, indication="pain"):
    from palliro.clinic.models import RTCourse

    if death is not None:
        patient.vital_status, patient.death_date = "dead", first + timedelta(days=death)
    if alive is not None:
        patient.last_known_alive = first + timedelta(days=alive)
    patient.save()
    return RTCourse.objects.create(patient=patient, indication=indication, target_region="Spine",
                                   technique="conventional", total_dose_gy=dose, fractions_planned=fractions,
                                   first_fraction_date=first)


START = date(2025, 1, 6)


def ipd_csv(seed=7, trials=("T1", "T2", "T3"), n=50, log_hr=-0.5) -> bytes:
    """Synthetic trials: exponential survival, treatment log HR ``log_hr``, censoring at 12 months."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = ["trial,arm,time,event,age"]
    for t_index, trial in enumerate(trials):
        for i in range(n):
            arm = i % 2
            rate = 0.1 * (1 + 0.3 * t_index) * np.exp(log_hr * arm)
            time = rng.exponential(1 / rate)
            event = int(time <= 12)
            lines.append(f"{trial},{arm},{min(time, 12):.3f},{event},{int(rng.integers(40, 85))}")
    return ("\n".join(lines) + "\n").encode()


IPD_MALFORMED = b"trial,arm,time,event\nT1,1,5,1\nT1,2,5,1\nT2,0,-1,1\n,0,3,yes\n"
