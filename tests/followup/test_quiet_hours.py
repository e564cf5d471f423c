"""Quiet hours: the worker sends nothing at night in the site's time zone; staff's "send now" still does."""

from datetime import timedelta

import pytest
from django.core import mail

from palliro.followup.models import Invitation, InvitationState
from palliro.followup.tasks import CadenceError, dispatch_due, send_now
from tests.followup.staff_fixtures import local, make_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime_8_to_21(settings):
    settings.PALLIRO_SEND_WINDOW = (8, 21)


def state(invitation):
    invitation.refresh_from_db()
    return invitation.state, invitation.reminders_sent


def test_an_overdue_invitation_waits_at_night_and_goes_out_in_the_morning(ann):
    invitation = make_invitation(ann, local(2026, 3, 1, 9), window_days=7)  # enrolled late: overdue since yesterday
    assert dispatch_due(local(2026, 3, 2, 1, 29)).invitations_sent == 0
    assert dispatch_due(local(2026, 3, 2, 7, 59)).invitations_sent == 0
    assert mail.outbox == [] and state(invitation) == (InvitationState.SCHEDULED, 0)
    assert dispatch_due(local(2026, 3, 2, 8, 0)).invitations_sent == 1
    assert len(mail.outbox) == 1


def test_nothing_goes_out_from_21_00(ann):
    make_invitation(ann, local(2026, 3, 2, 9), window_days=7)
    assert dispatch_due(local(2026, 3, 2, 21, 0)).invitations_sent == 0
    assert dispatch_due(local(2026, 3, 2, 20, 59)).invitations_sent == 1


def test_reminders_wait_for_the_morning_too(ann):
    invitation = make_invitation(ann, local(2026, 3, 2, 20, 30), window_days=7)  # opened early in the evening
    assert dispatch_due(local(2026, 3, 2, 20, 30)).invitations_sent == 1
    assert dispatch_due(local(2026, 3, 4, 20, 45)).reminders_sent == 1  # day 2 slot, still daytime
    assert dispatch_due(local(2026, 3, 7, 22, 0)).reminders_sent == 0  # day 5 slot starts 20:30: night by now
    assert dispatch_due(local(2026, 3, 8, 2, 12)).reminders_sent == 0
    assert state(invitation) == (InvitationState.SENT, 1)
    assert dispatch_due(local(2026, 3, 8, 8, 0)).reminders_sent == 1
    assert state(invitation) == (InvitationState.SENT, 2) and len(mail.outbox) == 3


def test_a_window_that_closes_before_the_morning_expires_unsent(ann):
    invitation = make_invitation(ann, local(2026, 3, 2, 9), window_days=0)
    Invitation.objects.filter(pk=invitation.pk).update(
        due_at=local(2026, 3, 2, 21, 30), expires_at=local(2026, 3, 2, 23, 0))
    assert dispatch_due(local(2026, 3, 2, 21, 30)).invitations_sent == 0
    assert dispatch_due(local(2026, 3, 2, 22, 59)).invitations_sent == 0
    assert dispatch_due(local(2026, 3, 2, 23, 0)).expired == 1
    assert state(invitation) == (InvitationState.EXPIRED, 0) and mail.outbox == []


def test_staff_send_now_sends_at_night(ann):
    invitation = make_invitation(ann, local(2026, 3, 2, 9), window_days=7)
    assert send_now(invitation.pk, now=local(2026, 3, 2, 2, 12)) == "invitation"
    assert len(mail.outbox) == 1 and state(invitation) == (InvitationState.SENT, 0)


def test_daytime_follows_the_site_time_zone(ann):
    from palliro.followup.tasks import is_daytime

    ann.site.timezone = "Asia/Tokyo"  # 8 hours ahead of Amsterdam in March
    ann.site.save()
    make_invitation(ann, local(2026, 3, 1, 9), window_days=7)
    assert dispatch_due(local(2026, 3, 2, 14)).invitations_sent == 0  # 22:00 in Tokyo
    assert dispatch_due(local(2026, 3, 2, 9)).invitations_sent == 1  # 17:00 in Tokyo
    assert is_daytime(local(2026, 3, 2, 9), "Asia/Tokyo") and not is_daytime(local(2026, 3, 2, 9) - timedelta(hours=10), "Asia/Tokyo")  # 07:00 there


@pytest.mark.parametrize("window", [(21, 8), (8, 25), (8,), (8.5, 20)])
def test_a_bad_send_window_is_refused(settings, ann, window):
    settings.PALLIRO_SEND_WINDOW = window
    with pytest.raises(CadenceError, match="PALLIRO_SEND_WINDOW"):
        dispatch_due(local(2026, 3, 2, 9))
