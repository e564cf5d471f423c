"""The analysis store gives the same cohort report as the queries, and stays current as the data changes.

Every test commits (``transaction=True``): the store holds committed rows only and is never used inside a
transaction. Each comparison runs the whole report twice — ``store=False`` (queries) and from the store — and
requires equal frames and equal tables (floating-point results within :data:`RTOL`).
"""

from datetime import date, timedelta

import pandas as pd
import pytest
from django.db import connection, transaction

from palliro.accounts.access import StaffContext
from palliro.accounts.models import Site
from palliro.clinic.models import AnalgesicRecord, Episode, Patient, RTCourse
from palliro.demo.activity import write_activity
from palliro.demo.writer import write_department
from palliro.followup.models import Enrolment, Invitation, InvitationState, Observation, Response
from palliro.followup.submission import submit
from palliro.research import journal
from palliro.research.analyses import ReportOptions
from palliro.research.endpoint_report import report_groups
from palliro.research.endpoints import load_qol_pooled
from palliro.research.models import Change, Cohort
from palliro.research.report_run import cohort_report
from palliro.research.store import AnalysisStore, StoreUnavailable, analysis_store
from palliro.research.store_report import qol_pooled_from_store

pytestmark = pytest.mark.django_db(transaction=True)

ANCHOR = date(2026, 6, 30)
#: Means and M2 are summed in another order than in the database: equal to within rounding.
RTOL = 1e-9
#: One unit in the last decimal the QoL table shows.
QOL_SHOWN = 0.0100001
OPTIONS = ReportOptions(group_by="indication", covariates=("age", "male"), alive_evidence="recorded_or_own_answer")


@pytest.fixture
def department():
    write_department(60, 5, ANCHOR, n_sites=2, activity=False)
    write_activity(Patient.objects.all(), 5, ANCHOR)
    cohort = Cohort.objects.create(name="all")
    cohort.sites.set(Site.objects.all())
    return cohort


def clinician():
    return StaffContext(frozenset(Site.objects.values_list("id", flat=True)), frozenset(), frozenset({"clinician"}))


def researcher_at(site):
    return StaffContext(frozenset(), frozenset({site.pk}), frozenset({"researcher"}))


def assert_same_report(cohort, staff, store: AnalysisStore, options=OPTIONS):
    from palliro.research.report_run import report_from_snapshot

    want_built, want = cohort_report(cohort, staff, options, store=False)
    snap = store.current()
    got_built, got = report_from_snapshot(snap, cohort, staff, options)
    pd.testing.assert_frame_equal(got_built.frame, want_built.frame)
    assert (got_built.n_courses_matched, got_built.n_without_follow_up) == (
        want_built.n_courses_matched, want_built.n_without_follow_up)
    if want is None:
        assert got is None
        return
    assert [(s.key, s.error, s.notes) for s in got.sections] == [(s.key, s.error, s.notes) for s in want.sections]
    for mine, theirs in zip(got.sections, want.sections, strict=True):
        assert [t.key for t in mine.tables] == [t.key for t in theirs.tables]
        for a, b in zip(mine.tables, theirs.tables, strict=True):
            # A QoL mean on a rounding tie (x.xx5) may show one unit more or less in its last decimal; the
            # unrounded cells are compared below.
            pd.testing.assert_frame_equal(a.frame, b.frame, rtol=RTOL, atol=QOL_SHOWN if a.key == "qol" else 0,
                                          obj=a.key)
    groups = report_groups(want_built.frame, options.group_by)
    cells = qol_pooled_from_store(snap, groups, options.qol_codes)
    expected = load_qol_pooled(groups, options.qol_codes)
    key = ["code", "group", "time_point"]
    pd.testing.assert_frame_equal(cells.sort_values(key, ignore_index=True), expected.sort_values(key, ignore_index=True),
                                  rtol=RTOL, check_dtype=False)
    return got


def test_it_gives_the_same_report_as_the_queries(department):
    report = assert_same_report(department, clinician(), AnalysisStore())
    # Every section has something to show, so every path of the store was compared.
    assert [s.key for s in report.sections if s.error] == []
    assert not report.table("proxy_agreement").frame.empty


@pytest.mark.parametrize("options", [
    ReportOptions(group_by="", qol_codes=("palliro-pain-diary/diary-pain-worst", "palliro-general/pain-worst")),
    ReportOptions(group_by="regimen", origin="last_fraction", endpoints=False),
    # OPTIONS follow patients up to their own later answers (the default); this one to the recorded date only.
    ReportOptions(group_by="sex", outcome="died_30", alive_evidence="recorded"),
])
def test_other_report_options_give_the_same_report_too(department, options):
    report = assert_same_report(department, clinician(), AnalysisStore(), options)
    assert [s.key for s in report.sections if s.error] == []


