"""The system checks for sites whose urgent alerts would be emailed to nobody: a warning at every start
(palliro.W001), an error for ``check --deploy`` in production mode (palliro.E008)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def found(settings, relaxed):
    from palliro.accounts import checks

    settings.RELAXED_MODE = relaxed
    return [(message.id, message.msg) for message in
            checks.check_urgent_alert_addresses(None) + checks.check_urgent_alert_addresses_for_deploy(None)]


def ids(settings, relaxed=False):
    return sorted(check_id for check_id, _ in found(settings, relaxed))


def production(settings):
    settings.PALLIRO_MODE, settings.RELAXED_MODE, settings.DEBUG = "production", False, False
    settings.SECRET_KEY, settings.ALLOWED_HOSTS = "k" * 50, ["palliro.example.org"]
    settings.ALLOW_SQLITE_IN_PRODUCTION, settings.BENCH_ENDPOINTS = True, False
    settings.SITE_ROOT = "https://palliro.example.org"


def test_production_mode_refuses_a_site_nobody_could_be_alerted_at_for_deployment(settings, site_a, nurse_a):
    assert ids(settings) == ["palliro.E008", "palliro.W001"]
    assert all("Site A" in text for _, text in found(settings, relaxed=False))


def test_development_mode_only_warns_about_it(settings, site_a, nurse_a):
    assert ids(settings, relaxed=True) == ["palliro.W001"]


def test_a_team_address_satisfies_it(settings, site_a):
    site_a.email = "team-a@example.org"
    site_a.save()
    assert ids(settings) == []


def test_an_active_nurse_with_an_email_address_satisfies_it(settings, site_a, nurse_a):
    nurse_a.email = "nurse-a@example.org"
    nurse_a.save()
    assert ids(settings) == []


def test_an_inactive_nurse_or_a_researcher_with_an_email_address_does_not(settings, site_a, nurse_a):
    nurse_a.email, nurse_a.is_active = "nurse-a@example.org", False
    nurse_a.save()
    researcher = make_user("researcher-a", (site_a, "researcher"))
    researcher.email = "r@example.org"
    researcher.save()
    assert ids(settings) == ["palliro.E008", "palliro.W001"]


def test_palliro_check_deploy_refuses_it_in_production(settings, site_a):
    production(settings)
    with pytest.raises(SystemCheckError, match="palliro.E008"):
        call_command("check", deploy=True)


def test_a_production_start_only_warns_so_an_administrator_can_still_log_in_and_fix_it(settings, site_a, capsys):
    production(settings)
    call_command("check")  # what serve and migrate run: no SystemCheckError
    assert "palliro.W001" in capsys.readouterr().err
