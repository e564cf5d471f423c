"""A "call your care team now" answer saved in a draft that is never sent still reaches the team: the worker's
minute-by-minute check raises the alert "send" would have raised, once, after PALLIRO_UNSENT_RED_FLAG_MINUTES."""

import runpy
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from palliro.followup.models import Response
from palliro.followup.submission import save_draft
from palliro.triage import unsent
from palliro.triage.models import Alert, AlertRule
from palliro.triage.services import acknowledge
from palliro.triage.unsent import report_unsent_red_flags, unsent_delay
from tests.followup.staff_fixtures import make_invitation

from .helpers import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_a(site_a):
    site_a.email = "team-a@example.org"
    site_a.save()
    return site_a


def invitation_for(patient, code="palliro-mscc", **extra):
    return make_invitation(patient, timezone.now() - timedelta(hours=2), code=code, state="sent", **extra)


def left_for(draft, minutes):
    """The draft as if last saved ``minutes`` ago."""
    Response.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))
    draft.refresh_from_db()
    return draft


def leg_weakness_draft(patient, minutes=16, **extra):
    draft = save_draft(invitation_for(patient, **extra), {"limb-weakness": "yes"}, 2, "en")
    return left_for(draft, minutes)


def alerts(patient):
    return list(Alert.objects.filter(patient=patient).order_by("created", "id"))


def test_it_alerts_about_a_red_flag_saved_but_not_sent_after_the_delay(ann):
    draft = leg_weakness_draft(ann)
    [alert] = report_unsent_red_flags()
    # The alert "send" would have raised for leg weakness: the MSCC rule, urgent.
    assert (alert.rule.code, alert.severity, alert.response_id) == ("mscc-red-flag", "urgent", draft.pk)
    assert "SAVED BUT NOT SENT" in alert.detail and "never sent" in alert.detail
    saved = timezone.localtime(draft.updated_at, ann.site.zone)
    assert f"last saved on {saved:%Y-%m-%d %H:%M} (site time" in alert.detail
    assert "weakness" in alert.detail.lower() and ": Yes" in alert.detail and "red flag" in alert.detail


def test_it_waits_for_the_delay_before_alerting(ann):
    leg_weakness_draft(ann, minutes=14)
    assert report_unsent_red_flags() == [] and alerts(ann) == []
    assert len(report_unsent_red_flags(now=timezone.now() + timedelta(minutes=2))) == 1


def test_it_waits_for_the_delay_the_setting_gives(ann, settings):
    settings.PALLIRO_UNSENT_RED_FLAG_MINUTES = 30
    leg_weakness_draft(ann, minutes=20)
    assert report_unsent_red_flags() == []
    assert len(report_unsent_red_flags(now=timezone.now() + timedelta(minutes=11))) == 1


def test_it_says_when_in_the_sites_time_zone(ann, site_a):
    site_a.timezone = "America/New_York"
    site_a.save()
    draft = leg_weakness_draft(ann)
    report_unsent_red_flags()
    saved = timezone.localtime(draft.updated_at, site_a.zone)
    assert f"saved on {saved:%Y-%m-%d %H:%M} (site time, {saved:%Z})" in Alert.objects.get(patient=ann).detail
    assert saved.utcoffset() != timezone.localtime(draft.updated_at).utcoffset()  # not the server's zone


def test_a_call_now_answer_no_rule_covers_raises_the_safety_net(ann):
    draft = save_draft(invitation_for(ann, code="palliro-general"), {"flu-like": "a-lot"}, 2, "en")
    left_for(draft, 20)
    [alert] = report_unsent_red_flags()
    assert (alert.rule.code, alert.severity) == ("advice-contact-now", "attention")
    assert "SAVED BUT NOT SENT" in alert.detail and "How much have you had fever" in alert.detail


def test_a_draft_without_a_call_now_answer_raises_nothing_and_is_checked_once(ann):
    draft = left_for(save_draft(invitation_for(ann, code="palliro-general"), {"pain-worst": "3"}, 2, "en"), 20)
    assert report_unsent_red_flags() == []
    draft.refresh_from_db()
    assert draft.unsent_checked_at == draft.updated_at and draft.unsent_reported == {}


def test_the_urgent_alert_is_emailed_to_the_team(ann, team_a, django_capture_on_commit_callbacks):
    leg_weakness_draft(ann)
    with django_capture_on_commit_callbacks(execute=True):
        [alert] = report_unsent_red_flags()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["team-a@example.org"]
    assert ann.pseudonym in mail.outbox[0].subject and "Andersen" not in mail.outbox[0].body
    alert.refresh_from_db()
    assert alert.notified_at is not None


