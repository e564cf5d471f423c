"""The analysis store: columnar copies of the tables a cohort report reads, kept current by the change journal.

A report on 100 000 patients spends most of its time moving rows out of the database and turning them into
arrays (bench/README.md, cohort report). The store does that once per server process; before every report
it reads the change journal (:mod:`palliro.research.journal`) and re-reads only the rows it names, so a
report never sees rows older than its request. Derived results are computed from the copies by
:mod:`palliro.research.store_report`, with the same rules as the queries in :mod:`palliro.research.cohort`
and :mod:`palliro.research.endpoints` (tests/research/test_store.py compares the two on both databases).

Copies hold what the queries would return (raw values, dates as the driver gives them), so the pure
derivation code (:func:`~palliro.research.cohort.build_frame`, the endpoint rules) is shared. Observations,
the largest table, are held as plain arrays with integer-coded codes and respondents.

Each refresh builds new arrays and swaps them in (:class:`Snapshot` is never changed in place), so a report
running on another thread keeps a consistent snapshot. Refreshes are serialised per process by a lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from django.db import connections, transaction
from django.db.models import BigIntegerField, Func, Q

from palliro.clinic.models import AnalgesicRecord, Episode, RTCourse
from palliro.followup.models import Enrolment, Invitation, Observation
from palliro.research import journal
from palliro.research.cohort import COURSE_FIELDS, DATE_FIELDS, PATIENT_FIELDS, fetch_rows

logger = logging.getLogger(__name__)

STORE_COURSE_FIELDS = COURSE_FIELDS + PATIENT_FIELDS + ("patient__research_consent",)
EPISODE_FIELDS = ("id", "patient_id", "kind", "onset_date")
ENROLMENT_FIELDS = ("id", "patient_id", "protocol_id")
INVITATION_FIELDS = ("id", "patient_id", "step_label", "state", "due_at")
ANALGESIC_FIELDS = ("id", "patient_id", "recorded_on", "drug", "dose", "unit", "route", "doses_per_day",
                    "patient__site_id")
#: Above this many journal ranges for one table a refresh re-reads the whole table instead.
MAX_RANGES = 2000
#: A store not refreshed for this long reloads: the journal may have been pruned past its mark.
MAX_IDLE_SECONDS = journal.RETENTION.total_seconds() / 2
MICROS_PER_SECOND = 1_000_000


class StoreUnavailable(Exception):
    """The store cannot be used here (journal triggers missing, or inside a transaction)."""


class _EpochMicros(Func):
    """A PostgreSQL timestamp as integer microseconds since 1970 (UTC): exact, and cheap for the driver."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


@dataclass(frozen=True)
class ObservationArrays:
    """Every observation: one entry per row in each array. ``code``/``respondent`` index ``code_names`` /
    ``respondent_names``; ``at`` is microseconds since 1970 (UTC); ``invitation`` −1 where none."""

    id: np.ndarray
    patient: np.ndarray
    code: np.ndarray
    value: np.ndarray
    at: np.ndarray
    respondent: np.ndarray
    invitation: np.ndarray
    code_names: tuple[str, ...]
    respondent_names: tuple[str, ...]

    @property
    def seconds(self) -> np.ndarray:
        """Whole seconds since 1970 (UTC, rounded down) of each observation, as the queries read them
        (:class:`~palliro.research.localday.EpochSeconds`). The day of an answer is local to its patient's site
        and derived from these by :class:`~palliro.research.localday.SiteClock` (store_report), not held here:
        a site's zone or a patient's site may change without an observation changing."""
        return self.at // MICROS_PER_SECOND

    def take(self, mask_or_index) -> ObservationArrays:
        return replace(self, **{f: getattr(self, f)[mask_or_index] for f in _OBS_ARRAYS})


_OBS_ARRAYS = ("id", "patient", "code", "value", "at", "respondent", "invitation")


@dataclass(frozen=True)
class Snapshot:
    """The copies at one moment. Frames carry the query's raw columns. Courses: dates parsed (datetime64),
    columns with a NULL as object columns holding the driver's values (the rest typed), ``_first`` (the first
    fraction again) and ``_dose`` (float total dose). Invitations: ``due`` (naive UTC datetime64) instead of
    ``due_at``."""

    courses: pd.DataFrame
    episodes: pd.DataFrame
    enrolments: pd.DataFrame
    invitations: pd.DataFrame
    analgesics: pd.DataFrame
    observations: ObservationArrays
    vendor: str
    #: Results derived from this snapshot, computed once (store_report), keyed "<table>[+<table>…]:<name>" with
    #: the field names here of the tables they read; a refresh keeps those whose tables it did not change.
    derived: dict = field(default_factory=dict, compare=False, repr=False)


