from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync(sender, **kwargs):
    from palliro.instruments.sync import sync_shipped_instruments

    sync_shipped_instruments()


class InstrumentsConfig(AppConfig):
    name = "palliro.instruments"
    label = "instruments"
    verbose_name = "Questionnaires"

    def ready(self):
        post_migrate.connect(_sync, sender=self, dispatch_uid="palliro.instruments.sync")
