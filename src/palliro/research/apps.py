from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "palliro.research"
    label = "research"
