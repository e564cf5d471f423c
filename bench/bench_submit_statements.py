"""Benchmark: where one submission's CPU goes, statement by statement, on PostgreSQL.

In one process and one connection (no web server, no concurrency), submit N full ``palliro-general``
answer sets the way ``bench_submit.py``'s endpoint does (``find_invitation``, ``link_state``, ``submit()``
completing a saved draft) and measure for every SQL statement the CPU of this thread and of the PostgreSQL
backend serving the connection (``/proc/<pid>/schedstat``, nanoseconds; the backend runs on this machine).
BEGIN and COMMIT do not pass through Django's execute wrappers: their cost, with the foreign-key checks that
run at COMMIT (Django's constraints are DEFERRABLE INITIALLY DEFERRED), is the "transaction and rest" row.

Second part, the storage alone: what writing a submission's rows costs (``write_submission`` with the
FHIR document and observation values computed once, as ``bench_submit.py``'s rows-only endpoint) beside
the bare insert (one ``LinkFailure`` row through the ORM), and the same writes with parts left out (no
transaction round trips, no FHIR document, fewer observations): the price of each part of the data model.

Steps: create a temporary database, migrate, create open invitations with drafts (as ``bench_submit.py``),
warm up, ANALYZE, measure, drop the database.

Run:  python bench/bench_submit_statements.py [--submissions 2000] [--pg postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_submit  # noqa: E402  (its answer set and invitation set-up)

MEASURE = r"""
import collections, json, sys, time, uuid
import django
django.setup()
from django.db import connection
from django.utils import timezone
from palliro.followup.linkaccess import LinkState, find_invitation, link_state
from palliro.followup.submission import submit

tokens, answers, warmup = json.loads(sys.stdin.read())
connection.ensure_connection()
backend = connection.connection.info.backend_pid


def backend_ns():
    with open(f"/proc/{backend}/schedstat") as f:
        return int(f.read().split()[0])


def send(token):
    invitation = find_invitation(token)
    assert link_state(invitation, timezone.now()) == LinkState.OPEN
    submit(instrument=invitation.instrument, patient=invitation.patient, respondent=invitation.respondent,
           answers=answers, submission_id=uuid.uuid4(), language="en", invitation=invitation,
           proxy=invitation.proxy)


per_statement = collections.defaultdict(lambda: [0, 0, 0])


def measure(execute, sql, params, many, context):
    b0, w0 = backend_ns(), time.thread_time_ns()
    try:
        return execute(sql, params, many, context)
    finally:
        row = per_statement[" ".join(sql.split()[:4])[:60]]
        row[0] += 1
        row[1] += backend_ns() - b0
        row[2] += time.thread_time_ns() - w0


for token in tokens[:warmup]:
    send(token)
# Statistics of a database in use (autovacuum keeps them current in production; see bench_submit.py).
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
b0, w0 = backend_ns(), time.thread_time_ns()
with connection.execute_wrapper(measure):
    for token in tokens[warmup:]:
        send(token)
total = [backend_ns() - b0, time.thread_time_ns() - w0]
json.dump({"n": len(tokens) - warmup, "total": total, "statements": per_statement}, sys.stdout)
"""

STORAGE = r"""
import json, sys, time, uuid
import django
django.setup()
from django.db import connection
from palliro.followup.bench_views import _floor_values, write_floor
from palliro.followup.models import LinkFailure

ids, answers, n, warmup = json.loads(sys.stdin.read())
connection.ensure_connection()
backend = connection.connection.info.backend_pid
document, observations = _floor_values(ids[0][2], answers)


def backend_ns():
    with open(f"/proc/{backend}/schedstat") as f:
        return int(f.read().split()[0])


def store(row, atomic=True, document=document, observations=observations):
    write_floor(*row, uuid.uuid4(), answers, document=document, rows=observations, atomic=atomic)


