"""Staff stop one enrolment with a reason: its open links are cancelled, its answers and the patient's other
enrolments stay."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Enrolment, InvitationState, Protocol
from palliro.followup.scheduling import enrol

pytestmark = pytest.mark.django_db


def url(enrolment):
    return reverse("followup_enrolment_stop", args=[enrolment.pk])


@pytest.fixture
def bone(ann):
    return enrol(ann, Protocol.objects.get(code="bone-metastases"))


@pytest.fixture
def general(ann):
    return enrol(ann, Protocol.objects.get(code="general-palliative"))


def test_it_stops_one_enrolment_and_keeps_its_answers(login, nurse_a, ann, bone, general):
    answered = bone.invitations.get(step_label="baseline", instrument__code="palliro-general")
    answered.state, answered.completed_at = InvitationState.COMPLETED, timezone.now()
    answered.save()
    open_before = bone.invitations.filter(state=InvitationState.SCHEDULED).count()
    response = login(nurse_a).post(url(bone), {"reason": "Switched to hospice care"}, follow=True)
    assert f"Stopped Bone metastases (pain): {open_before} open questionnaires cancelled" in response.content.decode()
    bone.refresh_from_db()
    assert (bone.active, bone.stopped_reason) == (False, "Switched to hospice care")
    assert bone.invitations.filter(state=InvitationState.CANCELLED).count() == open_before
    assert bone.invitations.get(pk=answered.pk).state == InvitationState.COMPLETED
    general.refresh_from_db()
    assert general.active and not general.invitations.filter(state=InvitationState.CANCELLED).exists()
    event = AuditEvent.objects.get(action="followup_enrolment_stop")
    assert (event.patient, event.user, event.object_id, event.detail) == (
        ann, nurse_a, str(bone.pk), "Switched to hospice care")


def test_the_follow_up_page_offers_the_stop_and_shows_the_reason(login, nurse_a, ann, bone):
    client = login(nurse_a)
    page = client.get(reverse("followup_patient", args=[ann.pk])).content.decode()
    assert url(bone) in page and "Stop this enrolment" in page
    client.post(url(bone), {"reason": "Procedure cancelled"})
    page = client.get(reverse("followup_patient", args=[ann.pk])).content.decode()
    assert "stopped: Procedure cancelled" in page and url(bone) not in page


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Not stopped: give the reason for stopping this enrolment."),
    ("   ", "Not stopped: give the reason for stopping this enrolment."),
    ("x" * 121, "Not stopped: the reason must be at most 120 characters (it has 121)."),
])
def test_it_needs_a_reason(login, nurse_a, bone, reason, message):
    response = login(nurse_a).post(url(bone), {"reason": reason}, follow=True)
    assert message in response.content.decode()
    bone.refresh_from_db()
    assert bone.active and not bone.invitations.filter(state=InvitationState.CANCELLED).exists()
    assert not AuditEvent.objects.filter(action="followup_enrolment_stop").exists()


def test_it_says_when_the_enrolment_was_already_stopped(login, nurse_a, bone):
    client = login(nurse_a)
    client.post(url(bone), {"reason": "first"})
    response = client.post(url(bone), {"reason": "second"}, follow=True)
    assert "Not stopped: This enrolment has already been stopped." in response.content.decode()
    assert Enrolment.objects.get(pk=bone.pk).stopped_reason == "first"


def test_it_is_404_for_another_sites_nurse(login, nurse_b, bone):
    assert login(nurse_b).post(url(bone), {"reason": "x"}).status_code == 404
    assert Enrolment.objects.get(pk=bone.pk).active


def test_it_is_404_for_an_unknown_enrolment(login, nurse_a):
    assert login(nurse_a).post(reverse("followup_enrolment_stop", args=[999999]), {"reason": "x"}).status_code == 404


def test_it_is_403_for_researchers(login, researcher, bone):
    assert login(researcher).post(url(bone), {"reason": "x"}).status_code == 403
    assert Enrolment.objects.get(pk=bone.pk).active


def test_it_redirects_anonymous_users_to_the_login(client, bone):
    response = client.post(url(bone), {"reason": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Enrolment.objects.get(pk=bone.pk).active


def test_it_refuses_get(login, nurse_a, bone):
    assert login(nurse_a).get(url(bone)).status_code == 405


def test_it_needs_the_csrf_token(nurse_a, bone):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse_a)
    assert client.post(url(bone), {"reason": "x"}).status_code == 403
    assert Enrolment.objects.get(pk=bone.pk).active