@pytest.mark.parametrize("filters", [
    {"unit": "courses"},
    {"indications": ["pain"], "tumours": ["breast", "prostate", "lung"]},
    {"first_fraction_from": date(2025, 1, 1), "first_fraction_to": date(2026, 3, 31)},
    {"techniques": ["conventional"], "unit": "courses"},
    {"regimen_total_dose_gy": 8, "regimen_fractions": 1},
    {"protocol": "bone"},
])
def test_it_applies_the_cohort_filters_as_the_queries_do(department, filters):
    from palliro.followup.models import Protocol

    if filters.get("protocol"):
        filters = {**filters, "protocol": Protocol.objects.filter(code__startswith=filters["protocol"]).first()}
        assert filters["protocol"] is not None
    Cohort.objects.filter(pk=department.pk).update(**filters)
    department.refresh_from_db()
    assert_same_report(department, clinician(), AnalysisStore())


def test_a_researcher_gets_only_consenting_patients_of_their_research_site(department):
    site = Site.objects.order_by("pk").first()
    Patient.objects.filter(pk__in=Patient.objects.order_by("pk").values("pk")[:20]).update(research_consent=False)
    store = AnalysisStore()
    report_built, _ = cohort_report(department, researcher_at(site), OPTIONS, store=False)
    allowed = set(Patient.objects.filter(site=site, research_consent=True).values_list("pk", flat=True))
    assert set(report_built.frame["patient_id"]) <= allowed
    assert_same_report(department, researcher_at(site), store)


def _answer_an_open_invitation():
    """Submit the answers of an earlier completed response to a still open invitation of the same
    instrument, through the patient pages' own submission (raw SQL inserts)."""
    done = Response.objects.filter(status="completed", invitation__isnull=False, respondent="patient")
    for invitation in Invitation.objects.filter(state=InvitationState.SCHEDULED, respondent="patient"):
        earlier = done.filter(instrument=invitation.instrument).first()
        if earlier is not None:
            import uuid

            return submit(instrument=invitation.instrument, patient=invitation.patient, respondent="patient",
                          answers=earlier.answers, submission_id=uuid.uuid4(), language="en", invitation=invitation)
    raise AssertionError("no open invitation with an answered twin")


def test_it_follows_inserts_updates_and_deletes_of_every_table(department):
    store = AnalysisStore()
    assert_same_report(department, clinician(), store)
    assert store.last_action == "load"
    site = Site.objects.order_by("pk").first()
    # A new patient with a course (ORM inserts), a death recorded with QuerySet.update (no signals) ...
    patient = Patient.objects.create(
        site=site, pseudonym="P-NEW", hospital_number="H-NEW", given_name="New", family_name="Patient",
        birth_date=date(1950, 5, 5), sex="female", primary_tumour="breast", research_consent=True,
        last_known_alive=ANCHOR)
    RTCourse.objects.create(patient=patient, indication="pain", target_region="femur", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=ANCHOR - timedelta(days=30),
                            last_fraction_date=ANCHOR - timedelta(days=30), fractions_delivered=1)
    living = Patient.objects.filter(vital_status="alive").exclude(pk=patient.pk).order_by("pk")
    Patient.objects.filter(pk=living.first().pk).update(vital_status="dead", death_date=ANCHOR)
    RTCourse.objects.filter(pk=RTCourse.objects.order_by("pk").first().pk).update(fractions_delivered=0)
    # ... a deleted patient (Django cascades: courses, responses, observations, invitations) ...
    gone = Patient.objects.filter(responses__status="completed").order_by("-pk").first()
    Observation.objects.filter(patient=gone).delete()
    Response.objects.filter(patient=gone).delete()
    gone.delete()
    # ... a questionnaire answered through the submission's raw SQL, an invitation missed, an episode,
    # an analgesic and an enrolment.
    _answer_an_open_invitation()
    Invitation.objects.filter(pk=Invitation.objects.filter(state=InvitationState.SCHEDULED).first().pk).update(
        state=InvitationState.EXPIRED)
    treated = Patient.objects.filter(courses__isnull=False).order_by("pk").first()
    Episode.objects.create(patient=treated, kind=Episode._meta.get_field("kind").choices[0][0],
                           onset_date=ANCHOR - timedelta(days=3))
    AnalgesicRecord.objects.create(patient=treated, recorded_on=ANCHOR - timedelta(days=2), drug="morphine",
                                   dose=10, unit="mg", route="oral", doses_per_day=6)
    assert_same_report(department, clinician(), store)
    assert store.last_action == "refresh"
    assert store.last_ranges > 5
    # Nothing changed: one look at the journal, nothing re-read.
    assert_same_report(department, clinician(), store)
    assert store.last_action == "unchanged"
    # The cohort report view's own entry point uses the process's store.
    _built, report = cohort_report(department, clinician(), OPTIONS)
    assert analysis_store().last_action == "load" and report is not None


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_it_reloads_when_the_journal_no_longer_reaches_back(department):
    """SQLite's entry ids have no gaps, so entries deleted behind the store's back are noticed. (On PostgreSQL
    only :func:`journal.prune` removes entries, older than the store's idle limit: next test.)"""
    store = AnalysisStore()
    store.current()
    Patient.objects.filter(pk=Patient.objects.order_by("pk").first().pk).update(kps=40)
    Change.objects.all().delete()
    Patient.objects.filter(pk=Patient.objects.order_by("pk").last().pk).update(kps=50)
    assert_same_report(department, clinician(), store)
    assert store.last_action == "load"


