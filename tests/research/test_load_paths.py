"""Loading shortcuts of the cohort report give what the straightforward queries give.

* Proxy pairs from one self-join: the last own answer of the day and the last proxy answer of the day win,
  as in the raw-row reference (:func:`palliro.research.endpoints.proxy_pairs` on every stored answer).
* OMED with the site's conversion table looked up from the sites: per record as :func:`record_omed` with
  ``patient.site.omed_table``, for the patients with a pain or diary answer (the only ones looked up).
* The frame by patients from courses read without the default ordering: equal to the frame built from
  the ordered rows.
"""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from palliro.accounts.access import StaffContext
from palliro.clinic.analgesia import record_omed
from palliro.clinic.models import AnalgesicRecord, RTCourse
from palliro.research.cohort import (
    COURSE_FIELDS,
    DATE_FIELDS,
    PATIENT_FIELDS,
    build_frame,
    cohort_courses,
    cohort_frame,
    fetch_rows,
)
from palliro.research.endpoints import load_endpoint_data, proxy_pairs
from tests.conftest import make_patient
from tests.research.test_endpoint_sql import _instrument, _raw, _store

DAY0 = date(2025, 3, 3)


def _at(day_offset, hour, minute=0):
    d = DAY0 + timedelta(days=day_offset)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def _course(patient, first, course_id_hint=0, **extra):
    return RTCourse.objects.create(patient=patient, indication="pain", target_region="femur", technique="conventional",
                                   total_dose_gy=8 if course_id_hint % 2 else 20,
                                   fractions_planned=1 if course_id_hint % 2 else 5, first_fraction_date=first,
                                   last_fraction_date=first, fractions_delivered=1, **extra)


@pytest.mark.django_db
def test_proxy_self_join_keeps_the_last_answers_of_the_day(site_a):
    general, proxy = _instrument("palliro-general"), _instrument("palliro-general-proxy")
    rng = np.random.default_rng(5)
    for i in range(8):
        p = make_patient(site_a, f"X-{i:03d}", f"Join{i}", f"Self{i}")
        _course(p, DAY0)
        for day in range(4):
            # Own answers twice on some days (later one wins), twice at the same instant on others (higher id
            # wins), proxy answers twice on some days, and proxy days without own answers.
            for k in range(int(rng.integers(0, 3))):
                hour = 9 if rng.random() < 0.3 else 8 + 2 * k
                _store(p, general, "patient", _at(day, hour), {
                    "palliro-general/mood": float(rng.integers(0, 11)),
                    "palliro-general/pain-worst": float(rng.integers(0, 11))})
            for k in range(int(rng.integers(0, 3))):
                _store(p, proxy, "proxy", _at(day, 12 + k, int(rng.integers(0, 2))), {
                    "palliro-general-proxy/mood": float(rng.integers(0, 11)),
                    "palliro-general-proxy/pain-worst": float(rng.integers(0, 11))})
        # Just before and just after midnight in Amsterdam (UTC+1 in March): different days; and just after
        # midnight UTC, the same Amsterdam day as the evening before it.
        _store(p, general, "patient", _at(5, 22, 59), {"palliro-general/mood": 4.0})
        _store(p, proxy, "proxy", _at(5, 23, 1), {"palliro-general-proxy/mood": 5.0})
        _store(p, general, "patient", _at(7, 23, 30), {"palliro-general/mood": 6.0})
        _store(p, proxy, "proxy", _at(8, 0, 10), {"palliro-general-proxy/mood": 7.0})
    ids = list(RTCourse.objects.values_list("patient_id", flat=True))
    want = proxy_pairs(_raw(ids))
    assert len(want) >= 20
    for arg in (ids, RTCourse.objects.values("patient_id")):
        got = proxy_pairs(load_endpoint_data(arg))
        pd.testing.assert_frame_equal(got.astype({"day": "datetime64[ns]"}), want.astype({"day": "datetime64[ns]"}),
                                      check_exact=True, check_dtype=False)


