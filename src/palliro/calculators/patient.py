"""Calculators applied to a clinic record: the BED/EQD2 of an RT course and the prognostic scores that
the patient's record allows.

Mapping choices (documented because the record's vocabulary is not the models'):

- Primary tumour: breast, prostate, lung and bladder map to themselves, myeloma to
  ``myeloma_lymphoma``, every other code (including unknown primary) to ``other``.
- Metastatic sites: an empty list is treated as *not recorded* (missing), never as "no metastases".
  Bone only = every site is ``bone`` or ``spine``; liver metastases = ``liver`` listed; visceral
  metastases = any of liver, lung, adrenal, peritoneum (brain and nodes are not counted as visceral).
- Age: on the date of death for a deceased patient, otherwise today.
- Inputs the record does not hold (chemotherapy courses, hospitalisation, ESAS items, ambulatory status,
  MSCC interval ...) are listed as missing; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from palliro.calculators import inputs
from palliro.core import prognosis
from palliro.core.dose import Regimen, dose_metrics
from palliro.core.errors import ClinicalWarning, PalliroValueError

_PRIMARY_MAP = {"breast": "breast", "prostate": "prostate", "lung": "lung", "bladder": "bladder",
                "myeloma": "myeloma_lymphoma"}
VISCERAL_SITES = frozenset({"liver", "lung", "adrenal", "peritoneum"})
BONE_SITES = frozenset({"bone", "spine"})


@dataclass(frozen=True)
class DoseLine:
    """BED/EQD2 at alpha/beta 10 and 3 of one regimen (``kind`` is ``"planned"`` or ``"delivered"``)."""

    kind: str
    regimen: Regimen
    bed10: float
    eqd2_10: float
    bed3: float
    eqd2_3: float


@dataclass(frozen=True)
class CourseDoseSummary:
    """Dose summary of one RT course; ``error`` explains why nothing could be computed."""

    planned: DoseLine | None
    delivered: DoseLine | None
    warnings: tuple[ClinicalWarning, ...]
    unverified: tuple[str, ...]
    error: str = ""

    @property
    def lines(self) -> tuple[DoseLine, ...]:
        return tuple(line for line in (self.planned, self.delivered) if line is not None)


def _line(kind: str, regimen: Regimen) -> tuple[DoseLine, list[ClinicalWarning], list[str]]:
    r10, r3 = dose_metrics(regimen, 10.0), dose_metrics(regimen, 3.0)
    line = DoseLine(kind, regimen, r10.bed, r10.eqd2, r3.bed, r3.eqd2)
    return line, [*r10.warnings], [*r10.unverified]


def course_dose(course) -> CourseDoseSummary:
    """BED10, EQD2(10), BED3, EQD2(3) of the planned regimen, and of the delivered part when a course
    stopped early (fewer fractions delivered than planned, same dose per fraction)."""
    try:
        planned = Regimen.from_total(float(course.total_dose_gy), int(course.fractions_planned),
                                     course.schedule or "daily")
        line, warnings, unverified = _line("planned", planned)
        delivered = None
        n = course.fractions_delivered
        if n is not None and 0 < n < planned.fractions:
            part = Regimen.from_dose_per_fraction(planned.dose_per_fraction, n, planned.schedule)
            delivered, _, _ = _line("delivered", part)
    except (PalliroValueError, TypeError, ValueError) as error:
        return CourseDoseSummary(None, None, (), (), f"BED/EQD2 not computable: {error}")
    return CourseDoseSummary(line, delivered, tuple(dict.fromkeys(warnings)), tuple(dict.fromkeys(unverified)))


# --------------------------------------------------------------------------------- prognosis


@dataclass(frozen=True)
class PatientPrognosis:
    """One model for one patient: the result, or the inputs the record lacks, or why it failed."""

    key: str
    title: str
    result: prognosis.PrognosticResult | None
    missing: tuple[str, ...]
    error: str = ""

    @property
    def missing_labels(self) -> tuple[str, ...]:
        return tuple(inputs.INPUTS[name].label for name in self.missing)


def record_inputs(patient, today: date | None = None) -> dict[str, object]:
    """The model inputs the clinic record holds (None where it does not)."""
    available: dict[str, object] = {name: None for name in inputs.INPUTS}
    if patient.primary_tumour:
        available["primary"] = _PRIMARY_MAP.get(patient.primary_tumour, "other")
    available["kps"] = patient.kps
    available["ecog"] = patient.ecog
    if patient.birth_date:
        reference = patient.death_date or today or timezone.localdate()
        available["age"] = patient.age_on(reference)
    sites = set(patient.metastatic_sites or [])
    if sites:
        available["bone_only_metastases"] = sites <= BONE_SITES
        available["liver_metastases"] = "liver" in sites
        available["visceral_metastases"] = bool(sites & VISCERAL_SITES)
    return available


def prognosis_for_patient(patient, today: date | None = None) -> tuple[PatientPrognosis, ...]:
    """Every prognostic model (``palliro.core.prognosis.MODELS``) evaluated where the record allows."""
    available = record_inputs(patient, today)
    out = []
    for key in prognosis.MODELS:
        model = inputs.MODELS[key]
        missing = tuple(name for name in model.inputs if available.get(name) is None)
        if missing:
            out.append(PatientPrognosis(key, model.title, None, missing))
            continue
        try:
            result = inputs.run_model(key, available)
        except PalliroValueError as error:
            out.append(PatientPrognosis(key, model.title, None, (), f"recorded value not usable: {error}"))
            continue
        out.append(PatientPrognosis(key, model.title, result, ()))
    return tuple(out)


@dataclass(frozen=True)
class PainTimePoint:
    time_point: str
    baseline_pain: float | None
    baseline_omed: float | None
    pain: float
    omed: float | None
    category: str

    @property
    def label(self) -> str:
        return ICE_LABELS.get(self.category, self.category)


ICE_LABELS = {
    "CR": "Complete response", "PR": "Partial response", "PP": "Pain progression",
    "IR": "Indeterminate response", "NOT_EVALUABLE": "Not evaluable (pain or OMED missing)",
}


@dataclass(frozen=True)
class CoursePainEndpoints:
    """International consensus pain response of one course at each follow-up time point, and pain flare."""

    course_id: int
    time_points: tuple[PainTimePoint, ...]
    flare: bool | None
    flare_pattern: str
    omed_rule: str


def course_pain_endpoints(course) -> CoursePainEndpoints | None:
    """Pain response (ICE, literal reading) and flare from the patient's own answers and analgesic records.

    Uses the same rules as the research report (``palliro.research.endpoints``), so a course page and a
    cohort table never disagree. None when the course has no first fraction yet, or has only booked one: answers
    before treatment are no response to it.
    """
    import pandas as pd

    from palliro.research import endpoints

    if course.first_fraction_date is None or course.is_booked:
        return None
    frame = pd.DataFrame(
        {
            "patient_id": [course.patient_id],
            "first_fraction_date": [pd.Timestamp(course.first_fraction_date)],
            "last_fraction_date": [pd.Timestamp(course.last_fraction_date) if course.last_fraction_date else pd.NaT],
        }
    )
    data = endpoints.load_endpoint_data([course.patient_id])
    options = endpoints.EndpointOptions()
    rows = endpoints.pain_response_frame(frame, data, options)
    flare = endpoints.flare_frame(frame, data, options)
    points = tuple(
        PainTimePoint(
            r.time_point, None if pd.isna(r.baseline_pain) else r.baseline_pain,
            None if r.baseline_omed is None or pd.isna(r.baseline_omed) else r.baseline_omed,
            r.pain, None if r.omed is None or pd.isna(r.omed) else r.omed, r.category,
        )
        for r in rows.sort_values("week").itertuples()
    )
    flare_row = flare.iloc[0] if len(flare) else None
    return CoursePainEndpoints(
        course.pk, points,
        None if flare_row is None else bool(flare_row["flare"]),
        "" if flare_row is None else str(flare_row["pattern"] or ""),
        endpoints.OMED_RULE,
    )
