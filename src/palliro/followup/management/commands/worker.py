"""``palliro worker``: the background task worker plus the scheduler that feeds it.

One process is enough: a scheduler thread enqueues ``dispatch_due_invitations`` every ``--every`` seconds,
the non-response check hourly, the check for unsent "call now" drafts every minute, the timeline figure sweep
every 15 seconds and the pruning of old task results daily (each only if one is not already waiting), and the main thread runs django_tasks_db's worker
loop, which runs them and every other enqueued task. Several workers may run side by side: a duplicate pass is harmless because each
invitation is locked and its state re-read before anything is sent.
"""

import logging
import threading
import time
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.tasks import task_backends
from django.utils import timezone
from django.utils.crypto import get_random_string

from palliro.followup.tasks import CadenceError, dispatch_due_invitations, reminder_days

logger = logging.getLogger("palliro.followup")


def _seconds(value: str, name: str, minimum: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise CommandError(f"{name} takes a number of seconds, got {value!r}", returncode=2) from None
    if not number >= minimum or number == float("inf"):
        raise CommandError(f"{name} must be at least {minimum:g} seconds, got {value!r}", returncode=2)
    return number


def enqueue_if_idle(task, *args) -> bool:
    """Enqueue one run of ``task`` unless one is already waiting to run; returns whether it enqueued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()
    if waiting:
        return False
    task.enqueue(*args)
    return True


def enqueue_dispatch_if_idle() -> bool:
    return enqueue_if_idle(dispatch_due_invitations)


#: The non-response rule looks for missed questionnaires; once an hour is soon enough and cheap.
NON_RESPONSE_EVERY = 3600.0
#: Finished task results and old change-journal entries are pruned once a day (followup.tasks.prune_task_results,
#: research.tasks.prune_change_journal).
PRUNE_EVERY = 86400.0
#: Drafts left with a "call now" answer are looked for every minute (triage/unsent.py); the delay before one is
#: reported is PALLIRO_UNSENT_RED_FLAG_MINUTES.
UNSENT_RED_FLAG_EVERY = 60.0
#: Seconds between sweeps that redraw the timeline figures of patients who answered meanwhile.
TIMELINE_SWEEP_EVERY = 15.0
#: Each sweep also looks this far before the previous one: a submission commits a little after the
#: submitted_at it records, and a sweep must not miss it.
TIMELINE_SWEEP_OVERLAP = timedelta(minutes=2)
#: The first sweep after the worker starts covers answers given while it was not running, up to this far back
#: (older figures are drawn when a page asks for them).
TIMELINE_SWEEP_START = timedelta(hours=1)


class Scheduler(threading.Thread):
    def __init__(self, every: float):
        super().__init__(name="palliro-scheduler", daemon=True)
        self.every = every
        self.stopped = threading.Event()
        self.last_dispatch = self.last_non_response = self.last_sweep = self.last_prune = float("-inf")
        self.last_unsent = float("-inf")
        self.swept_until = timezone.now() - TIMELINE_SWEEP_START

    def tick(self, now: float) -> None:
        """Enqueue every job that is due at ``now`` (a ``time.monotonic()`` reading)."""
        from palliro.followup.tasks import prune_task_results
        from palliro.research.tasks import prune_change_journal
        from palliro.triage.tasks import check_non_response, refresh_recent_timelines
        from palliro.triage.unsent import check_unsent_red_flags

        if now - self.last_dispatch >= self.every:
            enqueue_dispatch_if_idle()
            self.last_dispatch = now
        if now - self.last_non_response >= NON_RESPONSE_EVERY:
            enqueue_if_idle(check_non_response)
            self.last_non_response = now
        if now - self.last_unsent >= UNSENT_RED_FLAG_EVERY:
            enqueue_if_idle(check_unsent_red_flags)
            self.last_unsent = now
        if now - self.last_prune >= PRUNE_EVERY:
            enqueue_if_idle(prune_task_results)
            enqueue_if_idle(prune_change_journal)
            self.last_prune = now
        if now - self.last_sweep >= TIMELINE_SWEEP_EVERY:
            started = timezone.now()
            since = (self.swept_until - TIMELINE_SWEEP_OVERLAP).isoformat()
            # While a sweep is still waiting, the window stays open: the next one starts from the older time.
            if enqueue_if_idle(refresh_recent_timelines, since):
                self.swept_until = started
            self.last_sweep = now

    def run(self):
        while not self.stopped.is_set():
            close_old_connections()
            try:
                self.tick(time.monotonic())
            except Exception:
                # A database hiccup must not kill the scheduler: the next tick tries again.
                logger.exception("Could not enqueue the scheduled follow-up tasks")
            self.stopped.wait(min(self.every, TIMELINE_SWEEP_EVERY))
        connection.close()


class Command(BaseCommand):
    help = "Run background tasks and send follow-up invitations and reminders on schedule."

    def add_arguments(self, parser):
        parser.add_argument("--every", default="60", help="seconds between dispatch passes (default 60)")
        parser.add_argument("--interval", default="1", help="seconds the worker waits when idle (default 1)")
        parser.add_argument("--no-scheduler", action="store_true", help="only run tasks, enqueue no passes")

    def handle(self, *args, **options):
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.management.commands.db_worker import Worker

        every = _seconds(options["every"], "--every", 1)
        interval = _seconds(options["interval"], "--interval", 0)
        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"palliro worker needs the database task backend; the default backend is {type(backend).__name__}",
                returncode=2,
            )
        try:
            reminder_days()
        except CadenceError as exc:
            raise CommandError(str(exc), returncode=2) from None
        from palliro.triage.unsent import unsent_delay

        try:
            unsent_delay()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from None
        if not options["no_scheduler"]:
            Scheduler(every).start()
        self.stdout.write(f"Palliro worker: running tasks; dispatching invitations every {every:g} s.")
        self.stdout.flush()
        worker = Worker(
            queue_names=["default"], interval=interval, batch=False, backend_name="default", startup_delay=True,
            max_tasks=None, worker_id=get_random_string(32), excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
