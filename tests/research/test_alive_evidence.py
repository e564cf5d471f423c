"""Proof of life: a living patient's follow-up ends at the date last known alive, which by default is the later of
the recorded ``last_known_alive`` and the local day of the patient's latest own answer
(:mod:`palliro.research.alive`).

Ann is followed from her first fraction on day 0 with "last known alive" recorded on day 10. Every expectation
is checked on both paths that must agree — the queries (:func:`~palliro.research.cohort.cohort_frame`) and the
analysis store (:func:`~palliro.research.store_report.frame_from_store`) — so the tests commit
(``transaction=True``): the store holds committed rows only.
"""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from palliro.accounts.access import StaffContext
from palliro.accounts.models import Site
from palliro.clinic.models import Patient, RTCourse
from palliro.demo.activity import write_activity
from palliro.demo.writer import write_department
from palliro.followup.models import Observation
from palliro.instruments.models import Instrument
from palliro.research.analyses import ReportOptions, build_report
from palliro.research.cohort import cohort_frame
from palliro.research.forms import ReportForm
from palliro.research.models import Cohort
from palliro.research.report_run import cohort_report
from palliro.research.store import AnalysisStore
from palliro.research.store_report import frame_from_store
from tests.conftest import make_patient
from tests.research.test_endpoint_sql import _instrument, _store
from tests.research.test_golden_lung import R_KM
from tests.research.test_store import assert_same_report

pytestmark = pytest.mark.django_db(transaction=True)

D0 = date(2025, 3, 10)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PAIN, PROXY_PAIN = "palliro-general/pain-worst", "palliro-general-proxy/pain-worst"
BOTH = ("recorded_or_own_answer", "recorded")


def after(days: int) -> date:
    return D0 + timedelta(days=days)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def treated(patient, first=D0):
    RTCourse.objects.create(patient=patient, indication="pain", target_region="femur", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=first, last_fraction_date=first,
                            fractions_delivered=1)
    return patient


def _instrument_for(code):
    name = code.partition("/")[0]
    return Instrument.objects.filter(code=name, version="1").first() or _instrument(name)


def answer(patient, respondent, at):
    """A completed response with one scored item, by ``respondent`` (a relative answers the proxy version)."""
    code = PROXY_PAIN if respondent == "proxy" else PAIN
    _store(patient, _instrument_for(code), respondent, at, {code: 5.0})


def clinician_of(*sites):
    return StaffContext(frozenset(s.pk for s in sites), frozenset(), frozenset({"clinician"}))


def frames(cohort, staff, *evidence):
    """The frame from the queries, checked equal to the frame from the store; ``evidence`` as given, else the
    default."""
    built = cohort_frame(cohort, staff, *evidence)
    stored = frame_from_store(AnalysisStore().current(), cohort, staff, *evidence)
    pd.testing.assert_frame_equal(stored.frame, built.frame)
    assert (stored.n_courses_matched, stored.n_without_follow_up) == (built.n_courses_matched,
                                                                      built.n_without_follow_up)
    return built


def end_of(patient, cohort, *evidence):
    """(follow-up end date, days from the first fraction, event) of the patient's row, on both paths."""
    row = frames(cohort, clinician_of(patient.site), *evidence).frame.set_index("patient_id").loc[patient.pk]
    return row["followup_end_date"], row["os_days"], row["os_event"]


def on(day):
    return pd.Timestamp(after(day))


@pytest.fixture
def ann(site_a):
    return treated(make_patient(site_a, "A-0001", "Ann", "Andersen", last_known_alive=after(10)))


@pytest.fixture
def cohort(site_a, make_cohort):
    return make_cohort(site_a)


