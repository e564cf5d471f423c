"""A synthetic palliative radiotherapy department, reproducible from a seed.

``build_department`` is pure: the same seed, size and anchor date give the same records. ``write_department``
stores them with bulk inserts, fast enough for 100 000 patients. Survival times follow exponential
distributions whose medians resemble published palliative cohorts (e.g. whole-brain RT about 84 days);
they are synthetic and must never be read as evidence.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from palliro.clinic import choices
from palliro.clinic.models import PSEUDONYM_ALPHABET

DEMO_SITES = [
    ("site-a", "Riverside Radiotherapy Centre", "+31 20 555 0100"),
    ("site-b", "Hillcrest Cancer Institute", "+31 30 555 0200"),
    ("site-c", "Lakeside Palliative Care Unit", "+31 40 555 0300"),
    ("site-d", "Northgate Oncology", "+31 50 555 0400"),
]

GIVEN = [
    "Anna", "Jan", "Marie", "Pieter", "Sophie", "Luc", "Elena", "Carlos", "Grace", "Thomas", "Fatima", "Youssef",
    "Ingrid", "Henk", "Claire", "Julien", "Lucia", "Miguel", "Ruth", "David", "Nora", "Ahmed", "Els", "Bram",
]
FAMILY = [
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Dubois", "Lambert", "Garcia", "Martinez", "Lopez",
    "Williams", "Brown", "Peeters", "Maes", "Moreau", "Fernandez", "El Amrani", "Mulder", "de Boer", "Hendriks",
]
LANGUAGE_WEIGHTS = [("nl", 0.55), ("en", 0.2), ("fr", 0.15), ("es", 0.1)]


@dataclass(frozen=True)
class Regimen:
    total: float
    fractions: int
    schedule: str = choices.Schedule.DAILY
    technique: str = choices.Technique.CONVENTIONAL


@dataclass(frozen=True)
class Profile:
    """One clinical picture: how often it occurs, how it is treated and how long patients live."""

    indication: str
    weight: float
    median_survival_days: float
    regimens: tuple[tuple[Regimen, float], ...]
    targets: tuple[str, ...]
    tumours: tuple[tuple[str, float], ...]
    metastatic_sites: tuple[str, ...]


PROFILES = (
    Profile(
        choices.Indication.PAIN, 0.42, 210,
        (
            (Regimen(8, 1), 0.45), (Regimen(20, 5), 0.25), (Regimen(30, 10), 0.15),
            (Regimen(24, 2, technique=choices.Technique.SBRT), 0.15),
        ),
        ("Thoracic spine", "Lumbar spine", "Pelvis", "Femur", "Rib", "Humerus", "Sacrum"),
        (("prostate", 0.3), ("breast", 0.3), ("lung", 0.25), ("kidney", 0.05), ("myeloma", 0.1)),
        ("bone",),
    ),
    Profile(
        choices.Indication.MSCC, 0.12, 120,
        ((Regimen(8, 1), 0.35), (Regimen(20, 5), 0.45), (Regimen(30, 10), 0.2)),
        ("Thoracic spine", "Lumbar spine", "Cervical spine"),
        (("prostate", 0.3), ("breast", 0.2), ("lung", 0.35), ("myeloma", 0.15)),
        ("spine", "bone"),
    ),
    Profile(
        choices.Indication.BLEEDING, 0.14, 110,
        (
            (Regimen(20, 5), 0.35), (Regimen(8, 1), 0.2),
            (Regimen(20, 5, schedule=choices.Schedule.WEEKLY), 0.2),
            (Regimen(14.8, 4, schedule=choices.Schedule.TWICE_DAILY), 0.15),
            (Regimen(21, 3, technique=choices.Technique.BRACHYTHERAPY), 0.1),
        ),
        ("Bladder", "Rectum", "Cervix", "Lung (haemoptysis)", "Stomach", "Skin lesion"),
        (("bladder", 0.3), ("colorectal", 0.25), ("gynaecological", 0.2), ("lung", 0.15), ("upper_gi", 0.1)),
        ("liver", "nodes"),
    ),
    Profile(
        choices.Indication.BRAIN, 0.20, 84,
        ((Regimen(20, 5), 0.7), (Regimen(30, 10), 0.3)),
        ("Whole brain",),
        (("lung", 0.55), ("breast", 0.25), ("melanoma", 0.1), ("colorectal", 0.1)),
        ("brain",),
    ),
    Profile(
        choices.Indication.OBSTRUCTION, 0.12, 95,
        ((Regimen(20, 5), 0.5), (Regimen(30, 10), 0.3), (Regimen(8, 1), 0.2)),
        ("Oesophagus", "Bronchus", "Pelvis"),
        (("upper_gi", 0.4), ("lung", 0.3), ("colorectal", 0.2), ("gynaecological", 0.1)),
        ("peritoneum", "nodes"),
    ),
)

ANALGESICS = (
    ("morphine", 10, "mg", "oral", 6), ("oxycodone", 10, "mg", "oral", 2), ("fentanyl", 25, "mcg/h", "transdermal", 1),
    ("hydromorphone", 4, "mg", "oral", 4), ("tramadol", 50, "mg", "oral", 3), ("codeine", 30, "mg", "oral", 4),
    ("paracetamol", 1000, "mg", "oral", 4),
)


@dataclass
class SyntheticPatient:
    site_index: int
    pseudonym: str
    hospital_number: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    language: str
    primary_tumour: str
    metastatic_sites: list[str]
    kps: int
    ecog: int
    performance_date: date
    followup_consent: bool
    research_consent: bool
    vital_status: str
    death_date: date | None
    last_known_alive: date | None
    courses: list[dict] = field(default_factory=list)
    procedures: list[dict] = field(default_factory=list)
    episodes: list[dict] = field(default_factory=list)
    analgesics: list[dict] = field(default_factory=list)
    proxies: list[dict] = field(default_factory=list)


def _weighted(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _exp_days(rng: random.Random, median: float) -> int:
    return max(1, int(round(rng.expovariate(math.log(2) / median))))


def build_patient(rng: random.Random, index: int, n_sites: int, anchor: date) -> SyntheticPatient:
    profile = _weighted(rng, [(p, p.weight) for p in PROFILES])
    tumour = _weighted(rng, profile.tumours)
    sex = {"prostate": "male", "gynaecological": "female"}.get(tumour) or (
        "female" if tumour == "breast" and rng.random() < 0.99 else rng.choice(["female", "male"])
    )
    site_index = index % n_sites
    first_fraction = anchor - timedelta(days=rng.randint(5, 730))
    # Rapid-access pathway: about one in five is assessed, simulated and treated on the day of referral.
    same_day = rng.random() < 0.2
    referral = first_fraction - timedelta(days=0 if same_day else rng.randint(1, 21))
    consultation = referral + timedelta(days=0 if same_day else rng.randint(0, (first_fraction - referral).days))
    simulation = consultation + timedelta(days=0 if same_day else rng.randint(0, (first_fraction - consultation).days))
    regimen = _weighted(rng, profile.regimens)
    step = {"daily": 1, "weekly": 7, "bid": 0.5}[regimen.schedule]
    planned_span = int(math.ceil((regimen.fractions - 1) * step)) if regimen.fractions > 1 else 0
    planned_span += (planned_span // 5) * 2 if regimen.schedule == "daily" else 0  # weekends
    kps = rng.choice([40, 50, 60, 60, 70, 70, 80, 80, 90])
    survival = _exp_days(rng, profile.median_survival_days * (0.6 + (kps - 40) / 60))
    death = first_fraction + timedelta(days=survival)
    alive = death > anchor
    delivered = regimen.fractions
    stop_reason = ""
    last_fraction = first_fraction + timedelta(days=planned_span)
    if regimen.fractions > 1 and (death <= last_fraction or rng.random() < 0.04):
        delivered = rng.randint(1, regimen.fractions - 1)
        stop_reason = choices.StopReason.DEATH if death <= last_fraction else rng.choice(
            [choices.StopReason.DETERIORATION, choices.StopReason.PATIENT_CHOICE, choices.StopReason.TOXICITY]
        )
        last_fraction = first_fraction + timedelta(days=int((delivered - 1) * step))
        if stop_reason == choices.StopReason.DEATH:
            death = max(death, last_fraction)
    if last_fraction > anchor:
        last_fraction, delivered, stop_reason = None, None, ""
    age = rng.randint(38, 92)
    birth = first_fraction - timedelta(days=age * 365 + rng.randint(0, 364))
    patient = SyntheticPatient(
        site_index=site_index,
        pseudonym="P-" + "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8)),
        hospital_number=f"{site_index + 1}{index + 100000:07d}",
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        birth_date=birth,
        sex=sex,
        language=_weighted(rng, LANGUAGE_WEIGHTS),
        primary_tumour=tumour,
        metastatic_sites=sorted(set(profile.metastatic_sites) | ({"lung"} if rng.random() < 0.2 else set())),
        kps=kps,
        ecog=max(0, min(4, (100 - kps) // 20)),
        performance_date=consultation,
        followup_consent=rng.random() < 0.85,
        research_consent=rng.random() < 0.8,
        vital_status="alive" if alive else "dead",
        death_date=None if alive else death,
        last_known_alive=anchor - timedelta(days=rng.randint(0, 30)) if alive else None,
    )
    patient.courses.append(
        dict(
            indication=profile.indication, target_region=rng.choice(profile.targets), technique=regimen.technique,
            total_dose_gy=regimen.total, fractions_planned=regimen.fractions, schedule=regimen.schedule,
            referral_date=referral, consultation_date=consultation, simulation_date=simulation,
            first_fraction_date=first_fraction, last_fraction_date=last_fraction, fractions_delivered=delivered,
            stop_reason=stop_reason, couch_minutes=rng.randint(25, 60) if regimen.technique == "sbrt" else None,
        )
    )
    end = min(anchor, patient.death_date or anchor)
    if profile.indication == choices.Indication.PAIN and (end - first_fraction).days > 120 and rng.random() < 0.12:
        # Re-irradiation of the same site after the first course.
        re_day = first_fraction + timedelta(days=rng.randint(100, (end - first_fraction).days))
        patient.courses.append(
            dict(
                indication=profile.indication, target_region=patient.courses[0]["target_region"],
                technique=choices.Technique.CONVENTIONAL, total_dose_gy=8, fractions_planned=1,
                schedule="daily", referral_date=re_day - timedelta(days=3), consultation_date=re_day - timedelta(days=1),
                simulation_date=re_day, first_fraction_date=re_day, last_fraction_date=re_day, fractions_delivered=1,
                stop_reason="", couch_minutes=None, reirradiates=0,
            )
        )
    if profile.indication == choices.Indication.OBSTRUCTION or (tumour in {"colorectal", "gynaecological"} and rng.random() < 0.3):
        _add_bowel_obstructions(rng, patient, first_fraction, end)
    if rng.random() < 0.15:
        kind = rng.choice(
            ["drainage", "stent", "vertebroplasty", "ablation", "embolisation", "shunt", "gastrostomy"]
        )
        day = first_fraction + timedelta(days=rng.randint(-30, max(0, (end - first_fraction).days)))
        complication = rng.random() < 0.12
        patient.procedures.append(
            dict(
                kind=kind, performed_on=min(day, anchor), indication=f"Palliation ({profile.indication})",
                hospital_days=rng.choice([0, 0, 1, 1, 2, 3, 5, 8]), had_complication=complication,
                complications="Minor bleeding at access site" if complication else "",
            )
        )
    if profile.indication in {choices.Indication.PAIN, choices.Indication.MSCC} or rng.random() < 0.4:
        for drug, dose, unit, route, per_day in rng.sample(ANALGESICS, k=rng.randint(1, 2)):
            for offset in (-3, 14, 56):
                day = first_fraction + timedelta(days=offset)
                if day <= end:
                    patient.analgesics.append(
                        dict(recorded_on=day, drug=drug, dose=dose * rng.choice([1, 1, 2]), unit=unit, route=route,
                             doses_per_day=per_day, as_needed=False)
                    )
    if rng.random() < 0.6:
        patient.proxies.append(
            dict(name=f"{rng.choice(GIVEN)} {patient.family_name}", relationship=rng.choice(
                ["partner", "partner", "child", "sibling", "friend"]), phone=f"+31 6 {rng.randint(10000000, 99999999)}",
                email="", language=patient.language, consent=rng.random() < 0.8, active=True)
        )
    return patient


def _add_bowel_obstructions(rng, patient, start: date, end: date) -> None:
    day = start - timedelta(days=rng.randint(0, 20))
    for _ in range(rng.randint(1, 4)):
        if day > end:
            break
        length = rng.randint(2, 12)
        resolved = day + timedelta(days=length)
        patient.episodes.append(
            dict(kind="bowel_obstruction", onset_date=day, resolution_date=resolved if resolved <= end else None,
                 management=rng.choice(["conservative", "conservative", "stent", "surgery", "drainage"]))
        )
        day = resolved + timedelta(days=_exp_days(rng, 45))


def build_department(n_patients: int, seed: int, anchor: date, n_sites: int = 2):
    """Yield synthetic patients; pure and deterministic in (n_patients, seed, anchor, n_sites)."""
    if n_patients < 0:
        raise ValueError("n_patients must be zero or more")
    if not 1 <= n_sites <= len(DEMO_SITES):
        raise ValueError(f"n_sites must be between 1 and {len(DEMO_SITES)}")
    rng = random.Random(seed)
    for index in range(n_patients):
        yield build_patient(rng, index, n_sites, anchor)
