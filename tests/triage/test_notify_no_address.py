"""An urgent alert at a site nobody can be emailed at: the task fails loudly and the worklist warns the staff."""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from palliro.triage.models import Alert
from palliro.triage.tasks import notify_urgent_alert

from .helpers import make_alert

pytestmark = pytest.mark.django_db


def test_an_alert_at_a_site_without_any_address_is_not_reported_as_sent(ann, nurse_a, caplog):
    alert = make_alert(ann, "mscc-red-flag")  # site A has no team address, nurse A no email address
    with caplog.at_level(logging.ERROR, logger="palliro.triage"):
        result = notify_urgent_alert.enqueue(alert.pk)
    assert result.status == "FAILED"
    assert result.errors[0].exception_class_path.endswith("NobodyToNotify")
    assert Alert.objects.get(pk=alert.pk).notified_at is None
    assert mail.outbox == []
    assert any(r.levelno == logging.ERROR and ann.pseudonym in r.getMessage() and "site-a" in r.getMessage()
               for r in caplog.records)


def test_the_same_alert_is_emailed_once_the_site_has_a_team_address(ann, nurse_a):
    alert = make_alert(ann, "mscc-red-flag")
    notify_urgent_alert.enqueue(alert.pk)
    ann.site.email = "team-a@example.org"
    ann.site.save()
    result = notify_urgent_alert.enqueue(alert.pk)
    assert result.status == "SUCCESSFUL" and result.return_value == 1
    assert mail.outbox[0].to == ["team-a@example.org"]
    assert Alert.objects.get(pk=alert.pk).notified_at is not None


def test_the_worklist_warns_staff_whose_site_has_no_address_for_urgent_alerts(login, nurse_a, site_a):
    page = login(nurse_a).get(reverse("triage:worklist")).content.decode()
    assert 'id="no-alert-address"' in page and "Site A" in page
    site_a.email = "team-a@example.org"
    site_a.save()
    assert 'id="no-alert-address"' not in login(nurse_a).get(reverse("triage:worklist")).content.decode()


def test_a_nurse_with_an_email_address_is_enough_to_silence_the_warning(login, nurse_a):
    nurse_a.email = "nurse-a@example.org"
    nurse_a.save()
    assert 'id="no-alert-address"' not in login(nurse_a).get(reverse("triage:worklist")).content.decode()


def test_the_worklist_does_not_warn_about_another_sites_missing_address(login, nurse_a, site_a, nurse_b):
    site_a.email = "team-a@example.org"
    site_a.save()  # site B still has no address, but nurse A does not work there
    assert 'id="no-alert-address"' not in login(nurse_a).get(reverse("triage:worklist")).content.decode()
