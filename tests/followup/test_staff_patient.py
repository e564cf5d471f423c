import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Protocol
from palliro.followup.scheduling import enrol

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("followup_patient", args=[patient.pk])


def test_it_lists_the_invitations(login, nurse_a, ann, ann_course):
    enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
    response = login(nurse_a).get(url(ann))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bone metastases (pain)" in body and "pain diary" in body and "Scheduled" in body
    assert "Send now" in body and "Phone interview" in body
    event = AuditEvent.objects.get(action="followup_view")
    assert event.patient == ann and event.user == nurse_a


def test_it_shows_no_links_on_the_overview(login, nurse_a, ann, ann_course):
    enrolment = enrol(ann, Protocol.objects.get(code="general-palliative"), ann_course)
    body = login(nurse_a).get(url(ann)).content.decode()
    assert enrolment.invitations.first().token() not in body


def test_it_is_404_for_another_sites_nurse(login, nurse_b, ann):
    assert login(nurse_b).get(url(ann)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann):
    assert login(researcher).get(url(ann)).status_code == 403


def test_it_redirects_anonymous_users(client, ann):
    response = client.get(url(ann))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_it_refuses_post(login, nurse_a, ann):
    assert login(nurse_a).post(url(ann)).status_code == 405
