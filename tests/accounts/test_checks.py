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
    settings.SITE_ROOT = "https://palliro.example.org"
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


@pytest.mark.parametrize("site_root", [
    "http://localhost:8000",  # the default when SITE_ROOT is not set
    "http://palliro.example.org",
    "https://localhost",
    "https://127.0.0.1:8443",
    "https://[::1]",
    "palliro.example.org",
])
def test_it_refuses_a_site_root_patients_cannot_open(settings, site_root):
    production(settings, SITE_ROOT=site_root)
    assert ids(settings) == {"palliro.E007"}


def test_it_accepts_a_public_https_site_root_with_a_path(settings):
    production(settings, SITE_ROOT="https://hospital.example.org/palliro")
    assert ids(settings) == set()


def test_palliro_check_deploy_refuses_production_without_site_root(tmp_path):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PALLIRO_", "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_", "SITE_ROOT"))}
    clean.update(PALLIRO_DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, ALLOWED_HOSTS="palliro.example.org",
                 PALLIRO_ALLOW_SQLITE_IN_PRODUCTION="1")
    result = subprocess.run([sys.executable, "-m", "palliro", "check", "--deploy"], env=clean, capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert "palliro.E007" in result.stderr and "http://localhost:8000" in result.stderr
