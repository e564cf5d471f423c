import uuid

import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import InvitationState, Response

pytestmark = pytest.mark.django_db


def url(invitation):
    return reverse("followup_staff_entry", args=[invitation.pk])


def form_data(response, **answers):
    form = response.context["form"]
    data = {"submission_id": str(form.initial["submission_id"]), "language": "en"}
    for name, link_id in form.link_ids.items():
        if link_id in answers:
            data[name] = answers[link_id]
    return data


def test_it_records_a_phone_interview(login, nurse_a, ann_invitation):
    client = login(nurse_a)
    page = client.get(url(ann_invitation))
    assert page.status_code == 200 and "Phone interview" in page.content.decode()
    data = form_data(page, **{"pain-worst": "3", "analgesic-use": "none", "breakthrough-doses": "2"})
    response = client.post(url(ann_invitation), data)
    assert response.status_code == 302
    stored = Response.objects.get(invitation=ann_invitation)
    assert stored.respondent == "staff" and stored.entered_by == nurse_a and stored.status == "completed"
    assert "breakthrough-doses" not in stored.answers  # disabled by "no analgesics": not stored
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.COMPLETED
    assert AuditEvent.objects.filter(action="response_staff_entry", patient=ann_invitation.patient).exists()


def test_a_double_submit_stores_once(login, nurse_a, ann_invitation):
    client = login(nurse_a)
    data = form_data(client.get(url(ann_invitation)), **{"pain-worst": "3"})
    client.post(url(ann_invitation), data)
    again = client.post(url(ann_invitation), data, follow=True)
    assert again.status_code == 200 and Response.objects.count() == 1


def test_it_shows_questionnaire_errors_on_the_fields(login, nurse_a, ann_invitation):
    client = login(nurse_a)
    data = form_data(client.get(url(ann_invitation)), **{"fatigue": "some"})
    response = client.post(url(ann_invitation), data)
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Response.objects.exists()


def test_it_rejects_a_tampered_submission_id(login, nurse_a, ann_invitation):
    data = {"submission_id": "not-a-uuid", "language": "en", "q1": "3"}
    response = login(nurse_a).post(url(ann_invitation), data)
    assert response.status_code == 200 and response.context["form"].errors["submission_id"]


def test_it_refuses_a_completed_invitation(login, nurse_a, ann_invitation):
    ann_invitation.state = InvitationState.COMPLETED
    ann_invitation.save()
    response = login(nurse_a).post(url(ann_invitation), {"submission_id": str(uuid.uuid4())})
    assert response.status_code == 302 and not Response.objects.exists()


def test_it_is_404_for_another_sites_invitation(login, nurse_a, bob_invitation):
    assert login(nurse_a).get(url(bob_invitation)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann_invitation):
    assert login(researcher).get(url(ann_invitation)).status_code == 403


def test_it_redirects_anonymous_users(client, ann_invitation):
    assert client.get(url(ann_invitation)).status_code == 302


def test_it_refuses_delete(login, nurse_a, ann_invitation):
    assert login(nurse_a).delete(url(ann_invitation)).status_code == 405