def test_pruning_keeps_recent_entries_and_the_newest(department):
    Patient.objects.filter(pk=Patient.objects.order_by("pk").first().pk).update(kps=60)
    newest = Change.objects.order_by("-id").first()
    Change.objects.update(at=newest.at - journal.RETENTION - timedelta(hours=1))
    Patient.objects.filter(pk=Patient.objects.order_by("pk").last().pk).update(kps=70)
    assert journal.prune() > 0
    assert Change.objects.count() == 1


def test_an_old_enough_mark_reloads_after_pruning(department):
    store = AnalysisStore()
    store.current()
    Patient.objects.filter(pk=Patient.objects.order_by("pk").first().pk).update(kps=30)
    Patient.objects.filter(pk=Patient.objects.order_by("pk").last().pk).update(kps=20)
    # The older of the two entries is pruned: the store cannot know what it said.
    Change.objects.filter(pk=Change.objects.order_by("-id")[1].pk).delete()
    if connection.vendor == "sqlite":
        assert_same_report(department, clinician(), store)
        assert store.last_action == "load"
    else:
        # PostgreSQL's marks are transaction ids, not entry ids: the store relies on its idle limit.
        store._refreshed -= 10 ** 9
        assert_same_report(department, clinician(), store)
        assert store.last_action == "load"


def test_it_is_never_used_inside_a_transaction(department):
    store = AnalysisStore()
    with transaction.atomic():
        with pytest.raises(StoreUnavailable):
            store.current()
        # The report then runs its queries, which see the transaction's own rows.
        Patient.objects.update(research_consent=True)
        built, report = cohort_report(department, clinician(), OPTIONS)
        assert report is not None and len(built.frame)


def test_without_its_triggers_the_report_runs_its_queries(department):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER palliro_journal_course_update")
        else:
            cursor.execute("DROP TRIGGER palliro_journal_course_change ON clinic_rtcourse")
    assert not journal.installed()
    with pytest.raises(StoreUnavailable):
        AnalysisStore().current()
    built, report = cohort_report(department, clinician(), OPTIONS)
    assert report is not None
    journal.install()
    assert journal.installed()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_transaction_that_commits_late_is_not_missed(department):
    """Outbox rule: a change journalled by a transaction still open at the store's look (so invisible), whose
    entry id is lower than entries already read, is applied once it commits."""
    import psycopg

    params = connection.get_connection_params()
    store = AnalysisStore()
    store.current()
    first, last = Patient.objects.order_by("pk").first(), Patient.objects.order_by("pk").last()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")}
                         ) as slow:
        slow.execute("UPDATE clinic_patient SET kps = 10 WHERE id = %s", [first.pk])  # open, not committed
        Patient.objects.filter(pk=last.pk).update(kps=90)  # commits, later entry id
        snap = store.current()
        assert snap.courses.loc[snap.courses["patient_id"] == last.pk, "patient__kps"].eq(90).all()
        assert not snap.courses.loc[snap.courses["patient_id"] == first.pk, "patient__kps"].eq(10).any()
        slow.commit()
    snap = store.current()
    assert snap.courses.loc[snap.courses["patient_id"] == first.pk, "patient__kps"].eq(10).all()
    assert_same_report(department, clinician(), store)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_truncated_table_makes_the_store_reload(department):
    store = AnalysisStore()
    store.current()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE clinic_analgesicrecord")
    snap = store.current()
    assert store.last_action == "load" and snap.analgesics.empty


