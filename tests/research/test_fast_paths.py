"""The vectorised paths of the cohort report give exactly what the straightforward per-row rules give.

Each fast path (table-based Harrell's C, code-based cross-tabulation, merge_asof OMED look-up, vectorised
pain response and flare) is checked against a plain per-row reference written here, on seeded random data
with ties, gaps and missing values.
"""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from palliro.core.errors import PalliroValueError
from palliro.core.pain import FlareParameters, classify_response, detect_flare
from palliro.research import endpoints
from palliro.research.endpoints import EndpointData, EndpointOptions
from palliro.stats import survival
from palliro.stats.report import crosstab_test


@pytest.mark.parametrize("seed", range(6))
def test_it_counts_concordance_with_the_table_as_with_the_tree(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    t = rng.integers(1, 60, n).astype(float)
    e = rng.integers(0, 2, n)
    x = rng.integers(0, int(rng.integers(1, 12)), n).astype(float)
    for direction in ("risk", "survival"):
        fast = survival.harrell_c(t, e, x, direction=direction)
        monkeypatch.setattr(survival, "_MAX_TABLE_CELLS", -1)
        tree = survival.harrell_c(t, e, x, direction=direction)
        monkeypatch.undo()
        assert (fast.concordant, fast.discordant, fast.tied_score, fast.tied_time) == (
            tree.concordant, tree.discordant, tree.tied_score, tree.tied_time)
        assert fast.c_index == tree.c_index or (np.isnan(fast.c_index) and np.isnan(tree.c_index))


def test_it_cross_tabulates_like_pandas():
    rng = np.random.default_rng(3)
    g = rng.choice(["b", "a", "c"], 500).astype(object)
    c = rng.integers(0, 4, 500)
    ct = crosstab_test(g, c)
    ref = pd.crosstab(pd.Series(g.tolist()), pd.Series(c.tolist()))
    assert ct.row_labels == tuple(ref.index) and ct.column_labels == tuple(ref.columns)
    assert np.array_equal(np.array(ct.counts), ref.to_numpy())


def _reference_omed(omed, pid, day, lookback):
    if pd.isna(day):
        return None
    rows = omed[(omed["patient_id"] == pid) & (omed["day"] <= day)].sort_values("day")
    if rows.empty:
        return None
    last = rows.iloc[-1]
    if (day - last["day"]).days > lookback or np.isnan(last["mg"]):
        return None
    return float(last["mg"])


def _data(seed: int):
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2025-01-10")
    frame = pd.DataFrame({
        "patient_id": np.arange(1, 31),
        "first_fraction_date": [first + timedelta(days=int(d)) for d in rng.integers(0, 5, 30)],
        "last_fraction_date": [first + timedelta(days=int(d)) if d < 9 else pd.NaT for d in rng.integers(0, 12, 30)],
    })
    obs, omed = [], []
    for pid in range(1, 31):
        for day in rng.integers(-16, 90, int(rng.integers(0, 30))):
            code = rng.choice(["palliro-general/pain-worst", endpoints.DIARY_CODE, endpoints.DIARY_CODE,
                               "palliro-general/fatigue"])
            resp = "patient" if rng.random() < 0.9 else "proxy"
            obs.append((pid, code, float(rng.integers(0, 11)), resp, None, first + timedelta(days=int(day))))
        for day in range(-30, 100, int(rng.integers(3, 40))):
            mg = np.nan if rng.random() < 0.05 else float(rng.choice([0, 30, 40, 60, 90]))
            omed.append((pid, first + timedelta(days=day + int(rng.integers(0, 3))), mg))
    obs = pd.DataFrame(obs, columns=["patient_id", "code", "value", "respondent", "step_label", "day"])
    # detect_flare rejects a diary with two entries on one day (as the report does, section by section).
    obs = obs.drop_duplicates(["patient_id", "code", "day"]).reset_index(drop=True)
    omed = pd.DataFrame(omed, columns=["patient_id", "day", "mg"]).drop_duplicates(["patient_id", "day"])
    inv = pd.DataFrame(columns=["patient_id", "step_label", "state", "due"])
    return frame, EndpointData(obs, omed.reset_index(drop=True), inv)


@pytest.mark.parametrize("seed", range(4))
def test_it_looks_up_omed_as_the_per_row_rule(seed):
    frame, data = _data(seed)
    pids = data.observations["patient_id"].to_numpy()
    days = data.observations["day"]
    got = endpoints.omed_at(data.omed, pids, days, 28)
    want = [_reference_omed(data.omed, p, d, 28) for p, d in zip(pids, days, strict=True)]
    assert [None if np.isnan(v) else v for v in got] == want


@pytest.mark.parametrize("seed", range(4))
def test_it_classifies_pain_response_and_flare_as_the_per_patient_rules(seed):
    frame, data = _data(seed)
    opt = EndpointOptions()
    obs = data.observations
    pain = obs[(obs["code"] == "palliro-general/pain-worst") & (obs["respondent"] == "patient")]
    firsts = frame.set_index("patient_id")["first_fraction_date"]
    want = []
    for week in opt.weeks:
        for pid in sorted(pain["patient_id"].unique()):
            mine = pain[pain["patient_id"] == pid]
            offset = (mine["day"] - firsts[pid]).dt.days
            near = mine[(offset - 7 * week).abs() <= opt.window_days]
            if near.empty:
                continue
            near = near.assign(dist=((near["day"] - firsts[pid]).dt.days - 7 * week).abs(),
                               off=(near["day"] - firsts[pid]).dt.days).sort_values(["dist", "off"], kind="stable")
            rec = near.iloc[0]
            base = mine[(offset <= 0) & (offset >= -opt.baseline_days)]
            base = base.assign(off=(base["day"] - firsts[pid]).dt.days).sort_values("off", kind="stable")
            p0 = float(base["value"].iloc[-1]) if len(base) else None
            o0 = _reference_omed(data.omed, pid, base["day"].iloc[-1], 28) if len(base) else None
            ot = _reference_omed(data.omed, pid, rec["day"], 28)
            want.append((pid, week, classify_response(p0, o0, float(rec["value"]), ot, opt.ice).category.value))
    got = endpoints.pain_response_frame(frame, data, opt)
    assert list(zip(got["patient_id"], got["week"], got["category"], strict=True)) == want

    flares = []
    diary = obs[(obs["code"] == endpoints.DIARY_CODE) & (obs["respondent"] == "patient")]
    for pid in sorted(diary["patient_id"].unique()):
        first, last = firsts[pid], frame.set_index("patient_id").at[pid, "last_fraction_date"]
        base = pain[(pain["patient_id"] == pid) & (pain["day"] <= first)
                    & (pain["day"] >= first - timedelta(days=opt.baseline_days))].sort_values("day", kind="stable")
        if base.empty or (o0 := _reference_omed(data.omed, pid, base["day"].iloc[-1], 28)) is None:
            continue
        entries = diary[diary["patient_id"] == pid]
        days = [((d - first).days, float(v), _reference_omed(data.omed, pid, d, 28))
                for d, v in zip(entries["day"], entries["value"], strict=True)]
        last_day = max((last - first).days, 0) if not pd.isna(last) else 0
        r = detect_flare(float(base["value"].iloc[-1]), o0, days, first_rt_day=0, last_rt_day=last_day,
                         params=opt.flare)
        flares.append((pid, int(r.flare), r.pattern))
    got = endpoints.flare_frame(frame, data, opt)
    assert list(got.itertuples(index=False, name=None)) == flares


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("params", [FlareParameters(), FlareParameters(consecutive_days=2),
                                    FlareParameters(consecutive_days=3, require_return_to_baseline=False),
                                    FlareParameters(pain_increase=1.5, omed_increase_fraction=0.5, follow_up_days=0)])
def test_flares_for_many_patients_at_once_equal_the_per_patient_rule(seed, params):
    rng = np.random.default_rng(seed)
    k = 60
    p0 = rng.integers(0, 11, k).astype(float)
    o0 = rng.choice([0.0, 30.0, 40.0, 60.0], k)
    last = rng.integers(0, 15, k)
    patient, day, pain, omed = [], [], [], []
    for i in range(k):
        days = np.sort(rng.choice(np.arange(-5, 40), int(rng.integers(1, 25)), replace=False))
        patient += [i] * len(days)
        day += days.tolist()
        # Thresholds hit exactly (baseline + increase, OMED × (1 + fraction)), returns, and missing values.
        pain += [np.nan if rng.random() < 0.05 else float(min(10.0, max(0.0, p0[i] + rng.choice([-1, 0, 1, 2, 3]))))
                 for _ in days]
        omed += [np.nan if rng.random() < 0.05 else float(o0[i] * rng.choice([0.5, 1.0, 1.25, 1.5]) + rng.choice([0, 30]))
                 for _ in days]
    patient, day, pain, omed = np.array(patient), np.array(day), np.array(pain), np.array(omed)
    flare, pattern = endpoints.flares_vectorised(patient, day, pain, omed, p0, o0, last, params)
    for i in range(k):
        mine = patient == i
        entries = [(int(d), None if np.isnan(p) else float(p), None if np.isnan(o) else float(o))
                   for d, p, o in zip(day[mine], pain[mine], omed[mine], strict=True)]
        want = detect_flare(float(p0[i]), float(o0[i]), entries, first_rt_day=0, last_rt_day=int(last[i]), params=params)
        assert (int(flare[i]), pattern[i]) == (int(want.flare), want.pattern), i


def test_flare_frame_keeps_the_per_patient_errors_for_values_out_of_range():
    frame, data = _data(0)
    obs = data.observations.copy()
    obs.loc[obs["code"] == endpoints.DIARY_CODE, "value"] = 11.0
    with pytest.raises(PalliroValueError, match="between 0 and 10"):
        endpoints.flare_frame(frame, EndpointData(obs, data.omed, data.invitations), EndpointOptions())


@pytest.mark.parametrize("values", [
    pd.Series(["pain", "bleeding", None, "brain", None], dtype=object),
    pd.Series([8.0, 20.0, np.nan, 8.0]),
    pd.Series([1, 5, 10, 5]),
    pd.Series([True, False, True]),
    pd.Series([True, None, False], dtype=object),
    pd.Series([1, "1", None, "a"], dtype=object),  # two values with one text: one group
    pd.Series(["b", "a", "b"], dtype=object),
    pd.Series([], dtype=object),
])
def test_report_groups_equal_the_text_of_every_row_as_a_category(values):
    from palliro.research.analyses import _groups

    frame = pd.DataFrame({"g": values}, index=np.arange(len(values)) * 3)
    expected = frame["g"].fillna("missing").astype(str).astype("category")
    pd.testing.assert_series_equal(_groups(frame, "g"), expected, check_categorical=True)
