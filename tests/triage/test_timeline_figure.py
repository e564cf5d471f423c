"""The stored timeline figure: drawn by the worker's sweep of recent answers, on the image request, or by
warm_timelines; inlined only while it shows the current data; the page never waits for matplotlib."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.triage.models import TimelineFigure
from palliro.triage.tasks import refresh_figures

from .helpers import backdate, submit


@pytest.fixture
def answered(ann):
    backdate(submit(ann, "palliro-general", pain_worst="4"), 7)
    submit(ann, "palliro-general", pain_worst="6")
    return ann


def test_it_points_an_image_at_the_figure_when_none_is_stored(login, nurse_a, answered):
    body = login(nurse_a).get(f"/triage/patient/{answered.pk}/").content.decode()
    assert f'<img src="/triage/patient/{answered.pk}/timeline.svg?v=' in body and "<svg" not in body
    assert 'alt="Symptom trajectories over time' in body
    # The text alternative: one row per line drawn, with the latest answer.
    assert '<th scope="row">Worst pain (0–10)</th><td>Patient</td><td>2</td>' in body
    assert "<td>6</td><td>4–6</td>" in body


def test_the_image_request_draws_and_stores_the_figure(login, nurse_a, answered):
    client = login(nurse_a)
    page = client.get(f"/triage/patient/{answered.pk}/").content.decode()
    src = page.split('<img src="', 1)[1].split('"', 1)[0]
    image = client.get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml"
    assert image["Cache-Control"] == "private, max-age=86400"
    svg = image.content.decode()
    assert svg.startswith("<svg") and 'style="' not in svg and "<style" not in svg
    assert "Worst pain (0–10)</text>" in svg or "Worst pain (0–10)" in svg  # text stays text
    stored = TimelineFigure.objects.get(patient=answered)
    assert stored.svg == svg and src.endswith(stored.fingerprint)
    assert AuditEvent.objects.filter(action="triage_timeline_figure", patient=answered, user=nurse_a).exists()
    again = client.get(f"/triage/patient/{answered.pk}/").content.decode()
    assert "<img src=" not in again and svg in again


def test_a_stale_figure_is_not_shown(login, nurse_a, answered):
    refresh_figures([answered.pk])
    backdate(submit(answered, "palliro-general", pain_worst="9"), 1)
    body = login(nurse_a).get(f"/triage/patient/{answered.pk}/").content.decode()
    assert "<svg" not in body and "timeline.svg?v=" in body


def test_the_sweep_draws_the_figures_of_patients_who_answered_since(login, nurse_a, answered, cas):
    from palliro.triage.tasks import refresh_recent_timelines

    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert refresh_recent_timelines.call(since) == 1  # ann answered a moment ago; cas never did
    assert TimelineFigure.objects.filter(patient=answered).exists()
    assert not TimelineFigure.objects.filter(patient=cas).exists()
    body = login(nurse_a).get(f"/triage/patient/{answered.pk}/").content.decode()
    assert "<svg" in body and "<img src=" not in body


def test_the_sweep_skips_figures_that_are_current_and_answers_before_its_window(answered):
    from palliro.triage.tasks import refresh_recent_timelines

    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert refresh_recent_timelines.call(since) == 1
    assert refresh_recent_timelines.call(since) == 0
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    submit(answered, "palliro-general", pain_worst="8")  # the figure is now stale, but answered before `later`
    assert refresh_recent_timelines.call(later) == 0
    assert refresh_recent_timelines.call(since) == 1


def test_a_new_treatment_makes_the_figure_stale(answered):
    from palliro.clinic.models import Procedure

    assert refresh_figures([answered.pk]) == 1
    Procedure.objects.create(patient=answered, kind="vertebroplasty", performed_on=timezone.localdate())
    assert refresh_figures([answered.pk]) == 1
    assert refresh_figures([answered.pk]) == 0


def test_the_figure_request_is_refused_to_others(login, client, researcher, nurse_a, ann, bob):
    assert login(nurse_a).get(f"/triage/patient/{bob.pk}/timeline.svg").status_code == 404
    assert login(researcher).get(f"/triage/patient/{ann.pk}/timeline.svg").status_code == 403
    client.logout()
    assert client.get(f"/triage/patient/{ann.pk}/timeline.svg").status_code == 302
    assert login(nurse_a).post(f"/triage/patient/{ann.pk}/timeline.svg").status_code == 405
    assert login(nurse_a).get(f"/triage/patient/{ann.pk}/timeline.png").status_code == 404


def test_the_figure_of_a_patient_without_answers_is_served(login, nurse_a, cas):
    image = login(nurse_a).get(f"/triage/patient/{cas.pk}/timeline.svg?v=old")
    assert image.status_code == 200 and "No answers yet" in image.content.decode()
    assert image["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("n", [1, 40])
def test_the_figure_requests_query_count_does_not_grow(login, nurse_a, ann, n, django_assert_max_num_queries):
    from palliro.followup.models import Observation

    response = submit(ann, "palliro-general", pain_worst="3")
    Observation.objects.bulk_create(
        Observation(patient=ann, response=response, code="palliro-general/fatigue", value=i % 5,
                    observed_at=timezone.now() - timedelta(days=i), respondent="patient") for i in range(n * 5)
    )
    client = login(nurse_a)
    client.get("/triage/")
    with django_assert_max_num_queries(12):
        assert client.get(f"/triage/patient/{ann.pk}/timeline.svg").status_code == 200
    with django_assert_max_num_queries(16):
        assert "<svg" in client.get(f"/triage/patient/{ann.pk}/").content.decode()


# --- warm_timelines -------------------------------------------------------------------------------


def test_the_command_draws_missing_and_stale_figures(ann, bob, cas, capsys):
    submit(ann, "palliro-general", pain_worst="3")
    call_command("warm_timelines", "--batch-size", "2")
    assert "Drew 3 timeline figures; 0 of 3 patients were up to date" in capsys.readouterr().out
    submit(bob, "palliro-general", pain_worst="3")
    call_command("warm_timelines")
    assert "Drew 1 timeline figure; 2 of 3" in capsys.readouterr().out
    call_command("warm_timelines", "--site", bob.site.code, "--force")
    assert "Drew 1 timeline figure; 0 of 1" in capsys.readouterr().out
    assert set(TimelineFigure.objects.values_list("patient_id", flat=True)) == {ann.pk, bob.pk, cas.pk}


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nowhere"], "no site with code 'nowhere'"),
    (["--limit", "many"], "--limit must be a whole number"),
    (["--batch-size", "0"], "--batch-size must be between 1 and 5000"),
])
def test_the_command_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("warm_timelines", *args)
    assert caught.value.returncode == 2


def test_the_command_exits_2_on_bad_input(tmp_path):
    env = {"PALLIRO_MODE": "development", "PALLIRO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "palliro", "warm_timelines", "--limit", "all"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--limit" in done.stderr


def test_a_submission_writes_no_task_row(ann, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    submit(ann, "palliro-general", pain_worst="5")
    assert not DBTaskResult.objects.exists()  # the worker's sweep draws the figure, not a task per answer
