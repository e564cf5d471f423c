from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "palliro.evidence"
    label = "evidence"
