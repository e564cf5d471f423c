"""Benchmark: the whole research cohort report for N synthetic patients (default 100 000).

Generates the department with ``palliro.demo.writer.write_department`` (fixed seed, bulk inserts) into a
fresh database, with follow-up activity (protocol enrolments and invitations, responses, observations, alerts)
for the first ``--activity`` patients (default 10 000: about 1.06 million observations; activity for all
100 000 would take about half an hour to generate and hold ~11 million observations), then times, in-process
and after one warm-up run:

* ``cohort_frame`` — the pseudonymised frame (two queries, plus one aggregate for each patient's latest own
  answer: the proof of life the default ``alive_evidence`` censors at),
* ``load_endpoint_data`` — the cohort's pain and diary answers, QoL answers summed per patient, code and
  time point in the database, same-day patient/proxy pairs found in the database (one self-join), the
  analgesics of the patients with a pain or diary answer, sites' OMED tables and invitations (seven queries),
* ``build_report`` — every section: KM overall and by group with survival at 4 times and the at-risk
  table, log-rank, Cox (age + male), regimen chi-square, not-completed share, 30-day mortality, pathway
  times, prognostic validation (Harrell's C + calibration per model), proportions, endpoints;
* the whole report from queries (``cohort_report(store=False)``, with and without its helper threads);
* the whole report as the page runs it, from the analysis store: its first load, then reports with nothing
  changed, reports after 20 questionnaires were submitted since the previous one and reports after 20 patients'
  last contact dates were updated (the store applies the change journal first; patient changes also make it
  derive the all-courses frame again), and finally a check that this report equals the one from queries.

Figures are not rendered (the page draws them as SVG on top; see README).

Run:  python bench/bench_cohort_report.py [n] [--activity K] [--runs R] [--postgres DATABASE_URL]
                                          [--data-dir DIR]
Without --postgres a temporary SQLite file is used and removed afterwards. ``--data-dir`` keeps the SQLite
file in DIR and reuses it on the next run (no regeneration). Target (DESIGN.md §7): ≤ 3 s for 100 000
patients.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date

import pandas as pd


def _option(args: list[str], name: str, default=None):
    return args[args.index(name) + 1] if name in args else default


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 100_000
    n_activity = min(n, int(_option(args, "--activity", 10_000)))
    runs = int(_option(args, "--runs", 3))
    if "--postgres" in args:
        os.environ["DATABASE_URL"] = _option(args, "--postgres")
    kept = _option(args, "--data-dir")
    data_dir = kept or tempfile.mkdtemp(prefix="palliro-bench-")
    os.environ["PALLIRO_DATA_DIR"] = data_dir
    os.environ.setdefault("PALLIRO_MODE", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palliro.settings")
    try:
        _run(n, n_activity, runs)
    finally:
        if not kept:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


def _run(n: int, n_activity: int, runs: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from palliro.accounts.access import StaffContext
    from palliro.accounts.models import Site
    from palliro.clinic.models import Patient
    from palliro.demo.activity import write_activity
    from palliro.demo.writer import write_department
    from palliro.followup.models import Observation
    from palliro.research.analyses import ReportOptions, build_report
    from palliro.research.cohort import cohort_courses, cohort_frame
    from palliro.research.endpoints import load_endpoint_data
    from palliro.research.models import Cohort
    from palliro.research.report_run import cohort_report

    call_command("migrate", verbosity=0)
    if not Cohort.objects.filter(name="bench").exists():
        seed, anchor = 20261121, date(2026, 6, 30)
        t0 = time.perf_counter()
        write_department(n, seed=seed, anchor=anchor, n_sites=2, activity=False)
        t1 = time.perf_counter()
        ids = Patient.objects.order_by("pk").values_list("pk", flat=True)[:n_activity]
        write_activity(Patient.objects.filter(pk__in=list(ids)), seed, anchor)
        t2 = time.perf_counter()
        print(f"generated {n} patients in {t1 - t0:.1f} s, activity for {n_activity} in {t2 - t1:.1f} s", flush=True)
        cohort = Cohort.objects.create(name="bench")
        cohort.sites.set(Site.objects.all())
    cohort = Cohort.objects.get(name="bench")
    from django.db import connection

    if connection.vendor == "postgresql":
        # Autovacuum would have gathered statistics in a department in use (this machine's server runs without
        # it); without them the planner picks poor joins for freshly bulk-loaded tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"observations stored: {Observation.objects.count()}", flush=True)
    staff = StaffContext(frozenset(Site.objects.values_list("id", flat=True)), frozenset(), frozenset({"clinician"}))
    options = ReportOptions(group_by="indication", covariates=("age", "male"))
    timings: dict[str, list[float]] = {"cohort_frame": [], "load_endpoint_data": [], "build_report": [], "total": []}
    sequential = "--threads-only" not in sys.argv
    for run in range(runs + 1 if sequential else 0):
        a = time.perf_counter()
        built = cohort_frame(cohort, staff)
        b = time.perf_counter()
        data = load_endpoint_data(cohort_courses(cohort, staff).values("patient_id"))
        c = time.perf_counter()
        report = build_report(built.frame, options, data)
        d = time.perf_counter()
        if run:  # the first run warms imports (lifelines) and the database cache
            for key, value in zip(timings, (b - a, c - b, d - c, d - a), strict=True):
                timings[key].append(value)
    # The whole report from queries (palliro.research.report_run.cohort_report with store=False): endpoint
    # loading on a second thread, QoL pooled in the database, and once with everything on the calling thread.
    for label, parallel in (("queries (threads)", True), ("queries (one thread)", False)):
        timings[label] = []
        for run in range(runs + 1):
            a = time.perf_counter()
            built, report = cohort_report(cohort, staff, options, parallel=parallel, store=False)
            if run:
                timings[label].append(time.perf_counter() - a)
    # What the page runs: the analysis store (palliro.research.store), loaded once per server process, then
    # brought up to date from the change journal before every report.
    from palliro.research.store import analysis_store

    store = analysis_store()
    a = time.perf_counter()
    store.current()
    timings["store: first load"] = [time.perf_counter() - a]
    for label, change in (("store: nothing changed", None),
                          (f"store: after {SUBMISSIONS} submissions", _submit_some),
                          (f"store: after {SUBMISSIONS} patient updates", _touch_patients)):
        timings[label] = []
        for run in range(runs + 1):
            if change is not None:
                change(SUBMISSIONS)
            a = time.perf_counter()
            built, report = cohort_report(cohort, staff, options)
            if run:
                timings[label].append(time.perf_counter() - a)
        assert store.last_action == ("refresh" if change else "unchanged"), store.last_action
    # The same report from the queries, as a check that the store is current after the submissions.
    _built, direct = cohort_report(cohort, staff, options, store=False)
    for mine, theirs in zip(report.sections, direct.sections, strict=True):
        for x, y in zip(mine.tables, theirs.tables, strict=True):
            # QoL means are summed in another order than in the database: a mean that lies on a rounding
            # tie (x.xx5) may then show one unit more or less in its last (second) decimal.
            pd.testing.assert_frame_equal(x.frame, y.frame, rtol=1e-9, atol=0.0100001 if x.key == "qol" else 0)
    data = load_endpoint_data(cohort_courses(cohort, staff).values("patient_id"))
    errors = [f"{s.key}: {s.error}" for s in report.sections if s.error]
    print(f"rows in frame: {len(built.frame)}; observations loaded: {len(data.observations)}; "
          f"sections: {len(report.sections)}; not computable: {errors}")
    pain = report.table("pain_response")
    if pain is not None:
        print("pain response assessable at week 1..12:", pain.frame.groupby("time_point", sort=False)["assessable"]
              .first().tolist())
    for key, values in timings.items():
        if not values:
            continue
        print(f"{key:26s} median {statistics.median(values):.3f} s  (runs: {', '.join(f'{v:.3f}' for v in values)})")


#: Questionnaires answered between two timed reports in the "after submissions" runs.
SUBMISSIONS = 20


def _submit_some(n: int) -> None:
    """Answer ``n`` open invitations with the answers of an earlier response to the same questionnaire, through
    the patient pages' submission (response, FHIR document, observations, invitation, triage)."""
    import uuid

    from palliro.followup.models import Invitation, InvitationState, Response
    from palliro.followup.submission import submit

    if not n:
        return
    done = {}
    for r in Response.objects.filter(status="completed", respondent="patient").order_by("pk")[:2000]:
        done.setdefault(r.instrument_id, r.answers)
    open_ = Invitation.objects.filter(state=InvitationState.SCHEDULED, respondent="patient",
                                      instrument_id__in=list(done)).select_related("instrument", "patient")
    for invitation in open_.order_by("pk")[:n]:
        submit(instrument=invitation.instrument, patient=invitation.patient, respondent="patient",
               answers=done[invitation.instrument_id], submission_id=uuid.uuid4(), language="en",
               invitation=invitation)


def _touch_patients(n: int) -> None:
    """Record a contact today for ``n`` living patients (changes patient rows, so every cohort's frame)."""
    from django.utils import timezone

    from palliro.clinic.models import Patient

    start = _touched.pop() if _touched else 0
    alive = Patient.objects.filter(vital_status="alive").order_by("pk").values_list("pk", flat=True)[start:start + n]
    Patient.objects.filter(pk__in=list(alive)).update(last_known_alive=timezone.localdate())
    _touched.append(start + n)


_touched: list[int] = []  # where the next _touch_patients call starts among the living patients


if __name__ == "__main__":
    main()
