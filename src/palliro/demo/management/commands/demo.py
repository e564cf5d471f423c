import os
from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from palliro.clinic.models import Patient
from palliro.demo.enrolments import enrol_recent_courses, sample_open_invitation
from palliro.demo.management.commands.generate import positive_int
from palliro.demo.management.commands.serve import serve
from palliro.demo.writer import (
    DEMO_PASSWORD,
    ensure_demo_accounts,
    ensure_demo_cohorts,
    ensure_team_addresses,
    write_department,
)


def demo_site_root(host: str, port: int) -> str:
    """The root of the links the demo emails, prints on handouts and QR codes: the address it serves."""
    if host in {"0.0.0.0", "::", ""}:
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Run a demo department on SQLite: migrate, generate synthetic patients, create logins, serve."

    def add_arguments(self, parser):
        parser.add_argument("--patients", default="300")
        parser.add_argument("--seed", default="42")
        parser.add_argument("--sites", default="2")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare the demo, do not start the server")

    def handle(self, *args, **options):
        if settings.PALLIRO_MODE != "demo":
            raise CommandError("run the demo through `palliro demo` (PALLIRO_MODE=demo)", returncode=2)
        n_patients, seed = positive_int(options["patients"]), positive_int(options["seed"])
        n_sites, port = positive_int(options["sites"]), positive_int(options["port"])
        if not 1 <= n_sites <= 4:
            raise CommandError("--sites must be between 1 and 4", returncode=2)
        # Links in e-mails, handouts and QR codes must reach this server (an explicit SITE_ROOT wins, e.g. a
        # tunnel); the environment carries it to the task worker and gunicorn's processes.
        if not os.environ.get("SITE_ROOT"):
            os.environ["SITE_ROOT"] = settings.SITE_ROOT = demo_site_root(options["host"], port)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        if not Patient.objects.exists():
            self.stdout.write(f"Generating {n_patients} synthetic patients (seed {seed})…")
            write_department(n_patients, seed, date.today(), n_sites)
        else:
            self.stdout.write(f"Reusing the existing demo department ({Patient.objects.count()} patients).")
        enrolled = enrol_recent_courses(date.today())
        if enrolled:
            self.stdout.write(f"Enrolled {enrolled} recently treated patients in follow-up.")
        ensure_team_addresses()
        rows = ensure_demo_accounts()
        ensure_demo_cohorts()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Palliro demo: {settings.SITE_ROOT}/"))
        self.stdout.write(f"Log in with one of these accounts, password '{DEMO_PASSWORD}':")
        for username, role, sites in rows:
            self.stdout.write(f"  {username:<12} {role:<20} {sites}")
        sample = sample_open_invitation()
        if sample is not None:
            link = settings.SITE_ROOT + reverse("respond", args=[sample.token()])
            self.stdout.write(f"Answer a questionnaire as a patient would: {link}")
        self.stdout.write("All patients are synthetic. Press Ctrl-C to stop.")
        self.stdout.flush()
        if not options["no_serve"]:
            serve(options["host"], port, workers=2, threads=4)
