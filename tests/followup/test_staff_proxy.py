import pytest
from django.core import mail
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Invitation
from palliro.instruments.models import Instrument

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("followup_proxy_invitation", args=[patient.pk])


def proxy_instrument():
    return Instrument.objects.filter(code="palliro-general-proxy").first()


def test_it_invites_the_chosen_relative(login, nurse_a, ann, ann_proxy):
    client = login(nurse_a)
    assert client.get(url(ann)).status_code == 200
    response = client.post(url(ann), {"proxy": ann_proxy.pk, "instrument": proxy_instrument().pk, "window_days": 4})
    assert response.status_code == 302
    invitation = Invitation.objects.get(patient=ann)
    assert invitation.respondent == "proxy" and invitation.proxy == ann_proxy and invitation.state == "sent"
    assert mail.outbox[0].to == ["piet@example.org"] and "Ann" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="invitation_proxy_create").exists()


def test_it_offers_to_add_a_relative_when_there_is_none(login, nurse_a, ann):
    body = login(nurse_a).get(url(ann)).content.decode()
    assert "Add a relative" in body


def test_it_rejects_another_patients_relative(login, nurse_a, cas, ann_proxy):
    response = login(nurse_a).post(url(cas), {"proxy": ann_proxy.pk, "instrument": proxy_instrument().pk,
                                              "window_days": 4})
    assert response.status_code == 200 and response.context["form"].errors["proxy"]


def test_it_rejects_a_bad_window(login, nurse_a, ann, ann_proxy):
    response = login(nurse_a).post(url(ann), {"proxy": ann_proxy.pk, "instrument": proxy_instrument().pk,
                                              "window_days": 0})
    assert response.status_code == 200 and response.context["form"].errors["window_days"]
    assert not Invitation.objects.exists()


def test_it_is_404_for_another_sites_nurse(login, nurse_b, ann):
    assert login(nurse_b).get(url(ann)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann):
    assert login(researcher).get(url(ann)).status_code == 403


def test_it_redirects_anonymous_users(client, ann):
    assert client.get(url(ann)).status_code == 302


def test_it_refuses_put(login, nurse_a, ann):
    assert login(nurse_a).put(url(ann)).status_code == 405
