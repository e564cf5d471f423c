from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "palliro.followup"
    label = "followup"
