"""Benchmark: questionnaire submission throughput and p95 latency under concurrent load, on PostgreSQL.

Side by side on the same ``palliro serve`` (gunicorn) and the same database:
  * submit — POST /followup/bench/submit/<token>/: finds the invitation by its link's hash and stores a full
    questionnaire with ``palliro.followup.submission.submit`` (response, FHIR QuestionnaireResponse,
    observations, triage signal, invitation completed; one transaction);
  * rows   — POST /followup/bench/rows/<ids>/: only the writes a submission must make (draft completed with
    its FHIR document, 24 observations, invitation; one transaction), values computed once per process:
    the floor the data model sets, whatever the code around it;
  * bare   — POST /followup/bench/bare/: a Django view that inserts one row.
Both endpoints exist only when the server runs with PALLIRO_BENCH=1 (followup/urls.py).

Steps: create a temporary PostgreSQL database, migrate, create one open invitation per submit request, start
``python -m palliro serve`` (development mode, no task worker), warm up, then run the bare and the submit load
with N client threads (http.client, keep-alive), each request a different invitation and submission id.
Afterwards it checks that every acknowledged submission is stored exactly once, stops the server and drops
the database. Besides req/s and latency it prints the CPU milliseconds per request of the server's
processes, the bench database's PostgreSQL processes (its backends and the server's WAL writer and
checkpointer; other databases' backends are left out) and this load generator (from /proc), steadier than
req/s on a shared machine. After the warm-up it runs ANALYZE, as autovacuum would in production.

Run:  python bench/bench_submit.py [--concurrency 8] [--requests 500] [--workers 2] [--threads 4]
      [--pg postgres://postgres@127.0.0.1:5432]
Target (DESIGN.md §7): submit throughput >= 60 % of the bare view's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A complete answer set for palliro-general (every item answered, as a patient who fills in everything).
ANSWERS = {
    "pain-worst": "3", "pain-average": "2", "pain-elsewhere": "1", "analgesic-use": "same", "breakthrough-doses": 1,
    "fatigue": "some", "drowsiness": "a-little", "nausea": "not-at-all", "vomiting": "not-at-all",
    "appetite": "a-little", "breathlessness": "not-at-all", "sleep": "some", "constipation": "a-little",
    "diarrhoea": "not-at-all", "wellbeing": "ok", "low-mood": "a-little", "anxiety": "a-little",
    "helplessness": "not-at-all", "daily-activities": "most", "walking": "outdoors", "social-life": "some",
    "skin-reaction": "not-at-all", "flu-like": "not-at-all", "helped": "yes",
}

SETUP = r"""
import json, sys, secrets
from datetime import date, timedelta
import django
django.setup()
from django.utils import timezone
from palliro.accounts.models import Site
from palliro.clinic.models import Patient, RTCourse
from palliro.followup.models import Enrolment, Invitation, Protocol, Response, hash_token
from palliro.instruments.models import Instrument

