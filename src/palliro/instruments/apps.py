from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync(sender, apps=None, **kwargs):
    from palliro.followup.apps import tables_current
    from palliro.instruments.sync import move_open_invitations, sync_shipped_instruments

    sync_shipped_instruments()
    # Not when the follow-up tables are migrated back, or not yet migrated.
    if apps is None or tables_current(apps, ("Invitation", "Response")):
        move_open_invitations()


class InstrumentsConfig(AppConfig):
    name = "palliro.instruments"
    label = "instruments"
    verbose_name = "Questionnaires"

    def ready(self):
        post_migrate.connect(_sync, sender=self, dispatch_uid="palliro.instruments.sync")
