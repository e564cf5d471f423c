import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication


class PalliroServer(BaseApplication):
    """Gunicorn, configured from code so that ``palliro serve`` needs no config file."""

    def __init__(self, application, options):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def start_worker() -> subprocess.Popen:
    """The background task worker, in its own process so that a crash in a task cannot stop the web."""
    return subprocess.Popen([sys.executable, "-m", "palliro", "worker"], env=os.environ.copy())


class Command(BaseCommand):
    help = "Serve Palliro with gunicorn (and start a background task worker)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("PALLIRO_HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PALLIRO_PORT", "8000"))
        parser.add_argument("--workers", default=os.environ.get("PALLIRO_WEB_WORKERS", "3"))
        parser.add_argument("--threads", default=os.environ.get("PALLIRO_WEB_THREADS", "4"))
        parser.add_argument("--no-task-worker", action="store_true", help="do not start the background task worker")

    def handle(self, *args, **options):
        try:
            port, workers, threads = int(options["port"]), int(options["workers"]), int(options["threads"])
        except ValueError:
            raise CommandError("--port, --workers and --threads take whole numbers", returncode=2) from None
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}", returncode=2)
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1", returncode=2)
        serve(options["host"], port, workers, threads, task_worker=not options["no_task_worker"])


def serve(host: str, port: int, workers: int, threads: int, task_worker: bool = True) -> None:
    from django.conf import settings

    # Before the WSGI application exists: WhiteNoise warns at start-up about a missing static root.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)

    from palliro.wsgi import application

    if settings.PALLIRO_ANALYSIS_STORE:
        # Loaded once here, before gunicorn forks: every web worker starts with the research copies
        # (copy-on-write) instead of loading them on its first report.
        from palliro.research.store import warm

        warm()
    # Connections opened before the fork must not be shared with the web workers.
    connections.close_all()
    worker = start_worker() if task_worker else None
    try:
        PalliroServer(
            application,
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
                "timeout": 60,
                "graceful_timeout": 10,
            },
        ).run()
    finally:
        if worker and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
