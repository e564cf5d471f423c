"""A cohort's frame and endpoint data from the analysis store's copies (:mod:`palliro.research.store`).

Each function gives what its query-based counterpart gives — :func:`~palliro.research.cohort.cohort_frame`,
:func:`~palliro.research.endpoints.load_endpoint_data` (with ``qol=False``) and
:func:`~palliro.research.endpoints.load_qol_pooled` — from the copies instead of the database, with the same
rules and the same row order where a rule depends on it (tests/research/test_store.py compares them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from palliro.research.alive import DEFAULT_ALIVE_EVIDENCE, PROOF_OF_LIFE_RESPONDENTS
from palliro.research.cohort import (
    IDENTIFYING,
    ROW_FIELDS,
    CohortFrame,
    analysis_date,
    build_frame,
    earliest_course_positions,
    with_alive_evidence,
)
from palliro.research.endpoints import (
    DIARY_CODE,
    PAIN_CODES,
    PAIR_COLUMNS,
    POOLED_COLUMNS,
    QOL_PREFIX,
    EndpointData,
    _proxy_item,
    _step_labels,
    diary_answer_seconds,
    omed_totals,
    paired_rows,
    pool_cells,
)
from palliro.research.localday import SiteClock
from palliro.research.store import MICROS_PER_SECOND, Snapshot


def _isin(values, allowed) -> np.ndarray:
    return pd.Series(values).isin(list(allowed)).to_numpy()


def cohort_rows(snap: Snapshot, cohort, staff) -> pd.DataFrame:
    """The store's course rows matching the cohort's filters that the viewer may see
    (:func:`~palliro.research.cohort.cohort_courses`)."""
    c = snap.courses
    site = c["patient__site_id"].to_numpy()
    consent = c["patient__research_consent"].to_numpy(dtype=bool)
    keep = _isin(site, staff.care_site_ids) | (_isin(site, staff.research_site_ids) & consent)
    site_ids = set(cohort.sites.values_list("id", flat=True)) & set(staff.all_site_ids)
    keep &= _isin(site, site_ids)
    first = c["_first"].to_numpy(dtype="datetime64[ns]")
    keep &= np.isnat(first) | (first <= np.datetime64(analysis_date(), "ns"))  # booked courses have not started
    if cohort.first_fraction_from:
        keep &= first >= np.datetime64(cohort.first_fraction_from, "ns")
    if cohort.first_fraction_to:
        keep &= first <= np.datetime64(cohort.first_fraction_to, "ns")
    for values, column in ((cohort.indications, "indication"), (cohort.techniques, "technique"),
                           (cohort.tumours, "patient__primary_tumour")):
        if values:
            keep &= _isin(c[column].to_numpy(), values)
    if cohort.regimen_fractions:
        keep &= (c["_dose"].to_numpy() == float(cohort.regimen_total_dose_gy)) & (
            c["fractions_planned"].to_numpy() == cohort.regimen_fractions)
    if cohort.protocol_id:
        e = snap.enrolments
        enrolled = e.loc[e["protocol_id"] == cohort.protocol_id, "patient_id"].unique()
        keep &= _isin(c["patient_id"].to_numpy(), enrolled)
    return c[keep]


def _query_order(rows: pd.DataFrame, vendor: str) -> pd.DataFrame:
    """Rows in the courses' default order (first fraction descending, then id descending), with courses
    without a first fraction where the database puts NULL in a descending sort (first on PostgreSQL)."""
    first = rows["_first"].to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(first)
    key = np.where(missing, 0, first.view(np.int64))
    order = np.lexsort((-rows["id"].to_numpy(dtype=np.int64), -key, ~missing if vendor == "postgresql" else missing))
    return rows.iloc[order]


def _first_episodes(snap: Snapshot) -> pd.DataFrame:
    """Each patient's first onset per episode kind (patient_id, kind, first), once per snapshot."""
    if "episodes:first" not in snap.derived:
        e = snap.episodes
        firsts = e.groupby(["patient_id", "kind"], sort=False)["onset_date"].min()
        snap.derived["episodes:first"] = pd.DataFrame({
            "patient_id": firsts.index.get_level_values(0), "kind": firsts.index.get_level_values(1),
            "first": firsts.to_numpy()})
    return snap.derived["episodes:first"]


