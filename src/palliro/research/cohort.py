"""Turn a saved :class:`~palliro.research.models.Cohort` into a pseudonymised pandas frame.

One ``.values()`` query for the courses (joined to their patients), one aggregate query for the
first episode of each kind and one for each patient's latest own answer; no per-row queries, so the frame
for 100 000 patients is built in well under a second.

Pseudonymisation: the frame carries the patient's pseudonym, site id, sex, primary tumour,
performance status and the *age at first fraction*; never names, hospital numbers, contact details or
birth dates. The same holds for care staff: the research pages are pseudonymised for everyone.

Access: care staff (clinician, nurse, admin) see all patients of their care sites; researchers see
only patients with research consent at their research sites. The cohort's own site list is
intersected with what the viewer may see.

Booked courses: a course whose first fraction is after the analysis date (today, when the frame is built) has
not started (the clinic records booked first fractions ahead, ``RTCourse.is_booked``). It is left out of the
cohort (:func:`analysis_date_filter`), so it is neither "treated" in the pain endpoints nor a survival time from a
treatment not yet given; a patient whose only course is booked is not in the cohort. Courses without a first
fraction date stay in, as before (no survival time, not treated).

Derived columns (documented choices, not published definitions):

* ``last_own_answer_date`` — the local day of the patient's latest own answer (respondent ``patient``), NaT
  without one (:mod:`palliro.research.alive`).
* ``followup_end_date`` — the death date, else the date last known alive under the chosen
  :data:`~palliro.research.alive.ALIVE_EVIDENCE` (by default the later of ``last_known_alive`` and
  ``last_own_answer_date``; ``"recorded"``: ``last_known_alive`` only). A death date always wins, so an answer
  dated after it changes nothing.
* ``os_days``/``os_event`` — survival from the first fraction: days to the death date (event) or to
  ``followup_end_date`` (censored). Patients with neither have NaN and are left out of survival
  analyses (their number is reported), as are rows whose death or last contact precedes the first
  fraction (a recording error). A patient recorded dead *without* a date cannot exist (database
  constraint).
* ``from_last_days``/``from_last_event`` — the same from the last fraction.
* ``completed`` — fractions delivered ≥ planned; NaN while delivery is not recorded.
* ``referral_to_first_days`` — days from referral to the first fraction.
* ``visits`` — distinct dates among consultation, simulation and first fraction
  (:data:`VISIT_FIELDS`); ``same_day`` — consultation and first fraction on the same date
  (:data:`SAME_DAY_RULE`).
* ``first_<episode kind>`` — the date of the patient's first episode of that kind (e.g. bowel obstruction).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Exists, Min, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from palliro.clinic import choices
from palliro.clinic.models import Episode, RTCourse
from palliro.followup.models import Enrolment
from palliro.research.alive import (
    DEFAULT_ALIVE_EVIDENCE,
    RECORDED,
    check_alive_evidence,
    last_alive_dates,
    latest_own_answers,
    own_answer_days,
)
from palliro.research.localday import EpochSeconds

VISIT_FIELDS: tuple[str, ...] = ("consultation_date", "simulation_date", "first_fraction_date")
SAME_DAY_RULE = "consultation date equals first fraction date"

COURSE_FIELDS = (
    "id", "patient_id", "indication", "technique", "total_dose_gy", "fractions_planned", "schedule",
    "referral_date", "consultation_date", "simulation_date", "first_fraction_date", "last_fraction_date",
    "fractions_delivered", "stop_reason", "couch_minutes", "is_reirradiation",
)
PATIENT_FIELDS = (
    "patient__pseudonym", "patient__site_id", "patient__birth_date", "patient__sex", "patient__primary_tumour",
    "patient__metastatic_sites", "patient__kps", "patient__ecog", "patient__vital_status",
    "patient__death_date", "patient__last_known_alive",
)
DATE_FIELDS = (
    "referral_date", "consultation_date", "simulation_date", "first_fraction_date", "last_fraction_date",
    "patient__birth_date", "patient__death_date", "patient__last_known_alive",
)
#: The raw columns of one frame row, in query order (``build_frame``'s input).
ROW_FIELDS = list(COURSE_FIELDS) + list(PATIENT_FIELDS)
#: Columns that must never leave this module (checked by the tests).
IDENTIFYING = frozenset({"birth_date", "given_name", "family_name", "hospital_number", "phone", "email"})


@dataclass(frozen=True)
class CohortFrame:
    """The frame and what was left out on the way, for the report's footnotes."""

    frame: pd.DataFrame
    n_courses_matched: int
    n_without_follow_up: int
    #: Which date last known alive ``followup_end_date`` uses (:data:`~palliro.research.alive.ALIVE_EVIDENCE`).
    alive_evidence: str = RECORDED


