"""The demo's sites can be alerted, and its links point at the port it serves."""

import os

import pytest
from django.core import mail
from django.core.management import call_command

from palliro.accounts.models import Site
from palliro.demo.writer import ensure_sites
from palliro.triage.tasks import notify_urgent_alert

pytestmark = pytest.mark.django_db


def test_the_demo_sites_have_team_addresses_for_urgent_alerts():
    from palliro.accounts.checks import sites_without_alert_address

    sites = ensure_sites(4)
    assert all(site.email for site in sites)
    assert not sites_without_alert_address().exists()


def test_a_demo_database_made_before_sites_had_addresses_gets_them():
    from palliro.demo.writer import ensure_team_addresses

    Site.objects.create(code="site-a", name="Riverside Radiotherapy Centre")
    assert ensure_team_addresses() == 1
    assert Site.objects.get(code="site-a").email == "team-site-a@demo.palliro.invalid"


def test_an_urgent_alert_in_the_demo_is_emailed():
    from tests.conftest import make_patient
    from tests.triage.helpers import make_alert

    site = ensure_sites(1)[0]
    patient = make_patient(site, "D-1", "Demo", "Patient")
    alert = make_alert(patient, "mscc-red-flag")
    assert notify_urgent_alert.enqueue(alert.pk).return_value == 1
    assert mail.outbox[0].to == [site.email]


@pytest.mark.parametrize(("host", "root"), [
    ("127.0.0.1", "http://127.0.0.1:8123"), ("0.0.0.0", "http://localhost:8123"), ("::1", "http://[::1]:8123"),
])
def test_the_site_root_is_the_address_the_demo_serves(host, root):
    from palliro.demo.management.commands.demo import demo_site_root

    assert demo_site_root(host, 8123) == root


def test_palliro_demo_port_sets_the_site_root_of_emails_handouts_and_qr_codes(settings, monkeypatch, capsys):
    settings.PALLIRO_MODE = "demo"
    settings.SITE_ROOT = "http://localhost:8000"
    monkeypatch.setenv("SITE_ROOT", "")  # restored afterwards
    call_command("demo", patients="3", port="8123", no_serve=True)
    assert settings.SITE_ROOT == os.environ["SITE_ROOT"] == "http://127.0.0.1:8123"
    from palliro.followup.models import Invitation

    invitation = Invitation.objects.first()
    if invitation is not None:
        assert invitation.link().startswith("http://127.0.0.1:8123/r/")
    assert "Palliro demo: http://127.0.0.1:8123/" in capsys.readouterr().out


def test_an_explicit_site_root_wins_over_the_port(settings, monkeypatch):
    settings.PALLIRO_MODE = "demo"
    settings.SITE_ROOT = "https://tunnel.example.org"
    monkeypatch.setenv("SITE_ROOT", "https://tunnel.example.org")
    call_command("demo", patients="3", port="8123", no_serve=True)
    assert settings.SITE_ROOT == "https://tunnel.example.org"
