"""The department's own patients as one more study (or IPD trial) in a review.

Two groups of palliative RT courses are compared, each group one regimen (total dose and number of
fractions), optionally restricted to an indication and a range of first-fraction dates. Only patients
with research consent at the user's sites are used, and only aggregate numbers leave this module.

Choices (documented, not from a published definition):

* Only courses that have started count: a course booked ahead (first fraction after today) is no treatment yet,
  so a patient whose only eligible course is booked is not in the cohort.
* A patient counts once, with their earliest eligible course; a patient whose earliest eligible course
  is in group A is not counted in group B for a later course (re-irradiation).
* The date last known alive of a patient without a death date follows the research cohort report's rule
  (:mod:`palliro.research.alive`), chosen by ``CohortSpec.alive_evidence``: by default the later of the
  recorded ``last_known_alive`` and the local day of the patient's latest own answer (respondent ``patient``;
  relatives' answers and staff interviews do not count); ``"recorded"``: the recorded date only. A patient
  recorded as deceased is never followed up by it, whatever they answered.
* Death within N days of the first fraction: event if the death date is at most N days after the first
  fraction. Patients count only with complete follow-up to N days: a recorded death date, or a date last
  known alive at least N days after the first fraction. A patient recorded as deceased without a
  date has incomplete follow-up.
* Survival from the first fraction (Cox model): time in days to the death date, or censored at the date
  last known alive; patients with neither are left out. A death on the day of the first fraction is
  entered at half a day, because the Cox fit needs positive times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.utils import timezone

from palliro.clinic.choices import VitalStatus
from palliro.clinic.models import RTCourse
from palliro.research.alive import (
    ALIVE_EVIDENCE,
    DEFAULT_ALIVE_EVIDENCE,
    last_alive_dates,
    latest_own_answers,
    own_answer_days,
)
from palliro.stats.errors import StatsInputError
from palliro.stats.survival import CoxPH

SAME_DAY_TIME = 0.5


@dataclass(frozen=True)
class Regimen:
    total_dose_gy: Decimal
    fractions: int

    @property
    def label(self) -> str:
        return f"{float(self.total_dose_gy):g} Gy / {self.fractions}"


@dataclass(frozen=True)
class CohortSpec:
    """Which courses form group A (treatment) and group B (control)."""

    site_ids: frozenset[int]
    group_a: Regimen
    group_b: Regimen
    indication: str = ""
    date_from: date | None = None
    date_to: date | None = None
    #: What proves a patient without a death date alive (:data:`~palliro.research.alive.ALIVE_EVIDENCE`).
    alive_evidence: str = DEFAULT_ALIVE_EVIDENCE

    def __post_init__(self) -> None:
        if self.alive_evidence not in ALIVE_EVIDENCE:
            raise StatsInputError(f"unknown definition of last known alive {self.alive_evidence!r}",
                                  field="alive_evidence")
        if self.group_a == self.group_b:
            raise StatsInputError("the two groups must use different regimens", field="group_b")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise StatsInputError("the start date is after the end date", field="date_to")


@dataclass(frozen=True)
class CohortPatient:
    """One patient (no identifiers): group 1 = A, 0 = B. ``last_known_alive``: the date last known alive under the
    spec's ``alive_evidence`` (the recorded date, or a later own answer's day)."""

    group: int
    first_fraction: date
    death_date: date | None
    last_known_alive: date | None
    deceased: bool


def cohort_patients(spec: CohortSpec) -> list[CohortPatient]:
    """Research-consented patients of ``spec.site_ids`` with their earliest eligible course."""
    courses = RTCourse.objects.filter(
        patient__site_id__in=spec.site_ids,
        patient__research_consent=True,
        first_fraction_date__isnull=False,
        first_fraction_date__lte=timezone.localdate(),
    )
    if spec.indication:
        courses = courses.filter(indication=spec.indication)
    if spec.date_from:
        courses = courses.filter(first_fraction_date__gte=spec.date_from)
    if spec.date_to:
        courses = courses.filter(first_fraction_date__lte=spec.date_to)
    regimens = {(spec.group_a.total_dose_gy, spec.group_a.fractions): 1,
                (spec.group_b.total_dose_gy, spec.group_b.fractions): 0}
    rows = courses.filter(
        total_dose_gy__in=[spec.group_a.total_dose_gy, spec.group_b.total_dose_gy],
        fractions_planned__in=[spec.group_a.fractions, spec.group_b.fractions],
    ).order_by("patient_id", "first_fraction_date", "pk").values_list(
        "patient_id", "total_dose_gy", "fractions_planned", "first_fraction_date",
        "patient__death_date", "patient__last_known_alive", "patient__vital_status", "patient__site_id",
    )
    seen: set[int] = set()
    chosen = []
    for pid, dose, fractions, first, death, alive, status, site in rows:
        group = regimens.get((Decimal(dose), fractions))
        if group is None or pid in seen:
            continue
        seen.add(pid)
        chosen.append((pid, site, group, first, death, alive, status == VitalStatus.DEAD or death is not None))
    return [CohortPatient(group, first, death, alive, deceased)
            for (_pid, _site, group, first, death, _recorded, deceased), alive
            in zip(chosen, _last_alive(chosen, courses, spec.alive_evidence), strict=True)]


def _last_alive(chosen: list[tuple], courses, evidence: str) -> list[date | None]:
    """The date last known alive of each chosen patient under ``evidence``: one aggregate query for the latest
    own answers of the courses' patients, as the research cohort frame reads them."""
    if not chosen:
        return []
    recorded = pd.Series([row[5] for row in chosen], dtype="datetime64[ns]")
    pids = np.array([row[0] for row in chosen], dtype=np.int64)
    answered, seconds = latest_own_answers(courses.values("patient_id"))
    own = pd.Series(own_answer_days(pids, [row[1] for row in chosen], answered, seconds))
    alive = last_alive_dates(recorded, own, evidence)
    return [None if pd.isna(day) else day.date() for day in alive]