def visible_patient_filter(staff, prefix: str = "patient__") -> Q:
    """Rows whose patient the viewer may use: care sites fully, research sites with consent only."""
    return Q(**{f"{prefix}site_id__in": staff.care_site_ids}) | Q(
        **{f"{prefix}site_id__in": staff.research_site_ids, f"{prefix}research_consent": True}
    )


def analysis_date() -> date:
    """The day an analysis is made for: today in the server's zone (course dates are plain dates)."""
    return timezone.localdate()


def analysis_date_filter(day: date | None = None) -> Q:
    """Courses that have started by ``day`` (default :func:`analysis_date`), or have no first fraction date."""
    return Q(first_fraction_date__isnull=True) | Q(first_fraction_date__lte=day or analysis_date())


def cohort_courses(cohort, staff):
    """The RT courses matching the cohort's filters that the viewer may see (a queryset); booked courses (first
    fraction after the analysis date) are left out."""
    site_ids = set(cohort.sites.values_list("id", flat=True)) & set(staff.all_site_ids)
    qs = RTCourse.objects.filter(
        visible_patient_filter(staff), analysis_date_filter(), patient__site_id__in=site_ids
    )
    if cohort.first_fraction_from:
        qs = qs.filter(first_fraction_date__gte=cohort.first_fraction_from)
    if cohort.first_fraction_to:
        qs = qs.filter(first_fraction_date__lte=cohort.first_fraction_to)
    if cohort.indications:
        qs = qs.filter(indication__in=cohort.indications)
    if cohort.techniques:
        qs = qs.filter(technique__in=cohort.techniques)
    if cohort.tumours:
        qs = qs.filter(patient__primary_tumour__in=cohort.tumours)
    if cohort.regimen_fractions:
        qs = qs.filter(total_dose_gy=cohort.regimen_total_dose_gy, fractions_planned=cohort.regimen_fractions)
    if cohort.protocol_id:
        qs = qs.filter(
            Exists(Enrolment.objects.filter(patient_id=OuterRef("patient_id"), protocol_id=cohort.protocol_id))
        )
    return qs


@lru_cache(maxsize=4096)
def _parse_sites(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw) or ())


def _sites(value) -> list[str] | None:
    """Metastatic sites from a raw JSON column (text on SQLite) or an already-decoded list."""
    if value is None:
        return None
    if isinstance(value, str):
        return list(_parse_sites(value))
    return list(value)


def _site_flags(key) -> tuple:
    """(sites, bone only, liver, visceral) for one raw metastatic-sites value (None where not recorded)."""
    sites = _sites(key if key is None or isinstance(key, str) else list(key))
    if sites is None:
        return None, None, None, None
    bone_only = (set(sites) <= {"bone", "spine"}) if sites else None
    return (sites, bone_only, "liver" in sites,
            bool(set(sites) & {"liver", "lung", "adrenal", "peritoneum"}))


def _dates(values: pd.Series) -> pd.Series:
    """``pd.to_datetime`` of a date column, parsing each distinct value once (a few thousand dates
    repeat over 100 000 rows); missing values become NaT. Already parsed dates (the analysis store's) are
    returned as they are."""
    if values.dtype == "datetime64[ns]":
        return values
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object)).to_numpy(dtype="datetime64[ns]")
    out = np.full(len(codes), np.datetime64("NaT", "ns"))
    known = codes >= 0
    out[known] = parsed[codes[known]]
    return pd.Series(out, index=values.index)


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days.astype(float)


