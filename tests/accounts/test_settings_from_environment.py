"""Settings come from environment variables: checked in a fresh interpreter for each case."""

import json
import os
import subprocess
import sys

SNIPPET = (
    "import json, palliro.settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'debug': s.DEBUG, 'mode': s.PALLIRO_MODE,"
    "'2fa': s.REQUIRE_TWO_FACTOR, 'hosts': s.ALLOWED_HOSTS, 'opts': str(s.DATABASES['default'].get('OPTIONS'))}))"
)


def settings_with(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PALLIRO_", "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_"))}
    clean.update(PALLIRO_DATA_DIR=str(tmp_path), **env)
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_defaults_are_safe(tmp_path):
    values = settings_with(tmp_path)
    assert values["mode"] == "production" and values["debug"] is False and values["2fa"] is True
    assert values["hosts"] == []
    assert values["engine"] == "django.db.backends.sqlite3"
    assert "IMMEDIATE" in values["opts"] and "journal_mode=WAL" in values["opts"]


def test_database_url_selects_postgresql(tmp_path):
    values = settings_with(tmp_path, DATABASE_URL="postgres://u@db.example:5432/palliro")
    assert values["engine"] == "django.db.backends.postgresql"


def test_postgresql_binds_in_the_server_and_prepares_repeated_statements(tmp_path):
    values = settings_with(tmp_path, DATABASE_URL="postgres://u@db.example:5432/palliro")
    assert "'server_side_binding': True" in values["opts"] and "'prepare_threshold': 2" in values["opts"]
    values = settings_with(tmp_path, DATABASE_URL="postgres://u@db.example:5432/palliro",
                           PALLIRO_PG_PREPARE_THRESHOLD="5")
    assert "'prepare_threshold': 5" in values["opts"]


def test_a_prepare_threshold_of_0_turns_preparing_off_for_poolers(tmp_path):
    values = settings_with(tmp_path, DATABASE_URL="postgres://u@db.example:5432/palliro",
                           PALLIRO_PG_PREPARE_THRESHOLD="0")
    assert "server_side_binding" not in values["opts"] and "prepare_threshold" not in values["opts"]


def test_a_bad_prepare_threshold_is_named(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PALLIRO_", "DATABASE_URL", "DJANGO_"))}
    clean.update(PALLIRO_DATA_DIR=str(tmp_path), DATABASE_URL="postgres://u@db.example:5432/palliro",
                 PALLIRO_PG_PREPARE_THRESHOLD="some")
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=clean, capture_output=True, text=True)
    assert out.returncode != 0
    assert "PALLIRO_PG_PREPARE_THRESHOLD must be a whole number of at least 0, got 'some'" in out.stderr


def test_demo_mode_relaxes_two_factor_and_hosts(tmp_path):
    values = settings_with(tmp_path, PALLIRO_MODE="demo")
    assert values["2fa"] is False and "localhost" in values["hosts"]


def test_palliro_check_refuses_unsafe_production_defaults(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PALLIRO_", "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_"))}
    clean["PALLIRO_DATA_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "palliro", "check"], env=clean, capture_output=True, text=True)
    assert result.returncode != 0
    for check_id in ("palliro.E001", "palliro.E002", "palliro.E003"):
        assert check_id in result.stderr
