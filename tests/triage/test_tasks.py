"""Non-response check, the urgent-alert email task, and the shipped rule file."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from palliro.triage.models import Alert, AlertRule
from palliro.triage.rules_io import shipped_rules, sync_shipped_rules
from palliro.triage.services import acknowledge, check_non_response, resolve
from palliro.triage.tasks import check_non_response as check_task
from palliro.triage.tasks import notify_urgent_alert

from .helpers import instrument, make_alert


def enrolled_invitations(patient, states):
    from palliro.followup.models import Enrolment, Invitation, Protocol

    enrolment = Enrolment.objects.create(patient=patient, protocol=Protocol.objects.get(code="bone-metastases"))
    now = timezone.now()
    for i, state in enumerate(states):  # oldest first
        due = now - timedelta(days=7 * (len(states) - i) + 1)
        Invitation.objects.create(
            enrolment=enrolment, patient=patient, respondent="patient", instrument=instrument("palliro-general"),
            step_label=f"week {i}", due_at=due, expires_at=due + timedelta(days=3), state=state,
        )
    return enrolment


def test_it_opens_a_non_response_alert_after_two_missed(ann):
    enrolment = enrolled_invitations(ann, ["completed", "expired", "sent"])  # the last one lapsed unanswered
    created = check_non_response()
    assert [a.rule.code for a in created] == ["non-response"]
    assert created[0].protocol_id == enrolment.protocol_id
    assert "2 questionnaires in a row" in created[0].detail


def test_it_does_not_alert_after_one_missed_or_an_answer(ann, cas):
    enrolled_invitations(ann, ["expired", "completed"])
    enrolled_invitations(cas, ["completed", "expired"])
    assert check_non_response() == []


def miss_another(enrolment, now):
    """A further questionnaire of ``enrolment``, due a week before ``now`` and lapsed unanswered."""
    from palliro.followup.models import Invitation

    due = now - timedelta(days=7)
    Invitation.objects.create(
        enrolment=enrolment, patient=enrolment.patient, respondent="patient", instrument=instrument("palliro-general"),
        step_label="later", due_at=due, expires_at=due + timedelta(days=3), state="expired",
    )


def test_it_does_not_count_the_same_misses_again_at_the_next_check(ann):
    enrolled_invitations(ann, ["expired", "expired"])
    now = timezone.now()
    check_non_response(now)
    assert check_non_response(now + timedelta(hours=1)) == []
    assert Alert.objects.get(patient=ann).repeat_count == 0


def test_it_does_not_raise_it_again_for_misses_a_resolved_alert_reported(ann, nurse_a):
    enrolled_invitations(ann, ["expired", "expired"])
    now = timezone.now()
    resolve(check_non_response(now)[0], nurse_a, "phoned", "She is fine and will answer the next one.")
    assert check_non_response(now + timedelta(hours=1)) == []
    assert check_non_response(now + timedelta(days=3)) == []
    assert Alert.objects.filter(patient=ann).count() == 1


def test_it_raises_it_again_for_a_new_miss_after_it_was_resolved(ann, nurse_a):
    enrolment = enrolled_invitations(ann, ["expired", "expired"])
    now = timezone.now()
    resolve(check_non_response(now)[0], nurse_a, "phoned")
    later = now + timedelta(days=14)
    miss_another(enrolment, later)
    again, = check_non_response(later)
    assert again.state == "open" and "3 questionnaires in a row" in again.detail


def test_it_adds_a_new_miss_to_an_acknowledged_alert(ann, nurse_a):
    enrolment = enrolled_invitations(ann, ["expired", "expired"])
    now = timezone.now()
    alert = acknowledge(check_non_response(now)[0], nurse_a)
    later = now + timedelta(days=14)
    miss_another(enrolment, later)
    assert check_non_response(later) == []
    assert check_non_response(later + timedelta(hours=1)) == []
    alert.refresh_from_db()
    assert alert.repeat_count == 1 and alert.last_fired == later
    assert alert.detail.splitlines()[-1].endswith("3 questionnaires in a row not answered")


def test_it_starts_afresh_after_an_answer(ann, nurse_a):
    enrolment = enrolled_invitations(ann, ["expired", "expired", "completed"])
    now = timezone.now()
    assert check_non_response(now) == []  # answered since
    miss_another(enrolment, now + timedelta(days=14))
    assert check_non_response(now + timedelta(days=14)) == []  # one miss since the answer
    miss_another(enrolment, now + timedelta(days=21))
    assert [a.detail for a in check_non_response(now + timedelta(days=21))] == [
        "2 questionnaires in a row not answered"]


def test_the_task_runs_the_check(ann):
    enrolled_invitations(ann, ["expired", "expired"])
    assert check_task.enqueue().return_value == 1


def test_it_emails_the_site_team_members_without_a_team_address(ann, nurse_a, clinician_a, researcher):
    nurse_a.email, clinician_a.email, researcher.email = "n@example.org", "c@example.org", "r@example.org"
    for user in (nurse_a, clinician_a, researcher):
        user.save()
    alert = make_alert(ann, "mscc-red-flag")
    assert notify_urgent_alert.enqueue(alert.pk).return_value == 2
    assert sorted(mail.outbox[0].to) == ["c@example.org", "n@example.org"]
    assert f"/triage/alert/{alert.pk}/" in mail.outbox[0].body
    # Sent once only.
    assert notify_urgent_alert.enqueue(alert.pk).return_value == 0
    assert len(mail.outbox) == 1


def test_it_sends_nothing_for_a_missing_alert(db):
    assert notify_urgent_alert.enqueue(999999).return_value == 0


def test_it_loads_every_shipped_rule_after_migrate(db):
    assert set(AlertRule.objects.values_list("code", flat=True)) == {r.code for r in shipped_rules()}


def test_it_keeps_an_admins_edit_on_the_next_sync(db):
    AlertRule.objects.filter(code="pain-worst-high").update(
        parameters={"conditions": [{"item": "pain-worst", "op": ">=", "value": 8}]}, edited=True)
    AlertRule.objects.filter(code="pain-worst-rise").update(reason="changed but not marked")
    AlertRule.objects.filter(code="non-response").delete()
    sync_shipped_rules()
    assert AlertRule.objects.get(code="pain-worst-high").parameters["conditions"][0]["value"] == 8
    assert AlertRule.objects.get(code="pain-worst-rise").reason.startswith("Worst pain 2")
    assert AlertRule.objects.filter(code="non-response").exists()


def test_the_admin_marks_a_rule_edited_and_validates_it(superuser, client):
    client.force_login(superuser)
    rule = AlertRule.objects.get(code="pain-worst-high")
    url = f"/admin/triage/alertrule/{rule.pk}/change/"
    data = {"code": rule.code, "kind": rule.kind, "instruments": '["palliro-general"]', "severity": "urgent",
            "reason": "Very high pain.", "advice": "Call us.", "active": "on",
            "parameters": '{"conditions": [{"item": "pain-worst", "op": "=>", "value": 9}]}'}
    page = client.post(url, data)
    assert page.status_code == 200 and "parameters.conditions[0].op" in page.content.decode()
    data["parameters"] = '{"conditions": [{"item": "pain-worst", "op": ">=", "value": 9}]}'
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.edited and rule.severity == "urgent"


def test_a_rule_that_does_not_validate_is_refused_by_clean(db):
    rule = AlertRule(code="x", kind="threshold", severity="info", reason="r", advice="a", parameters={})
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert "parameters" in caught.value.message_dict


def test_the_command_checks_non_response(ann, capsys):
    enrolled_invitations(ann, ["expired", "expired"])
    call_command("check_nonresponse")
    assert "1 non-response alert" in capsys.readouterr().out


def test_the_command_refuses_bad_input_with_exit_code_2(tmp_path):
    env = {"PALLIRO_MODE": "development", "PALLIRO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "palliro", "check_nonresponse", "--lookback-days", "zero"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "lookback" in done.stderr
