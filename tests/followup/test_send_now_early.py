"""Staff's "send now" before the due time: a single time point opens now; a diary day is refused."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Invitation, InvitationState, ProtocolStep
from palliro.followup.tasks import send_now
from tests.followup.staff_fixtures import local, make_invitation

pytestmark = pytest.mark.django_db


def send(client, invitation):
    return client.post(reverse("followup_invitation_send", args=[invitation.pk]), follow=True).content.decode()


def diary_step():
    step = ProtocolStep.objects.exclude(repeat_until_anchor="").first()
    assert step is not None, "a shipped protocol has a daily diary"
    return step


def test_send_now_before_the_due_time_opens_the_questionnaire_now(login, nurse_a, ann):
    due = timezone.now() + timedelta(days=2)
    invitation = make_invitation(ann, due, window_days=5)
    closes = invitation.expires_at
    page = send(login(nurse_a), invitation)
    assert "The link was sent." in page and "opened now" in page
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SENT and len(mail.outbox) == 1
    assert invitation.due_at <= timezone.now() and invitation.expires_at == closes
    # The link in the email opens the questionnaire now, not "not open yet".
    opened = login(nurse_a).get(reverse("respond", args=[invitation.token()]))
    assert opened.status_code == 200 and "not open yet" not in opened.content.decode()


def test_the_audit_log_says_who_opened_it_early_and_when_it_was_due(login, nurse_a, ann):
    invitation = make_invitation(ann, local(2099, 3, 2, 9), window_days=5)
    send(login(nurse_a), invitation)
    event = AuditEvent.objects.get(action="invitation_send", object_id=str(invitation.pk))
    assert event.username == "nurse-a"
    assert "opened early by nurse-a" in event.detail and "2099-03-02 09:00" in event.detail


def test_sending_a_due_invitation_is_not_called_early(login, nurse_a, ann):
    invitation = make_invitation(ann, timezone.now() - timedelta(hours=1))
    due = invitation.due_at
    page = send(login(nurse_a), invitation)
    assert "opened now" not in page
    invitation.refresh_from_db()
    assert invitation.due_at == due
    assert AuditEvent.objects.get(action="invitation_send").detail == ""


def test_send_now_refuses_a_diary_day_before_it_opens(login, nurse_a, ann):
    invitation = make_invitation(ann, timezone.now() + timedelta(days=1), window_days=1)
    Invitation.objects.filter(pk=invitation.pk).update(step=diary_step())
    due = invitation.due_at
    page = send(login(nurse_a), invitation)
    assert "This is a diary day" in page and "Nothing was sent." in page
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SCHEDULED and invitation.due_at == due and mail.outbox == []
    assert "opened early" not in AuditEvent.objects.get(action="invitation_send").detail


def test_the_task_itself_never_sends_a_diary_day_early(ann):
    invitation = make_invitation(ann, local(2026, 3, 3), window_days=1)
    Invitation.objects.filter(pk=invitation.pk).update(step=diary_step())
    assert send_now(invitation.pk, now=local(2026, 3, 2, 15)) == "not_yet_open"
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SCHEDULED and mail.outbox == []


def test_a_diary_day_that_is_due_is_sent_as_usual(ann):
    invitation = make_invitation(ann, local(2026, 3, 2), window_days=1)
    Invitation.objects.filter(pk=invitation.pk).update(step=diary_step())
    assert send_now(invitation.pk, now=local(2026, 3, 2, 10)) == "invitation"
