"""Benchmark: the whole research cohort report for N synthetic patients (default 100 000).

Generates the department with ``palliro.demo.writer.write_department`` (fixed seed, bulk inserts) into a
fresh database, then times, in-process and after one warm-up run:

* ``cohort_frame`` — the pseudonymised frame (two queries),
* ``load_endpoint_data`` — observations, analgesics and invitations of the cohort (three queries),
* ``build_report`` — every section: KM overall and by group with survival at 4 times and the at-risk
  table, log-rank, Cox (age + male), regimen chi-square, not-completed share, 30-day mortality, pathway
  times, prognostic validation (Harrell's C + calibration per model), proportions, endpoints.

Figures are not rendered (the page draws them as SVG on top; see README).

Run:  PALLIRO_MODE=development python bench/bench_cohort_report.py [n] [--postgres DATABASE_URL]
Without --postgres a temporary SQLite file is used. Target (DESIGN.md §7): ≤ 3 s for 100 000 patients.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 100_000
    if "--postgres" in args:
        os.environ["DATABASE_URL"] = args[args.index("--postgres") + 1]
    os.environ.setdefault("PALLIRO_MODE", "development")
    os.environ.setdefault("PALLIRO_DATA_DIR", tempfile.mkdtemp(prefix="palliro-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palliro.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from palliro.accounts.access import StaffContext
    from palliro.accounts.models import Site
    from palliro.demo.writer import write_department
    from palliro.research.analyses import ReportOptions, build_report
    from palliro.research.cohort import cohort_courses, cohort_frame
    from palliro.research.endpoints import load_endpoint_data
    from palliro.research.models import Cohort

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    if not Cohort.objects.filter(name="bench").exists():
        write_department(n, seed=20261121, anchor=date(2026, 6, 30), n_sites=2)
        cohort = Cohort.objects.create(name="bench")
        cohort.sites.set(Site.objects.all())
    print(f"generated {n} patients in {time.perf_counter() - t0:.1f} s", flush=True)
    cohort = Cohort.objects.get(name="bench")
    staff = StaffContext(frozenset(Site.objects.values_list("id", flat=True)), frozenset(), frozenset({"clinician"}))
    options = ReportOptions(group_by="indication", covariates=("age", "male"))
    timings: dict[str, list[float]] = {"cohort_frame": [], "load_endpoint_data": [], "build_report": [], "total": []}
    for run in range(4):
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
    errors = [f"{s.key}: {s.error}" for s in report.sections if s.error]
    print(f"rows in frame: {len(built.frame)}; sections: {len(report.sections)}; not computable: {errors}")
    for key, values in timings.items():
        print(f"{key:20s} median {statistics.median(values):.3f} s  (runs: {', '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
