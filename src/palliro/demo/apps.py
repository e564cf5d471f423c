from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "palliro.demo"
    label = "demo"
    verbose_name = "Synthetic demo department"
