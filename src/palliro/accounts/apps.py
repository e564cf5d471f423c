from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "palliro.accounts"
    label = "accounts"
    verbose_name = "Accounts and sites"

    def ready(self):
        from palliro.accounts import checks  # noqa: F401  (registers the system checks)
