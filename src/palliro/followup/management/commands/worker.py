"""``palliro worker``: the background task worker plus the scheduler that feeds it.

One process is enough: a scheduler thread enqueues ``dispatch_due_invitations`` every ``--every`` seconds (if
one is not already waiting) and the main thread runs django_tasks_db's worker loop, which runs it and every
other enqueued task. Several workers may run side by side: a duplicate pass is harmless because each
invitation is locked and its state re-read before anything is sent.
"""

import logging
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.tasks import task_backends
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


def enqueue_if_idle(task) -> bool:
    """Enqueue one run of ``task`` unless one is already waiting to run; returns whether it enqueued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()
    if waiting:
        return False
    task.enqueue()
    return True


def enqueue_dispatch_if_idle() -> bool:
    return enqueue_if_idle(dispatch_due_invitations)


#: The non-response rule looks for missed questionnaires; once an hour is soon enough and cheap.
NON_RESPONSE_EVERY = 3600.0


class Scheduler(threading.Thread):
    def __init__(self, every: float):
        super().__init__(name="palliro-scheduler", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self):
        from palliro.triage.tasks import check_non_response

        last_non_response = float("-inf")
        while not self.stopped.is_set():
            close_old_connections()
            try:
                enqueue_dispatch_if_idle()
                if time.monotonic() - last_non_response >= NON_RESPONSE_EVERY:
                    enqueue_if_idle(check_non_response)
                    last_non_response = time.monotonic()
            except Exception:
                # A database hiccup must not kill the scheduler: the next tick tries again.
                logger.exception("Could not enqueue the scheduled follow-up tasks")
            self.stopped.wait(self.every)
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