#: Columns of the frame whose type depends on which rows it holds (a NULL among them or not), as
#: DataFrame.from_records infers it for a query's rows: passed through from the query, and after
#: ``pd.to_numeric``. The metastatic-site flags are bool or object likewise. Everything else in the frame
#: has one type whatever the rows (tests/research/test_store.py compares the two paths column by column).
PASSED_THROUGH = ("fractions_delivered", "couch_minutes")
NUMERIC = ("kps", "ecog")
SITE_FLAGS = ("bone_only_metastases", "liver_metastases", "visceral_metastases")


def _all_courses_frame(snap: Snapshot) -> pd.DataFrame:
    """``build_frame`` of every course (by courses, in store order), once per snapshot of courses and episodes:
    each derived value depends on its own row (and its patient's episodes) only."""
    key = "courses+episodes:frame"
    if key not in snap.derived:
        rows = snap.courses[ROW_FIELDS].infer_objects()
        episodes = list(_first_episodes(snap).itertuples(index=False, name=None))
        snap.derived[key] = build_frame(rows, episodes, "courses").frame
    return snap.derived[key]


def latest_own_answers_from_store(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~palliro.research.alive.latest_own_answers` of every patient from the copied observations, once per
    snapshot of observations: (patient ids, whole seconds since 1970 UTC of their latest own answer)."""
    key = "observations:latest_own_answers"
    if key not in snap.derived:
        o = snap.observations
        codes = [i for i, name in enumerate(o.respondent_names) if name in PROOF_OF_LIFE_RESPONDENTS]
        own = np.isin(o.respondent, codes)
        patients, seconds = o.patient[own], o.at[own] // MICROS_PER_SECOND
        # Each patient's largest second in a table by patient id: ufunc.at takes 7 ms for 10⁶ answers where a
        # sort by (patient, second) takes 340 ms, and this runs again after every new answer.
        missing = np.iinfo(np.int64).min
        latest = np.full(int(patients.max()) + 1 if len(patients) else 0, missing, dtype=np.int64)
        np.maximum.at(latest, patients, seconds)
        ids = np.flatnonzero(latest != missing)
        snap.derived[key] = (ids.astype(np.int64), latest[ids])
    return snap.derived[key]


def frame_from_store(snap: Snapshot, cohort, staff, alive_evidence: str = DEFAULT_ALIVE_EVIDENCE) -> CohortFrame:
    """:func:`~palliro.research.cohort.cohort_frame` from the copies: the cohort's rows of the all-courses frame,
    with the row-dependent column types set as a query of just these rows would give them, and follow-up under
    ``alive_evidence`` from the copied observations."""
    rows = cohort_rows(snap, cohort, staff)
    if not len(rows):
        empty = pd.DataFrame(columns=ROW_FIELDS).astype(object)
        return with_alive_evidence(build_frame(empty, [], cohort.unit), [], [], alive_evidence)
    n_matched = len(rows)
    if cohort.unit == "patients":
        # As build_frame picks them (the store's ``_first`` is the parsed first fraction).
        rows = rows.iloc[earliest_course_positions(rows["_first"], rows["patient_id"], rows["id"])]
    else:
        rows = _query_order(rows, snap.vendor)
    positions = snap.courses.index.get_indexer(rows.index)
    frame = _all_courses_frame(snap).take(positions)
    frame.index = pd.RangeIndex(len(frame))
    for column in PASSED_THROUGH + NUMERIC:
        stored = column if column in PASSED_THROUGH else f"patient__{column}"
        raw = pd.Series(rows[stored].to_numpy(dtype=object), index=frame.index).infer_objects()
        frame[column] = pd.to_numeric(raw) if column in NUMERIC else raw
    for column in SITE_FLAGS:
        frame[column] = pd.Series(frame[column].to_numpy(dtype=object), index=frame.index).infer_objects()
    built = with_alive_evidence(CohortFrame(frame, n_matched, 0), *latest_own_answers_from_store(snap), alive_evidence)
    assert not (IDENTIFYING & set(built.frame.columns))
    return built


def _patients_mask(patients: np.ndarray, ids) -> np.ndarray:
    """Which entries of ``patients`` are among ``ids`` (a look-up table by id: faster than isin on 10⁶ rows)."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids) or not len(patients):
        return np.zeros(len(patients), dtype=bool)
    size = int(max(ids.max(), patients.max())) + 1
    table = np.zeros(size, dtype=bool)
    table[ids] = True
    return table[patients]


def _code_mask(snap: Snapshot, wanted) -> np.ndarray:
    names = np.array(snap.observations.code_names, dtype=object)
    return np.asarray([wanted(n) for n in names], dtype=bool) if len(names) else np.zeros(0, dtype=bool)


def _respondent(snap: Snapshot, name: str) -> int:
    names = snap.observations.respondent_names
    return names.index(name) if name in names else -1


def _clock(snap: Snapshot) -> SiteClock:
    """Local days of answers by the zone of each patient's site (the copies' course rows carry every cohort
    patient's site; the sites' zones are read afresh, as the queries read them)."""
    c = snap.courses
    return SiteClock(lambda: (c["patient_id"].to_numpy(dtype=np.int64), c["patient__site_id"].to_numpy(dtype=np.int64)))


def endpoint_data_from_store(snap: Snapshot, patient_ids, pain_codes: tuple[str, ...] = PAIN_CODES,
                             qol_codes: tuple[str, ...] = ()) -> EndpointData:
    """:func:`~palliro.research.endpoints.load_endpoint_data` with ``qol=False`` from the copies (``qol_codes``
    as there: the QoL codes outside QOL_PREFIX that pooled cells will hold)."""
    pain_codes = tuple(pain_codes)
    qol_codes = tuple(c for c in qol_codes if not c.startswith(QOL_PREFIX))
    pids = np.unique(np.asarray(patient_ids, dtype=np.int64))
    inv = snap.invitations
    inv = inv[_patients_mask(inv["patient_id"].to_numpy(dtype=np.int64), pids)]
    order = np.lexsort((inv["id"].to_numpy(dtype=np.int64), inv["due"].to_numpy(dtype="datetime64[ns]")))
    inv = inv.iloc[order]
    inv = pd.DataFrame({"id": inv["id"].to_numpy(), "patient_id": inv["patient_id"].to_numpy(),
                        "step_label": inv["step_label"].to_numpy(dtype=object),
                        "state": inv["state"].to_numpy(dtype=object),
                        "due": pd.to_datetime(inv["due"].to_numpy(dtype="datetime64[ns]")).tz_localize("UTC")})
    loaded_codes = sorted({*pain_codes, DIARY_CODE})
    o = snap.observations
    mine = _patients_mask(o.patient, pids)
    code_ok = _code_mask(snap, lambda n: n in loaded_codes)
    sel = o.take(mine & code_ok[o.code] if len(code_ok) else mine & False)
    # The queries return observations in their default order, (observed_at, id): flare and proxy rules use it.
    sel = sel.take(np.lexsort((sel.id, sel.at)))
    clock = _clock(snap)
    codes = np.array(o.code_names, dtype=object)[sel.code] if len(sel.id) else np.array([], dtype=object)
    respondents = (np.array(o.respondent_names, dtype=object)[sel.respondent] if len(sel.id)
                   else np.array([], dtype=object))
    obs = pd.DataFrame({"patient_id": sel.patient, "code": codes, "value": sel.value.astype(float),
                        "respondent": respondents,
                        "step_label": _step_labels(pd.Series(sel.invitation), inv).to_numpy(dtype=object),
                        "day": clock.days(sel.patient, diary_answer_seconds(codes, sel.invitation, sel.seconds, inv))})
    for col in ("code", "respondent", "step_label"):
        obs[col] = obs[col].astype("category")
    answered = np.unique(sel.patient)
    a = snap.analgesics
    a = a[_patients_mask(a["patient_id"].to_numpy(dtype=np.int64), answered)]
    records = pd.DataFrame({"patient_id": a["patient_id"].to_numpy(), "day": a["recorded_on"].to_numpy(),
                            "drug": a["drug"].to_numpy(), "dose": a["dose"].to_numpy(), "unit": a["unit"].to_numpy(),
                            "route": a["route"].to_numpy(), "doses_per_day": a["doses_per_day"].to_numpy(),
                            "table": a["patient__site_id"].to_numpy()})
    omed = omed_totals(records)
    pairs = proxy_pairs_from_store(snap, pids, clock)
    return EndpointData(obs, omed, inv.drop(columns=["id"]), None, pairs, pain_codes, qol_codes)


def proxy_pairs_from_store(snap: Snapshot, pids: np.ndarray, clock: SiteClock | None = None) -> pd.DataFrame:
    """Same-day patient/proxy pairs (:func:`~palliro.research.endpoints._load_proxy_pairs`) from the copies: both
    answers on the same local day of the patient's site."""
    o = snap.observations
    names = o.code_names
    items = {c: item for c in sorted(names) if (item := _proxy_item(c)) is not None}
    proxy_resp, patient_resp = _respondent(snap, "proxy"), _respondent(snap, "patient")
    if not items or proxy_resp < 0 or patient_resp < 0:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    index = {n: i for i, n in enumerate(names)}
    item_of = np.full(len(names), -1, dtype=np.int64)
    for code, item in items.items():
        item_of[index[code]] = index.get(item, -1)
    mine = _patients_mask(o.patient, pids)
    proxy = o.take(mine & (o.respondent == proxy_resp) & (item_of[o.code] >= 0))
    if not len(proxy.id):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    own_codes = np.zeros(len(names), dtype=bool)
    own_codes[item_of[item_of >= 0]] = True
    own = o.take(_patients_mask(o.patient, np.unique(proxy.patient)) & (o.respondent == patient_resp)
                 & own_codes[o.code])
    clock = clock or _clock(snap)
    # Local days as integers (days since 1970) for the merge.
    p_day = clock.days(proxy.patient, proxy.seconds).astype("datetime64[D]").astype(np.int64)
    o_day = clock.days(own.patient, own.seconds).astype("datetime64[D]").astype(np.int64)
    p = pd.DataFrame({"patient_id": proxy.patient, "code": item_of[proxy.code], "d": p_day,
                      "proxy": proxy.value, "proxy_id": proxy.id, "p_at": proxy.at})
    q = pd.DataFrame({"patient_id": own.patient, "code": own.code, "d": o_day, "patient": own.value,
                      "o_id": own.id, "o_at": own.at})
    joined = p.merge(q, on=["patient_id", "code", "d"], how="inner")
    joined = joined.sort_values(["p_at", "proxy_id", "o_at", "o_id"], kind="stable")
    rows = pd.DataFrame({
        "patient_id": joined["patient_id"].to_numpy(),
        "item": np.array(names, dtype=object)[joined["code"].to_numpy()] if len(joined) else np.array([], dtype=object),
        "day": pd.Series(joined["d"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")),
        "patient": joined["patient"].to_numpy(), "proxy": joined["proxy"].to_numpy(),
        "proxy_id": joined["proxy_id"].to_numpy(),
    })
    return paired_rows(rows, items)


def qol_pooled_from_store(snap: Snapshot, groups: pd.Series, codes: tuple[str, ...] = ()) -> pd.DataFrame:
    """:func:`~palliro.research.endpoints.load_qol_pooled` from the copies: count, mean and M2 per code,
    report group and time point, with M2 from deviations about the cell's own mean (two passes)."""
    if groups.empty:
        return pd.DataFrame(columns=POOLED_COLUMNS)
    extra = {c for c in codes if not c.startswith(QOL_PREFIX)}
    o = snap.observations
    code_ok = _code_mask(snap, lambda n: n.startswith(QOL_PREFIX) or n in extra)
    patient_resp = _respondent(snap, "patient")
    if not len(code_ok) or patient_resp < 0:
        return pd.DataFrame(columns=POOLED_COLUMNS)
    labels = groups.astype(str).astype("category")
    pids = groups.index.to_numpy().astype(np.int64)
    sel = o.take(_patients_mask(o.patient, pids) & code_ok[o.code] & (o.respondent == patient_resp))
    if not len(sel.id):
        return pd.DataFrame(columns=POOLED_COLUMNS)
    size = int(max(pids.max(), sel.patient.max())) + 1
    group_of = np.full(size, -1, dtype=np.int64)
    group_of[pids] = labels.cat.codes.to_numpy().astype(np.int64)
    grp = group_of[sel.patient]
    # Time point: the invitation's step label ("unscheduled" without an invitation or label).
    inv = snap.invitations
    inv_ids = inv["id"].to_numpy(dtype=np.int64)
    order = np.argsort(inv_ids, kind="stable")
    step_codes, step_names = pd.factorize(pd.Series(inv["step_label"].to_numpy(dtype=object)).fillna("unscheduled"))
    step_names = list(step_names)
    if "unscheduled" not in step_names:
        step_names.append("unscheduled")
    unscheduled = step_names.index("unscheduled")
    sorted_ids = inv_ids[order]
    pos = np.searchsorted(sorted_ids, sel.invitation)
    found = pos < len(sorted_ids)
    found[found] = sorted_ids[pos[found]] == sel.invitation[found]  # −1 (no invitation) matches no id
    step = np.full(len(sel.id), unscheduled, dtype=np.int64)
    step[found] = step_codes[order][pos[found]]
    n_steps, n_groups = len(step_names), len(labels.cat.categories)
    key = (sel.code.astype(np.int64) * n_steps + step) * n_groups + grp
    cells, inverse = np.unique(key, return_inverse=True)
    n = np.bincount(inverse)
    mean = np.bincount(inverse, weights=sel.value) / n
    m2 = np.bincount(inverse, weights=(sel.value - mean[inverse]) ** 2)
    lo = pd.Series(sel.value).groupby(inverse).min().to_numpy()
    hi = pd.Series(sel.value).groupby(inverse).max().to_numpy()
    constant = lo == hi
    mean = np.where(constant, lo, mean)
    m2 = np.where(constant, 0.0, m2)
    code_idx, rest = np.divmod(cells, n_steps * n_groups)
    step_idx, group_idx = np.divmod(rest, n_groups)
    out = pd.DataFrame({
        "code": np.array(o.code_names, dtype=object)[code_idx],
        "group": np.asarray(labels.cat.categories, dtype=object)[group_idx],
        "time_point": np.array(step_names, dtype=object)[step_idx],
        "n": n.astype(np.int64), "mean": mean, "m2": m2,
    })[POOLED_COLUMNS]
    if out.duplicated(["code", "group", "time_point"]).any():
        out = pool_cells(out, ["code", "group", "time_point"])
    return out.reset_index(drop=True)


__all__ = ["cohort_rows", "endpoint_data_from_store", "frame_from_store", "latest_own_answers_from_store",
           "proxy_pairs_from_store", "qol_pooled_from_store"]
