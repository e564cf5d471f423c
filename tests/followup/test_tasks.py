"""Dispatch of invitations and reminders with a controlled clock (palliro.followup.tasks)."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail

from palliro.followup.models import Invitation, InvitationState
from palliro.followup.submission import submit
from palliro.followup.tasks import (
    CadenceError,
    dispatch_due,
    dispatch_due_invitations,
    reminder_days,
    send_invitation,
    send_now,
)
from tests.followup.staff_fixtures import local, make_invitation, valid_general_answers

pytestmark = pytest.mark.django_db

DAY0 = local(2026, 3, 2)  # a Monday, 09:00 in Amsterdam


def at(days, hours=0):
    return DAY0 + timedelta(days=days, hours=hours)


def run(now):
    return dispatch_due(now)


def state(invitation):
    invitation.refresh_from_db()
    return invitation.state, invitation.reminders_sent


@pytest.fixture
def invitation(ann):
    return make_invitation(ann, DAY0, window_days=7)


class TestCadence:
    def test_invitation_then_reminders_at_day_2_and_5(self, invitation):
        assert run(at(-1)).invitations_sent == 0 and len(mail.outbox) == 0  # not due yet
        assert run(at(0)).invitations_sent == 1
        assert state(invitation) == (InvitationState.SENT, 0)
        assert "a short questionnaire" in mail.outbox[0].subject
        assert run(at(1)).reminders_sent == 0
        assert run(at(2)).reminders_sent == 1
        assert state(invitation) == (InvitationState.SENT, 1)
        assert mail.outbox[1].subject.startswith("Reminder")
        assert run(at(4, 23)).reminders_sent == 0
        assert run(at(5)).reminders_sent == 1
        assert run(at(6)).reminders_sent == 0  # the cadence is used up
        assert len(mail.outbox) == 3
        assert run(at(8)).expired == 1
        assert state(invitation) == (InvitationState.EXPIRED, 2)

    def test_a_slot_is_never_used_twice_when_dispatch_runs_twice(self, invitation):
        for now in (at(0), at(0), at(0, 1), at(2), at(2), at(2, 3)):
            run(now)
        assert len(mail.outbox) == 2
        assert state(invitation) == (InvitationState.SENT, 1)

    def test_no_reminder_after_completion(self, invitation):
        run(at(0))
        submit(instrument=invitation.instrument, patient=invitation.patient, respondent="patient",
               answers=valid_general_answers(invitation.instrument), submission_id=uuid.uuid4(), language="en",
               invitation=invitation)
        for day in (2, 5, 6):
            run(at(day))
        assert len(mail.outbox) == 1
        assert state(invitation) == (InvitationState.COMPLETED, 0)

    def test_no_message_after_expiry(self, ann):
        short = make_invitation(ann, DAY0, window_days=3)  # closes before the day-5 slot
        run(at(0))
        run(at(2))
        result = run(at(5))
        assert result.expired == 1 and result.reminders_sent == 0
        assert len(mail.outbox) == 2 and state(short) == (InvitationState.EXPIRED, 1)

    def test_a_late_pass_sends_one_reminder_for_missed_slots(self, invitation):
        run(at(0))
        assert run(at(6)).reminders_sent == 1
        assert state(invitation) == (InvitationState.SENT, 2)
        assert len(mail.outbox) == 2

    def test_an_invitation_sent_late_skips_slots_already_past(self, invitation):
        assert run(at(3)).invitations_sent == 1
        assert state(invitation) == (InvitationState.SENT, 1)
        assert run(at(4)).reminders_sent == 0
        assert run(at(5)).reminders_sent == 1

    def test_cancelled_invitations_are_not_sent(self, invitation):
        Invitation.objects.filter(pk=invitation.pk).update(state=InvitationState.CANCELLED)
        assert run(at(0)).invitations_sent == 0 and not mail.outbox

    def test_the_cadence_follows_local_time_across_daylight_saving(self, ann):
        friday = local(2026, 3, 27)  # clocks go forward on Sunday 29 March
        invitation = make_invitation(ann, friday, window_days=7)
        run(friday)
        assert run(local(2026, 3, 29, 8, 59)).reminders_sent == 0
        assert run(local(2026, 3, 29, 9, 0)).reminders_sent == 1
        assert state(invitation) == (InvitationState.SENT, 1)

    def test_the_cadence_is_configurable(self, invitation, settings):
        settings.PALLIRO_REMINDER_DAYS = (1,)
        run(at(0))
        assert run(at(1)).reminders_sent == 1
        assert run(at(2)).reminders_sent == 0

    @pytest.mark.parametrize("days", [(0, 2), (5, 2), (2, 2), ("2",)])
    def test_a_bad_cadence_is_refused_by_name(self, settings, days):
        settings.PALLIRO_REMINDER_DAYS = days
        with pytest.raises(CadenceError, match="PALLIRO_REMINDER_DAYS"):
            reminder_days()


class TestRecipients:
    def test_staff_time_points_are_not_sent(self, ann):
        make_invitation(ann, DAY0, respondent="staff")
        assert run(at(0)).invitations_sent == 0 and not mail.outbox

    def test_a_relative_gets_proxy_wording_in_their_language(self, ann, ann_proxy_nl):
        make_invitation(ann, DAY0, respondent="proxy", proxy=ann_proxy_nl, code="palliro-general-proxy")
        run(at(0))
        message = mail.outbox[0]
        assert message.to == ["piet@example.org"]
        assert "Beste Piet" in message.body and "Ann" in message.body and "Andersen" not in message.body

    def test_a_patient_without_email_gets_an_sms(self, ann, caplog):
        ann.email = ""
        ann.save()
        invitation = make_invitation(ann, DAY0)
        with caplog.at_level("INFO", logger="palliro.sms"):
            run(at(0))
        invitation.refresh_from_db()
        assert invitation.channel == "sms" and not mail.outbox
        assert "…5678" in caplog.text and invitation.link() in caplog.text

    def test_a_patient_without_contact_details_is_marked_for_a_handout(self, ann):
        ann.email, ann.phone = "", ""
        ann.save()
        invitation = make_invitation(ann, DAY0)
        assert run(at(0)).no_channel == 1
        invitation.refresh_from_db()
        assert invitation.state == InvitationState.SENT and invitation.channel == "none"

    def test_a_failed_send_is_retried_on_the_next_pass(self, invitation, settings):
        settings.PALLIRO_SMS_SENDER = "tests.followup.test_notifications.BrokenSender"
        invitation.patient.email = ""
        invitation.patient.save()
        assert run(at(0)).failed == 1
        assert state(invitation) == (InvitationState.SCHEDULED, 0)
        settings.PALLIRO_SMS_SENDER = "palliro.followup.notifications.LoggingSmsSender"
        assert run(at(0, 1)).invitations_sent == 1


class TestSendNow:
    def test_it_sends_a_scheduled_invitation_early(self, invitation):
        assert send_now(invitation.pk, at(-2)) == "invitation"
        assert state(invitation) == (InvitationState.SENT, 0)
        assert run(at(0)).invitations_sent == 0  # already sent

    def test_resending_does_not_use_a_reminder_slot(self, invitation):
        run(at(0))
        assert send_now(invitation.pk, at(1)) == "reminder"
        assert state(invitation) == (InvitationState.SENT, 0)
        assert run(at(2)).reminders_sent == 1
        assert len(mail.outbox) == 3


class TestTaskBackend:
    """tests.settings uses Django's ImmediateBackend: enqueue runs the task at once."""

    def test_dispatch_task_runs_and_reports(self, ann):
        from django.utils import timezone

        make_invitation(ann, timezone.now() - timedelta(hours=1))
        result = dispatch_due_invitations.enqueue()
        assert result.status == "SUCCESSFUL"
        assert result.return_value["invitations_sent"] == 1
        assert dispatch_due_invitations.enqueue().return_value["invitations_sent"] == 0
        assert len(mail.outbox) == 1

    def test_send_invitation_task(self, ann):
        from django.utils import timezone

        invitation = make_invitation(ann, timezone.now() + timedelta(days=1))
        result = send_invitation.enqueue(invitation.pk)
        assert result.status == "SUCCESSFUL" and result.return_value == "invitation"
        assert len(mail.outbox) == 1


@pytest.fixture
def ann_proxy_nl(ann):
    from palliro.clinic.models import Proxy

    return Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", email="piet@example.org",
                                consent=True, language="nl")
