"""A link that went out on no channel (no e-mail address or mobile number on file) is never shown as "Sent": the
follow-up page, the handout page and the adherence page say it was not sent and must be handed over."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol
from palliro.followup.notifications import NEVER_SENT_LABEL, NOT_SENT_LABEL
from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable(ann):
    """Ann without an e-mail address or mobile number."""
    ann.email = ann.phone = ""
    ann.save()
    return ann


def went_out(invitation, channel, state=InvitationState.SENT):
    """As the worker leaves an invitation it processed (followup.tasks.process)."""
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(state=state, channel=channel, sent_at=now,
                                                       last_contact_at=now)
    invitation.refresh_from_db()
    return invitation


def followup_page(client, patient):
    return client.get(reverse("followup_patient", args=[patient.pk])).content.decode()


def handout_page(client, invitation):
    return client.get(reverse("followup_handout", args=[invitation.pk])).content.decode()


class TestFollowupPage:
    def test_it_says_a_link_that_went_out_on_no_channel_was_not_sent(self, login, nurse_a, unreachable):
        went_out(make_invitation(unreachable, timezone.now() - timedelta(hours=1)), "none")
        body = followup_page(login(nurse_a), unreachable)
        assert f'<strong class="error">{NOT_SENT_LABEL}</strong>' in body
        assert '<span class="tag">Sent</span>' not in body and "sent by" not in body
        assert "1 open questionnaire link was NOT sent" in body and "Handout / link" in body

    def test_it_counts_every_open_link_not_sent(self, login, nurse_a, unreachable):
        for hours in (1, 2):
            went_out(make_invitation(unreachable, timezone.now() - timedelta(hours=hours)), "none")
        assert "2 open questionnaire links were NOT sent" in followup_page(login(nurse_a), unreachable)

    def test_a_link_sent_by_e_mail_says_sent(self, login, nurse_a, ann):
        went_out(make_invitation(ann, timezone.now() - timedelta(hours=1)), "email")
        body = followup_page(login(nurse_a), ann)
        assert '<span class="tag">Sent</span>' in body and "by e-mail" in body
        assert "NOT sent" not in body and NOT_SENT_LABEL not in body

    def test_a_closed_window_whose_link_never_went_out_says_never_sent(self, login, nurse_a, unreachable):
        invitation = make_invitation(unreachable, timezone.now() - timedelta(days=9))
        went_out(invitation, "none", state=InvitationState.EXPIRED)
        body = followup_page(login(nurse_a), unreachable)
        assert f'<span class="tag">{NEVER_SENT_LABEL}</span>' in body
        assert "NOT sent</strong> (no e-mail" not in body  # no longer open: nothing to hand over


class TestHandoutPage:
    def test_it_says_the_link_was_not_sent_and_must_be_handed_over(self, login, nurse_a, unreachable):
        invitation = went_out(make_invitation(unreachable, timezone.now() - timedelta(hours=1)), "none")
        body = handout_page(login(nurse_a), invitation)
        assert "<strong>This link was NOT sent</strong>" in body and "the patient does not have it" in body
        assert invitation.link() in body

    def test_it_warns_before_a_link_without_address_is_due(self, login, nurse_a, unreachable):
        invitation = make_invitation(unreachable, timezone.now() - timedelta(minutes=5))
        assert "<strong>This link will not be sent</strong>" in handout_page(login(nurse_a), invitation)

    def test_it_says_when_and_how_a_link_was_sent(self, login, nurse_a, ann):
        invitation = went_out(make_invitation(ann, timezone.now() - timedelta(hours=1)), "sms")
        body = handout_page(login(nurse_a), invitation)
        assert "by SMS." in body and "NOT sent" not in body and "not be sent" not in body


def planned(patient, label, state, channel=""):
    protocol = Protocol.objects.get(code="general-palliative")
    enrolment, _ = Enrolment.objects.get_or_create(patient=patient, protocol=protocol)
    invitation = make_invitation(patient, timezone.now() - timedelta(days=3), step_label=label, state=state)
    Invitation.objects.filter(pk=invitation.pk).update(
        enrolment=enrolment, step=protocol.steps.filter(label=label).first(), channel=channel)


class TestAdherencePage:
    def test_links_not_sent_are_neither_open_nor_expired(self, login, nurse_a, ann, cas, site_a):
        from tests.conftest import make_patient

        dee, eve = (make_patient(site_a, f"A-000{i}", name, "Dekker") for i, name in ((3, "Dee"), (4, "Eve")))
        planned(ann, "week 1", InvitationState.SENT, "email")       # open, reached
        planned(cas, "week 1", InvitationState.SENT, "none")        # open, never reached
        planned(dee, "week 1", InvitationState.EXPIRED, "none")     # window closed, never reached
        planned(eve, "week 1", InvitationState.COMPLETED, "none")   # handed over on paper and answered
        response = login(nurse_a).get(reverse("followup_adherence"))
        row = response.context["groups"]["General palliative follow-up"][0]
        assert (row["due"], row["completed"], row["open"], row["expired"], row["not_sent"]) == (4, 1, 1, 0, 2)
        assert row["percent"] == 25
        body = response.content.decode()
        assert "Not sent (no address)" in body and '<strong class="error">2</strong>' in body


def test_enrolling_a_patient_without_address_warns_that_no_link_will_be_sent(login, nurse_a, unreachable):
    protocol = Protocol.objects.get(code="general-palliative")
    response = login(nurse_a).post(reverse("followup_enrol", args=[unreachable.pk]), {"protocol": protocol.pk},
                                   follow=True)
    assert "No e-mail address or mobile number on file: no link will be sent." in response.content.decode()
