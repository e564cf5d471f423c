"""Every "day" of an answer in research is its calendar day in the time zone of its patient's site.

Scheduling, the patient pages and triage count days on the site's wall clock (``Site.timezone``), so the
research endpoints do too (:mod:`palliro.research.localday`): the ±4-day pain-response windows around week N
after the first fraction (a local date), the baseline window, the pain-diary day of the flare rule and the
same-day pairing of patient and proxy answers. An answer at 00:30 in Amsterdam is 23:30 UTC the day before;
counted by its UTC day it would land a day early.

Every answer below is placed so that its UTC day (or a fixed UTC+1 offset) would give another result than its
local day. Each expectation is checked on both paths that must agree — the queries
(:func:`~palliro.research.endpoints.load_endpoint_data`, on SQLite and PostgreSQL) and the analysis store
(:mod:`palliro.research.store_report`) — and the whole report is then compared between the two as
tests/research/test_store.py does. The tests commit (``transaction=True``): the store holds committed rows only.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from palliro.accounts.access import StaffContext
from palliro.accounts.models import Site
from palliro.clinic.models import AnalgesicRecord, RTCourse
from palliro.followup.models import Invitation
from palliro.research.analyses import ReportOptions
from palliro.research.cohort import cohort_courses, cohort_frame
from palliro.research.endpoints import (
    DIARY_CODE,
    EndpointOptions,
    flare_frame,
    load_endpoint_data,
    pain_response_frame,
    proxy_pairs,
)
from palliro.research.store import AnalysisStore
from palliro.research.store_report import endpoint_data_from_store, frame_from_store
from tests.conftest import make_patient, make_site
from tests.research.test_endpoint_sql import _instrument, _store
from tests.research.test_store import assert_same_report

pytestmark = pytest.mark.django_db(transaction=True)

AMSTERDAM, CURACAO = "Europe/Amsterdam", "America/Curacao"
#: First fraction (a local date) of most patients: a Monday in March, Amsterdam on UTC+1.
D0 = date(2025, 3, 10)
#: Amsterdam's spring DST night: clocks jump from 02:00 to 03:00 on 2025-03-30 (a 23-hour day); the autumn
#: night 2025-10-26 has 25 hours.
SPRING, AUTUMN = date(2025, 3, 30), date(2025, 10, 26)
PAIN, MOOD, PROXY_MOOD = "palliro-general/pain-worst", "palliro-general/mood", "palliro-general-proxy/mood"


def local(day: date, hour: int, minute: int = 0, zone: str = AMSTERDAM) -> datetime:
    """An instant given on the site's wall clock (stored in UTC by Django)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def after(days: int) -> date:
    return D0 + timedelta(days=days)


def _course(patient, first=D0):
    RTCourse.objects.create(patient=patient, indication="pain", target_region="femur", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=first,
                            last_fraction_date=first, fractions_delivered=1)


