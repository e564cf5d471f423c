from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync(sender, apps=None, **kwargs):
    from palliro.instruments.sync import move_open_invitations, sync_shipped_instruments

    sync_shipped_instruments()
    if apps is None or _followup_current(apps):
        move_open_invitations()


def _followup_current(state_apps) -> bool:
    """Whether the follow-up tables have the current columns (not when migrated back, or not yet migrated)."""
    from django.apps import apps as current

    for name in ("Invitation", "Response"):
        try:
            migrated = state_apps.get_model("followup", name)
        except LookupError:
            return False
        columns = {f.column for f in migrated._meta.concrete_fields}
        if not {f.column for f in current.get_model("followup", name)._meta.concrete_fields} <= columns:
            return False
    return True


class InstrumentsConfig(AppConfig):
    name = "palliro.instruments"
    label = "instruments"
    verbose_name = "Questionnaires"

    def ready(self):
        post_migrate.connect(_sync, sender=self, dispatch_uid="palliro.instruments.sync")