def _merged(ranges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, non-overlapping (lo, hi) arrays of the ranges."""
    ranges = sorted(ranges)
    los, his = [], []
    for lo, hi in ranges:
        if los and lo <= his[-1] + 1:
            his[-1] = max(his[-1], hi)
        else:
            los.append(lo)
            his.append(hi)
    return np.array(los, dtype=np.int64), np.array(his, dtype=np.int64)


def _in_ranges(values: np.ndarray, los: np.ndarray, his: np.ndarray) -> np.ndarray:
    if not len(los):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(los, values, side="right") - 1
    return (at >= 0) & (values <= his[np.maximum(at, 0)])


def _range_q(field: str, los: np.ndarray, his: np.ndarray) -> Q:
    singles = [int(lo) for lo, hi in zip(los, his, strict=True) if lo == hi]
    q = Q(**{f"{field}__in": singles}) if singles else Q(pk__in=[])
    for lo, hi in zip(los, his, strict=True):
        if lo != hi:
            q |= Q(**{f"{field}__range": (int(lo), int(hi))})
    return q


def _frame(rows: list[tuple], fields: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=list(fields))


def _parsed_dates(values: pd.Series) -> np.ndarray:
    from palliro.research.cohort import _dates

    return _dates(values).to_numpy(dtype="datetime64[ns]")


class AnalysisStore:
    """The copies of one database (one per server process and database alias)."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._mark: journal.Mark | None = None
        self._refreshed = 0.0
        self._max_obs_id = 0
        #: Ids of the journal entries in the current window already applied (PostgreSQL re-reads the window).
        self._applied: set[int] = set()
        #: How the last :meth:`current` went: "load", "refresh" or "unchanged", and the ranges applied.
        self.last_action = ""
        self.last_ranges = 0

    @property
    def connection(self):
        return connections[self.alias]

    def current(self) -> Snapshot:
        """The copies brought up to date with everything committed before this call."""
        connection = self.connection
        if connection.in_atomic_block:
            # Rows of this transaction are not committed: other requests' copies must never hold them.
            raise StoreUnavailable("inside a transaction")
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._refreshed > MAX_IDLE_SECONDS:
                self._load()
            else:
                self._refresh()
            self._refreshed = time.monotonic()
            return self._snapshot

    # Reading -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _consistent(self):
        """One transaction, one snapshot for the journal and the tables (REPEATABLE READ on PostgreSQL)."""
        with transaction.atomic(using=self.alias):
            if self.connection.vendor == "postgresql":
                with self.connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def _load(self) -> None:
        connection = self.connection
        if not journal.installed(connection):
            raise StoreUnavailable("the change journal's triggers are not installed")
        with self._consistent(), connection.cursor() as cursor:
            mark = journal.current_mark(cursor, connection.vendor)
            # Entries already visible are covered by this load; later looks skip them.
            found = journal.entries_since(cursor, connection.vendor, mark)
            applied = {entry[0] for entry in found[0]} if found else set()
            snapshot = Snapshot(
                courses=self._courses(RTCourse.objects.all()),
                episodes=self._plain(Episode.objects.all(), EPISODE_FIELDS, ("onset_date",)),
                enrolments=self._plain(Enrolment.objects.all(), ENROLMENT_FIELDS),
                invitations=self._invitations(Invitation.objects.all()),
                analgesics=self._plain(AnalgesicRecord.objects.all(), ANALGESIC_FIELDS, ("recorded_on",)),
                observations=self._observations(Observation.objects.all(), None),
                vendor=connection.vendor,
            )
        self._snapshot, self._mark, self._applied = snapshot, mark, applied
        self._max_obs_id = int(snapshot.observations.id.max()) if len(snapshot.observations.id) else 0
        self.last_action, self.last_ranges = "load", 0

    def _refresh(self) -> None:
        connection = self.connection
        snap = self._snapshot
        with self._consistent(), connection.cursor() as cursor:
            found = journal.entries_since(cursor, connection.vendor, self._mark)
            fresh = [] if found is None else [e for e in found[0] if e[0] not in self._applied]
            ranges: dict[str, list[tuple[int, int]]] = {}
            for _entry, table, lo, hi in fresh:
                ranges.setdefault(table, []).append((lo, hi))
            reload = found is None or "truncate" in ranges or any(len(r) > MAX_RANGES for r in ranges.values())
            if not reload:
                mark = found[1]
                # Every visible entry of the window is applied now; the next window starts at mark.xmin.
                applied = {e[0] for e in found[0]}
                merged = {name: _merged(r) for name, r in ranges.items()}
                new_obs = connection.vendor == "sqlite" and Observation.objects.filter(id__gt=self._max_obs_id).exists()
                if not merged and not new_obs:
                    self._mark, self._applied = mark, applied
                    self.last_action, self.last_ranges = "unchanged", 0
                    return
                snap = self._apply(snap, merged)
        if reload:
            self._load()
            return
        self._snapshot, self._mark, self._applied = snap, mark, applied
        if len(snap.observations.id):
            self._max_obs_id = max(self._max_obs_id, int(snap.observations.id.max()))
        self.last_action, self.last_ranges = "refresh", sum(len(v[0]) for v in merged.values())

    def _apply(self, snap: Snapshot, merged: dict[str, tuple[np.ndarray, np.ndarray]]) -> Snapshot:
        empty = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))
        changes = {}
        courses, patients = merged.get("course", empty), merged.get("patient", empty)
        if len(courses[0]) or len(patients[0]):
            frame = snap.courses
            stale = (_in_ranges(frame["id"].to_numpy(dtype=np.int64), *courses)
                     | _in_ranges(frame["patient_id"].to_numpy(dtype=np.int64), *patients))
            fresh = self._courses(RTCourse.objects.filter(_range_q("id", *courses) | _range_q("patient__id", *patients)))
            changes["courses"] = self._combined(frame[~stale], fresh)
        for name, attr, read in (
            ("episode", "episodes", lambda q: self._plain(Episode.objects.filter(q), EPISODE_FIELDS, ("onset_date",))),
            ("enrolment", "enrolments", lambda q: self._plain(Enrolment.objects.filter(q), ENROLMENT_FIELDS)),
            ("invitation", "invitations", lambda q: self._invitations(Invitation.objects.filter(q))),
            ("analgesic", "analgesics",
             lambda q: self._plain(AnalgesicRecord.objects.filter(q), ANALGESIC_FIELDS, ("recorded_on",))),
        ):
            if name in merged:
                frame = getattr(snap, attr)
                stale = _in_ranges(frame["id"].to_numpy(dtype=np.int64), *merged[name])
                changes[attr] = self._combined(frame[~stale], read(_range_q("id", *merged[name])))
        los, his = merged.get("observation", empty)
        new_rows = Q(id__gt=self._max_obs_id) if snap.vendor == "sqlite" else Q(pk__in=[])
        if len(los) or snap.vendor == "sqlite":
            obs = snap.observations
            kept = obs.take(~_in_ranges(obs.id, los, his))
            fresh = self._observations(Observation.objects.filter(_range_q("id", los, his) | new_rows), obs)
            changes["observations"] = _concat_observations(kept, fresh)
        # Derived results are keyed "<table>[+<table>…]:<name>": those of unchanged tables stay valid.
        derived = {k: v for k, v in snap.derived.items() if not set(k.partition(":")[0].split("+")) & set(changes)}
        return replace(snap, derived=derived, **changes)

    @staticmethod
    def _combined(kept: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
        if fresh.empty:
            return kept.reset_index(drop=True)
        if kept.empty:
            return fresh.reset_index(drop=True)
        # Column by column with numpy: a typed column meeting an object one (a NULL among the fresh rows) becomes
        # an object column of the same values; pandas' concat warns on all-NaT date columns.
        return pd.DataFrame({c: np.concatenate([kept[c].to_numpy(), fresh[c].to_numpy()]) for c in kept.columns})

    def _plain(self, queryset, fields, as_text=()) -> pd.DataFrame:
        return _frame(fetch_rows(queryset.order_by(), fields, as_text=as_text), fields)

    def _courses(self, queryset) -> pd.DataFrame:
        # Values kept as the driver returned them (object columns, None where NULL): a cohort's rows then get
        # the column types a query of just those rows would give (store_report.frame_from_store).
        rows = fetch_rows(queryset.order_by(), STORE_COURSE_FIELDS, as_text=DATE_FIELDS)
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(STORE_COURSE_FIELDS)
        frame = pd.DataFrame({name: pd.Series(list(values), dtype=object)
                              for name, values in zip(STORE_COURSE_FIELDS, columns, strict=True)})
        for name in STORE_COURSE_FIELDS:
            if name in DATE_FIELDS:
                # Parsed once here; build_frame takes parsed dates as they are.
                frame[name] = _parsed_dates(frame[name])
            elif len(frame) and not frame[name].isna().any():
                # A column without NULLs has the same type in every subset of its rows.
                frame[name] = frame[name].infer_objects()
        frame["_first"] = frame["first_fraction_date"]
        frame["_dose"] = frame["total_dose_gy"].astype(float)
        return frame

    def _invitations(self, queryset) -> pd.DataFrame:
        from palliro.research.endpoints import _utc_naive

        frame = _frame(fetch_rows(queryset.order_by(), INVITATION_FIELDS, as_text=("due_at",)), INVITATION_FIELDS)
        frame["due"] = _utc_naive(frame["due_at"]).to_numpy(dtype="datetime64[ns]") if len(frame) else (
            np.array([], dtype="datetime64[ns]"))
        # Only the parsed copy is kept: PostgreSQL's aware datetimes would be Python objects in every refresh.
        return frame.drop(columns=["due_at"])

    def _observations(self, queryset, previous: ObservationArrays | None) -> ObservationArrays:
        vendor = self.connection.vendor
        queryset = queryset.order_by()
        if vendor == "postgresql":
            queryset = queryset.annotate(_at=_EpochMicros("observed_at"))
            fields = ("id", "patient_id", "code", "value", "_at", "respondent", "response__invitation_id")
            rows = fetch_rows(queryset, fields)
        else:
            fields = ("id", "patient_id", "code", "value", "observed_at", "respondent", "response__invitation_id")
            rows = fetch_rows(queryset, fields, as_text=("observed_at",))
        frame = pd.DataFrame.from_records(rows, columns=["id", "patient", "code", "value", "at", "respondent",
                                                         "invitation"])
        if vendor != "postgresql" and len(frame):
            parsed = pd.to_datetime(frame["at"], utc=True, format="ISO8601").dt.tz_convert(None)
            frame["at"] = parsed.to_numpy(dtype="datetime64[us]").astype(np.int64)
        code_names = list(previous.code_names) if previous else []
        respondent_names = list(previous.respondent_names) if previous else []
        return ObservationArrays(
            id=frame["id"].to_numpy(dtype=np.int64),
            patient=frame["patient"].to_numpy(dtype=np.int64),
            code=_coded(frame["code"], code_names).astype(np.int32),
            value=frame["value"].to_numpy(dtype=float),
            at=frame["at"].to_numpy(dtype=np.int64),
            respondent=_coded(frame["respondent"], respondent_names).astype(np.int8),
            invitation=pd.array(frame["invitation"], dtype="Int64").fillna(-1).to_numpy(dtype=np.int64),
            code_names=tuple(code_names),
            respondent_names=tuple(respondent_names),
        )


def _coded(values: pd.Series, names: list[str]) -> np.ndarray:
    """Integer codes of ``values`` in ``names``, appending names not seen before (``names`` is extended)."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    index = {name: i for i, name in enumerate(names)}
    for name in distinct:
        if name not in index:
            index[name] = len(names)
            names.append(name)
    lookup = np.array([index[name] for name in distinct], dtype=np.int64)
    return lookup[codes] if len(codes) else np.array([], dtype=np.int64)


def _concat_observations(kept: ObservationArrays, fresh: ObservationArrays) -> ObservationArrays:
    """``kept`` and ``fresh`` (read with ``kept``'s names, so its names extend them) as one set of arrays."""
    joined = {f: np.concatenate([getattr(kept, f), getattr(fresh, f)]) for f in _OBS_ARRAYS}
    return ObservationArrays(**joined, code_names=fresh.code_names, respondent_names=fresh.respondent_names)


_stores: dict[str, AnalysisStore] = {}
_stores_lock = threading.Lock()


def analysis_store(alias: str = "default") -> AnalysisStore:
    """This process's store for a database alias."""
    with _stores_lock:
        if alias not in _stores:
            _stores[alias] = AnalysisStore(alias)
        return _stores[alias]


def warm(alias: str = "default") -> bool:
    """Load this process's store now (``palliro serve`` does so before forking its web workers, which then
    share the copies); returns whether it could. A database without the journal only logs a warning."""
    from django.db import DatabaseError

    try:
        analysis_store(alias).current()
    except (StoreUnavailable, DatabaseError) as exc:
        logger.warning("Analysis store not loaded at start-up: %s", exc)
        return False
    return True


def reset_stores() -> None:
    """Forget every copy (tests, and after the database is replaced underneath the process)."""
    with _stores_lock:
        _stores.clear()


__all__ = ["AnalysisStore", "ObservationArrays", "Snapshot", "StoreUnavailable", "analysis_store", "reset_stores",
           "warm"]