@pytest.mark.django_db
def test_omed_uses_each_patients_site_table(site_a, site_b):
    site_b.omed_table = "BNF"
    site_b.save()
    assert site_a.omed_table != site_b.omed_table
    rng = np.random.default_rng(2)
    drugs = [("morphine", "mg", "oral"), ("oxycodone", "mg", "oral"), ("fentanyl", "mcg/h", "transdermal"),
             ("paracetamol", "mg", "oral"), ("unknownol", "mg", "oral")]
    general, diary = _instrument("palliro-general"), _instrument("palliro-pain-diary")
    answered = set()
    for i in range(14):
        p = make_patient(site_a if i % 2 else site_b, f"O-{i:03d}", f"Omed{i}", f"Site{i}")
        _course(p, DAY0)
        # OMED is loaded for patients with a pain or diary answer (patient or proxy) only.
        if i % 7 in (1, 2, 4, 5):
            _store(p, general, "patient", _at(1, 9), {"palliro-general/pain-worst": 5.0})
            answered.add(p.id)
        elif i % 7 == 3:
            _store(p, diary, "patient", _at(2, 9), {"palliro-pain-diary/diary-pain-worst": 4.0})
            answered.add(p.id)
        elif i % 7 == 6:
            _store(p, general, "patient", _at(1, 9), {"palliro-general/sleep": 5.0})
        for _ in range(int(rng.integers(1, 7))):
            drug, unit, route = drugs[int(rng.integers(0, len(drugs)))]
            AnalgesicRecord.objects.create(patient=p, recorded_on=DAY0 - timedelta(days=int(rng.integers(0, 4))),
                                           drug=drug, dose=float(rng.choice([5, 10, 12.5, 25, 30])), unit=unit,
                                           route=route, doses_per_day=int(rng.integers(1, 5)))
    got = load_endpoint_data(list(RTCourse.objects.values_list("patient_id", flat=True))).omed
    want = {}
    records = AnalgesicRecord.objects.filter(patient_id__in=answered).select_related("patient__site")
    for r in records.order_by("patient_id", "recorded_on", "id"):
        mg = record_omed(r.drug, r.dose, r.unit, r.route, r.doses_per_day, r.patient.site.omed_table).mg_per_day
        key = (r.patient_id, pd.Timestamp(r.recorded_on))
        want[key] = want.get(key, 0.0) + (np.nan if mg is None else mg)
    assert len(got) == len(want) and set(got["patient_id"]) == answered
    for pid, day, mg in got[["patient_id", "day", "mg"]].itertuples(index=False):
        ref = want[(pid, pd.Timestamp(day))]
        assert (np.isnan(mg) and np.isnan(ref)) or abs(mg - ref) <= 1e-9 * max(1.0, abs(ref))
    assert got["mg"].isna().any() and got["mg"].notna().any()


@pytest.mark.django_db
def test_frame_by_patients_does_not_depend_on_the_row_order(site_a, make_cohort):
    rng = np.random.default_rng(9)
    for i in range(30):
        p = make_patient(site_a, f"F-{i:03d}", f"Frame{i}", f"Order{i}", birth_date=date(1950, 1, 1))
        for k in range(int(rng.integers(1, 4))):
            first = None if rng.random() < 0.2 else DAY0 + timedelta(days=int(rng.integers(0, 3)))
            _course(p, first, k)
    staff = StaffContext(frozenset({site_a.id}), frozenset(), frozenset({"clinician"}))
    for unit in ("patients", "courses"):
        cohort = make_cohort(site_a, name=f"order-{unit}", unit=unit)
        got = cohort_frame(cohort, staff)
        rows = fetch_rows(cohort_courses(cohort, staff), COURSE_FIELDS + PATIENT_FIELDS, as_text=DATE_FIELDS)
        for order in (rows, rows[::-1]) if unit == "patients" else (rows,):
            want = build_frame(list(order), [], unit)
            assert (got.n_courses_matched, got.n_without_follow_up) == (want.n_courses_matched, want.n_without_follow_up)
            pd.testing.assert_frame_equal(got.frame, want.frame, check_exact=True)


