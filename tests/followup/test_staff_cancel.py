import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import InvitationState

pytestmark = pytest.mark.django_db


def url(invitation):
    return reverse("followup_invitation_cancel", args=[invitation.pk])


def test_it_cancels_an_open_invitation(login, nurse_a, ann_invitation):
    response = login(nurse_a).post(url(ann_invitation))
    assert response.status_code == 302
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.CANCELLED
    assert AuditEvent.objects.filter(action="invitation_cancel", patient=ann_invitation.patient).exists()


def test_it_does_not_cancel_a_completed_invitation(login, nurse_a, ann_invitation):
    ann_invitation.state = InvitationState.COMPLETED
    ann_invitation.save()
    response = login(nurse_a).post(url(ann_invitation), follow=True)
    assert "nothing was cancelled" in response.content.decode()
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.COMPLETED


def test_it_is_404_for_another_sites_invitation(login, nurse_a, bob_invitation):
    assert login(nurse_a).post(url(bob_invitation)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann_invitation):
    assert login(researcher).post(url(ann_invitation)).status_code == 403


def test_it_redirects_anonymous_users(client, ann_invitation):
    assert client.post(url(ann_invitation)).status_code == 302
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.SCHEDULED


def test_it_refuses_get(login, nurse_a, ann_invitation):
    assert login(nurse_a).get(url(ann_invitation)).status_code == 405
