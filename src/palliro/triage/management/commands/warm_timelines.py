"""Draw and store the timeline figures that are missing or out of date (after a bulk import, or a redesign)."""

import time

from django.core.management.base import BaseCommand, CommandError

from palliro.accounts.models import Site
from palliro.clinic.models import Patient
from palliro.triage.tasks import refresh_figures


def _positive(name: str, text: str, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"--{name} must be a whole number, got {text!r}", returncode=2) from None
    if not 1 <= value <= high:
        raise CommandError(f"--{name} must be between 1 and {high}", returncode=2)
    return value


class Command(BaseCommand):
    help = (
        "Draw the patient timeline figures that are missing or no longer match the data, and store them so "
        "every page view can read them back. Submissions queue this per patient; run it after bulk imports."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", help="only patients of the site with this code")
        parser.add_argument("--limit", default="1000000", help="at most this many patients (default all)")
        parser.add_argument("--batch-size", default="200", help="patients read per batch (default 200)")
        parser.add_argument("--force", action="store_true", help="redraw even figures that are up to date")

    def handle(self, *args, **options):
        limit = _positive("limit", options["limit"], 10_000_000)
        batch = _positive("batch-size", options["batch_size"], 5000)
        patients = Patient.objects.order_by("pk")
        if options["site"]:
            site = Site.objects.filter(code=options["site"]).first()
            if site is None:
                raise CommandError(f"no site with code {options['site']!r}", returncode=2)
            patients = patients.filter(site=site)
        ids = list(patients.values_list("pk", flat=True)[:limit])
        started, drawn = time.monotonic(), 0
        for start in range(0, len(ids), batch):
            drawn += refresh_figures(ids[start:start + batch], force=options["force"])
            if options["verbosity"] > 1:
                self.stdout.write(f"{min(start + batch, len(ids))}/{len(ids)} patients, {drawn} drawn")
        self.stdout.write(
            f"Drew {drawn} timeline figure{'s' if drawn != 1 else ''}; {len(ids) - drawn} of {len(ids)} "
            f"patients were up to date ({time.monotonic() - started:.1f} s)."
        )