def test_it_censors_at_the_patients_own_later_answer(ann, cohort):
    # 00:30 in Amsterdam on day 40 is 23:30 UTC on day 39: the answer's day is the site's.
    answer(ann, "patient", local(after(40), 0, 30))
    assert end_of(ann, cohort) == (on(40), 40.0, 0.0)
    built = frames(cohort, clinician_of(ann.site))
    assert built.alive_evidence == "recorded_or_own_answer"  # the default
    row = built.frame.iloc[0]
    assert (row["last_own_answer_date"], row["last_known_alive"], row["from_last_days"]) == (on(40), on(10), 40.0)
    assert end_of(ann, cohort, "recorded_or_own_answer") == (on(40), 40.0, 0.0)


def test_recorded_ignores_the_own_answer(ann, cohort):
    answer(ann, "patient", local(after(40), 12))
    assert end_of(ann, cohort, "recorded") == (on(10), 10.0, 0.0)
    built = frames(cohort, clinician_of(ann.site), "recorded")
    assert built.alive_evidence == "recorded"
    assert built.frame.iloc[0]["last_own_answer_date"] == on(40)  # known, not used


def test_a_relatives_answer_does_not_prove_the_patient_alive(ann, cohort):
    answer(ann, "proxy", local(after(40), 12))
    assert end_of(ann, cohort) == (on(10), 10.0, 0.0)
    assert pd.isna(frames(cohort, clinician_of(ann.site)).frame.iloc[0]["last_own_answer_date"])
    # Her own answer the same day does.
    answer(ann, "patient", local(after(40), 13))
    assert end_of(ann, cohort) == (on(40), 40.0, 0.0)


def test_a_staff_interview_does_not_count_either(ann, cohort):
    # Typed in after the call, possibly with a relative: see palliro.research.alive.
    answer(ann, "staff", local(after(40), 12))
    assert end_of(ann, cohort) == (on(10), 10.0, 0.0)
    answer(ann, "patient", local(after(30), 12))
    assert end_of(ann, cohort) == (on(30), 30.0, 0.0)


def test_the_later_of_the_recorded_date_and_the_own_answer_counts(ann, site_a, cohort):
    bea = treated(make_patient(site_a, "A-0006", "Bea", "Bos"))  # nothing recorded
    for patient in (ann, bea):
        answer(patient, "patient", local(after(4), 12))
        answer(patient, "patient", local(after(7), 12))
    assert end_of(ann, cohort) == (on(10), 10.0, 0.0)
    assert end_of(bea, cohort) == (on(7), 7.0, 0.0)


def test_an_answer_after_the_recorded_death_changes_nothing(site_a, cohort):
    dee = treated(make_patient(site_a, "A-0003", "Dee", "Dekker", vital_status="dead", death_date=after(20),
                               last_known_alive=after(5)))
    fay = treated(make_patient(site_a, "A-0005", "Fay", "Faas", last_known_alive=after(5)))
    for patient in (dee, fay):  # for Dee an entry error: her row ends at her death
        answer(patient, "patient", local(after(40), 12))
    for evidence in ((), ("recorded",)):
        assert end_of(dee, cohort, *evidence) == (on(20), 20.0, 1.0)
    assert end_of(fay, cohort) == (on(40), 40.0, 0.0)


def test_a_patient_without_a_recorded_date_gets_the_answer_day(site_a, cohort):
    eve = treated(make_patient(site_a, "A-0004", "Eve", "Evers"))
    answer(eve, "patient", local(after(25), 12))
    assert end_of(eve, cohort) == (on(25), 25.0, 0.0)
    assert frames(cohort, clinician_of(site_a)).n_without_follow_up == 0
    recorded = frames(cohort, clinician_of(site_a), "recorded")
    assert pd.isna(recorded.frame.iloc[0]["os_days"]) and recorded.n_without_follow_up == 1


