import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db


def test_send_due_runs_one_pass(ann, capsys):
    make_invitation(ann, timezone.now() - timedelta(hours=1))
    call_command("send_due")
    assert "Sent 1 invitations and 0 reminders" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_send_due_names_a_bad_cadence(settings):
    settings.PALLIRO_REMINDER_DAYS = (3, 1)
    with pytest.raises(CommandError, match="PALLIRO_REMINDER_DAYS") as caught:
        call_command("send_due")
    assert caught.value.returncode == 2


def test_worker_needs_the_database_backend():
    # tests.settings uses the ImmediateBackend, which has no queue to work on.
    with pytest.raises(CommandError, match="database task backend") as caught:
        call_command("worker")
    assert caught.value.returncode == 2


@pytest.mark.parametrize("every", ["abc", "0", "inf"])
def test_worker_rejects_a_bad_interval(every):
    with pytest.raises(CommandError, match="--every") as caught:
        call_command("worker", "--every", every)
    assert caught.value.returncode == 2


def test_worker_cli_exits_2_without_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(PALLIRO_MODE="development", PALLIRO_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "palliro", "worker", "--every", "soon"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--every takes a number of seconds" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.django_db
def test_the_scheduler_also_queues_the_hourly_non_response_check(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    from palliro.followup.management.commands import worker
    from palliro.triage.tasks import check_non_response

    assert worker.enqueue_if_idle(check_non_response) is True
    assert worker.enqueue_if_idle(check_non_response) is False  # one waiting run is enough
    assert DBTaskResult.objects.filter(task_path=check_non_response.module_path).count() == 1


@pytest.mark.django_db
def test_the_scheduler_sweeps_timelines_from_where_the_last_sweep_began(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    from palliro.followup.management.commands import worker
    from palliro.triage.tasks import refresh_recent_timelines

    scheduler = worker.Scheduler(every=60)
    first_window = scheduler.swept_until
    scheduler.tick(1000.0)
    sweeps = DBTaskResult.objects.filter(task_path=refresh_recent_timelines.module_path)
    assert [s.args_kwargs["args"] for s in sweeps] == [[(first_window - worker.TIMELINE_SWEEP_OVERLAP).isoformat()]]

    scheduler.tick(1000.0 + worker.TIMELINE_SWEEP_EVERY)  # the first sweep has not run yet: nothing more queued
    assert sweeps.count() == 1
    sweeps.update(status="SUCCESSFUL")
    second_window = scheduler.swept_until
    assert second_window > first_window
    scheduler.tick(1000.0 + 2 * worker.TIMELINE_SWEEP_EVERY)
    assert sweeps.count() == 2
    newest = sweeps.order_by("-enqueued_at").first()
    assert newest.args_kwargs["args"] == [(second_window - worker.TIMELINE_SWEEP_OVERLAP).isoformat()]


@pytest.mark.django_db
def test_old_finished_task_results_are_pruned_and_recent_or_waiting_ones_kept(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    from palliro.followup import tasks
    from palliro.followup.management.commands import worker
    from palliro.triage.tasks import check_non_response

    now = timezone.now()
    ages = {"old-ok": ("SUCCESSFUL", 15), "new-ok": ("SUCCESSFUL", 13), "old-failed": ("FAILED", 91),
            "failed": ("FAILED", 30), "waiting": ("READY", None)}
    ids = {}
    for name, (status, days) in ages.items():
        result = check_non_response.enqueue()
        ids[name] = result.id
        DBTaskResult.objects.filter(id=result.id).update(
            status=status, finished_at=None if days is None else now - timedelta(days=days))
    assert tasks.prune_task_results.call() == 2
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {
        ids["new-ok"], ids["failed"], ids["waiting"]}

    scheduler = worker.Scheduler(every=60)
    scheduler.tick(5000.0)
    assert DBTaskResult.objects.filter(task_path=tasks.prune_task_results.module_path).count() == 1
    from palliro.research.tasks import prune_change_journal

    assert DBTaskResult.objects.filter(task_path=prune_change_journal.module_path).count() == 1


@pytest.mark.django_db
def test_the_scheduler_queues_the_check_for_unsent_red_flags_every_minute(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    from palliro.followup.management.commands import worker
    from palliro.triage.unsent import check_unsent_red_flags

    checks = DBTaskResult.objects.filter(task_path=check_unsent_red_flags.module_path)
    scheduler = worker.Scheduler(every=60)
    scheduler.tick(1000.0)
    assert checks.count() == 1
    scheduler.tick(1000.0 + worker.UNSENT_RED_FLAG_EVERY)
    assert checks.count() == 1  # the first check has not run yet: one waiting run is enough
    checks.update(status="SUCCESSFUL")
    scheduler.tick(1000.0 + 1.5 * worker.UNSENT_RED_FLAG_EVERY)
    assert checks.count() == 1  # not yet a minute since the last one was queued
    scheduler.tick(1000.0 + 2 * worker.UNSENT_RED_FLAG_EVERY)
    assert checks.count() == 2
    assert worker.UNSENT_RED_FLAG_EVERY == 60


def test_the_worker_refuses_a_bad_unsent_red_flag_delay(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PALLIRO_UNSENT_RED_FLAG_MINUTES = 0
    with pytest.raises(CommandError, match="PALLIRO_UNSENT_RED_FLAG_MINUTES must be a whole number") as caught:
        call_command("worker")
    assert caught.value.returncode == 2
