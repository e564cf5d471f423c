from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_rules(sender, **kwargs):
    from palliro.triage.rules_io import sync_shipped_rules

    sync_shipped_rules()


class TriageConfig(AppConfig):
    name = "palliro.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self):
        from palliro.followup.submission import response_completed
        from palliro.triage.services import on_response_completed

        post_migrate.connect(_sync_rules, sender=self, dispatch_uid="palliro.triage.rules")
        response_completed.connect(on_response_completed, dispatch_uid="palliro.triage.alerts")
