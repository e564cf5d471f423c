"""Research fixtures: R's ``lung`` data (tests/data/lung_lifelines.csv, a copy of lifelines' lung.csv =
R survival::lung with status 1 = dead) inserted as site-A patients with one RT course each."""

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

LUNG = Path(__file__).resolve().parents[1] / "data" / "lung_lifelines.csv"
DAY0 = date(2020, 1, 6)


def lung_rows():
    with LUNG.open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def lung_patients(site_a):
    """228 patients: first fraction on DAY0, death or last contact ``time`` days later; age exact on DAY0."""
    from palliro.clinic.models import Patient, RTCourse

    patients, courses = [], []
    for i, row in enumerate(lung_rows()):
        t = int(row["time"])
        dead = row["status"] == "1"
        end = DAY0 + timedelta(days=t)
        patients.append(Patient(
            site=site_a, pseudonym=f"P-LUNG{i:04d}", hospital_number=f"L-{i:04d}", given_name=f"Given{i}",
            family_name=f"Family{i}", birth_date=DAY0.replace(year=DAY0.year - int(row["age"])),
            sex="male" if row["sex"] == "1" else "female", primary_tumour="lung",
            metastatic_sites=["bone"] if i % 3 else ["bone", "liver"],
            kps=int(float(row["ph.karno"])) if row["ph.karno"] else None,
            ecog=int(float(row["ph.ecog"])) if row["ph.ecog"] else None,
            research_consent=True, vital_status="dead" if dead else "alive",
            death_date=end if dead else None, last_known_alive=None if dead else end,
        ))
    Patient.objects.bulk_create(patients)
    for i, p in enumerate(Patient.objects.filter(pseudonym__startswith="P-LUNG").order_by("pseudonym")):
        single = i % 2 == 0
        courses.append(RTCourse(
            patient=p, indication="pain" if i % 4 else "bleeding", target_region="T-spine", technique="conventional",
            total_dose_gy=8 if single else 20, fractions_planned=1 if single else 5,
            referral_date=DAY0 - timedelta(days=i % 9), consultation_date=DAY0 - timedelta(days=i % 3),
            first_fraction_date=DAY0, last_fraction_date=DAY0 + timedelta(days=0 if single else 4),
            fractions_delivered=(1 if single else (5 if i % 7 else 3)),
            stop_reason="" if single or i % 7 else "deterioration",
        ))
    RTCourse.objects.bulk_create(courses)
    return Patient.objects.filter(pseudonym__startswith="P-LUNG")


@pytest.fixture
def make_cohort(site_a):
    from palliro.research.models import Cohort

    def _make(*sites, **fields):
        cohort = Cohort.objects.create(name=fields.pop("name", "Lung"), **fields)
        cohort.sites.set(sites or [site_a])
        return cohort

    return _make