def test_local_days_equal_zoneinfo_per_answer_across_dst_changes():
    from zoneinfo import ZoneInfo

    from palliro.research.localday import SiteClock, days_in_zone

    rng = np.random.default_rng(4)
    # Two years of instants (both DST changes of each year), many of them within minutes of a local midnight.
    seconds = 1_704_067_200 + rng.integers(0, 2 * 365 * 86_400, 3000)
    seconds[::3] = (seconds[::3] // 3600) * 3600 + rng.integers(-120, 120, len(seconds[::3]))
    for zone in ("Europe/Amsterdam", "America/Curacao", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"):
        want = [np.datetime64(datetime.fromtimestamp(int(s), UTC).astimezone(ZoneInfo(zone)).date(), "ns")
                for s in seconds]
        assert (days_in_zone(seconds, zone) == np.array(want)).all(), zone
    # Per patient: each in its site's zone.
    patients = rng.integers(1, 6, len(seconds))
    clock = SiteClock(lambda: (np.arange(1, 6), np.array([10, 10, 20, 30, 20])),
                      {10: "Europe/Amsterdam", 20: "America/Curacao", 30: "Asia/Kathmandu"})
    zone_of = {1: "Europe/Amsterdam", 2: "Europe/Amsterdam", 3: "America/Curacao", 4: "Asia/Kathmandu",
               5: "America/Curacao"}
    want = [np.datetime64(datetime.fromtimestamp(int(s), UTC).astimezone(ZoneInfo(zone_of[int(p)])).date(), "ns")
            for p, s in zip(patients, seconds, strict=True)]
    got = clock.days(patients, seconds)
    assert got.dtype == np.dtype("datetime64[ns]") and (got == np.array(want)).all()


def _row(course_id, patient_id, first, sites='["bone"]'):
    values = dict.fromkeys(COURSE_FIELDS + PATIENT_FIELDS)
    values.update({"id": course_id, "patient_id": patient_id, "indication": "pain", "technique": "conventional",
                   "total_dose_gy": 8, "fractions_planned": 1, "first_fraction_date": first,
                   "last_fraction_date": first, "fractions_delivered": 1, "is_reirradiation": False,
                   "patient__pseudonym": f"P{patient_id}", "patient__birth_date": "1950-01-01",
                   "patient__metastatic_sites": sites, "patient__last_known_alive": "2025-06-01"})
    return tuple(values[f] for f in COURSE_FIELDS + PATIENT_FIELDS)


def test_frame_by_patients_keeps_the_earliest_course_with_missing_first_fractions_last():
    rows = [_row(5, 1, "2025-03-04"), _row(3, 1, "2025-03-04"), _row(4, 1, "2025-03-09"),
            _row(7, 2, None), _row(8, 2, "2025-04-01"), _row(9, 3, None), _row(6, 3, None)]
    frame = build_frame(rows, [], "patients").frame
    # Patient 1: two courses on the earliest day, the lower course id wins; 2: the dated course; 3: both
    # undated, the lower id.
    assert frame[["patient_id", "course_id"]].values.tolist() == [[1, 3], [2, 8], [3, 6]]
    assert list(frame.index) == [0, 1, 2]


def test_metastatic_site_flags_are_booleans_when_known_and_none_when_not_recorded():
    known = build_frame([_row(1, 1, "2025-03-04", '["bone"]'), _row(2, 2, "2025-03-04", ["liver", "lung"])], [],
                        "patients").frame
    assert known["bone_only_metastases"].dtype == bool and known["bone_only_metastases"].tolist() == [True, False]
    assert known["liver_metastases"].tolist() == [False, True] and known["visceral_metastases"].tolist() == [False, True]
    assert known["metastatic_sites"].tolist() == [["bone"], ["liver", "lung"]]
    mixed = build_frame([_row(1, 1, "2025-03-04", '["bone"]'), _row(2, 2, "2025-03-04", None)], [],
                        "patients").frame
    assert mixed["bone_only_metastases"].dtype == object and mixed["bone_only_metastases"].tolist() == [True, None]
