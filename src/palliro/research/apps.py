from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ResearchConfig(AppConfig):
    name = "palliro.research"
    label = "research"

    def ready(self):
        from palliro.research.journal import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="palliro.research.journal")
