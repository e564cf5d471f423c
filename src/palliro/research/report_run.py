"""The whole cohort report in one call, with its independent database work run side by side.

:func:`cohort_report` gives the same frame and report as calling :func:`~palliro.research.cohort.cohort_frame`,
:func:`~palliro.research.endpoints.load_endpoint_data` and :func:`~palliro.research.analyses.build_report`
one after the other, with the QoL means pooled in the database for the report's grouping
(:func:`~palliro.research.endpoints.load_qol_pooled`) instead of per patient in pandas.

Order of work: the endpoint answers (pain, diary, analgesics, invitations, proxy pairs) load on a second
thread and the patients' latest own answers (proof of life, :mod:`palliro.research.alive`) on a third while the
frame is built; as soon as the frame gives each patient's report group, the QoL pooling
query starts on the third thread (the frame needed the own answers, so it is free) while the survival, Cox,
regimen, quality, validation and proportion
sections are computed; the endpoint sections follow. The database drivers (sqlite3, psycopg) release the
GIL while the database works, so on two cores the queries overlap with the pandas work. Each helper
thread uses its own database connection (Django's connections are per thread) and closes it when done.

With the analysis store on (``PALLIRO_ANALYSIS_STORE``, the default) the frame and the endpoint data come
from its copies, brought up to date from the change journal first (:mod:`palliro.research.store`); no thread
is needed then. Without it, or where it cannot be used, the queries below run.

Inside a transaction (``connection.in_atomic_block``, e.g. a test case or a request wrapped in
ATOMIC_REQUESTS) other connections would not see its uncommitted rows, so everything then runs on the
calling thread, in the same order.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from django.conf import settings
from django.db import connection, connections

from palliro.research.alive import latest_own_answers
from palliro.research.analyses import Report, ReportOptions, build_report
from palliro.research.cohort import CohortFrame, cohort_courses, cohort_frame
from palliro.research.endpoint_report import endpoint_sections, report_groups
from palliro.research.endpoints import load_endpoint_data, load_qol_pooled
from palliro.research.store import Snapshot, StoreUnavailable, analysis_store
from palliro.research.store_report import endpoint_data_from_store, frame_from_store, qol_pooled_from_store

logger = logging.getLogger(__name__)


def _closing(fn, *args, **kwargs):
    """Run ``fn`` on a helper thread and close that thread's database connections afterwards."""
    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


class _Inline:
    """Executor stand-in that runs each call at once on the calling thread."""

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # re-raised by result(), as a thread's would be
            future.set_exception(exc)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _snapshot() -> Snapshot | None:
    try:
        return analysis_store(connection.alias).current()
    except StoreUnavailable as exc:
        logger.warning("Research report without the analysis store: %s", exc)
        return None


def report_from_snapshot(snap: Snapshot, cohort, staff, options: ReportOptions,
                         endpoints: bool = True) -> tuple[CohortFrame, Report | None]:
    """:func:`cohort_report` computed from the analysis store's copies."""
    built = frame_from_store(snap, cohort, staff, options.alive_evidence)
    frame = built.frame
    if not len(frame):
        return built, None
    report = build_report(frame, options, None, cohort.unit)
    if not (endpoints and options.endpoints):
        return built, report
    data = endpoint_data_from_store(snap, frame["patient_id"].unique(), qol_codes=options.qol_codes)
    pooled = qol_pooled_from_store(snap, report_groups(frame, options.group_by), options.qol_codes)
    data = replace(data, qol_pooled=pooled, qol_group_by=options.group_by)
    return built, replace(report, sections=report.sections + tuple(endpoint_sections(frame, data, options)))


def cohort_report(cohort, staff, options: ReportOptions | None = None, *, endpoints: bool = True,
                  parallel: bool | None = None, store: bool | None = None) -> tuple[CohortFrame, Report | None]:
    """The cohort's frame for this viewer and its report (None for an empty frame).

    ``store`` None: the analysis store when the setting allows it and no transaction is open; False: queries.
    ``parallel`` (queries only) None: threads unless inside a transaction; False: everything on the calling
    thread.
    """
    options = options or ReportOptions()
    if store is None:
        store = settings.PALLIRO_ANALYSIS_STORE and not connection.in_atomic_block
    if store and (snap := _snapshot()) is not None:
        return report_from_snapshot(snap, cohort, staff, options, endpoints)
    if parallel is None:
        parallel = not connection.in_atomic_block
    ids = cohort_courses(cohort, staff).values("patient_id")
    wanted = endpoints and options.endpoints
    with (ThreadPoolExecutor(2, thread_name_prefix="cohort-report") if parallel else _Inline()) as pool:
        run = (lambda fn, *a, **kw: pool.submit(_closing, fn, *a, **kw)) if parallel else pool.submit
        loading = run(load_endpoint_data, ids, qol_codes=options.qol_codes, qol=False) if wanted else None
        # The latest own answers (a scan of the cohort's answers) load beside the frame's rows; the pool's
        # second thread is free again before the QoL pooling needs it.
        answers = run(latest_own_answers, ids)
        built = cohort_frame(cohort, staff, options.alive_evidence, own_answers=answers.result)
        frame = built.frame
        if not len(frame):
            if loading is not None:
                loading.result()
            return built, None
        pooling = run(load_qol_pooled, report_groups(frame, options.group_by), options.qol_codes) if wanted else None
        report = build_report(frame, options, None, cohort.unit)
        if not wanted:
            return built, report
        data = replace(loading.result(), qol_pooled=pooling.result(), qol_group_by=options.group_by)
        sections = report.sections + tuple(endpoint_sections(frame, data, options))
    return built, replace(report, sections=sections)


__all__ = ["cohort_report", "report_from_snapshot"]
