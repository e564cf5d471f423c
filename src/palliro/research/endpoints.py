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
from datetime import timedelta

import numpy as np
import pandas as pd
from django.utils import timezone

from palliro.clinic.analgesia import record_omed
from palliro.clinic.models import AnalgesicRecord
from palliro.core.pain import FlareParameters, ICEParameters, classify_response, detect_flare
from palliro.followup.models import Invitation, InvitationState, Observation

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


def load_endpoint_data(ids) -> EndpointData:
    """Three queries: observations, analgesic records and invitations of the given patients.

    ``ids``: a list of patient ids or, for large cohorts, a ``.values("patient_id")`` queryset (then the
    filter is a sub-query and no id list is sent to the database).
    """
    obs = pd.DataFrame.from_records(
        list(
            Observation.objects.filter(patient_id__in=ids).values_list(
                "patient_id", "code", "value", "observed_at", "respondent", "response__invitation__step_label"
            )
        ),
        columns=["patient_id", "code", "value", "observed_at", "respondent", "step_label"],
    )
    obs["day"] = pd.to_datetime(obs["observed_at"], utc=True).dt.tz_convert(None).dt.normalize()
    obs = obs.drop(columns=["observed_at"])
    records = list(
        AnalgesicRecord.objects.filter(patient_id__in=ids).values_list(
            "patient_id", "recorded_on", "drug", "dose", "unit", "route", "doses_per_day", "patient__site__omed_table"
        )
    )
    omed_rows, cache = [], {}
    for pid, day, *key in records:
        # Prescriptions repeat: convert each distinct (drug, dose, unit, route, frequency, table) once.
        key = tuple(key)
        if key not in cache:
            cache[key] = record_omed(*key).mg_per_day
        omed_rows.append((pid, day, cache[key]))
    omed = pd.DataFrame(omed_rows, columns=["patient_id", "day", "mg"])
    omed["day"] = pd.to_datetime(omed["day"])
    # A day with a non-convertible record has an unknown total, not a smaller one.
    omed["unknown"] = omed["mg"].isna()
    omed = omed.groupby(["patient_id", "day"], as_index=False).agg(mg=("mg", "sum"), unknown=("unknown", "any"))
    omed.loc[omed["unknown"], "mg"] = np.nan
    omed = omed.drop(columns=["unknown"])
    inv = pd.DataFrame.from_records(
        list(Invitation.objects.filter(patient_id__in=ids).values_list("patient_id", "step_label", "state", "due_at")),
        columns=["patient_id", "step_label", "state", "due"],
    )
    return EndpointData(obs, omed, inv)


def _omed_lookup(omed: pd.DataFrame, lookback: int):
    """``at(patient_id, day)`` -> OMED by :data:`OMED_RULE`, on sorted arrays (no per-patient frames)."""
    o = omed.sort_values(["patient_id", "day"])
    pids = o["patient_id"].to_numpy()
    days = o["day"].to_numpy(dtype="datetime64[ns]")
    mg = o["mg"].to_numpy(dtype=float)
    window = np.timedelta64(lookback, "D")

    def at(pid, day):
        if pd.isna(day):
            return None
        lo, hi = np.searchsorted(pids, pid, "left"), np.searchsorted(pids, pid, "right")
        when = np.datetime64(pd.Timestamp(day).to_datetime64(), "ns")
        i = lo + int(np.searchsorted(days[lo:hi], when, "right")) - 1
        if i < lo or when - days[i] > window or np.isnan(mg[i]):
            return None
        return float(mg[i])

    return at


def pain_response_frame(frame: pd.DataFrame, data: EndpointData, options: EndpointOptions) -> pd.DataFrame:
    """One row per (patient, time point): baseline and follow-up pain and OMED, ICE category."""
    first = frame.drop_duplicates("patient_id").set_index("patient_id")["first_fraction_date"]
    obs = data.observations
    pain = obs[obs["code"].isin(options.pain_codes) & (obs["respondent"] == "patient")].copy()
    pain["first"] = pain["patient_id"].map(first)
    pain = pain[pain["first"].notna()]
    pain["offset"] = (pain["day"] - pain["first"]).dt.days
    omed_at = _omed_lookup(data.omed, options.omed_lookback_days)
    base = pain[(pain["offset"] <= 0) & (pain["offset"] >= -options.baseline_days)]
    base = base.sort_values(["patient_id", "offset"]).drop_duplicates("patient_id", keep="last").set_index("patient_id")
    rows = []
    for week in options.weeks:
        target = 7 * week
        near = pain[(pain["offset"] - target).abs() <= options.window_days].copy()
        near["dist"] = (near["offset"] - target).abs()
        near = near.sort_values(["patient_id", "dist", "offset"]).drop_duplicates("patient_id")
        for rec in near.itertuples():
            if rec.patient_id not in base.index:
                p0 = o0 = None
            else:
                b = base.loc[rec.patient_id]
                p0, o0 = float(b["value"]), omed_at(rec.patient_id, b["day"])
            ot = omed_at(rec.patient_id, rec.day)
            result = classify_response(p0, o0, float(rec.value), ot, options.ice)
            rows.append((rec.patient_id, f"week {week}", week, p0, o0, float(rec.value), ot, result.category.value))
    return pd.DataFrame(
        rows, columns=["patient_id", "time_point", "week", "baseline_pain", "baseline_omed", "pain", "omed", "category"]
    )


