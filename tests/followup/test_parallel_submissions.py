"""Exactly-once submission under load: 20 identical submissions at the same moment store one response.

Two proofs. The in-process test drives the view from 20 threads against the test database; it needs a
database that several connections can share (PostgreSQL, or SQLite in a file via PALLIRO_TEST_SQLITE_NAME),
so on the default in-memory SQLite it is skipped. The multi-process test always runs on SQLite: it starts
``python -m palliro serve`` (gunicorn, 2 processes x 4 threads) on a temporary SQLite file and fires 20
concurrent HTTP posts, as browsers and retrying phones would.
"""

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from palliro.followup.models import Observation, Response
from palliro.followup.patient_views import _submission_id
from palliro.followup.submission import observation_rows, save_draft
from tests.followup.test_patient_support import make_invitation

PARALLEL = 20
ANSWERS = {"pain-worst": "9", "pain-average": "6", "fatigue": "a-lot", "analgesic-use": "more",
           "breakthrough-doses": 3}


def _in_memory_sqlite() -> bool:
    name = str(connection.settings_dict["NAME"])
    return connection.vendor == "sqlite" and ("memory" in name or name == "")


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_submitting_the_same_answers_store_one_response(ann):
    if _in_memory_sqlite():
        pytest.skip("in-memory SQLite cannot be shared by 20 threads; set PALLIRO_TEST_SQLITE_NAME to a file, "
                    "or see the multi-process test below, which always runs on a SQLite file")
    invitation = make_invitation(ann)
    draft = save_draft(invitation, ANSWERS, 5, "en")
    url = reverse("respond_review", args=[invitation.token()])
    data = {"submission_id": str(_submission_id(draft))}
    barrier = threading.Barrier(PARALLEL)
    results, errors = [], []

    def post():
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post(url, data)
            results.append((response.status_code, response.get("Location")))
        except Exception as error:  # collected and reported below: a thread must not die silently
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert results == [(302, reverse("respond_done", args=[invitation.token()]))] * PARALLEL
    completed = Response.objects.filter(invitation=invitation, status="completed")
    assert completed.count() == 1 and not Response.objects.filter(status="in_progress").exists()
    expected = observation_rows(invitation.instrument, invitation.instrument.questionnaire(), ANSWERS)
    assert Observation.objects.filter(response=completed.get()).count() == len(expected) > 0
    assert Observation.objects.count() == len(expected)


# --- the same over HTTP against a real server on a SQLite file -------------------------------------------

SETUP = """
from datetime import date, timedelta
from django.utils import timezone
from palliro.accounts.models import Site
from palliro.clinic.models import Patient
from palliro.followup.models import Invitation
from palliro.followup.patient_views import _submission_id
from palliro.followup.submission import save_draft
from palliro.instruments.models import Instrument
site = Site.objects.create(code="s", name="S", phone="+31 20 000 0000")
patient = Patient.objects.create(
    site=site, hospital_number="X-1", given_name="Xena", family_name="Test", birth_date=date(1950, 1, 1),
    sex="female", primary_tumour="breast", language="en", followup_consent=True,
)
invitation = Invitation.objects.create(
    patient=patient, respondent="patient", instrument=Instrument.objects.filter(code="palliro-general").first(),
    step_label="week 1", state="sent", due_at=timezone.now() - timedelta(hours=1),
    expires_at=timezone.now() + timedelta(days=2),
)
draft = save_draft(invitation, ANSWERS, 5, "en")
print("TOKEN", invitation.token(), _submission_id(draft))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _palliro(env, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "palliro", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@pytest.mark.slow
def test_twenty_concurrent_http_posts_to_a_real_server_on_sqlite_store_one_response(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(PALLIRO_MODE="development", PALLIRO_DATA_DIR=str(tmp_path), LOG_LEVEL="ERROR")
    migrated = _palliro(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    setup = _palliro(env, "shell", "-c", f"ANSWERS = {ANSWERS!r}\n{SETUP}")
    assert setup.returncode == 0, setup.stderr
    token, submission_id = re.search(r"TOKEN (\S+) (\S+)", setup.stdout).groups()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "palliro", "serve", "--port", str(port), "--workers", "2", "--threads", "4",
         "--no-task-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        review = f"/r/{token}/review/"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, html = _request(port, "GET", review)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert status == 200, html[:500]
        cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        assert f'value="{submission_id}"' in html
        body = urlencode({"csrfmiddlewaretoken": csrf, "submission_id": submission_id})
        post_headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        barrier = threading.Barrier(PARALLEL)
        results, errors = [], []

        def post():
            try:
                barrier.wait(timeout=30)
                status, headers, _ = _request(port, "POST", review, body, post_headers)
                results.append((status, headers.get("Location")))
            except Exception as error:  # reported below
                errors.append(repr(error))

        threads = [threading.Thread(target=post) for _ in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert errors == []
        assert results == [(302, f"/r/{token}/done/")] * PARALLEL
        status, _, html = _request(port, "GET", f"/r/{token}/done/")
        assert status == 200 and "Call your care team now" in html
    finally:
        os.killpg(server.pid, 15)
        server.wait(20)
    with sqlite3.connect(Path(tmp_path) / "palliro.sqlite3") as db:
        statuses = db.execute("SELECT status, COUNT(*) FROM followup_response GROUP BY status").fetchall()
        observations = db.execute("SELECT COUNT(DISTINCT response_id), COUNT(*) FROM followup_observation").fetchone()
        state = db.execute("SELECT state FROM followup_invitation").fetchone()[0]
    assert statuses == [("completed", 1)]
    assert observations[0] == 1 and observations[1] > 0
    assert state == "completed"
