"""Patient-reported endpoints for a cohort: pain response, pain flare, QoL means, adherence, proxy agreement.

Everything is loaded with a handful of ``.values()`` queries restricted to the cohort's patients and
then computed in pandas / :mod:`palliro.core` / :mod:`palliro.stats`.

Rules (named parameters with documented defaults; none is a published definition unless cited):

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
  ``<instrument>-proxy/<item>``) for the same patient on the same calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.utils import timezone

from palliro.clinic.analgesia import record_omed
from palliro.clinic.models import AnalgesicRecord
from palliro.core.pain import FlareParameters, ICEParameters, classify_response, detect_flare
from palliro.followup.models import Invitation, InvitationState, Observation
from palliro.research.cohort import fetch_rows as _fetch

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


@dataclass(frozen=True)
class EndpointData:
    """Raw per-patient rows for the endpoints (pseudonymised: keyed by the frame's patient_id)."""

    observations: pd.DataFrame  # patient_id, code, value, day (date), respondent, step_label
    omed: pd.DataFrame  # patient_id, day (date), mg (float or NaN)
    invitations: pd.DataFrame  # patient_id, step_label, state, due


def _utc_naive(values: pd.Series) -> pd.Series:
    # SQLite returns UTC text (with or without microseconds), PostgreSQL aware datetimes.
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_convert(None)


def _day(values: pd.Series) -> pd.Series:
    """Calendar day (UTC) as midnight timestamps from "YYYY-MM-DD" text (SQLite) or aware datetimes."""
    if len(values) and isinstance(values.iloc[0], str):
        codes, distinct = pd.factorize(values)  # a few hundred distinct days: parse each once
        parsed = pd.to_datetime(pd.Series(distinct), format="%Y-%m-%d").to_numpy()
        return pd.Series(parsed[codes], index=values.index)
    return _utc_naive(values).dt.normalize()


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


def load_endpoint_data(ids) -> EndpointData:
    """Three queries: observations, analgesic records and invitations of the given patients.

    ``ids``: a list of patient ids or, for large cohorts, a ``.values("patient_id")`` queryset (then the
    filter is a sub-query and no id list is sent to the database).
    """
    obs = pd.DataFrame.from_records(
        _fetch(Observation.objects.filter(patient_id__in=ids),
               ("patient_id", "code", "value", "observed_at", "respondent", "response__invitation_id"),
               as_day=("observed_at",)),
        columns=["patient_id", "code", "value", "day", "respondent", "invitation_id"],
    )
    obs["value"] = obs["value"].astype(float)
    obs["day"] = _day(obs["day"])
    records = pd.DataFrame.from_records(
        _fetch(AnalgesicRecord.objects.filter(patient_id__in=ids),
               ("patient_id", "recorded_on", "drug", "dose", "unit", "route", "doses_per_day",
                "patient__site__omed_table"), as_text=("recorded_on",)),
        columns=["patient_id", "day", "drug", "dose", "unit", "route", "doses_per_day", "table"],
    )
    omed = pd.DataFrame({"patient_id": records["patient_id"], "day": pd.to_datetime(records["day"]),
                         "mg": _omed_per_day(records)})
    # A day with a non-convertible record has an unknown total, not a smaller one.
    omed["unknown"] = omed["mg"].isna()
    omed = omed.groupby(["patient_id", "day"], as_index=False).agg(mg=("mg", "sum"), unknown=("unknown", "any"))
    omed.loc[omed["unknown"], "mg"] = np.nan
    omed = omed.drop(columns=["unknown"])
    inv = pd.DataFrame.from_records(
        _fetch(Invitation.objects.filter(patient_id__in=ids), ("id", "patient_id", "step_label", "state", "due_at"),
               as_text=("due_at",)),
        columns=["id", "patient_id", "step_label", "state", "due"],
    )
    inv["due"] = _utc_naive(inv["due"]).dt.tz_localize("UTC")
    # The step label of an answer is its invitation's: looked up in the patients' invitations loaded here
    # rather than joined per observation row.
    obs.insert(5, "step_label", obs.pop("invitation_id").map(inv.set_index("id")["step_label"]))
    # Few distinct codes, respondents and step labels over a million rows: string tests run per category.
    for col in ("code", "respondent", "step_label"):
        obs[col] = obs[col].astype("category")
    obs = obs[["patient_id", "code", "value", "respondent", "step_label", "day"]]
    inv = inv.drop(columns=["id"])
    return EndpointData(obs, omed, inv)


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
    first = frame.drop_duplicates("patient_id").set_index("patient_id")["first_fraction_date"]
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
    per = frame.drop_duplicates("patient_id").set_index("patient_id")
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
    entries = list(zip(diary["rel"].tolist(), diary["value"].astype(float).tolist(),
                       _none(diary["omed"].to_numpy()), strict=True))
    patients = pids[starts]
    first_day = per["first_fraction_date"].reindex(patients)
    last_rel = ((per["last_fraction_date"].reindex(patients) - first_day).dt.days).fillna(0).clip(lower=0)
    p0 = base["value"].reindex(patients).astype(float).tolist()
    o0 = base["o0"].reindex(patients).astype(float).tolist()
    rows = []
    for i, pid in enumerate(patients.tolist()):
        result = detect_flare(p0[i], o0[i], entries[starts[i]:ends[i]], first_rt_day=0,
                              last_rt_day=int(last_rel.iat[i]), params=options.flare)
        rows.append((pid, int(result.flare), result.pattern))
    return pd.DataFrame(rows, columns=columns)


def qol_frame(frame: pd.DataFrame, data: EndpointData, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Patient-answered observations with their time point (the invitation's step label)."""
    obs = data.observations
    obs = obs[obs["respondent"] == "patient"]
    if codes:
        obs = obs[obs["code"].isin(codes)]
    else:
        obs = obs[obs["code"].str.startswith("palliro-general/").astype(bool)]
    out = obs[["patient_id", "code", "value"]].copy()
    out["code"] = out["code"].astype(object)
    out["time_point"] = obs["step_label"].astype(object).fillna("unscheduled")
    return out


def adherence_frame(data: EndpointData, now=None) -> pd.DataFrame:
    """Invitations already due (cancelled ones excluded): completed or not, by step label."""
    now = now or timezone.now()
    inv = data.invitations
    inv = inv[(inv["state"] != InvitationState.CANCELLED) & (pd.to_datetime(inv["due"], utc=True) <= now)].copy()
    inv["completed"] = (inv["state"] == InvitationState.COMPLETED).astype(int)
    return inv[["patient_id", "step_label", "completed"]]


def proxy_pairs(data: EndpointData) -> pd.DataFrame:
    """Same-day patient and proxy answers to the same item: item, patient value, proxy value."""
    columns = ["patient_id", "item", "day", "patient", "proxy"]
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
    "DIARY_CODE", "OMED_RULE", "PAIN_CODES", "EndpointData", "EndpointOptions", "adherence_frame", "flare_frame",
    "load_endpoint_data", "omed_at", "pain_response_frame", "proxy_pairs", "qol_frame",
]
