"""`palliro serve` loads the research analysis store before gunicorn forks its web workers."""

import pytest

from palliro.demo.management.commands import serve
from palliro.research.store import analysis_store


@pytest.fixture
def no_gunicorn(monkeypatch):
    started = []
    monkeypatch.setattr(serve.PalliroServer, "run", lambda self: started.append(self.options))
    return started


@pytest.mark.django_db(transaction=True)
def test_it_loads_the_analysis_store_before_forking(no_gunicorn, settings):
    settings.PALLIRO_ANALYSIS_STORE = True
    serve.serve("127.0.0.1", 8999, 2, 2, task_worker=False)
    assert no_gunicorn and no_gunicorn[0]["workers"] == 2
    assert analysis_store().last_action == "load"


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_store_alone_when_it_is_switched_off(no_gunicorn, settings):
    settings.PALLIRO_ANALYSIS_STORE = False
    serve.serve("127.0.0.1", 8999, 1, 1, task_worker=False)
    assert no_gunicorn and analysis_store().last_action == ""


@pytest.mark.django_db(transaction=True)
def test_a_database_without_the_journal_only_warns(no_gunicorn, settings, caplog):
    from django.db import connection

    settings.PALLIRO_ANALYSIS_STORE = True
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER palliro_journal_patient_update" if connection.vendor == "sqlite"
                       else "DROP TRIGGER palliro_journal_patient_change ON clinic_patient")
    try:
        serve.serve("127.0.0.1", 8999, 1, 1, task_worker=False)
        assert no_gunicorn
        assert "Analysis store not loaded at start-up" in caplog.text
    finally:
        from palliro.research.journal import install

        install()