@pytest.fixture
def answers(site_a, make_cohort):
    """Patients of an Amsterdam site and of a Curaçao site (UTC−4, no DST) with answers near local midnights."""
    site_c = make_site("site-c", "Site C", "+599 9 000 0000")
    site_c.timezone = CURACAO
    site_c.save()
    assert site_a.timezone == AMSTERDAM
    general, proxy = _instrument("palliro-general"), _instrument("palliro-general-proxy")
    diary = _instrument("palliro-pain-diary")
    ids = {}

    def patient(name, site=site_a, first=D0):
        p = make_patient(site, f"L-{len(ids):03d}", name, "Local")
        _course(p, first)
        ids[name] = p.id
        return p

    def own(p, at, values):
        _store(p, general, "patient", at, values)

    # Week 1 is days 3–11 after the first fraction (7 ± 4), week 2 days 10–18.
    p = patient("late")  # 00:30 on day 12 (23:30 UTC on day 11): week 2 only
    own(p, local(after(-1), 12), {PAIN: 6.0})
    own(p, local(after(12), 0, 30), {PAIN: 3.0})
    p = patient("evening")  # 23:30 on day 11: weeks 1 and 2
    own(p, local(after(-1), 12), {PAIN: 6.0})
    own(p, local(after(11), 23, 30), {PAIN: 3.0})
    # Baseline: the latest answer from 14 days before up to the first fraction. 00:30 on day −14 (23:30 UTC on
    # day −15) is inside; 00:30 on day 1 (23:30 UTC on the first fraction's day) is after it.
    p = patient("baseline")
    own(p, local(after(-14), 0, 30), {PAIN: 7.0})
    own(p, local(after(1), 0, 30), {PAIN: 9.0})
    own(p, local(after(7), 12), {PAIN: 2.0})
    # Flare (baseline pain 4, OMED 60): 8 in the evening of day 2, back to 4 at 00:30 on day 3. By UTC day the
    # second entry would replace the first on day 2 (the later one wins) and no flare would be seen.
    p = patient("diary")
    own(p, local(after(-1), 12), {PAIN: 4.0})
    AnalgesicRecord.objects.create(patient=p, recorded_on=after(-2), drug="morphine", dose=30, unit="mg",
                                   route="oral", doses_per_day=2)
    _store(p, diary, "patient", local(after(2), 20), {DIARY_CODE: 8.0})
    _store(p, diary, "patient", local(after(3), 0, 30), {DIARY_CODE: 4.0})
    # A diary link stays open until the next day's opens: its answer at 07:30 on day 5 is about day 4 (the
    # page said so), and day 5's own link is answered that evening; both count for their link's day.
    p = patient("late diary")
    for day, hour, value in ((4, 7, 6.0), (5, 20, 5.0)):
        link = Invitation.objects.create(
            patient=p, respondent="patient", instrument=diary, step_label="diary", state="completed",
            due_at=local(after(day), 9), expires_at=local(after(day + 1), 9))
        _store(p, diary, "patient", local(after(day + (1 if hour < 9 else 0)), hour, 30), {DIARY_CODE: value},
               invitation=link)
    # Proxy pairs: 23:50 and 00:10 the next day are two days; 00:10 and 23:50 of one day are one day.
    p = patient("proxy")
    own(p, local(after(5), 23, 50), {MOOD: 2.0})
    _store(p, proxy, "proxy", local(after(6), 0, 10), {PROXY_MOOD: 8.0})
    _store(p, proxy, "proxy", local(after(8), 0, 10), {PROXY_MOOD: 4.0})
    own(p, local(after(8), 23, 50), {MOOD: 3.0})
    # Ties on a local day that spans two UTC days: the last own answer and the last proxy answer count.
    p = patient("ties")
    own(p, local(after(9), 0, 20), {MOOD: 1.0})
    _store(p, proxy, "proxy", local(after(9), 0, 40), {PROXY_MOOD: 5.0})
    own(p, local(after(9), 18), {MOOD: 2.0})
    _store(p, proxy, "proxy", local(after(9), 21), {PROXY_MOOD: 6.0})
    # Curaçao: 21:30 on day 11 there is 01:30 UTC (02:30 in Amsterdam) on day 12.
    p = patient("curacao", site_c)
    own(p, local(after(11), 21, 30, CURACAO), {PAIN: 5.0})
    _store(p, proxy, "proxy", local(after(3), 8, 0, CURACAO), {PROXY_MOOD: 7.0})
    own(p, local(after(3), 20, 30, CURACAO), {MOOD: 6.0})
    # DST: 00:30 and 23:30 on the 23-hour day are one day, 00:30 after it the next (UTC+1 all along would put
    # all three on the 30th, the UTC day the first two on different days); patient and proxy pairs just after
    # midnight and just before the next one on both DST days (24 h 50 min apart in the autumn).
    p = patient("dst", first=SPRING - timedelta(days=2))
    _store(p, diary, "patient", local(SPRING, 0, 30), {DIARY_CODE: 3.0})
    _store(p, diary, "patient", local(SPRING, 23, 30), {DIARY_CODE: 5.0})
    _store(p, diary, "patient", local(SPRING + timedelta(days=1), 0, 30), {DIARY_CODE: 6.0})
    for day in (SPRING, AUTUMN):
        own(p, local(day, 0, 5), {MOOD: 1.0})
        _store(p, proxy, "proxy", local(day, 23, 55), {PROXY_MOOD: 9.0})
    cohort = make_cohort(site_a, site_c)
    staff = StaffContext(frozenset({site_a.id, site_c.id}), frozenset(), frozenset({"clinician"}))
    return cohort, staff, ids


def _both_paths(cohort, staff):
    """(name, frame, endpoint data) from the queries (patient-id queryset and list) and from the store."""
    frame = cohort_frame(cohort, staff).frame
    ids = cohort_courses(cohort, staff).values("patient_id")
    yield "queries", frame, load_endpoint_data(ids)
    yield "queries (id list)", frame, load_endpoint_data(list(frame["patient_id"]))
    snap = AnalysisStore().current()
    stored = frame_from_store(snap, cohort, staff).frame
    yield "store", stored, endpoint_data_from_store(snap, stored["patient_id"].unique())


def _days(data, pid, code):
    obs = data.observations
    return [d.date() for d in obs.loc[(obs["patient_id"] == pid) & (obs["code"] == code), "day"]]


