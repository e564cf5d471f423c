from django.core.management.base import BaseCommand, CommandError

from palliro.triage.services import check_non_response


class Command(BaseCommand):
    help = "Open alerts for enrolled patients who missed questionnaires in a row (run daily, e.g. from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--lookback-days", default="120", help="how far back to read invitations (default 120)")

    def handle(self, *args, **options):
        try:
            days = int(options["lookback_days"])
        except ValueError:
            raise CommandError(
                f"--lookback-days must be a whole number, got {options['lookback_days']!r}", returncode=2
            ) from None
        if not 1 <= days <= 3650:
            raise CommandError("--lookback-days must be between 1 and 3650", returncode=2)
        created = check_non_response(lookback_days=days)
        self.stdout.write(f"Opened {len(created)} non-response alert{'s' if len(created) != 1 else ''}.")
