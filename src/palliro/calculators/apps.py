from django.apps import AppConfig


class CalculatorsConfig(AppConfig):
    name = "palliro.calculators"
    label = "calculators"