def test_the_alert_opens_the_draft_on_the_response_page(login, nurse_a, ann):
    draft = leg_weakness_draft(ann)
    [alert] = report_unsent_red_flags()
    client = login(nurse_a)
    page = client.get(reverse("triage:alert", args=[alert.pk])).content.decode()
    assert reverse("response_detail", args=[draft.pk]) in page
    # The link to the answers says they were not sent, instead of an empty date.
    assert "<strong>not sent</strong> (draft last saved" in page
    body = client.get(reverse("response_detail", args=[draft.pk])).content.decode()
    assert "Not sent — draft" in body


def test_it_never_alerts_twice_for_the_same_draft(ann):
    draft = leg_weakness_draft(ann)
    assert len(report_unsent_red_flags()) == 1
    assert report_unsent_red_flags(now=timezone.now() + timedelta(minutes=5)) == []
    # A second worker that read the draft before the first one marked it reports nothing either.
    rules = [rule for _, rule in unsent.rules_in_force()]
    rows = {row.code: row for row, _ in unsent.rules_in_force()}
    assert unsent._check(draft, rules, rows, timezone.now()) == []
    [alert] = alerts(ann)
    assert alert.repeat_count == 0


@pytest.mark.django_db(transaction=True)
def test_workers_checking_at_the_same_moment_raise_one_alert(ann):
    import threading

    from django.db import connection

    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("in-memory SQLite cannot be shared by threads; run on PostgreSQL or a SQLite file")
    leg_weakness_draft(ann)
    barrier, opened, errors = threading.Barrier(4), [], []

    def sweep():
        try:
            barrier.wait(timeout=30)
            opened.extend(report_unsent_red_flags())
        except Exception as error:  # reported below: a thread must not die silently
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(opened) == 1
    [alert] = alerts(ann)
    assert alert.repeat_count == 0


def test_a_sweep_that_fails_half_way_reports_the_draft_at_the_next_sweep(ann, monkeypatch):
    from palliro.triage import services

    draft = leg_weakness_draft(ann)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "store_findings", broken)
    with pytest.raises(RuntimeError):
        report_unsent_red_flags()
    draft.refresh_from_db()
    assert draft.unsent_checked_at is None and draft.unsent_reported == {}  # rolled back with the alert
    monkeypatch.undo()
    assert len(report_unsent_red_flags()) == 1 and len(alerts(ann)) == 1


def test_a_new_call_now_answer_saved_later_is_reported_again_on_the_same_alert(ann):
    draft = leg_weakness_draft(ann)
    report_unsent_red_flags()
    save_draft(draft.invitation, {"bladder-bowel-control": "yes"}, 3, "en")
    left_for(draft, 16)
    assert report_unsent_red_flags() == []  # a repeat opens no alert
    [alert] = alerts(ann)
    first, again = alert.detail.split("\nAgain ")
    assert alert.repeat_count == 1 and "numbness" in first and "bladder" in again
    assert "numbness" not in again  # the answer already reported is not listed again


def test_a_change_that_adds_no_new_call_now_answer_reports_nothing(ann):
    draft = leg_weakness_draft(ann)
    report_unsent_red_flags()
    save_draft(draft.invitation, {}, 3, "en")  # e.g. the patient came back to the same step
    left_for(draft, 16)
    report_unsent_red_flags()
    [alert] = alerts(ann)
    assert alert.repeat_count == 0


def test_sending_the_response_later_fires_the_same_alert_again(ann, nurse_a):
    draft = leg_weakness_draft(ann)
    [alert] = report_unsent_red_flags()
    response = submit(ann, "palliro-mscc", invitation=draft.invitation, limb_weakness="yes")
    assert response.pk == draft.pk  # the draft became the sent response
    [same] = alerts(ann)
    assert same.pk == alert.pk and same.repeat_count == 1 and same.response_id == response.pk


def test_sending_a_safety_net_answer_later_fires_the_same_alert_again(ann):
    invitation = invitation_for(ann, code="palliro-general")
    left_for(save_draft(invitation, {"flu-like": "a-lot"}, 2, "en"), 20)
    report_unsent_red_flags()
    submit(ann, "palliro-general", invitation=invitation, flu_like="a-lot")
    [alert] = alerts(ann)
    assert alert.rule.code == "advice-contact-now" and alert.repeat_count == 1


def test_an_emergency_sent_after_the_unsent_alert_was_acknowledged_pages_again(ann, nurse_a):
    # store_findings' rule: an urgent finding after acknowledgement is never taken as already seen.
    draft = leg_weakness_draft(ann)
    [alert] = report_unsent_red_flags()
    acknowledge(alert, nurse_a)
    submit(ann, "palliro-mscc", invitation=draft.invitation, limb_weakness="yes")
    assert len(alerts(ann)) == 2


