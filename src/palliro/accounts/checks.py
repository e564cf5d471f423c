"""System checks that refuse unsafe production settings.

They report *errors* (which stop ``palliro serve`` and ``manage.py check``) only in production mode; in
demo and development mode the same problems are expected and allowed.
"""

from django.conf import settings
from django.core import checks


def default_database_engine() -> str:
    return settings.DATABASES["default"]["ENGINE"]


@checks.register(checks.Tags.security, deploy=False)
def check_production_settings(app_configs, **kwargs):
    if settings.RELAXED_MODE:
        return []
    errors = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY or len(settings.SECRET_KEY) < 40:
        errors.append(
            checks.Error(
                "SECRET_KEY is missing, the built-in development key, or shorter than 40 characters.",
                hint="Set SECRET_KEY to a long random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="palliro.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            checks.Error(
                "ALLOWED_HOSTS is empty.",
                hint="Set ALLOWED_HOSTS to the comma-separated host names this server answers to.",
                id="palliro.E002",
            )
        )
    engine = default_database_engine()
    if engine.endswith("sqlite3") and not settings.ALLOW_SQLITE_IN_PRODUCTION:
        errors.append(
            checks.Error(
                "SQLite is used in production mode.",
                hint="Set DATABASE_URL to a PostgreSQL database, or set "
                "PALLIRO_ALLOW_SQLITE_IN_PRODUCTION=1 for a single-machine installation.",
                id="palliro.E003",
            )
        )
    if settings.DEBUG:
        errors.append(
            checks.Error(
                "DEBUG is on in production mode.",
                hint="Unset DEBUG, or set PALLIRO_MODE=development on a developer's machine.",
                id="palliro.E004",
            )
        )
    if settings.PALLIRO_MODE not in {"production", "demo", "development"}:
        errors.append(
            checks.Error(
                f"PALLIRO_MODE={settings.PALLIRO_MODE!r} is not one of production, demo, development.",
                id="palliro.E005",
            )
        )
    if settings.BENCH_ENDPOINTS:
        errors.append(
            checks.Error(
                "PALLIRO_BENCH is on in production mode: it mounts unauthenticated benchmark endpoints that "
                "write responses.",
                hint="Unset PALLIRO_BENCH; it is for bench/bench_submit.py in development mode only.",
                id="palliro.E006",
            )
        )
    return errors