def flare_frame(frame: pd.DataFrame, data: EndpointData, options: EndpointOptions) -> pd.DataFrame:
    """One row per patient with a baseline and any diary entry: flare yes/no and its pattern."""
    per = frame.drop_duplicates("patient_id").set_index("patient_id")
    obs = data.observations
    pain = obs[obs["code"].isin(options.pain_codes) & (obs["respondent"] == "patient")]
    diary = obs[(obs["code"] == DIARY_CODE) & (obs["respondent"] == "patient")]
    omed_at = _omed_lookup(data.omed, options.omed_lookback_days)
    rows = []
    for pid, entries in diary.groupby("patient_id"):
        if pid not in per.index or pd.isna(per.at[pid, "first_fraction_date"]):
            continue
        first, last = per.at[pid, "first_fraction_date"], per.at[pid, "last_fraction_date"]
        base = pain[(pain["patient_id"] == pid) & (pain["day"] <= first)
                    & (pain["day"] >= first - timedelta(days=options.baseline_days))].sort_values("day")
        if base.empty:
            continue
        p0, o0 = float(base["value"].iloc[-1]), omed_at(pid, base["day"].iloc[-1])
        if o0 is None:
            continue
        days = [((d - first).days, float(v), omed_at(pid, d)) for d, v in zip(entries["day"], entries["value"], strict=True)]
        last_day = (last - first).days if not pd.isna(last) else 0
        result = detect_flare(p0, o0, days, first_rt_day=0, last_rt_day=max(last_day, 0), params=options.flare)
        rows.append((pid, int(result.flare), result.pattern))
    return pd.DataFrame(rows, columns=["patient_id", "flare", "pattern"])


def qol_frame(frame: pd.DataFrame, data: EndpointData, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Patient-answered observations with their time point (the invitation's step label)."""
    obs = data.observations
    obs = obs[obs["respondent"] == "patient"]
    if codes:
        obs = obs[obs["code"].isin(codes)]
    else:
        obs = obs[obs["code"].str.startswith("palliro-general/")]
    out = obs[["patient_id", "code", "value", "step_label"]].copy()
    out["time_point"] = out["step_label"].fillna("unscheduled")
    return out.drop(columns=["step_label"])


def adherence_frame(data: EndpointData, now=None) -> pd.DataFrame:
    """Invitations already due (cancelled ones excluded): completed or not, by step label."""
    now = now or timezone.now()
    inv = data.invitations
    inv = inv[(inv["state"] != InvitationState.CANCELLED) & (pd.to_datetime(inv["due"], utc=True) <= now)].copy()
    inv["completed"] = (inv["state"] == InvitationState.COMPLETED).astype(int)
    return inv[["patient_id", "step_label", "completed"]]


def proxy_pairs(data: EndpointData) -> pd.DataFrame:
    """Same-day patient and proxy answers to the same item: item, patient value, proxy value."""
    obs = data.observations
    if obs.empty:
        return pd.DataFrame(columns=["item", "patient_id", "day", "patient", "proxy"])
    split = obs["code"].str.split("/", n=1, expand=True)
    obs = obs.assign(instrument=split[0], item_id=split[1])
    is_proxy = obs["instrument"].str.endswith("-proxy") & (obs["respondent"] == "proxy")
    pat = obs[(obs["respondent"] == "patient") & ~obs["instrument"].str.endswith("-proxy")].copy()
    prx = obs[is_proxy].copy()
    prx["instrument"] = prx["instrument"].str.removesuffix("-proxy")
    pat["item"] = pat["instrument"] + "/" + pat["item_id"]
    prx["item"] = prx["instrument"] + "/" + prx["item_id"]
    # One value per person, item and day: the last answer of the day counts.
    keys = ["patient_id", "item", "day"]
    pat = pat.groupby(keys, as_index=False)["value"].last()
    prx = prx.groupby(keys, as_index=False)["value"].last()
    merged = pat.merge(prx, on=keys, suffixes=("_patient", "_proxy"))
    return merged.rename(columns={"value_patient": "patient", "value_proxy": "proxy"})


__all__ = [
    "DIARY_CODE", "OMED_RULE", "PAIN_CODES", "EndpointData", "EndpointOptions", "adherence_frame", "flare_frame",
    "load_endpoint_data", "pain_response_frame", "proxy_pairs", "qol_frame",
]