def test_thirty_day_mortality_counts_a_patient_who_answered_after_the_horizon(ann, site_a, cohort):
    """Ann's recorded date (day 10) leaves her status at day 30 unknown; her own answer on day 35 makes her a
    30-day survivor. Dee died on day 12; Fay is recorded alive on day 40."""
    answer(ann, "patient", local(after(35), 12))
    treated(make_patient(site_a, "A-0003", "Dee", "Dekker", vital_status="dead", death_date=after(12)))
    treated(make_patient(site_a, "A-0005", "Fay", "Faas", last_known_alive=after(40)))

    def counts(**evidence):
        _built, report = cohort_report(cohort, clinician_of(site_a), ReportOptions(
            group_by="", outcome="died_30", outcome_group="indication", **evidence))
        row = report.table("mortality").frame.iloc[0]
        rate = report.table("proportions").frame.iloc[0]
        return row["deaths"], row["denominator"], row["censored_before_horizon"], rate["n"]

    assert counts() == (1, 3, 0, 3)
    assert counts(alive_evidence="recorded") == (1, 2, 1, 2)


@pytest.fixture
def department():
    """A synthetic department (seeded, fixed anchor): alive patients' recorded dates lag their answers."""
    anchor = date(2026, 6, 30)
    write_department(60, 2, anchor, n_sites=2, activity=False)
    write_activity(Patient.objects.all(), 2, anchor)
    cohort = Cohort.objects.create(name="all")
    cohort.sites.set(Site.objects.all())
    return cohort, clinician_of(*Site.objects.all())


def _reference_mortality(own_answers: bool, horizon=30) -> tuple[int, int]:
    """(deaths within the horizon, patients evaluable at it), counted per patient from the stored rows: the
    earliest treated course, the death date, else the recorded date or the latest own answer's local day by
    zoneinfo, one answer at a time."""
    first = {}
    for pid, day in RTCourse.objects.filter(first_fraction_date__isnull=False).order_by(
            "patient_id", "first_fraction_date", "id").values_list("patient_id", "first_fraction_date"):
        first.setdefault(pid, day)
    latest = {}
    if own_answers:
        for pid, at, zone in Observation.objects.filter(respondent="patient").values_list(
                "patient_id", "observed_at", "patient__site__timezone"):
            day = timezone.localdate(at, ZoneInfo(zone))
            latest[pid] = max(latest.get(pid, day), day)
    deaths = evaluable = 0
    for pid, death, recorded in Patient.objects.values_list("pk", "death_date", "last_known_alive"):
        if pid not in first:
            continue
        if death is not None:
            days = (death - first[pid]).days
            if days >= 0:
                deaths += days <= horizon
                evaluable += 1
            continue
        known = [d for d in (recorded, latest.get(pid)) if d is not None]
        if known and (max(known) - first[pid]).days >= horizon:
            evaluable += 1
    return deaths, evaluable


def test_thirty_day_mortality_of_a_department_counts_every_patient_seen_alive_after_day_30(department):
    cohort, staff = department
    # At least one patient recorded alive before day 30 answers after it, whatever the synthetic answers hold.
    frame = cohort_frame(cohort, staff).frame
    early = frame[frame["death_date"].isna()
                  & ((frame["last_known_alive"] - frame["first_fraction_date"]).dt.days < 30)].iloc[0]
    answer(Patient.objects.get(pk=early["patient_id"]), "patient",
           local(pd.Timestamp(early["first_fraction_date"]).date() + timedelta(days=35), 12))

    def mortality(**evidence):
        _built, report = cohort_report(cohort, staff, ReportOptions(group_by="", **evidence))
        row = report.table("mortality").frame.iloc[0]
        return row["deaths"], row["denominator"]

    own = mortality()
    assert own == _reference_mortality(own_answers=True)
    recorded = mortality(alive_evidence="recorded")
    assert recorded == _reference_mortality(own_answers=False)
    # Same deaths, more patients known to have lived past day 30.
    assert own[0] == recorded[0] and own[1] > recorded[1]


