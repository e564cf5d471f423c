from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "palliro.clinic"
    label = "clinic"
    verbose_name = "Clinic records"
