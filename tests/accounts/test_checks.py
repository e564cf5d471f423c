"""The system checks refuse unsafe settings in production mode and allow them in demo mode."""

import pytest

from palliro.accounts import checks
from palliro.accounts.checks import check_production_settings

SQLITE = "django.db.backends.sqlite3"
POSTGRES = "django.db.backends.postgresql"


@pytest.fixture(autouse=True)
def database_engine(monkeypatch):
    engine = {"value": POSTGRES}
    monkeypatch.setattr(checks, "default_database_engine", lambda: engine["value"])
    return engine


def ids(settings):
    return {error.id for error in check_production_settings(None)}


def production(settings, **overrides):
    settings.PALLIRO_MODE = "production"
    settings.RELAXED_MODE = False
    settings.DEBUG = False
    settings.SECRET_KEY = "k" * 50
    settings.ALLOWED_HOSTS = ["palliro.example.org"]
    settings.ALLOW_SQLITE_IN_PRODUCTION = False
    settings.BENCH_ENDPOINTS = False
    for key, value in overrides.items():
        setattr(settings, key, value)


def test_a_safe_production_configuration_passes(settings):
    production(settings)
    assert ids(settings) == set()


def test_it_refuses_the_default_secret_key(settings):
    production(settings, SECRET_KEY=settings.INSECURE_SECRET_KEY)
    assert ids(settings) == {"palliro.E001"}


def test_it_refuses_a_short_secret_key(settings):
    production(settings, SECRET_KEY="short")
    assert ids(settings) == {"palliro.E001"}


def test_it_refuses_empty_allowed_hosts(settings):
    production(settings, ALLOWED_HOSTS=[])
    assert ids(settings) == {"palliro.E002"}


def test_it_refuses_sqlite_without_opt_in(settings, database_engine):
    database_engine["value"] = SQLITE
    production(settings)
    assert ids(settings) == {"palliro.E003"}


def test_it_allows_sqlite_with_explicit_opt_in(settings, database_engine):
    database_engine["value"] = SQLITE
    production(settings, ALLOW_SQLITE_IN_PRODUCTION=True)
    assert ids(settings) == set()


def test_it_refuses_debug(settings):
    production(settings, DEBUG=True)
    assert ids(settings) == {"palliro.E004"}


def test_it_refuses_the_benchmark_endpoints(settings):
    production(settings, BENCH_ENDPOINTS=True)
    assert ids(settings) == {"palliro.E006"}


def test_demo_mode_allows_the_development_defaults(settings, database_engine):
    database_engine["value"] = SQLITE
    production(settings, SECRET_KEY=settings.INSECURE_SECRET_KEY, ALLOWED_HOSTS=[])
    settings.PALLIRO_MODE, settings.RELAXED_MODE = "demo", True
    assert ids(settings) == set()