n = int(sys.argv[1])
site = Site.objects.create(code="bench", name="Bench site", phone="+31 20 000 0000")
instrument = Instrument.objects.filter(code="palliro-general").order_by("-version").first()
patients = Patient.objects.bulk_create(
    Patient(site=site, hospital_number=f"B-{i:06d}", given_name="Bench", family_name=f"Patient {i}",
            birth_date=date(1950, 1, 1), sex="female", primary_tumour="breast", followup_consent=True)
    for i in range(max(1, n // 10)))
# As enrolling a treated patient leaves it: a course (8 Gy single fraction a week ago), its enrolment in
# the general palliative protocol, and the week-1 invitations of that enrolment (triage then reads the
# course's follow-up start with the invitation, as for every protocol invitation).
today = timezone.localdate()
courses = RTCourse.objects.bulk_create(
    RTCourse(patient=p, indication="pain", target_region="Th10", technique="conventional", total_dose_gy=8,
             fractions_planned=1, first_fraction_date=today - timedelta(days=7),
             last_fraction_date=today - timedelta(days=7), fractions_delivered=1)
    for p in patients)
protocol = Protocol.objects.get(code="general-palliative")
enrolments = Enrolment.objects.bulk_create(Enrolment(patient=p, course=c, protocol=protocol)
                                           for p, c in zip(patients, courses))
now = timezone.now()
invitations, tokens = [], []
for i in range(n):
    inv = Invitation(enrolment=enrolments[i % len(patients)], patient=patients[i % len(patients)],
                     respondent="patient", instrument=instrument,
                     step_label="week 1", due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=3),
                     state="sent", link_salt=secrets.token_hex(16))
    token = inv.token()
    inv.token_hash = hash_token(token)
    invitations.append(inv)
    tokens.append(token)
Invitation.objects.bulk_create(invitations, batch_size=1000)
if sys.argv[2] == "drafts":
    # As the patient pages leave it before the final "send": a draft holding every page's answers.
    answers = json.loads(sys.argv[3])
    Response.objects.bulk_create(
        [Response(invitation=inv, patient=inv.patient, instrument=instrument, respondent="patient", answers=answers,
                  page=3, language="en") for inv in invitations], batch_size=1000)
json.dump({"tokens": tokens, "rows": [[inv.pk, inv.patient_id, instrument.pk] for inv in invitations]},
          sys.stdout)
"""

COUNT = r"""
import django, json
django.setup()
from palliro.followup.models import Response, Observation, Invitation
print(json.dumps({"completed": Response.objects.filter(status="completed").count(),
                  "distinct_submission_ids": Response.objects.filter(status="completed").values("submission_id")
                                             .distinct().count(),
                  "drafts_left": Response.objects.filter(status="in_progress").count(),
                  "observations": Observation.objects.count(),
                  "invitations_completed": Invitation.objects.filter(state="completed").count()}))
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (Linux /proc), 0 when it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _postgres_pids(database: str) -> list[int]:
    """The local PostgreSQL's processes that work for ``database``: its client backends and the server's
    shared background processes (WAL writer, checkpointer, ...), but not backends of other databases."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.joinpath("comm").read_text().strip() != "postgres":
                    continue
                title = entry.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            # A client backend's title names its user, database and client ("127.0.0.1(5432)" or "[local]").
            is_backend = re.search(r"\(\d+\)|\[local\]", title) is not None
            if not is_backend or f" {database} " in title:
                pids.append(int(entry.name))
    return pids


def cpu_snapshot(server_pid: int, database: str) -> dict[str, float]:
    """CPU seconds used so far by the web server's processes, the bench database's PostgreSQL processes and
    this load generator.

    Backends of other databases (another job's) are left out; the server's shared background processes
    (WAL writer, checkpointer) are counted, so on a shared machine the "db" figure is still an upper bound.
    """
    return {"web": sum(_cpu_seconds(p) for p in _descendants(server_pid)),
            "db": sum(_cpu_seconds(p) for p in _postgres_pids(database)), "client": time.process_time()}


def measured(server_pid: int, database: str, name: str, run) -> dict:
    """Run one load phase and add the CPU milliseconds per request of the server, database and client."""
    before = cpu_snapshot(server_pid, database)
    result = summary(name, *run())
    after = cpu_snapshot(server_pid, database)
    for key in before:
        result[f"{key}_cpu_ms"] = round(1000 * (after[key] - before[key]) / result["requests"], 2)
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(pg: str, sql: str) -> None:
    subprocess.run(["psql", f"{pg}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def load(port: int, paths: list[str], bodies: list[bytes], concurrency: int) -> tuple[float, list[float], int]:
    """Send each (path, body) once, spread over ``concurrency`` keep-alive connections."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    chunks = [list(range(k, len(paths), concurrency)) for k in range(concurrency)]

    def client(indices: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in indices:
            start = time.perf_counter()
            try:
                conn.request("POST", paths[i], body=bodies[i], headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            mine.append(time.perf_counter() - start)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, errors[0]


def summary(name: str, elapsed: float, latencies: list[float], errors: int) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return {"name": name, "requests": len(latencies), "errors": errors, "seconds": round(elapsed, 2),
            "req_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * p95, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="requests per client thread and endpoint")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-drafts", action="store_true",
                        help="submit without a saved draft (default: each invitation has one, as after the pages)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    total = args.concurrency * args.requests
    db = f"palliro_bench_submit_{os.getpid()}"
    data_dir = Path(tempfile.mkdtemp(prefix="palliro-bench-submit-"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"{args.pg}/{db}", PALLIRO_MODE="development", PALLIRO_DATA_DIR=str(data_dir),
               PALLIRO_BENCH="1", DJANGO_SETTINGS_MODULE="palliro.settings", LOG_LEVEL="ERROR",
               PYTHONPATH=str(ROOT / "src"))
    psql(args.pg, f"CREATE DATABASE {db}")
    server = None
    try:
        subprocess.run([sys.executable, "-m", "palliro", "migrate", "-v", "0"], env=env, check=True)
        # One set of invitations for the submit load and one for the rows-only floor.
        made = subprocess.run([sys.executable, "-c", SETUP, str(2 * (total + args.warmup)),
                               "none" if args.no_drafts else "drafts", json.dumps(ANSWERS)], env=env, check=True,
                              capture_output=True, text=True)
        made = json.loads(made.stdout)
        tokens, floor_ids = made["tokens"][:total + args.warmup], made["rows"][total + args.warmup:]
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "palliro", "serve", "--port", str(port), "--workers", str(args.workers),
             "--threads", str(args.threads), "--no-task-worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(port)

        def bodies(n: int) -> list[bytes]:
            return [json.dumps({"submission_id": str(uuid.uuid4()), "answers": ANSWERS}).encode() for _ in range(n)]

        def submit_requests(batch: list[str]) -> tuple[list[str], list[bytes]]:
            return [f"/followup/bench/submit/{t}/" for t in batch], bodies(len(batch))

        def rows_requests(batch: list[list[int]]) -> tuple[list[str], list[bytes]]:
            return ["/followup/bench/rows/{}/{}/{}/".format(*ids) for ids in batch], bodies(len(batch))

        bare = (["/followup/bench/bare/"] * total, [b"{}"] * total)
        # Warm up both endpoints (imports, connections, questionnaire cache in every worker).
        load(port, *submit_requests(tokens[:args.warmup]), args.concurrency)
        load(port, bare[0][:args.warmup], bare[1][:args.warmup], args.concurrency)
        load(port, *rows_requests(floor_ids[:args.warmup]), args.concurrency)
        # Current planner statistics, as autovacuum keeps them in production. Without them (a database filled
        # seconds ago, or a server with autovacuum off, as on the project's bench machine) the triage baseline
        # look-up was planned over the code index and cost 0.46 ms of server CPU per submission, not 0.05.
        subprocess.run(["psql", f"{args.pg}/{db}", "-qc", "ANALYZE"], check=True)
        submits = submit_requests(tokens[args.warmup:])
        floor = rows_requests(floor_ids[args.warmup:])
        results = [measured(server.pid, db, "bare insert", lambda: load(port, *bare, args.concurrency)),
                   measured(server.pid, db, "rows only", lambda: load(port, *floor, args.concurrency)),
                   measured(server.pid, db, "submit", lambda: load(port, *submits, args.concurrency))]
        check = json.loads(subprocess.run([sys.executable, "-c", COUNT], env=env, check=True, capture_output=True,
                                          text=True).stdout)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        psql(args.pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    bare_r, rows_r, submit_r = results
    print(f"PostgreSQL, palliro serve --workers {args.workers} --threads {args.threads}; "
          f"{args.concurrency} client threads x {args.requests} requests per endpoint; "
          f"{'no drafts' if args.no_drafts else 'each submission completes a saved draft'}")
    print(f"{'endpoint':<12} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
          f" {'CPU ms/request: web':>20} {'db':>6} {'client':>6}")
    for r in results:
        print(f"{r['name']:<12} {r['requests']:>8} {r['errors']:>6} {r['req_per_s']:>8} {r['p50_ms']:>8} "
              f"{r['p95_ms']:>8} {r['web_cpu_ms']:>20} {r['db_cpu_ms']:>6} {r['client_cpu_ms']:>6}")
    print(f"submit / bare throughput: {submit_r['req_per_s'] / bare_r['req_per_s']:.0%} (target >= 60 %); "
          f"rows only / bare: {rows_r['req_per_s'] / bare_r['req_per_s']:.0%}")
    print(f"stored: {check}")
    # Both the submit and the rows-only endpoint complete responses; a failed request leaves its draft.
    failed = submit_r["errors"] + rows_r["errors"]
    expected = 2 * (total + args.warmup) - failed
    drafts_expected = 0 if args.no_drafts else failed
    if (check["completed"], check["distinct_submission_ids"], check["drafts_left"]) != (
            expected, expected, drafts_expected):
        raise SystemExit(f"expected {expected} stored responses, found {check}")

if __name__ == "__main__":
    main()