@pytest.mark.parametrize("evidence", BOTH)
def test_the_store_gives_the_same_report_as_the_queries_either_way(department, evidence):
    cohort, staff = department
    store = AnalysisStore()
    options = ReportOptions(group_by="indication", covariates=("age", "male"), alive_evidence=evidence)
    assert_same_report(cohort, staff, store, options)
    built = frame_from_store(store.current(), cohort, staff, evidence)
    extended = built.frame["last_own_answer_date"] > built.frame["last_known_alive"]
    assert extended.any()  # so the comparison covered follow-up that the own answers lengthen
    # A new own answer from a patient alive since: the store reads it from the journal, as the queries do.
    alive = built.frame[built.frame["death_date"].isna()].iloc[0]
    patient = Patient.objects.get(pk=alive["patient_id"])
    answer(patient, "patient", local(date(2026, 6, 29), 12))
    assert_same_report(cohort, staff, store, options)
    assert store.last_action == "refresh"
    frame = frame_from_store(store.current(), cohort, staff, evidence).frame.set_index("patient_id")
    assert frame.loc[patient.pk, "last_own_answer_date"] == pd.Timestamp(2026, 6, 29)


def test_recorded_reproduces_r_survival_although_the_patients_answered_later(lung_patients, make_cohort,
                                                                             clinician_a):
    """R's lung data as patients (tests/research/test_golden_lung.py), each censored patient having answered a
    questionnaire 30 days after their recorded date: "recorded" still gives R's printout; the default does not."""
    instrument = _instrument_for(PAIN)
    for patient in lung_patients.filter(death_date__isnull=True):
        _store(patient, instrument, "patient", local(patient.last_known_alive + timedelta(days=30), 12), {PAIN: 3.0})
    cohort = make_cohort()
    tables = {}
    for evidence in BOTH:
        built = cohort_frame(cohort, StaffContext(frozenset({cohort.sites.get().pk}), frozenset(),
                                                  frozenset({"clinician"})), evidence)
        report = build_report(built.frame, ReportOptions(group_by="sex", covariates=("age", "male"),
                                                         alive_evidence=evidence))
        km = report.table("km_median").frame.set_index("group")
        tables[evidence] = {g: tuple(km.loc[g, ["n", "events", "median_days", "lower_95", "upper_95"]])
                            for g in R_KM}
    assert tables["recorded"] == R_KM
    assert tables["recorded_or_own_answer"] != R_KM


def test_the_report_page_offers_the_definition_and_says_which_was_used(ann, cohort, login, researcher):
    answer(ann, "patient", local(after(40), 12))
    url = reverse("research:cohort_report", args=[cohort.pk])
    page = login(researcher).get(url).content.decode()
    assert 'name="alive_evidence"' in page
    assert "the day (site time) of a later questionnaire the patient answered themselves" in page
    page = login(researcher).get(url, {"alive_evidence": "recorded"}).content.decode()
    assert "censored at the recorded last-known-alive date" in page
    xlsx = login(researcher).get(reverse("research:table_export", args=[cohort.pk, "mortality", "xlsx"]),
                                 {"alive_evidence": "recorded"})
    lines = dict(load_workbook(io.BytesIO(xlsx.content))["cohort"].iter_rows(values_only=True))
    assert lines["Date last known alive"] == "The recorded 'last known alive' date only"


def test_the_report_form_rejects_an_unknown_definition(ann, cohort, login, researcher):
    form = ReportForm({"alive_evidence": "relatives_too"})
    assert not form.is_valid() and "alive_evidence" in form.errors
    assert ReportForm({"alive_evidence": "recorded"}).is_valid()
    empty = ReportForm({})
    assert empty.is_valid() and empty.options().alive_evidence == "recorded_or_own_answer"
    page = login(researcher).get(reverse("research:cohort_report", args=[cohort.pk]), {"alive_evidence": "relatives_too"})
    assert page.status_code == 200
    assert "Select a valid choice. relatives_too is not one of the available choices." in page.content.decode()
