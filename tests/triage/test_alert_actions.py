"""Alert page and actions: acknowledge, assign, note, resolve; POST only; other site 404; researchers 403."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.triage.models import AlertState

from .helpers import make_alert


@pytest.fixture
def alert(ann):
    return make_alert(ann, "mscc-red-flag", created=timezone.now() - timedelta(minutes=30))


def test_it_shows_the_alert_with_the_patients_phone(login, nurse_a, alert):
    page = login(nurse_a).get(f"/triage/alert/{alert.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "suspected spinal cord compression" in body and "+31 6 1234 5678" in body
    assert AuditEvent.objects.filter(action="triage_alert", patient=alert.patient).exists()
    # The rule's advice is staff guidance; an alert not raised by answers claims nothing was shown.
    assert "staff guidance only; never shown to the patient" in body and "The rule's advice for the patient" not in body
    assert '"Call your care team now"' not in body and "Nothing: this alert was not raised by answers." in body


def test_it_acknowledges_and_records_the_time_to_acknowledge(login, nurse_a, alert):
    page = login(nurse_a).post(f"/triage/alert/{alert.pk}/acknowledge/")
    assert page.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == nurse_a
    assert timedelta(minutes=29) < alert.time_to_acknowledge < timedelta(minutes=31)
    assert alert.notes.get().action == "acknowledge"


def test_it_does_not_acknowledge_twice(login, nurse_a, alert):
    client = login(nurse_a)
    client.post(f"/triage/alert/{alert.pk}/acknowledge/")
    page = client.post(f"/triage/alert/{alert.pk}/acknowledge/", follow=True)
    assert "already acknowledged" in page.content.decode()


def test_it_assigns_to_a_colleague_and_acknowledges(login, nurse_a, clinician_a, alert):
    page = login(nurse_a).post(f"/triage/alert/{alert.pk}/assign/", {"assignee": clinician_a.pk})
    assert page.status_code == 302
    alert.refresh_from_db()
    assert alert.assignee == clinician_a and alert.acknowledged_at is not None


def test_it_refuses_to_assign_to_someone_of_another_site(login, nurse_a, nurse_b, alert):
    page = login(nurse_a).post(f"/triage/alert/{alert.pk}/assign/", {"assignee": nurse_b.pk})
    assert page.status_code == 400
    alert.refresh_from_db()
    assert alert.assignee is None


def test_it_adds_a_note(login, nurse_a, alert):
    login(nurse_a).post(f"/triage/alert/{alert.pk}/note/", {"text": "Left a voicemail."})
    assert alert.notes.get().text == "Left a voicemail."


def test_it_refuses_an_empty_note(login, nurse_a, alert):
    page = login(nurse_a).post(f"/triage/alert/{alert.pk}/note/", {"text": "   "})
    assert page.status_code == 400 and "Please correct" in page.content.decode()


def test_it_resolves_with_an_outcome(login, clinician_a, alert):
    page = login(clinician_a).post(f"/triage/alert/{alert.pk}/resolve/",
                                   {"outcome": "referred_rt", "note": "MRI booked."})
    assert page.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.outcome, alert.resolved_by) == ("resolved", "referred_rt", clinician_a)
    assert alert.acknowledged_at is not None  # resolving without acknowledging still stops the clock
    assert "MRI booked." in alert.notes.get(action="resolve").text


def test_it_refuses_to_resolve_without_an_outcome(login, nurse_a, alert):
    page = login(nurse_a).post(f"/triage/alert/{alert.pk}/resolve/", {"outcome": "shrug"})
    assert page.status_code == 400
    alert.refresh_from_db()
    assert alert.state == "open"


def test_it_does_not_act_on_a_resolved_alert(login, nurse_a, alert):
    client = login(nurse_a)
    client.post(f"/triage/alert/{alert.pk}/resolve/", {"outcome": "no_action"})
    page = client.post(f"/triage/alert/{alert.pk}/resolve/", {"outcome": "admitted"}, follow=True)
    assert "already resolved" in page.content.decode()
    alert.refresh_from_db()
    assert alert.outcome == "no_action"


@pytest.mark.parametrize("action", ["", "acknowledge/", "assign/", "note/", "resolve/"])
def test_it_gives_404_for_another_sites_alert(login, nurse_b, alert, action):
    client = login(nurse_b)
    page = client.post(f"/triage/alert/{alert.pk}/{action}") if action else client.get(f"/triage/alert/{alert.pk}/")
    assert page.status_code == 404


@pytest.mark.parametrize("action", ["acknowledge/", "assign/", "note/", "resolve/"])
def test_actions_are_post_only(login, nurse_a, alert, action):
    assert login(nurse_a).get(f"/triage/alert/{alert.pk}/{action}").status_code == 405


def test_it_refuses_researchers(login, researcher, alert):
    client = login(researcher)
    assert client.get(f"/triage/alert/{alert.pk}/").status_code == 403
    assert client.post(f"/triage/alert/{alert.pk}/acknowledge/").status_code == 403


def test_it_sends_anonymous_users_to_login(client, alert):
    assert client.post(f"/triage/alert/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.state == "open"