def test_pain_response_windows_and_baseline_follow_the_local_day(answers):
    cohort, staff, ids = answers
    for path, frame, data in _both_paths(cohort, staff):
        rows = pain_response_frame(frame, data, EndpointOptions())
        points = {name: rows.loc[rows["patient_id"] == pid, "time_point"].tolist() for name, pid in ids.items()}
        # 00:30 on day 12 is outside the week-1 window; 23:30 on day 11 is inside.
        assert points["late"] == ["week 2"], path
        assert points["evening"] == ["week 1", "week 2"], path
        assert _days(data, ids["late"], PAIN) == [after(-1), after(12)], path
        assert _days(data, ids["evening"], PAIN) == [after(-1), after(11)], path
        # The baseline is the answer at 00:30 on day −14, not the one at 00:30 on day 1.
        base = rows.loc[rows["patient_id"] == ids["baseline"]]
        assert base["time_point"].tolist() == ["week 1"] and base["baseline_pain"].tolist() == [7.0], path
        # Curaçao's own wall clock: 21:30 on day 11 there is inside week 1.
        assert points["curacao"] == ["week 1", "week 2"], path
        assert _days(data, ids["curacao"], PAIN) == [after(11)], path


def test_a_diary_entry_just_after_midnight_counts_for_that_local_day(answers):
    cohort, staff, ids = answers
    for path, frame, data in _both_paths(cohort, staff):
        assert _days(data, ids["diary"], DIARY_CODE) == [after(2), after(3)], path
        flares = flare_frame(frame, data, EndpointOptions()).set_index("patient_id")
        # Pain 8 on day 2 (criteria met), back to baseline on day 3: a flare.
        assert flares.loc[ids["diary"], ["flare", "pattern"]].tolist() == [1, "flare"], path
        assert _days(data, ids["late diary"], DIARY_CODE) == [after(4), after(5)], path
        # Across the spring DST night: 00:30 and 23:30 on the 30th, 00:30 on the 31st.
        assert _days(data, ids["dst"], DIARY_CODE) == [SPRING, SPRING, SPRING + timedelta(days=1)], path


def test_patient_and_proxy_answers_pair_on_the_same_local_day(answers):
    cohort, staff, ids = answers
    for path, _frame, data in _both_paths(cohort, staff):
        pairs = proxy_pairs(data)
        got = {name: [(d.date(), p, x) for d, p, x in
                      pairs.loc[pairs["patient_id"] == pid, ["day", "patient", "proxy"]].itertuples(index=False)]
               for name, pid in ids.items()}
        # 23:50 and 00:10 the next day: no pair; 00:10 and 23:50 of day 8: a pair.
        assert got["proxy"] == [(after(8), 3.0, 4.0)], path
        # The last own answer (18:00) and the last proxy answer (21:00) of day 9, though 00:20 and 00:40 fall
        # on the UTC day before.
        assert got["ties"] == [(after(9), 2.0, 6.0)], path
        assert got["curacao"] == [(after(3), 6.0, 7.0)], path
        # 00:05 and 23:55 on the 23-hour and on the 25-hour day.
        assert got["dst"] == [(SPRING, 1.0, 9.0), (AUTUMN, 1.0, 9.0)], path
        assert set(pairs["item"]) == {MOOD}, path
        assert pairs["day"].dtype == "datetime64[ns]", path


def test_the_store_gives_the_same_report_as_the_queries_with_local_days(answers):
    cohort, staff, _ids = answers
    for options in (ReportOptions(group_by=""), ReportOptions(group_by="indication", covariates=("age",))):
        report = assert_same_report(cohort, staff, AnalysisStore(), options)
        assert not report.table("proxy_agreement").frame.empty


def test_a_site_changing_its_zone_moves_its_answers_days_on_both_paths(answers):
    cohort, staff, ids = answers
    store = AnalysisStore()
    store.current()
    # Sites are not journaled: the store reads their zones afresh for every report, as the queries do.
    Site.objects.filter(code="site-c").update(timezone=AMSTERDAM)
    # Now every site is on Amsterdam time: 21:30 in Curaçao is 02:30 on day 12 in Amsterdam.
    for path, frame, data in _both_paths(cohort, staff):
        assert _days(data, ids["curacao"], PAIN) == [after(12)], path
        rows = pain_response_frame(frame, data, EndpointOptions())
        assert rows.loc[rows["patient_id"] == ids["curacao"], "time_point"].tolist() == ["week 2"], path
    assert_same_report(cohort, staff, store, ReportOptions(group_by=""))
