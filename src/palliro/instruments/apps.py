from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "palliro.instruments"
    label = "instruments"
