from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from palliro.demo.writer import write_department


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"expected a whole number, got {value!r}", returncode=2) from None
    if number < 0:
        raise CommandError(f"expected zero or more, got {number}", returncode=2)
    return number


class Command(BaseCommand):
    help = "Generate a synthetic department (patients, courses, procedures, episodes, analgesics)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", default="300", help="number of patients (default 300)")
        parser.add_argument("--seed", default="42", help="random seed (default 42)")
        parser.add_argument("--sites", default="2", help="number of sites, 1 to 4 (default 2)")
        parser.add_argument("--anchor", default=None, help="the 'today' of the data, YYYY-MM-DD (default today)")
        parser.add_argument("--no-activity", action="store_true",
                            help="clinic records only: no questionnaire responses, observations or alerts")

    def handle(self, *args, **options):
        n_patients = positive_int(options["patients"])
        seed = positive_int(options["seed"])
        n_sites = positive_int(options["sites"])
        if not 1 <= n_sites <= 4:
            raise CommandError("--sites must be between 1 and 4", returncode=2)
        try:
            anchor = date.fromisoformat(options["anchor"]) if options["anchor"] else date.today()
        except ValueError:
            raise CommandError(f"--anchor must be a date like 2026-01-31, got {options['anchor']!r}", returncode=2) from None
        if anchor > date.today():
            raise CommandError("--anchor cannot be in the future", returncode=2)

        def progress(done):
            self.stdout.write(f"  {done} / {n_patients} patients")

        stored = write_department(n_patients, seed, anchor, n_sites, progress=progress if n_patients > 10000 else None,
                                  activity=not options["no_activity"])
        self.stdout.write(self.style.SUCCESS(f"Generated {stored} patients on {connection.vendor} (seed {seed})."))