def test_enrolments_follow_the_protocol_filter(department):
    from palliro.followup.models import Protocol

    protocol = Protocol.objects.order_by("pk").first()
    Cohort.objects.filter(pk=department.pk).update(protocol=protocol)
    department.refresh_from_db()
    store = AnalysisStore()
    assert_same_report(department, clinician(), store)
    Enrolment.objects.filter(protocol=protocol).delete() if not Enrolment.objects.filter(
        protocol=protocol, patient__responses__isnull=False).exists() else Enrolment.objects.filter(
        protocol=protocol).update(protocol=Protocol.objects.exclude(pk=protocol.pk).first())
    assert_same_report(department, clinician(), store)
    assert store.last_action == "refresh"


def test_the_worker_task_prunes_the_journal(department):
    from palliro.research.tasks import prune_change_journal

    Patient.objects.filter(pk=Patient.objects.order_by("pk").first().pk).update(kps=60)
    Change.objects.update(at=Change.objects.order_by("-id").first().at - journal.RETENTION - timedelta(minutes=1))
    Patient.objects.filter(pk=Patient.objects.order_by("pk").last().pk).update(kps=70)
    before = Change.objects.count()
    assert prune_change_journal.call() == before - 1


def _treated(patient):
    return RTCourse.objects.create(patient=patient, indication="pain", target_region="hip", technique="conventional",
                                   total_dose_gy=8, fractions_planned=1, first_fraction_date=date(2025, 2, 3),
                                   last_fraction_date=date(2025, 2, 3), fractions_delivered=1)


def test_the_report_page_reads_the_store_and_shows_new_rows_at_once(site_a, site_b, researcher, nurse_a, nurse_b,
                                                                     login, client, make_cohort):
    from django.urls import reverse

    from palliro.accounts.models import AuditEvent
    from tests.conftest import make_patient

    ann = make_patient(site_a, "H-ANN", "Ann", "Aalders", last_known_alive=date(2025, 6, 1))
    cas = make_patient(site_a, "H-CAS", "Cas", "Claes", research_consent=False, last_known_alive=date(2025, 6, 1))
    _treated(ann), _treated(cas)
    cohort = make_cohort(site_a)
    url = reverse("research:cohort_report", args=[cohort.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    page = login(researcher).get(url)
    assert page.status_code == 200 and analysis_store().last_action == "load"
    text = page.content.decode()
    assert "Aalders" not in text and "H-ANN" not in text and cas.pseudonym not in text
    assert AuditEvent.objects.filter(action="research_report").latest("pk").detail == "rows=1"
    # A consenting patient treated since: the next page shows them, read from the journal, not reloaded.
    _treated(make_patient(site_a, "H-DAN", "Dan", "Dekker", last_known_alive=date(2025, 6, 1)))
    assert login(researcher).get(url).status_code == 200
    assert analysis_store().last_action == "refresh"
    assert AuditEvent.objects.filter(action="research_report").latest("pk").detail == "rows=2"
    # Care staff of the site see every patient of it; another site's nurse gets no report at all.
    assert login(nurse_a).get(url).status_code == 200
    assert AuditEvent.objects.filter(action="research_report").latest("pk").detail == "rows=3"
    assert login(nurse_b).get(url).status_code in (403, 404)


def test_exports_from_the_store_equal_exports_from_the_queries(department, login, settings):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from palliro.accounts.models import AuditEvent, Membership

    admin = get_user_model().objects.create_user("export-admin", password="x")
    for site in Site.objects.all():
        Membership.objects.create(user=admin, site=site, role="clinician")
    client = login(admin)
    urls = [reverse("research:table_export", args=[department.pk, key, "csv"])
            for key in ("regimen_use", "pain_response", "proxy_agreement", "adherence")]
    urls.append(reverse("research:table_export", args=[department.pk, "km_median", "xlsx"]))
    settings.PALLIRO_ANALYSIS_STORE = False
    want = [client.get(url) for url in urls]
    settings.PALLIRO_ANALYSIS_STORE = True
    got = [client.get(url) for url in urls]
    assert analysis_store().last_action in ("load", "unchanged")
    for url, a, b in zip(urls, got, want, strict=True):
        assert a.status_code == b.status_code == 200, url
        if url.endswith("csv"):
            assert a.content == b.content, url
    assert AuditEvent.objects.filter(action="research_export_table").count() == 2 * len(urls)
