"""Benchmark: worklist and patient timeline at 10 000 patients and about 1 000 000 observations.

Builds (once) a database with ``palliro generate``'s department writer plus ``palliro.demo.activity``, then
times the worklist (default filter, a severity filter, page 2) and the timeline of sampled patients through
Django's test client, reporting the median and 95th percentile server time and the number of queries.
The timeline is timed cold (no stored figure: the page points an <img> at timeline.svg, whose request draws
and stores it) and warm (the stored figure, drawn by the task after the last submission, inlined), plus the
drawing alone and ``refresh_figures`` (what ``palliro warm_timelines`` runs) over one batch of patients.

Run:  PYTHONPATH=src python bench/bench_worklist.py [n_patients] [--db PATH] [--repeat N]
  DATABASE_URL selects PostgreSQL; otherwise an SQLite file (default /tmp/palliro-bench/bench.sqlite3) is
  created and kept, so a second run skips the data generation.
Target (DESIGN.md §7): <= 100 ms server time, query count independent of the data size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path


def setup(db_path: Path) -> None:
    os.environ.setdefault("PALLIRO_MODE", "development")
    os.environ.setdefault("PALLIRO_DATA_DIR", str(db_path.parent))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db_path}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "palliro.settings"
    import django

    django.setup()


def build(n_patients: int, seed: int) -> None:
    from django.core.management import call_command

    from palliro.clinic.models import Patient
    from palliro.demo.activity import write_activity
    from palliro.demo.writer import ensure_demo_accounts, write_department
    from palliro.followup.models import Observation

    call_command("migrate", verbosity=0)
    if Patient.objects.count() >= n_patients:
        print(f"reusing {Patient.objects.count()} patients, {Observation.objects.count()} observations")
        return
    anchor = date(2026, 11, 1)
    t0 = time.perf_counter()
    write_department(n_patients, seed, anchor, activity=False)
    ensure_demo_accounts()
    t1 = time.perf_counter()
    counts = write_activity(Patient.objects.all(), seed, anchor)
    t2 = time.perf_counter()
    print(f"generated {n_patients} patients in {t1 - t0:.1f} s; activity {counts} in {t2 - t1:.1f} s")


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, status = [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        queries, status = len(ctx.captured_queries), response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, queries, status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patients", nargs="?", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/palliro-bench/bench.sqlite3"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--batch", type=int, default=200, help="patients redrawn to time warm_timelines")
    args = parser.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    setup(args.db)
    build(args.patients, args.seed)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from palliro.clinic.models import Patient
    from palliro.followup.models import Observation
    from palliro.triage.models import Alert, TimelineFigure
    from palliro.triage.plots import render_timeline
    from palliro.triage.tasks import refresh_figures, timeline_inputs_many

    nurse = get_user_model().objects.get(username="nurse-a")
    client = Client(HTTP_HOST="localhost")
    client.force_login(nurse)
    print(f"database: {connection.vendor}; patients {Patient.objects.count()}, "
          f"observations {Observation.objects.count()}, alerts {Alert.objects.count()} "
          f"(open {Alert.objects.filter(state__in=['open', 'acknowledged']).count()})")
    rows = []
    for label, url in (("worklist", "/triage/"), ("worklist ?severity=attention", "/triage/?severity=attention"),
                       ("worklist page 2", "/triage/?page=2"), ("worklist ?state=resolved", "/triage/?state=resolved")):
        client.get(url)  # warm up
        rows.append((label, *measure(client, url, args.repeat)))
    site_ids = list(nurse.memberships.values_list("site_id", flat=True))
    sample = list(Patient.objects.filter(site_id__in=site_ids).order_by("pk").values_list("pk", flat=True)[::997][:10])
    timed: dict[str, list[float]] = {}
    counted: dict[str, set[int]] = {}

    def timeline(label, url, repeat):
        median, _p95, n, status = measure(client, url, repeat)
        assert status == 200, (url, status)
        timed.setdefault(label, []).append(median)
        counted.setdefault(label, set()).add(n)

    cold_page = "timeline page, no stored figure (figure as <img>)"
    cold_image = "timeline figure request, drawn and stored"
    warm_page = "timeline page, stored figure inlined"
    warm_image = "timeline figure request, stored copy"
    spare = Patient.objects.filter(site_id__in=site_ids).exclude(pk__in=sample).order_by("pk").first().pk
    client.get(f"/triage/patient/{spare}/")  # warm up: template compilation, first queries
    client.get(f"/triage/patient/{spare}/timeline.svg")
    for pk in sample:
        TimelineFigure.objects.filter(pk=pk).delete()
        # The page never stores the figure, so every one of these requests finds none.
        timeline(cold_page, f"/triage/patient/{pk}/", max(3, args.repeat // 4))
        timeline(cold_image, f"/triage/patient/{pk}/timeline.svg", 1)
        timeline(warm_page, f"/triage/patient/{pk}/", max(3, args.repeat // 4))
        timeline(warm_image, f"/triage/patient/{pk}/timeline.svg", max(3, args.repeat // 4))
        assert b"<svg" in client.get(f"/triage/patient/{pk}/").content
    for label in (cold_page, warm_page, cold_image, warm_image):
        rows.append((label, statistics.median(timed[label]), max(timed[label]), max(counted[label]), 200))
    # The drawing alone, and the bulk path of `palliro warm_timelines` (three queries per batch, then draws).
    inputs = timeline_inputs_many(sample)
    draws = []
    for item in inputs:
        t0 = time.perf_counter()
        render_timeline(item.rows, item.treatments)
        draws.append((time.perf_counter() - t0) * 1000)
    batch = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[: args.batch])
    t0 = time.perf_counter()
    drawn = refresh_figures(batch, force=True)
    per_patient = (time.perf_counter() - t0) * 1000 / max(drawn, 1)
    print("\n| page | median ms | p95 / max ms | queries | status |\n|---|---:|---:|---:|---:|")
    for label, median, p95, n, status in rows:
        print(f"| {label} | {median:.1f} | {p95:.1f} | {n} | {status} |")
    print(f"\nfigure drawing alone (matplotlib SVG, {len(draws)} patients): median {statistics.median(draws):.1f} ms, "
          f"max {max(draws):.1f} ms")
    print(f"refresh_figures (warm_timelines) over {drawn} patients: {per_patient:.1f} ms per patient")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
