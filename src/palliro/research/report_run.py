"""The whole cohort report in one call, with its independent database work run side by side.

:func:`cohort_report` gives the same frame and report as calling :func:`~palliro.research.cohort.cohort_frame`,
:func:`~palliro.research.endpoints.load_endpoint_data` and :func:`~palliro.research.analyses.build_report`
one after the other, with the QoL means pooled in the database for the report's grouping
(:func:`~palliro.research.endpoints.load_qol_pooled`) instead of per patient in pandas.

Order of work: the endpoint answers (pain, diary, analgesics, invitations, proxy pairs) load on a second
thread while the frame is built; as soon as the frame gives each patient's report group, the QoL pooling
query starts on a third thread while the survival, Cox, regimen, quality, validation and proportion
sections are computed; the endpoint sections follow. The database drivers (sqlite3, psycopg) release the
GIL while the database works, so on two cores the queries overlap with the pandas work. Each helper
thread uses its own database connection (Django's connections are per thread) and closes it when done.

Inside a transaction (``connection.in_atomic_block``, e.g. a test case or a request wrapped in
ATOMIC_REQUESTS) other connections would not see its uncommitted rows, so everything then runs on the
calling thread, in the same order.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from django.db import connection, connections

from palliro.research.analyses import Report, ReportOptions, build_report
from palliro.research.cohort import CohortFrame, cohort_courses, cohort_frame
from palliro.research.endpoint_report import endpoint_sections, report_groups
from palliro.research.endpoints import load_endpoint_data, load_qol_pooled


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


def cohort_report(cohort, staff, options: ReportOptions | None = None, *, endpoints: bool = True,
                  parallel: bool | None = None) -> tuple[CohortFrame, Report | None]:
    """The cohort's frame for this viewer and its report (None for an empty frame).

    ``parallel`` None: threads unless inside a transaction; False: everything on the calling thread.
    """
    options = options or ReportOptions()
    if parallel is None:
        parallel = not connection.in_atomic_block
    ids = cohort_courses(cohort, staff).values("patient_id")
    wanted = endpoints and options.endpoints
    with (ThreadPoolExecutor(2, thread_name_prefix="cohort-report") if parallel else _Inline()) as pool:
        run = (lambda fn, *a, **kw: pool.submit(_closing, fn, *a, **kw)) if parallel else pool.submit
        loading = run(load_endpoint_data, ids, qol_codes=options.qol_codes, qol=False) if wanted else None
        built = cohort_frame(cohort, staff)
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


__all__ = ["cohort_report"]