def test_a_response_sent_within_the_delay_raises_only_the_normal_alert(ann):
    draft = leg_weakness_draft(ann, minutes=5)
    submit(ann, "palliro-mscc", invitation=draft.invitation, limb_weakness="yes")
    assert report_unsent_red_flags(now=timezone.now() + timedelta(hours=1)) == []
    [alert] = alerts(ann)
    assert "SAVED BUT NOT SENT" not in alert.detail and alert.repeat_count == 0


@pytest.mark.parametrize("state", ["expired", "cancelled"])
def test_a_draft_of_a_closed_invitation_still_alerts(ann, state):
    # Nobody has seen the red flag whatever became of the link: the team must hear of it.
    draft = leg_weakness_draft(ann)
    draft.invitation.state = state
    draft.invitation.save()
    assert len(report_unsent_red_flags()) == 1


def test_not_for_a_deceased_patient(ann):
    leg_weakness_draft(ann)
    ann.__class__.objects.filter(pk=ann.pk).update(vital_status="dead", death_date=timezone.localdate())
    assert report_unsent_red_flags() == [] and alerts(ann) == []


def test_not_for_a_patient_whose_follow_up_was_stopped(ann):
    leg_weakness_draft(ann)
    ann.__class__.objects.filter(pk=ann.pk).update(followup_stopped_on=timezone.localdate())
    assert report_unsent_red_flags() == []


def test_not_for_a_draft_saved_long_ago(ann):
    leg_weakness_draft(ann, minutes=int(unsent.LOOKBACK.total_seconds() // 60) + 1)
    assert report_unsent_red_flags() == []


def test_an_inactive_safety_net_rule_turns_the_check_off(ann):
    AlertRule.objects.filter(code="advice-contact-now").update(active=False)
    draft = leg_weakness_draft(ann)
    assert report_unsent_red_flags() == []
    draft.refresh_from_db()
    assert draft.unsent_checked_at is None  # checked once the rule is active again
    AlertRule.objects.filter(code="advice-contact-now").update(active=True)
    assert len(report_unsent_red_flags()) == 1


def test_a_safety_net_limited_to_other_questionnaires_is_not_applied(ann):
    AlertRule.objects.filter(code="advice-contact-now").update(instruments=["palliro-general"], edited=True)
    leg_weakness_draft(ann)
    assert report_unsent_red_flags() == []


def test_the_safety_nets_own_severity_is_used(ann):
    AlertRule.objects.filter(code="mscc-red-flag").update(active=False)
    AlertRule.objects.filter(code="advice-contact-now").update(parameters={"red_flag_severity": "attention"})
    leg_weakness_draft(ann)
    [alert] = report_unsent_red_flags()
    assert (alert.rule.code, alert.severity) == ("advice-contact-now", "attention")


def test_the_worker_task_counts_the_alerts_it_opened(ann):
    leg_weakness_draft(ann)
    assert unsent.check_unsent_red_flags.call() == 1


# --- the setting ----------------------------------------------------------------------------------


def test_the_delay_defaults_to_15_minutes(settings):
    del settings.PALLIRO_UNSENT_RED_FLAG_MINUTES
    assert unsent_delay() == timedelta(minutes=15)


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1, "15", 1.5, True])
def test_a_bad_delay_is_refused_with_its_name(settings, minutes):
    settings.PALLIRO_UNSENT_RED_FLAG_MINUTES = minutes
    with pytest.raises(ImproperlyConfigured, match="PALLIRO_UNSENT_RED_FLAG_MINUTES"):
        unsent_delay()


@pytest.mark.parametrize("value", ["soon", "0", "-1", "1.5"])
def test_a_bad_delay_in_the_environment_stops_the_start(monkeypatch, value):
    import palliro.settings

    monkeypatch.setenv("PALLIRO_UNSENT_RED_FLAG_MINUTES", value)
    with pytest.raises(ImproperlyConfigured, match="PALLIRO_UNSENT_RED_FLAG_MINUTES must be a whole number"):
        runpy.run_path(palliro.settings.__file__)


def test_the_environment_sets_the_delay(monkeypatch):
    import palliro.settings

    monkeypatch.setenv("PALLIRO_UNSENT_RED_FLAG_MINUTES", "30")
    assert runpy.run_path(palliro.settings.__file__)["PALLIRO_UNSENT_RED_FLAG_MINUTES"] == 30