def earliest_course_positions(first_dates, patient_ids, course_ids) -> np.ndarray:
    """Positions of each patient's earliest course (courses without a first fraction sort last, then by course
    id), ordered by patient. One sort of three integer keys, instead of sorting, de-duplicating and
    re-indexing a whole frame."""
    dates = np.asarray(first_dates, dtype="datetime64[ns]")
    first = dates.view(np.int64).copy()
    first[np.isnat(dates)] = np.iinfo(np.int64).max
    patients = np.asarray(patient_ids, dtype=np.int64)
    order = np.lexsort((np.asarray(course_ids, dtype=np.int64), first, patients))
    return order[np.r_[True, patients[order][1:] != patients[order][:-1]]]


def per_patient(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of each patient's earliest course, one row per patient.

    A cohort counted by courses holds a row per course; patient-level endpoints (pain response and flare from
    the first fraction, the report group) take the course a cohort counted by patients would take, so they do
    not change with the counting unit or with which course happens to come first (a re-irradiation course
    has no follow-up of its own to measure from).
    """
    if frame["patient_id"].is_unique:
        return frame[columns]
    course_ids = frame["course_id"] if "course_id" in frame.columns else np.arange(len(frame))
    positions = earliest_course_positions(frame["first_fraction_date"], frame["patient_id"], course_ids)
    return frame[columns].take(positions)


def build_frame(rows: list[tuple] | pd.DataFrame, episodes: list[tuple], unit: str) -> CohortFrame:
    """Pure part of :func:`cohort_frame`: derive the analysis columns from queried rows (tuples, or a frame
    with the columns COURSE_FIELDS + PATIENT_FIELDS in that order, as the analysis store holds them)."""
    # Column names set in place: DataFrame.rename copies all 100 000 rows, twice.
    if isinstance(rows, pd.DataFrame):
        df = rows.reset_index(drop=True)
    else:
        df = pd.DataFrame.from_records(rows, columns=ROW_FIELDS)
    df.columns = ["course_id" if c == "id" else c for c in COURSE_FIELDS] + [
        c.removeprefix("patient__") for c in PATIENT_FIELDS]
    n_matched = len(df)
    df["first_fraction_date"] = _dates(df["first_fraction_date"])
    if unit == "patients" and len(df):
        df = df.take(earliest_course_positions(df["first_fraction_date"], df["patient_id"], df["course_id"]))
    df.index = pd.RangeIndex(len(df))  # reset_index(drop=True) would copy every column once more
    for col in ("referral_date", "consultation_date", "simulation_date", "last_fraction_date", "death_date",
                "last_known_alive", "birth_date"):
        df[col] = _dates(df[col])
    first = df["first_fraction_date"]
    birth = df.pop("birth_date")
    age = first.dt.year - birth.dt.year - (
        (first.dt.month < birth.dt.month) | ((first.dt.month == birth.dt.month) & (first.dt.day < birth.dt.day))
    ).astype(float)
    df["age"] = age
    df["total_dose_gy"] = df["total_dose_gy"].astype(float)
    # Few distinct site lists: derive the columns once per distinct raw value (JSON text on SQLite, a list
    # on PostgreSQL) and spread them by code; code -1 (not recorded) picks the trailing None.
    raw = df["metastatic_sites"].to_numpy(dtype=object)
    lists = np.fromiter((isinstance(m, list) for m in raw), dtype=bool, count=len(raw))
    if lists.any():
        raw = raw.copy()
        for i in np.flatnonzero(lists):  # element by element: numpy would make a 2-D array of equal tuples
            raw[i] = tuple(raw[i])
    codes, distinct = pd.factorize(raw)
    per_value = [_site_flags(v) for v in distinct] + [(None, None, None, None)]
    site_columns = [np.empty(len(per_value), dtype=object) for _ in range(4)]
    for j, values in enumerate(per_value):
        for i in range(4):
            site_columns[i][j] = values[i]
    df["is_reirradiation"] = df["is_reirradiation"].astype(bool)
    df["kps"] = pd.to_numeric(df["kps"])
    df["ecog"] = pd.to_numeric(df["ecog"])
    regimen = df.groupby(["total_dose_gy", "fractions_planned"], sort=False, dropna=False).ngroup().to_numpy()
    firsts = np.unique(regimen, return_index=True)[1] if len(df) else np.array([], dtype=int)
    labels = np.array([f"{d:g} Gy / {f}" for d, f in zip(df["total_dose_gy"].iloc[firsts],
                                                           df["fractions_planned"].iloc[firsts], strict=True)],
                      dtype=object)
    df["regimen"] = labels[regimen] if len(df) else pd.Series([], dtype=object)
    df["dose_per_fraction"] = df["total_dose_gy"] / df["fractions_planned"]
    df["last_own_answer_date"] = pd.Series(np.full(len(df), np.datetime64("NaT", "ns")), index=df.index)
    _set_follow_up(df, df["last_known_alive"])
    delivered = df["fractions_delivered"].astype(float)
    df["completed"] = np.where(delivered.notna(), (delivered >= df["fractions_planned"]).astype(float), np.nan)
    df["referral_to_first_days"] = _days(first, df["referral_date"])
    # Distinct visit dates, vectorised (DataFrame.nunique(axis=1) is a Python loop over rows).
    c, s, f = (df[col].to_numpy(dtype="datetime64[ns]") for col in VISIT_FIELDS)
    has_c, has_s, has_f = ~np.isnat(c), ~np.isnat(s), ~np.isnat(f)
    visits = has_c.astype(float) + (has_s & (s != c)) + (has_f & (f != c) & (f != s))
    df["visits"] = pd.Series(visits, index=df.index).where(first.notna())
    df["same_day"] = np.where(
        first.notna() & df["consultation_date"].notna(),
        (df["consultation_date"] == first).astype(float),
        np.nan,
    )
    df["metastatic_sites"] = site_columns[0][codes]
    for i, col in enumerate(("bone_only_metastases", "liver_metastases", "visceral_metastases"), start=1):
        # As a list would be: bool dtype when every value is known, object (with None) otherwise.
        df[col] = pd.Series(site_columns[i][codes], index=df.index, dtype=object).infer_objects()
    ep = pd.DataFrame.from_records(episodes, columns=["patient_id", "kind", "first"])
    for kind in choices.EpisodeKind.values:
        sub = ep[ep["kind"] == kind].set_index("patient_id")["first"]
        df[f"first_{kind}"] = pd.to_datetime(df["patient_id"].map(sub))
    n_missing = int(df["os_days"].isna().sum())
    return CohortFrame(df, n_matched, n_missing)


def _set_follow_up(df: pd.DataFrame, alive: pd.Series) -> None:
    """The follow-up columns of ``df`` (in place): end at the death date, else at ``alive``, the date last known
    alive."""
    died = df["death_date"].notna()
    end = df["death_date"].where(died, alive)
    df["followup_end_date"] = end
    df["os_days"] = _days(end, df["first_fraction_date"])
    # Death or last contact before the first fraction is a data error, not a negative survival time.
    df.loc[df["os_days"] < 0, "os_days"] = np.nan
    df["os_event"] = np.where(df["os_days"].notna(), died.astype(float), np.nan)
    df["from_last_days"] = _days(end, df["last_fraction_date"])
    df.loc[df["from_last_days"] < 0, "from_last_days"] = np.nan
    df["from_last_event"] = np.where(df["from_last_days"].notna(), died.astype(float), np.nan)


def with_alive_evidence(built: CohortFrame, answered, seconds, evidence: str = DEFAULT_ALIVE_EVIDENCE) -> CohortFrame:
    """``built`` (from :func:`build_frame`) with ``last_own_answer_date`` and the follow-up columns under
    ``evidence``. ``answered``/``seconds``: patients and their latest own answer
    (:func:`~palliro.research.alive.latest_own_answers`, or the analysis store's). The queries and the store
    both end here, so the two paths derive follow-up with one rule. The frame is changed in place (it is the
    caller's own: built for this cohort, or taken from the store's)."""
    check_alive_evidence(evidence)
    df = built.frame
    own = own_answer_days(df["patient_id"].to_numpy(), df["site_id"].to_numpy(), answered, seconds) if len(df) else (
        np.array([], dtype="datetime64[ns]"))
    df["last_own_answer_date"] = pd.Series(own, index=df.index)
    _set_follow_up(df, last_alive_dates(df["last_known_alive"], df["last_own_answer_date"], evidence))
    return CohortFrame(df, built.n_courses_matched, int(df["os_days"].isna().sum()), evidence)


def fetch_rows(
    queryset, fields: tuple[str, ...], as_text: tuple[str, ...] = (), as_epoch: tuple[str, ...] = ()
) -> list[tuple]:
    """Raw rows of an ORM-built query: Django's per-row converters cost seconds at a million rows, while
    pandas converts whole columns at once.

    On SQLite the ``as_text`` date/time fields are read as their stored text: the driver would otherwise parse
    each value in Python (the declared type triggers a converter even on a raw cursor); other databases return
    them as is. ``as_epoch`` datetime fields come as whole seconds since 1970 (UTC) on every database
    (:class:`~palliro.research.localday.EpochSeconds`): a plain integer, from which the local day is derived.
    """
    exprs = {f: Cast(f, TextField()) for f in as_text} if as_text and connection.vendor == "sqlite" else {}
    exprs |= {f: EpochSeconds(f) for f in as_epoch}
    if exprs:
        names = {f: f"_raw_{i}" for i, f in enumerate(exprs)}
        queryset = queryset.annotate(**{names[f]: expr for f, expr in exprs.items()})
        fields = tuple(names.get(f, f) for f in fields)
    sql, params = queryset.values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def cohort_frame(cohort, staff, alive_evidence: str = DEFAULT_ALIVE_EVIDENCE,
                 own_answers: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> CohortFrame:
    """The cohort's pseudonymised analysis frame for this viewer (three queries; a fourth reads the sites' time
    zones when a patient has answered), alive patients followed up to the date ``alive_evidence`` says.

    ``own_answers``: where the patients' latest own answers come from when not queried here — the result of
    :func:`~palliro.research.alive.latest_own_answers` for this cohort's patients, asked for only once the rows are
    built (report_run runs that query on a helper thread meanwhile)."""
    check_alive_evidence(alive_evidence)
    courses = cohort_courses(cohort, staff)
    # By patients the frame is sorted on a unique key (patient, first fraction, course id) anyway: the
    # courses' default ordering would only add a sort of every row in the database.
    ordered = courses.order_by() if cohort.unit == "patients" else courses
    rows = fetch_rows(ordered, COURSE_FIELDS + PATIENT_FIELDS, as_text=DATE_FIELDS)
    episodes = list(
        Episode.objects.filter(patient_id__in=courses.values("patient_id"))
        .values("patient_id", "kind")
        .annotate(first=Min("onset_date"))
        .values_list("patient_id", "kind", "first")
    )
    answered, seconds = own_answers() if own_answers is not None else latest_own_answers(courses.values("patient_id"))
    result = with_alive_evidence(build_frame(rows, episodes, cohort.unit), answered, seconds, alive_evidence)
    assert not (IDENTIFYING & set(result.frame.columns))
    return result


def time_from(frame: pd.DataFrame, origin: str) -> tuple[pd.Series, pd.Series, str]:
    """Durations and events from ``origin``: "first_fraction", "last_fraction" or "episode:<kind>".

    From an episode, time runs from its onset to death or the date last known alive (``followup_end_date``);
    patients without that episode are left out.
    """
    if origin == "first_fraction":
        return frame["os_days"], frame["os_event"], "first fraction"
    if origin == "last_fraction":
        return frame["from_last_days"], frame["from_last_event"], "last fraction"
    if origin.startswith("episode:") and origin.removeprefix("episode:") in choices.EpisodeKind.values:
        kind = origin.removeprefix("episode:")
        onset = frame[f"first_{kind}"]
        days = _days(frame["followup_end_date"], onset)
        keep = onset.notna() & (days >= 0)
        died = frame["death_date"].notna().astype(float)
        label = dict(choices.EpisodeKind.choices)[kind].lower()
        return days.where(keep), died.where(keep), f"first {label}"
    raise ValueError(f"unknown time origin {origin!r}")
