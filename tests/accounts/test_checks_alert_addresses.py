"""The system check for sites whose urgent alerts would be emailed to nobody (palliro.E008 / palliro.W001)."""

import pytest
from django.core.management import call_command

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def found(settings, relaxed):
    from palliro.accounts.checks import check_urgent_alert_addresses

    settings.RELAXED_MODE = relaxed
    return [(message.id, message.msg) for message in check_urgent_alert_addresses(None)]


def test_production_mode_refuses_a_site_nobody_could_be_alerted_at(settings, site_a, nurse_a):
    [(check_id, text)] = found(settings, relaxed=False)
    assert check_id == "palliro.E008" and "Site A" in text


def test_development_mode_warns_about_it(settings, site_a, nurse_a):
    assert [check_id for check_id, _ in found(settings, relaxed=True)] == ["palliro.W001"]


def test_a_team_address_satisfies_it(settings, site_a):
    site_a.email = "team-a@example.org"
    site_a.save()
    assert found(settings, relaxed=False) == []


def test_an_active_nurse_with_an_email_address_satisfies_it(settings, site_a, nurse_a):
    nurse_a.email = "nurse-a@example.org"
    nurse_a.save()
    assert found(settings, relaxed=False) == []


def test_an_inactive_nurse_or_a_researcher_with_an_email_address_does_not(settings, site_a, nurse_a):
    nurse_a.email, nurse_a.is_active = "nurse-a@example.org", False
    nurse_a.save()
    researcher = make_user("researcher-a", (site_a, "researcher"))
    researcher.email = "r@example.org"
    researcher.save()
    assert [check_id for check_id, _ in found(settings, relaxed=False)] == ["palliro.E008"]


def test_manage_py_check_reports_it(settings, site_a, capsys):
    settings.RELAXED_MODE = True
    call_command("check")
    assert "palliro.W001" in capsys.readouterr().err
