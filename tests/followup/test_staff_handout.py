import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import InvitationState

pytestmark = pytest.mark.django_db


def url(invitation):
    return reverse("followup_handout", args=[invitation.pk])


def test_it_shows_the_link_and_its_qr_code(login, nurse_a, ann_invitation):
    response = login(nurse_a).get(url(ann_invitation))
    assert response.status_code == 200
    body = response.content.decode()
    assert ann_invitation.link() in body and '<svg' in body and 'class="qr"' in body
    assert "Andersen" not in body.split('class="handout"')[1]  # the printed part names the first name only
    assert "<script>" not in body and "style=" not in body
    assert AuditEvent.objects.filter(action="invitation_link_view", object_id=str(ann_invitation.pk)).exists()


def test_it_hides_the_link_of_a_closed_invitation(login, nurse_a, ann_invitation):
    ann_invitation.state = InvitationState.EXPIRED
    ann_invitation.save()
    body = login(nurse_a).get(url(ann_invitation)).content.decode()
    assert ann_invitation.token() not in body and "no longer works" in body


def test_it_is_404_for_another_sites_invitation(login, nurse_a, bob_invitation):
    assert login(nurse_a).get(url(bob_invitation)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann_invitation):
    response = login(researcher).get(url(ann_invitation))
    assert response.status_code == 403 and ann_invitation.token() not in response.content.decode()


def test_it_redirects_anonymous_users(client, ann_invitation):
    assert client.get(url(ann_invitation)).status_code == 302


def test_it_refuses_post(login, nurse_a, ann_invitation):
    assert login(nurse_a).post(url(ann_invitation)).status_code == 405
