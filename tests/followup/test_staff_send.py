from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Invitation, InvitationState
from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db


def url(invitation):
    return reverse("followup_invitation_send", args=[invitation.pk])


def test_it_sends_the_link(login, nurse_a, ann_invitation):
    response = login(nurse_a).post(url(ann_invitation), follow=True)
    assert response.redirect_chain[-1][0] == reverse("followup_patient", args=[ann_invitation.patient_id])
    assert "The link was sent." in response.content.decode()
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.SENT and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="invitation_send").exists()


def test_it_refuses_a_closed_invitation(login, nurse_a, ann_invitation):
    Invitation.objects.filter(pk=ann_invitation.pk).update(state=InvitationState.COMPLETED)
    response = login(nurse_a).post(url(ann_invitation), follow=True)
    assert "no longer open" in response.content.decode() and not mail.outbox


def test_it_points_to_the_handout_without_contact_details(login, nurse_a, ann):
    ann.email, ann.phone = "", ""
    ann.save()
    invitation = make_invitation(ann, timezone.now() - timedelta(hours=1))
    response = login(nurse_a).post(url(invitation), follow=True)
    assert "print the handout" in response.content.decode() and not mail.outbox


def test_it_is_404_for_another_sites_invitation(login, nurse_a, bob_invitation):
    assert login(nurse_a).post(url(bob_invitation)).status_code == 404


def test_it_is_404_for_a_missing_invitation(login, nurse_a, ann):
    assert login(nurse_a).post(reverse("followup_invitation_send", args=[987654])).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann_invitation):
    assert login(researcher).post(url(ann_invitation)).status_code == 403


def test_it_redirects_anonymous_users(client, ann_invitation):
    assert client.post(url(ann_invitation)).status_code == 302 and not mail.outbox


def test_it_refuses_get(login, nurse_a, ann_invitation):
    assert login(nurse_a).get(url(ann_invitation)).status_code == 405