@dataclass(frozen=True)
class CountsResult:
    """Deaths within ``days`` among patients with complete follow-up, per group."""

    days: int
    events_a: int
    total_a: int
    events_b: int
    total_b: int
    incomplete: int

    @property
    def as_inputs(self) -> dict[str, float]:
        return {"ai": self.events_a, "bi": self.total_a - self.events_a,
                "ci": self.events_b, "di": self.total_b - self.events_b}


def death_within(patients: list[CohortPatient], days: int) -> CountsResult:
    if days < 1:
        raise StatsInputError("must be at least 1 day", field="days")
    counts = {1: [0, 0], 0: [0, 0]}
    incomplete = 0
    for p in patients:
        if p.death_date is not None:
            event = (p.death_date - p.first_fraction).days <= days
        elif not p.deceased and p.last_known_alive and (p.last_known_alive - p.first_fraction).days >= days:
            event = False
        else:
            incomplete += 1
            continue
        counts[p.group][0] += int(event)
        counts[p.group][1] += 1
    for group, name in ((1, "group_a"), (0, "group_b")):
        if counts[group][1] == 0:
            raise StatsInputError("no patients with complete follow-up in this group", field=name)
    return CountsResult(days, counts[1][0], counts[1][1], counts[0][0], counts[0][1], incomplete)


def survival_frame(patients: list[CohortPatient]) -> pd.DataFrame:
    """Columns ``arm`` (1 = A), ``time`` (days from first fraction), ``event`` (death)."""
    rows = []
    for p in patients:
        if p.death_date is not None:
            days = (p.death_date - p.first_fraction).days
            if days < 0:
                continue
            rows.append((p.group, float(days) if days > 0 else SAME_DAY_TIME, 1))
        elif not p.deceased and p.last_known_alive and p.last_known_alive > p.first_fraction:
            rows.append((p.group, float((p.last_known_alive - p.first_fraction).days), 0))
    return pd.DataFrame(rows, columns=["arm", "time", "event"])


@dataclass(frozen=True)
class HazardResult:
    log_hr: float
    se: float
    n_a: int
    n_b: int
    events: int
    left_out: int

    @property
    def as_inputs(self) -> dict[str, float]:
        return {"yi": self.log_hr, "sei": self.se}


def hazard_ratio(patients: list[CohortPatient]) -> HazardResult:
    """Cox model of survival from the first fraction, group A against group B (Efron ties)."""
    frame = survival_frame(patients)
    n_a, n_b = int((frame["arm"] == 1).sum()), int((frame["arm"] == 0).sum())
    if n_a == 0 or n_b == 0:
        raise StatsInputError("both groups need patients with follow-up", field="group_a" if n_a == 0 else "group_b")
    if frame["event"].sum() == 0:
        raise StatsInputError("no deaths recorded in either group; a hazard ratio cannot be estimated",
                              field="group_a")
    try:
        coef = CoxPH().fit(frame, "time", "event", ["arm"]).coefficients[0]
    except StatsInputError:
        coef = None  # CoxPH refuses a diverging estimate (separation)
    if coef is None or not (math.isfinite(coef.coef) and math.isfinite(coef.se)) or coef.se > 50:
        raise StatsInputError("the Cox model has no finite estimate (e.g. all deaths in one group or after "
                              "the other group's follow-up ended); widen the groups or dates", field="group_a")
    return HazardResult(coef.coef, coef.se, n_a, n_b, int(frame["event"].sum()), len(patients) - len(frame))


def binary_frame(patients: list[CohortPatient], days: int) -> pd.DataFrame:
    """Columns ``arm`` and ``event`` (death within ``days``), complete follow-up only (as death_within)."""
    rows = []
    for p in patients:
        if p.death_date is not None:
            rows.append((p.group, int((p.death_date - p.first_fraction).days <= days)))
        elif not p.deceased and p.last_known_alive and (p.last_known_alive - p.first_fraction).days >= days:
            rows.append((p.group, 0))
    return pd.DataFrame(rows, columns=["arm", "event"])
