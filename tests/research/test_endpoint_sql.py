"""What the database sums and pairs for the report equals the straightforward computation on raw rows.

QoL means from pooled per-cell moments (count, mean, M2) against :func:`mean_ci_by_group` on the values,
and the QoL cells and proxy pairs that :func:`load_endpoint_data` gets from SQL against the raw-row
reference paths (:func:`qol_frame`, the raw branch of :func:`proxy_pairs`) on every stored answer.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from palliro.clinic.models import RTCourse
from palliro.followup.models import Invitation, Observation, Response
from palliro.instruments.models import Instrument
from palliro.research import endpoints
from palliro.research.endpoints import EndpointData, load_endpoint_data, proxy_pairs, qol_frame, qol_sums
from palliro.stats.errors import StatsInputError
from palliro.stats.summaries import mean_ci_by_group, mean_ci_from_moments, pool_moments
from tests.conftest import make_patient

TOL = 1e-9


def _close(a, b):
    if a is None or b is None:
        return a is b
    return abs(a - b) <= TOL * max(1.0, abs(b))


@pytest.mark.parametrize("seed", range(8))
def test_means_from_pooled_moments_agree_with_means_from_values(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    # Item scores, 0–100 scale scores with thirds, and a few constant cells (SD exactly 0 from values).
    values = np.where(rng.random(n) < 0.5, rng.integers(0, 5, n).astype(float),
                      np.round(rng.integers(0, 13, n) * 100 / 12, 12) + rng.choice([0, 1 / 3], n))
    groups = rng.choice(["bone", "brain", "lung", "missing"], n).astype(object)
    times = rng.choice(["baseline", "week 1", "week 2", "unscheduled", "week 12"], n).astype(object)
    constant = groups == "missing"
    values[constant] = 100 / 3
    want = mean_ci_by_group(values, groups, times)
    # Per-"patient" cells of up to 4 values, as the database sums them, then pooled per (group, time).
    patient = rng.integers(0, max(1, n // 3), n)
    raw = pd.DataFrame({"g": groups, "t": times, "p": patient, "x": values})
    cells = raw.groupby(["g", "t", "p"], sort=False)["x"]
    cells = pd.DataFrame({"n": cells.size(), "mean": cells.mean(),
                          "m2": cells.apply(lambda x: float(((x - x.mean()) ** 2).sum()))}).reset_index()
    cells = cells.sample(frac=1, random_state=seed)  # input order must not matter
    key, codes = pd.factorize(pd.MultiIndex.from_frame(cells[["g", "t"]]))
    present, pn, pmean, pm2 = pool_moments(key, cells["n"], cells["mean"], cells["m2"])
    labels = codes[present]
    got = mean_ci_from_moments([g for g, _ in labels], [t for _, t in labels], pn, pmean, pm2)
    assert [(m.group, m.time, m.n, m.n_missing, m.ci_unavailable_reason) for m in got] == [
        (m.group, m.time, m.n, m.n_missing, m.ci_unavailable_reason) for m in want]
    for a, b in zip(got, want, strict=True):
        assert all(_close(getattr(a, f), getattr(b, f)) for f in ("mean", "sd", "lower", "upper")), (a, b)


def test_means_from_moments_reject_bad_cells():
    with pytest.raises(StatsInputError):
        mean_ci_from_moments(["a"], ["t"], [0], [0.0], [0.0])
    with pytest.raises(StatsInputError):
        mean_ci_from_moments(["a", "a"], ["t", "t"], [1, 2], [1.0, 2.0], [0.0, 2.0])
    with pytest.raises(StatsInputError):
        mean_ci_from_moments(["a"], ["t"], [2], [1.0], [-1.0])
    with pytest.raises(StatsInputError):
        mean_ci_from_moments([], [], [], [], [])


def _instrument(code):
    return Instrument.objects.create(code=code, version="1", title=code, kind="palliro", resource={})


def _store(patient, instrument, respondent, at, values, invitation=None):
    response = Response.objects.create(patient=patient, instrument=instrument, respondent=respondent,
                                       status="completed", submitted_at=at, invitation=invitation)
    Observation.objects.bulk_create(
        Observation(patient=patient, response=response, code=code, value=v, observed_at=at, respondent=respondent)
        for code, v in values.items()
    )


@pytest.fixture
def answers(site_a):
    """Seeded answers of 12 patients: patient and proxy on shared and separate days, twice on one day, scale
    scores with decimals, answers with and without invitations (step labels shared by two invitations),
    a ``-proxy-proxy`` instrument and codes without an item."""
    rng = np.random.default_rng(11)
    general, proxy = _instrument("palliro-general"), _instrument("palliro-general-proxy")
    odd = _instrument("odd-proxy-proxy")
    day0 = date(2025, 3, 3)
    for i in range(12):
        p = make_patient(site_a, f"S-{i:03d}", f"Sum{i}", f"Cell{i}")
        RTCourse.objects.create(patient=p, indication="pain", target_region="femur", technique="conventional",
                                total_dose_gy=8, fractions_planned=1, first_fraction_date=day0,
                                last_fraction_date=day0, fractions_delivered=1)
        for _ in range(int(rng.integers(2, 9))):
            day = day0 + timedelta(days=int(rng.integers(-3, 20)))
            at = datetime(day.year, day.month, day.day, int(rng.integers(0, 24)), int(rng.integers(0, 60)), tzinfo=UTC)
            invitation = None
            if rng.random() < 0.6:
                invitation = Invitation.objects.create(
                    patient=p, respondent="patient", instrument=general, step_label=f"week {int(rng.integers(0, 3))}",
                    due_at=at, expires_at=at + timedelta(days=3), state="completed")
            items = {f"palliro-general/{name}": float(rng.integers(0, 11)) for name in ("pain-worst", "sleep", "mood")}
            items["palliro-general/scale-x"] = float(rng.integers(0, 13)) * 100 / 12
            items["other/thing"] = float(rng.integers(0, 5))
            items["nocode"] = 1.0
            _store(p, general, "patient", at, items, invitation)
            if rng.random() < 0.7:  # proxy on the same day, sometimes twice, sometimes the next day
                later = at + timedelta(hours=int(rng.integers(0, 3)), days=int(rng.random() < 0.2))
                prox = {f"palliro-general-proxy/{name}": float(rng.integers(0, 11)) for name in ("pain-worst", "mood")}
                prox["odd-proxy-proxy/pain-worst"] = 3.0
                prox["other-proxy/thing"] = float(rng.integers(0, 5))
                _store(p, proxy, "proxy", later, prox)
                if rng.random() < 0.3:
                    _store(p, proxy, "proxy", later + timedelta(minutes=5), {"palliro-general-proxy/mood": 1.0})
            if rng.random() < 0.2:
                _store(p, odd, "patient", at, {"odd-proxy/pain-worst": 2.0})
    return day0


def _raw(ids) -> EndpointData:
    """Every stored answer of the patients as the raw rows the reference paths read, each on its calendar day in
    its site's zone as the rest of Palliro counts days (``timezone.localdate`` with the site's ZoneInfo, per row)."""
    rows = Observation.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "code", "value", "respondent", "response__invitation__step_label", "observed_at",
        "patient__site__timezone")
    rows = [(*r[:5], pd.Timestamp(timezone.localdate(r[5], ZoneInfo(r[6])))) for r in rows]
    obs = pd.DataFrame.from_records(rows, columns=["patient_id", "code", "value", "respondent", "step_label", "day"])
    obs["day"] = obs["day"].astype("datetime64[ns]")
    for col in ("code", "respondent", "step_label"):
        obs[col] = obs[col].astype("category")
    empty = pd.DataFrame(columns=["patient_id", "day", "mg"])
    return EndpointData(obs, empty, pd.DataFrame(columns=["patient_id", "step_label", "state", "due"]))


@pytest.mark.django_db(transaction=False)
def test_database_sums_and_pairs_equal_the_raw_row_reference(answers):
    ids = list(RTCourse.objects.values_list("patient_id", flat=True))
    loaded = load_endpoint_data(ids, qol_codes=("other/thing",))
    raw = _raw(ids)
    for codes in (None, ("palliro-general/sleep", "other/thing")):
        key = ["patient_id", "code", "time_point"]
        got = qol_sums(loaded, codes).sort_values(key, ignore_index=True)
        want = qol_sums(raw, codes).sort_values(key, ignore_index=True)
        assert got[key + ["n"]].equals(want[key + ["n"]])
        assert np.allclose(got["mean"], want["mean"], rtol=TOL, atol=0)
        assert np.allclose(got["m2"], want["m2"], rtol=0, atol=TOL)
        assert len(qol_frame(None, raw, codes)) == int(got["n"].sum())
    with pytest.raises(ValueError, match="not loaded"):
        qol_sums(loaded, ("palliro-pain-diary/x",))
    got, want = proxy_pairs(loaded), proxy_pairs(raw)
    assert len(want) >= 5 and set(want["item"]) >= {"palliro-general/mood", "other/thing"}
    pd.testing.assert_frame_equal(got.astype({"day": "datetime64[ns]"}), want.astype({"day": "datetime64[ns]"}),
                                  check_exact=True, check_dtype=False)
    # The loaded answers are only the pain and diary codes.
    assert set(loaded.observations["code"].astype(str)) <= {*endpoints.PAIN_CODES, endpoints.DIARY_CODE}
