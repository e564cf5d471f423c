from django.core.management.base import BaseCommand, CommandError

from palliro.followup.tasks import CadenceError, dispatch_due


class Command(BaseCommand):
    help = "Run one pass: send due invitations and reminders, expire closed questionnaires."

    def handle(self, *args, **options):
        try:
            result = dispatch_due()
        except CadenceError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"Sent {result.invitations_sent} invitations and {result.reminders_sent} reminders; "
            f"{result.expired} expired; {result.no_channel} without e-mail or phone; {result.failed} failed."
        )
        if result.failed:
            raise CommandError(f"{result.failed} messages could not be sent (see the log); they will be retried")
