from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "palliro.triage"
    label = "triage"