variants = [
    ("bare insert (one row, ORM, autocommit)", lambda row: LinkFailure.objects.create(ip_address="127.0.0.1")),
    ("submission rows: BEGIN, write, COMMIT", store),
    ("the same write without BEGIN/COMMIT", lambda row: store(row, atomic=False)),
    ("  ... and without the FHIR document", lambda row: store(row, atomic=False, document=None)),
    ("  ... and with 1 observation instead of 24",
     lambda row: store(row, atomic=False, document=None, observations=observations[:1])),
    ("  ... and with no observation", lambda row: store(row, atomic=False, document=None, observations=[])),
]
out, start = [], 0
for name, run in variants:
    batch, start = ids[start:start + warmup + n], start + warmup + n
    for row in batch[:warmup]:
        run(row)
    if not out:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    b0, w0 = backend_ns(), time.thread_time_ns()
    for row in batch[warmup:]:
        run(row)
    out.append([name, (backend_ns() - b0) / n / 1e6, (time.thread_time_ns() - w0) / n / 1e6])
json.dump(out, sys.stdout)
"""
VARIANTS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    per_run = args.submissions + args.warmup
    db = f"palliro_bench_statements_{os.getpid()}"
    data_dir = tempfile.mkdtemp(prefix="palliro-bench-statements-")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"{args.pg}/{db}", PALLIRO_MODE="development", PALLIRO_DATA_DIR=data_dir,
               DJANGO_SETTINGS_MODULE="palliro.settings", LOG_LEVEL="ERROR",
               PYTHONPATH=str(bench_submit.ROOT / "src"))
    bench_submit.psql(args.pg, f"CREATE DATABASE {db}")
    try:
        subprocess.run([sys.executable, "-m", "palliro", "migrate", "-v", "0"], env=env, check=True)
        made = json.loads(subprocess.run(
            [sys.executable, "-c", bench_submit.SETUP, str((1 + VARIANTS) * per_run), "drafts",
             json.dumps(bench_submit.ANSWERS)], env=env, check=True, capture_output=True, text=True).stdout)
        stdin = json.dumps([made["tokens"][:per_run], bench_submit.ANSWERS, args.warmup])
        out = json.loads(subprocess.run([sys.executable, "-c", MEASURE], env=env, input=stdin, check=True,
                                        capture_output=True, text=True).stdout)
        stdin = json.dumps([made["rows"][per_run:], bench_submit.ANSWERS, args.submissions, args.warmup])
        storage = json.loads(subprocess.run([sys.executable, "-c", STORAGE], env=env, input=stdin, check=True,
                                            capture_output=True, text=True).stdout)
    finally:
        bench_submit.psql(args.pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    n = out["n"]
    print(f"PostgreSQL, one connection, {n} submissions (each completes a saved draft); CPU ms per submission")
    print(f"{'statement':<62} {'runs':>5} {'server':>8} {'web':>8}")
    server_rest, web_rest = out["total"]
    for key, (runs, server_ns, web_ns) in sorted(out["statements"].items(), key=lambda kv: -kv[1][1]):
        print(f"{key:<62} {runs / n:>5.2f} {server_ns / n / 1e6:>8.3f} {web_ns / n / 1e6:>8.3f}")
        server_rest -= server_ns
        web_rest -= web_ns
    print(f"{'transaction and rest (BEGIN, COMMIT, Python between statements)':<62} {'':>5} "
          f"{server_rest / n / 1e6:>8.3f} {web_rest / n / 1e6:>8.3f}")
    print(f"{'total':<62} {'':>5} {out['total'][0] / n / 1e6:>8.3f} {out['total'][1] / n / 1e6:>8.3f}")
    print()
    print(f"Storage alone, CPU ms per write ({args.submissions} each)")
    print(f"{'writes':<62} {'':>5} {'server':>8} {'web':>8}")
    for name, server_ms, web_ms in storage:
        print(f"{name:<62} {'':>5} {server_ms:>8.3f} {web_ms:>8.3f}")


if __name__ == "__main__":
    main()
