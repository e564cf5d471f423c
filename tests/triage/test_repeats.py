"""A rule firing again for a patient who already has an alert from it: an urgent finding after acknowledgement
raises a new alert and pages the team; any other repeat is added to the alert with what it found."""

import pytest
from django.core import mail
from django.db import IntegrityError

from palliro.triage.models import Alert, AlertState
from palliro.triage.services import acknowledge, resolve

from .helpers import backdate, make_alert, submit


@pytest.fixture
def team_a(site_a):
    site_a.email = "team-a@example.org"
    site_a.save()
    return site_a


def mscc_alerts(patient):
    return list(Alert.objects.filter(patient=patient, rule__code="mscc-red-flag").order_by("created", "id"))


def test_it_raises_a_new_alert_for_an_emergency_after_acknowledgement(ann, nurse_a, team_a,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        backdate(submit(ann, "palliro-mscc", limb_weakness="yes", bladder_bowel_control="no"), 7)
    acknowledge(mscc_alerts(ann)[0], nurse_a)  # phoned, waiting for the MRI
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submit(ann, "palliro-mscc", limb_weakness="no", bladder_bowel_control="yes")
    weakness, incontinence = mscc_alerts(ann)
    assert (weakness.state, weakness.repeat_count) == (AlertState.ACKNOWLEDGED, 0)
    assert incontinence.state == AlertState.OPEN and incontinence.severity == "urgent"
    assert "New problems with bladder or bowel control: \"Yes\" (bladder-bowel-control = 1; rule: = 1)" in incontinence.detail
    assert len(mail.outbox) == 1 and incontinence.notified_at is not None


def test_it_adds_an_urgent_repeat_to_the_alert_nobody_has_acknowledged_yet(ann, team_a,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(ann, "palliro-mscc", limb_weakness="yes", bladder_bowel_control="no")
    with django_capture_on_commit_callbacks(execute=True):
        submit(ann, "palliro-mscc", limb_weakness="no", bladder_bowel_control="yes")
    alert, = mscc_alerts(ann)
    assert alert.repeat_count == 1 and len(mail.outbox) == 1  # the team was paged once and has not looked yet
    first, again = alert.detail.splitlines()
    assert "(limb-weakness = 1; rule: = 1)" in first
    assert again.startswith("Again ") and "New problems with bladder or bowel control: \"Yes\" (bladder-bowel-control = 1; rule: = 1)" in again


def test_it_adds_an_attention_repeat_to_an_acknowledged_alert_with_what_it_found(ann, nurse_a):
    submit(ann, "palliro-general", pain_worst="8")
    alert = Alert.objects.get(patient=ann, rule__code="pain-worst-high")
    acknowledge(alert, nurse_a)
    submit(ann, "palliro-general", pain_worst="9")
    alert.refresh_from_db()
    assert Alert.objects.filter(patient=ann, rule__code="pain-worst-high").count() == 1
    assert alert.state == AlertState.ACKNOWLEDGED and alert.repeat_count == 1
    assert ": 8 of 10 (rule: 7 or more)" in alert.detail and ": 9 of 10 (rule: 7 or more)" in alert.detail


def test_it_opens_a_new_alert_after_a_resolved_one_whatever_the_severity(ann, nurse_a):
    submit(ann, "palliro-mscc", limb_weakness="yes")
    resolve(mscc_alerts(ann)[0], nurse_a, "admitted")
    submit(ann, "palliro-mscc", limb_weakness="yes")
    assert [a.state for a in mscc_alerts(ann)] == [AlertState.RESOLVED, AlertState.OPEN]


def test_it_adds_a_repeat_to_the_unacknowledged_alert_when_an_acknowledged_one_is_still_open(ann, nurse_a):
    submit(ann, "palliro-mscc", limb_weakness="yes")
    acknowledge(mscc_alerts(ann)[0], nurse_a)
    submit(ann, "palliro-mscc", bladder_bowel_control="yes")
    submit(ann, "palliro-mscc", limb_weakness="yes", bladder_bowel_control="yes")
    acknowledged, unacknowledged = mscc_alerts(ann)
    assert (acknowledged.repeat_count, unacknowledged.repeat_count) == (0, 1)


def test_the_database_refuses_two_unacknowledged_alerts_of_one_rule(ann, nurse_a):
    acknowledge(make_alert(ann, "mscc-red-flag"), nurse_a)
    make_alert(ann, "mscc-red-flag")  # an acknowledged one and an unacknowledged one may coexist
    with pytest.raises(IntegrityError):
        make_alert(ann, "mscc-red-flag")


def test_the_alert_page_shows_what_each_repeat_found(login, nurse_a, ann):
    submit(ann, "palliro-mscc", limb_weakness="yes")
    submit(ann, "palliro-mscc", bladder_bowel_control="yes")
    alert, = mscc_alerts(ann)
    body = login(nurse_a).get(f"/triage/alert/{alert.pk}/").content.decode()
    assert "fired 1 more time since" in body
    assert "(limb-weakness = 1; rule: = 1)<br>Again " in body and "(bladder-bowel-control = 1; rule: = 1)" in body
