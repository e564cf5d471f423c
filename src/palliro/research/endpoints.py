"""Patient-reported endpoints for a cohort: pain response, pain flare, QoL means, adherence, proxy agreement.

Everything is loaded with a handful of ``.values()`` queries restricted to the cohort's patients and
then computed in pandas / :mod:`palliro.core` / :mod:`palliro.stats`.

Rules (named parameters with documented defaults; none is a published definition unless cited):

* Day of an answer: its calendar date in the time zone of the patient's site (``Site.timezone``), as
  scheduling, the patient pages and triage count days (:mod:`palliro.research.localday`): DST-correct, so an
  answer at 00:30 in Amsterdam belongs to that Amsterdam day, not to the UTC day before.
* :data:`PAIN_CODES` — worst-pain items used for response (0–10 scale).
* Baseline: the patient's latest worst-pain answer in the :data:`BASELINE_DAYS` days up to and including
  the first fraction.
* Time point ``week w``: the answer closest to first fraction + 7·w days within ±:data:`WINDOW_DAYS`
  (the shipped protocols keep links open 4 days); ties go to the earlier answer.
* OMED at a date (:data:`OMED_RULE`): the sum of the daily oral morphine equivalents of all analgesic
  records on the most recent recording date on or before that date, not older than
  :data:`OMED_LOOKBACK_DAYS`; otherwise missing (response then "not evaluable").
* Response: :func:`palliro.core.pain.classify_response` with :class:`~palliro.core.pain.ICEParameters`.
* Flare: diary worst pain (``palliro-pain-diary/diary-pain-worst``) by day from the first fraction with
  the OMED rule per day, through :func:`palliro.core.pain.detect_flare`.
* Proxy agreement: a patient answer and a proxy answer to the same item (``<instrument>/<item>`` and
  ``<instrument>-proxy/<item>``) for the same patient on the same (local) day; of several answers that day
  the last own answer and the last proxy answer count.

Loading (:func:`load_endpoint_data`) moves as little as possible out of the database: the raw answers
only for the pain and diary codes, QoL answers as per-cell sums (count, sum, sum of squares per patient,
code and invitation) and proxy agreement as the already paired same-day answers. The raw-row functions
(:func:`qol_frame`, the raw branch of :func:`proxy_pairs`) stay as the reference the tests compare with.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.clinic.analgesia import record_omed
from palliro.clinic.models import AnalgesicRecord, Patient
from palliro.core.pain import FlareParameters, ICEParameters, classify_response, detect_flare
from palliro.followup.models import Invitation, InvitationState, Observation, Response
from palliro.research.cohort import fetch_rows as _fetch
from palliro.research.cohort import per_patient
from palliro.research.localday import MAX_DAY_SECONDS, EpochSeconds, SiteClock, epoch_seconds_sql

PAIN_CODES: tuple[str, ...] = ("palliro-general/pain-worst",)
DIARY_CODE = "palliro-pain-diary/diary-pain-worst"
TIME_POINT_WEEKS: tuple[int, ...] = (1, 2, 4, 8, 12)
BASELINE_DAYS = 14
WINDOW_DAYS = 4
OMED_LOOKBACK_DAYS = 28
OMED_RULE = (
    "sum of the records on the latest recording date on or before the assessment, "
    f"at most {OMED_LOOKBACK_DAYS} days old"
)


@dataclass(frozen=True)
class EndpointOptions:
    pain_codes: tuple[str, ...] = PAIN_CODES
    weeks: tuple[int, ...] = TIME_POINT_WEEKS
    baseline_days: int = BASELINE_DAYS
    window_days: int = WINDOW_DAYS
    omed_lookback_days: int = OMED_LOOKBACK_DAYS
    ice: ICEParameters = field(default_factory=ICEParameters)
    flare: FlareParameters = field(default_factory=FlareParameters)


#: Codes summarised by default in the QoL means (the general questionnaire's items and scales).
QOL_PREFIX = "palliro-general/"
QOL_COLUMNS = ["patient_id", "code", "time_point", "n", "mean", "m2"]
PAIR_COLUMNS = ["patient_id", "item", "day", "patient", "proxy"]
POOLED_COLUMNS = ["code", "group", "time_point", "n", "mean", "m2"]


@dataclass(frozen=True)
class EndpointData:
    """Per-patient rows for the endpoints (pseudonymised: keyed by the frame's patient_id).

    ``observations`` holds raw answers: from :func:`load_endpoint_data` only those of ``pain_codes`` and
    the diary (``pain_codes`` records which) and ``qol`` only the :data:`QOL_PREFIX` codes and
    ``qol_codes``; built by hand (``pain_codes`` None) any answers, and then QoL and proxy pairs are
    derived from them when ``qol``/``proxy`` are None.
    """

    observations: pd.DataFrame  # patient_id, code, value, respondent, step_label, day (local day, midnight)
    omed: pd.DataFrame  # patient_id, day (date), mg (float or NaN); loaded: patients with an observation only
    invitations: pd.DataFrame  # patient_id, step_label, state, due
    qol: pd.DataFrame | None = None  # QOL_COLUMNS: count, mean, Σ(x − mean)² per patient, code and time point
    proxy: pd.DataFrame | None = None  # PAIR_COLUMNS: same-day patient/proxy pairs
    pain_codes: tuple[str, ...] | None = None  # codes besides the diary present in observations; None = all
    qol_codes: tuple[str, ...] = ()  # codes in ``qol`` besides QOL_PREFIX ones
    # POOLED_COLUMNS: the cells already pooled per code, report group and time point (load_qol_pooled) for
    # the grouping ``qol_group_by`` (a ReportOptions.group_by value); used instead of ``qol`` for that grouping.
    qol_pooled: pd.DataFrame | None = None
    qol_group_by: str | None = None


def _utc_naive(values: pd.Series) -> pd.Series:
    # SQLite returns UTC text (with or without microseconds), PostgreSQL aware datetimes.
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_convert(None)


def _omed_per_day(records: pd.DataFrame) -> pd.Series:
    """OMED (mg/day) of each record by :func:`record_omed`, NaN where it cannot convert.

    Prescriptions repeat: each distinct (drug, dose, unit, route, frequency, table) is converted once.
    """
    keys = ["drug", "dose", "unit", "route", "doses_per_day", "table"]
    if records.empty:
        return pd.Series([], dtype=float, index=records.index)
    combo = records.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    firsts = records[keys].iloc[np.unique(combo, return_index=True)[1]]
    mg = np.array([
        np.nan if (v := record_omed(*key).mg_per_day) is None else v
        for key in firsts.itertuples(index=False, name=None)
    ], dtype=float)
    return pd.Series(mg[combo], index=records.index)


def _rows(queryset) -> list[tuple]:
    """Rows of an aggregate or annotated query through a plain cursor (no per-row model machinery)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _patient_sites(ids) -> tuple[np.ndarray, np.ndarray]:
    """(patient ids, site ids) of the given patients (a list or a patient-id queryset)."""
    rows = _fetch(Patient.objects.filter(id__in=ids).order_by(), ("id", "site_id"))
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    patients, sites = zip(*rows, strict=True)
    return np.asarray(patients, dtype=np.int64), np.asarray(sites, dtype=np.int64)


def site_clock(ids) -> SiteClock:
    """The local days of the given patients' answers (their sites are read only when the sites' zones differ)."""
    return SiteClock(lambda: _patient_sites(ids))


def _step_labels(invitation_ids: pd.Series, inv: pd.DataFrame) -> pd.Series:
    return invitation_ids.map(inv.set_index("id")["step_label"])


def diary_answer_seconds(codes, invitation_ids, seconds, inv: pd.DataFrame) -> np.ndarray:
    """Epoch seconds that give each answer its local day: a diary answer's are its invitation's due time.

    A diary link of day D stays open until the next day's opens (``scheduling.diary_day``): an answer given
    at 07:00 on D+1 is about D, as the diary page told the patient, and counts for D as triage counts it.
    Other answers, and diary answers without an invitation (staff entries), keep the time they were given.
    """
    seconds = np.asarray(seconds, dtype=np.int64).copy()
    diary = np.asarray(codes, dtype=object) == DIARY_CODE
    if not diary.any() or inv.empty:
        return seconds
    due = inv["due"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    due_of = pd.Series(due, index=inv["id"].to_numpy(dtype=np.int64))
    ids = pd.Series(np.asarray(invitation_ids)[diary]).astype("Int64")
    found = ids.map(due_of).to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(found)
    rows = np.flatnonzero(diary)[known]
    seconds[rows] = found[known].astype(np.int64)
    return seconds


def pool_cells(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cells (n, mean, m2) pooled over ``keys`` by :func:`palliro.stats.summaries.pool_moments`."""
    from palliro.stats.summaries import pool_moments

    index = cells.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    present, n, mean, m2 = pool_moments(index, cells["n"].to_numpy(), cells["mean"].to_numpy(), cells["m2"].to_numpy())
    firsts = np.unique(index, return_index=True)[1]
    out = cells[keys].iloc[firsts[present]].reset_index(drop=True)
    return out.assign(n=n, mean=mean, m2=m2)


def _moments(cells: pd.DataFrame, s1: str, s2: str, shift=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, M2) per row from the database's sums: ``s1`` = Σ(x − shift), ``s2`` = Σ(x − shift)², with the
    row's minimum ``lo`` and maximum ``hi``. M2 = s2 − s1²/n cancels badly only when the values hardly
    differ, so a row whose minimum equals its maximum gets that value and M2 = 0 exactly."""
    n = cells["n"].to_numpy(dtype=np.int64)
    total, total_sq = cells[s1].to_numpy(dtype=float), cells[s2].to_numpy(dtype=float)
    lo, hi = cells["lo"].to_numpy(dtype=float), cells["hi"].to_numpy(dtype=float)
    constant = lo == hi
    mean = np.where(constant, lo, shift + total / n)
    m2 = np.where(constant, 0.0, np.maximum(total_sq - total * (total / n), 0.0))
    return n, mean, m2


def _load_qol(ids, inv: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """Patient answers as (count, mean, M2) per patient, code and time point, from sums made in the database.

    Codes: those of :data:`QOL_PREFIX` plus ``codes``. The time point is the invitation's step label
    ("unscheduled" without one), as in :func:`qol_frame`. M2 = Σx² − (Σx)²/n cancels badly only when the
    values hardly differ, so a cell whose minimum equals its maximum gets its value and M2 = 0 exactly.
    """
    wanted = Q(code__startswith=QOL_PREFIX) | Q(code__in=codes) if codes else Q(code__startswith=QOL_PREFIX)
    qs = (Observation.objects.filter(wanted, patient_id__in=ids, respondent="patient").order_by()
          .values_list("patient_id", "code", "response__invitation_id")
          .annotate(n=Count("id"), total=Sum("value"), total_sq=Sum(F("value") * F("value")), lo=Min("value"),
                    hi=Max("value")))
    cells = pd.DataFrame.from_records(_rows(qs), columns=["patient_id", "code", "invitation_id", "n", "total",
                                                          "total_sq", "lo", "hi"])
    cells["time_point"] = _step_labels(cells.pop("invitation_id"), inv).astype(object).fillna("unscheduled")
    n, mean, m2 = _moments(cells, "total", "total_sq")
    cells = cells.assign(n=n, mean=mean, m2=m2)[QOL_COLUMNS]
    # Several invitations of a patient may share a step label: one cell per label.
    if cells.duplicated(["patient_id", "code", "time_point"]).any():
        cells = pool_cells(cells, ["patient_id", "code", "time_point"])
    return cells


def _qol_wanted(codes: tuple[str, ...]) -> tuple[str, list]:
    """SQL condition on ``o.code`` for the QoL codes (:data:`QOL_PREFIX` ones plus ``codes``) and its params."""
    prefix = QOL_PREFIX.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = "o.code LIKE %s ESCAPE '\\'"
    if codes:
        sql = f"({sql} OR o.code IN ({', '.join(['%s'] * len(codes))}))"
    return sql, [prefix, *codes]


def load_qol_pooled(groups: pd.Series, codes: tuple[str, ...] = ()) -> pd.DataFrame:
    """Patient answers of the QoL codes pooled in the database per code, report group and time point.

    ``groups``: the report group of each patient (index patient_id, as ``qol_section`` derives it from the
    frame); only these patients' answers count. Returns :data:`POOLED_COLUMNS`, the same cells (within
    rounding error) as pooling the per-patient cells of :func:`_load_qol` with :func:`pool_cells`
    (tests/research/test_qol_pooled.py). Time point and codes as there.

    The patient→group mapping goes to the database as a temporary table (SQLite) or two arrays
    (PostgreSQL); one pass over the answers sums, per cell, the count, Σ(x − K) and Σ(x − K)² with K an
    answer of the same code (a shift against cancellation in the pooled M2), and the minimum and maximum: a
    cell whose minimum equals its maximum gets its value and M2 = 0 exactly.
    """
    columns = POOLED_COLUMNS
    if groups.empty:
        return pd.DataFrame(columns=columns)
    labels = groups.astype(str).astype("category")
    group_codes = labels.cat.codes.to_numpy().astype(np.int64)
    pids = groups.index.to_numpy().astype(np.int64)
    codes = tuple(c for c in codes if not c.startswith(QOL_PREFIX))
    table = connection.ops.quote_name(Observation._meta.db_table)
    response = connection.ops.quote_name(Response._meta.db_table)
    invitation = connection.ops.quote_name(Invitation._meta.db_table)
    wanted, wanted_params = _qol_wanted(codes)
    with connection.cursor() as cursor:
        # One stored answer per code as its shift (an index seek each).
        cursor.execute(f"SELECT DISTINCT o.code FROM {table} o WHERE {wanted}", wanted_params)
        present = sorted(r[0] for r in cursor.fetchall())
        shifts = []
        for code in present:
            cursor.execute(f"SELECT value FROM {table} WHERE code = %s LIMIT 1", [code])
            row = cursor.fetchone()
            shifts.append((code, 0.0 if row is None else float(row[0])))
        shift = ("CASE o.code " + " ".join(["WHEN %s THEN %s"] * len(shifts)) + " ELSE 0 END") if shifts else "0"
        shift_params = [x for pair in shifts for x in pair]
        if connection.vendor == "sqlite":
            # Filled from one JSON parameter (parsed by SQLite) rather than 100 000 bound rows.
            cursor.execute("DROP TABLE IF EXISTS temp.palliro_report_group")
            cursor.execute("CREATE TEMP TABLE palliro_report_group (patient_id integer PRIMARY KEY, grp integer NOT NULL)")
            cursor.execute("INSERT INTO palliro_report_group SELECT json_extract(value, '$[0]'), "
                           "json_extract(value, '$[1]') FROM json_each(%s)",
                           [json.dumps(np.column_stack([pids, group_codes]).tolist())])
            # A plain scan of the answers beats the code index, which would read each row out of order.
            source, join, join_params = f"{table} o NOT INDEXED", "palliro_report_group g", []
        else:
            source = f"{table} o"
            join, join_params = "unnest(%s::bigint[], %s::integer[]) AS g(patient_id, grp)", [
                pids.tolist(), group_codes.tolist()]
        sql = (f"SELECT code, step_label, grp, COUNT(*), SUM(d), SUM(d * d), MIN(value), MAX(value) FROM ("
               f"SELECT o.code AS code, i.step_label AS step_label, g.grp AS grp, o.value AS value, "
               f"o.value - {shift} AS d FROM {source} INNER JOIN {join} ON g.patient_id = o.patient_id "
               f"INNER JOIN {response} r ON r.id = o.response_id LEFT JOIN {invitation} i ON i.id = r.invitation_id "
               f"WHERE o.respondent = %s AND {wanted}) cells GROUP BY code, step_label, grp")
        postgresql = connection.vendor == "postgresql"
        # PostgreSQL's JIT compiles this large join and aggregate for longer than it saves: 0.6 s of 2.8 s on
        # 100 000 patients (bench/README.md, cohort report). SET LOCAL ends with the transaction.
        with transaction.atomic() if postgresql else contextlib.nullcontext():
            if postgresql:
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, [*shift_params, *join_params, "patient", *wanted_params])
            rows = cursor.fetchall()
        if connection.vendor == "sqlite":
            cursor.execute("DROP TABLE temp.palliro_report_group")
    cells = pd.DataFrame.from_records(rows, columns=["code", "time_point", "group", "n", "s1", "s2", "lo", "hi"])
    if cells.empty:
        return pd.DataFrame(columns=columns)
    n, mean, m2 = _moments(cells, "s1", "s2", shift=cells["code"].map(dict(shifts)).fillna(0.0).to_numpy(dtype=float))
    cells["time_point"] = cells["time_point"].astype(object).where(cells["time_point"].notna(), "unscheduled")
    cells["group"] = np.asarray(labels.cat.categories, dtype=object)[cells["group"].to_numpy(dtype=np.int64)]
    cells = cells.assign(n=n, mean=mean, m2=m2)[columns]
    # A step label "unscheduled" and answers without an invitation are one time point.
    if cells.duplicated(["code", "group", "time_point"]).any():
        cells = pool_cells(cells, ["code", "group", "time_point"])
    return cells.reset_index(drop=True)


def _of_patients(ids) -> Q:
    """Rows of the given patients; for a patient-id queryset as a correlated EXISTS, so that the database
    starts from the other (more selective) conditions instead of seeking every cohort patient."""
    if isinstance(ids, QuerySet):
        return Q(Exists(ids.filter(patient_id=OuterRef("patient_id"))))
    return Q(patient_id__in=ids)


def _proxy_item(code: str) -> str | None:
    """The patient-side code of a proxy code ``<instrument>-proxy/<item>`` (None if it is not one)."""
    instrument, sep, item = code.partition("/")
    if not sep or not instrument.endswith("-proxy"):
        return None
    patient_instrument = instrument.removesuffix("-proxy")
    # A patient-side code must itself be a patient code (not "<x>-proxy/<item>").
    return None if patient_instrument.endswith("-proxy") else f"{patient_instrument}/{item}"


def _load_proxy_pairs(ids, clock: SiteClock | None = None) -> pd.DataFrame:
    """Same-day patient/proxy pairs found in the database, in :func:`proxy_pairs` order.

    One self-join of the (few) proxy answers with the patient's own answers to the same item less than
    :data:`~palliro.research.localday.MAX_DAY_SECONDS` apart, through the (patient, code, observed_at) index (a
    correlated sub-query per proxy answer cost about a second at 75 000 proxy answers). The database cannot
    tell the local day everywhere (SQLite has no time zones), so the join only bounds the candidates and the
    local days of both answers (``clock``, by default the patients' sites' zones) are compared here; of
    several own answers that day the last counts, as does the last proxy answer of a day.
    """
    # Candidate codes from the distinct codes of the whole table (read from the code index alone), so the
    # proxy rows are then found through that index too.
    codes = Observation.objects.order_by().values_list("code", flat=True).distinct()
    items = {c: item for c in sorted(codes) if (item := _proxy_item(c)) is not None}
    if not items:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    proxy = (Observation.objects.filter(_of_patients(ids), respondent="proxy", code__in=list(items)).order_by()
             .annotate(item=Case(*(When(code=c, then=Value(i)) for c, i in items.items()), output_field=CharField()),
                       s=EpochSeconds("observed_at"))
             .values_list("id", "patient_id", "item", "s", "value", "observed_at"))
    inner, params = proxy.query.sql_with_params()
    table = connection.ops.quote_name(Observation._meta.db_table)
    if connection.vendor == "sqlite":
        # Stored UTC text compares in time order; datetime() drops the fraction of a second, well inside the bound.
        near = (f"o.observed_at > datetime(p.observed_at, '-{MAX_DAY_SECONDS} seconds') "
                f"AND o.observed_at < datetime(p.observed_at, '+{MAX_DAY_SECONDS} seconds')")
    else:
        near = (f"o.observed_at > p.observed_at - interval '{MAX_DAY_SECONDS} seconds' "
                f"AND o.observed_at < p.observed_at + interval '{MAX_DAY_SECONDS} seconds'")
    # Ordered by proxy answer, then own answer, both by (observed_at, id) as Observation's default ordering:
    # the last own row of each proxy answer on its day is the one the per-answer look-up took.
    sql = (f"SELECT p.patient_id, p.item, p.s, {epoch_seconds_sql(connection.vendor, 'o.observed_at')}, o.value, "
           f"p.value, p.id FROM ({inner}) p "
           f"INNER JOIN {table} o ON o.patient_id = p.patient_id AND o.code = p.item AND o.respondent = %s AND {near} "
           "ORDER BY p.observed_at, p.id, o.observed_at, o.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, "patient"))
        rows = cursor.fetchall()
    if not rows:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    joined = pd.DataFrame.from_records(rows, columns=["patient_id", "item", "p_s", "o_s", "patient", "proxy",
                                                      "proxy_id"])
    clock = clock or site_clock(ids)
    pids = joined["patient_id"].to_numpy(dtype=np.int64)
    day = clock.days(pids, joined["p_s"].to_numpy(dtype=np.int64))
    same = day == clock.days(pids, joined["o_s"].to_numpy(dtype=np.int64))
    pairs = joined[same].drop(columns=["p_s", "o_s"]).assign(day=day[same])
    return paired_rows(pairs[[*PAIR_COLUMNS, "proxy_id"]], items)


def paired_rows(pairs: pd.DataFrame, items: dict[str, str]) -> pd.DataFrame:
    """Same-day pairs from joined rows (:data:`PAIR_COLUMNS` + proxy_id, both answers on ``day``) ordered by
    proxy answer, then own answer, each by (observed_at, id); ``items`` maps each proxy code to its
    patient-side code."""
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    pairs = pairs.drop_duplicates("proxy_id", keep="last").drop(columns=["proxy_id"])
    pairs["day"] = pairs["day"].to_numpy(dtype="datetime64[ns]")
    pairs = pairs.astype({"patient": float, "proxy": float})
    # Rows come in time order: the last proxy answer of a day wins.
    pairs = pairs.drop_duplicates(["patient_id", "item", "day"], keep="last")
    # proxy_pairs orders items by the first of their two codes in code order (its item numbering).
    first_code = pd.Series({i: min(c, i) for c, i in items.items()})
    rank = pairs["item"].map(first_code.rank(method="dense"))
    pairs = pairs.assign(_rank=rank).sort_values(["patient_id", "_rank", "day"], kind="stable", ignore_index=True)
    return pairs[PAIR_COLUMNS]


def load_endpoint_data(ids, pain_codes: tuple[str, ...] = PAIN_CODES, qol_codes: tuple[str, ...] = (),
                       qol: bool = True) -> EndpointData:
    """Queries for the endpoints of the given patients: pain and diary answers, QoL sums, proxy pairs,
    analgesic records and invitations.

    ``ids``: a list of patient ids or, for large cohorts, a ``.values("patient_id")`` queryset (then the
    filter is a sub-query and no id list is sent to the database). ``pain_codes``: the worst-pain codes
    the pain response will use (:attr:`EndpointOptions.pain_codes`); ``qol_codes``: QoL codes outside
    :data:`QOL_PREFIX` the report will ask for (:attr:`ReportOptions.qol_codes`). ``qol`` False leaves the
    per-patient QoL cells out (for a caller that adds :func:`load_qol_pooled` cells instead).
    """
    pain_codes = tuple(pain_codes)
    inv = pd.DataFrame.from_records(
        _fetch(Invitation.objects.filter(patient_id__in=ids), ("id", "patient_id", "step_label", "state", "due_at"),
               as_text=("due_at",)),
        columns=["id", "patient_id", "step_label", "state", "due"],
    )
    inv["due"] = _utc_naive(inv["due"]).dt.tz_localize("UTC")
    loaded_codes = sorted({*pain_codes, DIARY_CODE})
    obs = pd.DataFrame.from_records(
        _fetch(Observation.objects.filter(patient_id__in=ids, code__in=loaded_codes),
               ("patient_id", "code", "value", "observed_at", "respondent", "response__invitation_id"),
               as_epoch=("observed_at",)),
        columns=["patient_id", "code", "value", "day", "respondent", "invitation_id"],
    )
    obs["value"] = obs["value"].astype(float)
    clock = site_clock(ids)
    seconds = diary_answer_seconds(obs["code"].to_numpy(dtype=object), obs["invitation_id"].to_numpy(dtype=object),
                                   obs["day"].to_numpy(dtype=np.int64), inv)
    obs["day"] = clock.days(obs["patient_id"].to_numpy(dtype=np.int64), seconds)
    # The step label of an answer is its invitation's: looked up in the patients' invitations loaded here
    # rather than joined per observation row.
    obs.insert(5, "step_label", _step_labels(obs.pop("invitation_id"), inv))
    for col in ("code", "respondent", "step_label"):
        obs[col] = obs[col].astype("category")
    obs = obs[["patient_id", "code", "value", "respondent", "step_label", "day"]]
    # OMED is only ever looked up for patients with a pain or diary answer (pain response, flare): the
    # analgesic records of the others (most of a large cohort) are not read.
    answered = Observation.objects.filter(patient_id__in=ids, code__in=loaded_codes).order_by().values("patient_id")
    records = pd.DataFrame.from_records(
        _fetch(AnalgesicRecord.objects.filter(patient_id__in=answered),
               ("patient_id", "recorded_on", "drug", "dose", "unit", "route", "doses_per_day", "patient__site_id"),
               as_text=("recorded_on",)),
        columns=["patient_id", "day", "drug", "dose", "unit", "route", "doses_per_day", "table"],
    )
    omed = omed_totals(records)
    qol_codes = tuple(c for c in qol_codes if not c.startswith(QOL_PREFIX))
    cells = _load_qol(ids, inv, qol_codes) if qol else None
    pairs = _load_proxy_pairs(ids, clock)
    return EndpointData(obs, omed, inv.drop(columns=["id"]), cells, pairs, pain_codes, qol_codes)


def omed_totals(records: pd.DataFrame) -> pd.DataFrame:
    """OMED per patient and recording day (mg/day) from analgesic records with columns patient_id, day,
    drug, dose, unit, route, doses_per_day and ``table`` holding the patient's site id."""
    # The site's OMED table from the (few) sites rather than a second join per record.
    tables = dict(Site.objects.values_list("id", "omed_table"))
    records = records.assign(table=records["table"].map(tables).astype(object))
    omed = pd.DataFrame({"patient_id": records["patient_id"], "day": pd.to_datetime(records["day"]),
                         "mg": _omed_per_day(records)})
    # A day with a non-convertible record has an unknown total, not a smaller one.
    omed["unknown"] = omed["mg"].isna()
    omed = omed.groupby(["patient_id", "day"], as_index=False).agg(mg=("mg", "sum"), unknown=("unknown", "any"))
    omed.loc[omed["unknown"], "mg"] = np.nan
    return omed.drop(columns=["unknown"])


def omed_at(omed: pd.DataFrame, pids, days, lookback: int) -> np.ndarray:
    """OMED by :data:`OMED_RULE` for each (patient id, day) pair, NaN where the rule gives none.

    One ``merge_asof`` over all pairs: the latest recording date on or before the day (a NaN total on
    that date stays NaN rather than falling back to an older date), then the look-back limit.
    """
    query = pd.DataFrame({"patient_id": np.asarray(pids), "day": pd.to_datetime(pd.Series(np.asarray(days)))})
    query["day"] = query["day"].astype("datetime64[ns]")
    query["pos"] = np.arange(len(query))
    known = query[query["day"].notna()].sort_values("day", kind="stable")
    out = np.full(len(query), np.nan)
    if known.empty or omed.empty:
        return out
    table = omed[["patient_id", "day", "mg"]].astype({"day": "datetime64[ns]"}).sort_values("day", kind="stable")
    table = table.rename(columns={"day": "recorded"})
    hit = pd.merge_asof(known, table, left_on="day", right_on="recorded", by="patient_id",
                        direction="backward", allow_exact_matches=True)
    mg = hit["mg"].to_numpy(dtype=float)
    too_old = (hit["day"] - hit["recorded"]).to_numpy() > np.timedelta64(lookback, "D")
    mg[too_old] = np.nan
    out[hit["pos"].to_numpy()] = mg
    return out


def _none(values: np.ndarray) -> list:
    return [None if v != v else float(v) for v in values.tolist()]


def _baselines(pain: pd.DataFrame, baseline_days: int) -> pd.DataFrame:
    """Each patient's latest pain answer from ``baseline_days`` before up to the first fraction."""
    base = pain[(pain["offset"] <= 0) & (pain["offset"] >= -baseline_days)]
    return base.sort_values(["patient_id", "offset"], kind="stable").drop_duplicates("patient_id", keep="last")


def _patient_pain(frame: pd.DataFrame, data: EndpointData, codes) -> pd.DataFrame:
    if data.pain_codes is not None and not set(codes) <= set(data.pain_codes):
        raise ValueError(f"pain codes {sorted(set(codes) - set(data.pain_codes))} were not loaded "
                         "(pass them to load_endpoint_data)")
    first = per_patient(frame, ["patient_id", "first_fraction_date"]).set_index("patient_id")["first_fraction_date"]
    obs = data.observations
    pain = obs[obs["code"].isin(codes) & (obs["respondent"] == "patient")]
    pain = pain.assign(first=pain["patient_id"].map(first))
    pain = pain[pain["first"].notna()]
    return pain.assign(offset=(pain["day"] - pain["first"]).dt.days)


def pain_response_frame(frame: pd.DataFrame, data: EndpointData, options: EndpointOptions) -> pd.DataFrame:
    """One row per (patient, time point): baseline and follow-up pain and OMED, ICE category."""
    columns = ["patient_id", "time_point", "week", "baseline_pain", "baseline_omed", "pain", "omed", "category"]
    pain = _patient_pain(frame, data, options.pain_codes)
    base = _baselines(pain, options.baseline_days).set_index("patient_id")
    parts = []
    for week in options.weeks:
        target = 7 * week
        near = pain[(pain["offset"] - target).abs() <= options.window_days]
        near = near.assign(dist=(near["offset"] - target).abs())
        near = near.sort_values(["patient_id", "dist", "offset"]).drop_duplicates("patient_id")
        if len(near):
            parts.append(near[["patient_id", "day", "value"]].assign(time_point=f"week {week}", week=week))
    if not parts:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(parts, ignore_index=True)
    rows["baseline_pain"] = rows["patient_id"].map(base["value"]).astype(float)
    base_day = rows["patient_id"].map(base["day"])
    lookback = options.omed_lookback_days
    rows["baseline_omed"] = omed_at(data.omed, rows["patient_id"], base_day, lookback)
    rows["omed"] = omed_at(data.omed, rows["patient_id"], rows["day"], lookback)
    rows["pain"] = rows["value"].astype(float)
    # Scores and OMED totals take few distinct values: classify each distinct combination once.
    keys = ["baseline_pain", "baseline_omed", "pain", "omed"]
    combo = rows.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    firsts = rows[keys].iloc[np.unique(combo, return_index=True)[1]]
    cats = np.array([
        classify_response(p0, o0, pt, ot, options.ice).category.value
        for p0, o0, pt, ot in zip(*(_none(firsts[k].to_numpy()) for k in keys), strict=True)
    ], dtype=object)
    rows["category"] = cats[combo]
    for k in ("baseline_pain", "baseline_omed", "omed"):
        rows[k] = _none(rows[k].to_numpy())
    return rows[columns]


def flare_frame(frame: pd.DataFrame, data: EndpointData, options: EndpointOptions) -> pd.DataFrame:
    """One row per patient with a baseline and any diary entry: flare yes/no and its pattern."""
    columns = ["patient_id", "flare", "pattern"]
    obs = data.observations
    diary = obs[(obs["code"] == DIARY_CODE) & (obs["respondent"] == "patient")]
    per = per_patient(frame, ["patient_id", "first_fraction_date", "last_fraction_date"]).set_index("patient_id")
    treated = per.index[per["first_fraction_date"].notna()]
    # A diary answered twice on one day counts once: the later answer wins (observations come in time order),
    # as in the triage flare rule.
    diary = diary[diary["patient_id"].isin(treated)].drop_duplicates(["patient_id", "day"], keep="last")
    if diary.empty:
        return pd.DataFrame(columns=columns)
    # Only patients with diary entries need a baseline and OMED look-ups.
    pain = _patient_pain(per.loc[diary["patient_id"].unique()].reset_index(), data, options.pain_codes)
    base = _baselines(pain, options.baseline_days)
    lookback = options.omed_lookback_days
    base = base.assign(o0=omed_at(data.omed, base["patient_id"], base["day"], lookback))
    base = base[base["o0"].notna()].set_index("patient_id")
    diary = diary[diary["patient_id"].isin(base.index)]
    if diary.empty:
        return pd.DataFrame(columns=columns)
    diary = diary.assign(omed=omed_at(data.omed, diary["patient_id"], diary["day"], lookback))
    first = diary["patient_id"].map(per["first_fraction_date"])
    diary = diary.assign(rel=(diary["day"] - first).dt.days).sort_values("patient_id", kind="stable")
    # One pass over plain lists, split at patient boundaries (no per-patient frames).
    pids = diary["patient_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, pids[1:] != pids[:-1]])
    ends = np.r_[starts[1:], len(pids)]
    patients = pids[starts]
    first_day = per["first_fraction_date"].reindex(patients)
    last_rel = ((per["last_fraction_date"].reindex(patients) - first_day).dt.days).fillna(0).clip(lower=0)
    p0 = base["value"].reindex(patients).to_numpy(dtype=float)
    o0 = base["o0"].reindex(patients).to_numpy(dtype=float)
    rel = diary["rel"].to_numpy()
    pain = diary["value"].to_numpy(dtype=float)
    omed = diary["omed"].to_numpy(dtype=float)
    last = last_rel.to_numpy().astype(np.int64)
    if _flare_inputs_valid(p0, o0, pain, omed):
        flare, pattern = flares_vectorised(np.repeat(np.arange(len(patients)), ends - starts), rel, pain, omed,
                                           p0, o0, last, options.flare)
        return pd.DataFrame({"patient_id": patients, "flare": flare, "pattern": pattern}, columns=columns)
    # Some value is out of range: the reference rule raises its own error naming it.
    entries = list(zip(rel.tolist(), pain.tolist(), _none(omed), strict=True))
    rows = []
    for i, pid in enumerate(patients.tolist()):
        result = detect_flare(float(p0[i]), float(o0[i]), entries[starts[i]:ends[i]], first_rt_day=0,
                              last_rt_day=int(last[i]), params=options.flare)
        rows.append((pid, int(result.flare), result.pattern))
    return pd.DataFrame(rows, columns=columns)


def _flare_inputs_valid(p0: np.ndarray, o0: np.ndarray, pain: np.ndarray, omed: np.ndarray) -> bool:
    """Whether :func:`palliro.core.pain.detect_flare` would accept every value (baselines finite, pain
    0–10, OMED ≥ 0; diary values may be missing)."""
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(p0).all() and ((p0 >= 0) & (p0 <= 10)).all() and np.isfinite(o0).all()
                    and (o0 >= 0).all() and not np.isinf(pain).any() and not ((pain < 0) | (pain > 10)).any()
                    and not np.isinf(omed).any() and not (omed < 0).any())


def flares_vectorised(patient: np.ndarray, day: np.ndarray, pain: np.ndarray, omed: np.ndarray, p0: np.ndarray,
                      o0: np.ndarray, last_rt_day: np.ndarray, params: FlareParameters) -> tuple[np.ndarray, np.ndarray]:
    """:func:`palliro.core.pain.detect_flare` for many patients at once (first RT day 0), on valid input.

    ``patient`` (0..k−1, sorted) and ``day`` (distinct per patient), ``pain``/``omed`` (NaN = missing) per
    diary entry; ``p0``, ``o0``, ``last_rt_day`` per patient. Returns (flare 0/1, pattern) per patient, with
    the same comparisons (and tolerance) as the per-patient rule: tests/research/test_fast_paths.py.
    """
    from palliro.core.pain import _EPS

    k = len(p0)
    bp, bo = p0[patient], o0[patient]
    window = (day >= 0) & (day <= last_rt_day[patient] + params.follow_up_days)
    with np.errstate(invalid="ignore"):
        known = ~np.isnan(pain) & ~np.isnan(omed)
        pain_arm = (pain - bp >= params.pain_increase - _EPS) & (omed >= bo - _EPS)
        omed_arm = (omed > bo) & (omed >= (1.0 + params.omed_increase_fraction) * bo - _EPS) & (pain >= bp)
        meets = window & known & (pain_arm | omed_arm)
        back = window & known & (pain <= bp) & (omed <= bo)
    # A criteria day starts an episode when the next consecutive_days − 1 days meet the criteria too.
    start = meets.copy()
    if params.consecutive_days > 1 and meets.any():
        span = int(day.max() - day.min()) + params.consecutive_days + 1
        key = patient.astype(np.int64) * span + (day - day.min())
        flagged = np.sort(key[meets])
        for step in range(1, params.consecutive_days):
            pos = np.searchsorted(flagged, key + step)
            start &= (pos < len(flagged)) & (flagged[np.minimum(pos, len(flagged) - 1)] == key + step)
    first = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first, patient[start], day[start].astype(np.int64))
    has_episode = first < np.iinfo(np.int64).max
    returned = np.zeros(k, dtype=bool)
    later = back & (day > first[patient])
    returned[patient[later]] = True
    flare = has_episode & (returned | (not params.require_return_to_baseline))
    pattern = np.where(~has_episode, "none", np.where(flare, "flare", "no_return")).astype(object)
    return flare.astype(int), pattern


def qol_frame(frame: pd.DataFrame, data: EndpointData, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Patient-answered observations with their time point (the invitation's step label), from raw rows.

    The reference for :func:`qol_sums`; needs ``data.observations`` with every answer (not what
    :func:`load_endpoint_data` loads).
    """
    obs = data.observations
    obs = obs[obs["respondent"] == "patient"]
    if codes:
        obs = obs[obs["code"].isin(codes)]
    else:
        obs = obs[obs["code"].str.startswith(QOL_PREFIX).astype(bool)]
    out = obs[["patient_id", "code", "value"]].copy()
    out["code"] = out["code"].astype(object)
    out["time_point"] = obs["step_label"].astype(object).fillna("unscheduled")
    return out


def qol_sums(data: EndpointData, codes: tuple[str, ...] | None = None, pooled: bool = False) -> pd.DataFrame:
    """Patient answers of the QoL codes (``codes``, default every :data:`QOL_PREFIX` code) as cells: one row
    per patient, code and time point with count, mean and M2 = Σ(x − mean)² (:data:`QOL_COLUMNS`); with
    ``pooled`` the loaded ``data.qol_pooled`` cells of those codes (:data:`POOLED_COLUMNS`)."""
    if not pooled and data.qol is None and data.pain_codes is not None:
        raise ValueError("QoL cells were not loaded (load_endpoint_data with qol=True)")
    if not pooled and data.qol is None:
        rows = qol_frame(None, data, codes)
        keys = ["patient_id", "code", "time_point"]
        mean = rows.groupby(keys, sort=False)["value"].transform("mean")
        cells = (rows.assign(dev=(rows["value"] - mean) ** 2).groupby(keys, as_index=False, sort=False)
                 .agg(n=("value", "size"), mean=("value", "mean"), m2=("dev", "sum")))
        return cells[QOL_COLUMNS]
    missing = [c for c in codes or () if not c.startswith(QOL_PREFIX) and c not in data.qol_codes]
    if missing:
        raise ValueError(f"QoL codes {missing} were not loaded (pass them to load_endpoint_data)")
    cells = data.qol_pooled if pooled else data.qol
    code = cells["code"].astype("category")
    names = pd.Series(code.cat.categories, dtype=object)
    wanted = names.isin(codes) if codes else names.str.startswith(QOL_PREFIX)
    return cells[wanted.to_numpy()[code.cat.codes.to_numpy()]].reset_index(drop=True)


def adherence_frame(data: EndpointData, now=None) -> pd.DataFrame:
    """Invitations already due (cancelled ones excluded): completed or not, by step label."""
    now = now or timezone.now()
    inv = data.invitations
    inv = inv[(inv["state"] != InvitationState.CANCELLED) & (pd.to_datetime(inv["due"], utc=True) <= now)].copy()
    inv["completed"] = (inv["state"] == InvitationState.COMPLETED).astype(int)
    return inv[["patient_id", "step_label", "completed"]]


def proxy_pairs(data: EndpointData) -> pd.DataFrame:
    """Same-day patient and proxy answers to the same item: item, patient value, proxy value.

    As loaded (paired in the database) or, for hand-built data, paired here from the raw rows.
    """
    columns = PAIR_COLUMNS
    if data.proxy is not None:
        return data.proxy
    obs = data.observations
    if obs.empty:
        return pd.DataFrame(columns=columns)
    # String work on the distinct codes only; rows carry an integer item number.
    code = obs["code"].astype("category")
    split = pd.Series(code.cat.categories, dtype=object).str.split("/", n=1, expand=True)
    if split.shape[1] < 2:
        return pd.DataFrame(columns=columns)
    instrument, item_id = split[0], split[1]
    proxy_instrument = instrument.str.endswith("-proxy").to_numpy(dtype=bool)
    item_of_code = (instrument.str.removesuffix("-proxy") + "/" + item_id).to_numpy(dtype=object)
    has_item = item_id.notna().to_numpy()
    item_numbers, item_names = pd.factorize(pd.Series(item_of_code[has_item], dtype=object))
    number_of_code = np.full(len(item_of_code), -1)
    number_of_code[has_item] = item_numbers
    codes = code.cat.codes.to_numpy()
    known = codes >= 0
    item = np.where(known, number_of_code[np.where(known, codes, 0)], -1)
    is_proxy_code = np.where(known, proxy_instrument[np.where(known, codes, 0)], False)
    respondent = obs["respondent"].astype(object).to_numpy()
    rows = pd.DataFrame({"patient_id": obs["patient_id"].to_numpy(), "item": item, "day": obs["day"].to_numpy(),
                         "value": obs["value"].to_numpy()})
    valid = item >= 0
    prx = rows[valid & (respondent == "proxy") & is_proxy_code]
    # Only patient answers that can have a proxy counterpart (same patient and item) need grouping.
    pat = rows[valid & (respondent == "patient") & ~is_proxy_code
               & np.isin(item, prx["item"].unique()) & rows["patient_id"].isin(prx["patient_id"].unique()).to_numpy()]
    # One value per person, item and day: the last answer of the day counts.
    keys = ["patient_id", "item", "day"]
    pat = pat.groupby(keys, as_index=False)["value"].last()
    prx = prx.groupby(keys, as_index=False)["value"].last()
    merged = pat.merge(prx, on=keys, suffixes=("_patient", "_proxy"))
    merged["item"] = np.asarray(item_names, dtype=object)[merged["item"].to_numpy()]
    merged = merged.sort_values(keys, kind="stable", ignore_index=True)
    return merged.rename(columns={"value_patient": "patient", "value_proxy": "proxy"})[columns]


__all__ = [
    "DIARY_CODE", "OMED_RULE", "PAIN_CODES", "QOL_PREFIX", "EndpointData", "EndpointOptions", "adherence_frame", "flare_frame",
    "load_endpoint_data", "load_qol_pooled", "omed_at", "pain_response_frame", "pool_cells", "proxy_pairs", "qol_frame", "qol_sums",
]
