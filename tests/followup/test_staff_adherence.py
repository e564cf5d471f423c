from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol
from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db
URL = reverse("followup_adherence")


def planned(patient, label, state, protocol_code="general-palliative", days_ago=3):
    protocol = Protocol.objects.get(code=protocol_code)
    enrolment, _ = Enrolment.objects.get_or_create(patient=patient, protocol=protocol)
    invitation = make_invitation(patient, timezone.now() - timedelta(days=days_ago), step_label=label, state=state)
    Invitation.objects.filter(pk=invitation.pk).update(enrolment=enrolment, step=protocol.steps.filter(label=label).first())
    return invitation


@pytest.fixture
def data(ann, cas, bob):
    planned(ann, "week 1", InvitationState.COMPLETED)
    planned(cas, "week 1", InvitationState.EXPIRED)
    planned(ann, "week 2", InvitationState.SENT)
    planned(cas, "week 2", InvitationState.CANCELLED)
    planned(ann, "week 4", InvitationState.SCHEDULED, days_ago=-10)  # not due yet
    planned(bob, "week 1", InvitationState.COMPLETED)


def rows(response):
    return {(name, r["step_label"]): (r["completed"], r["due"], r["percent"])
            for name, group in response.context["groups"].items() for r in group}


def test_it_counts_completed_over_due_per_time_point(login, nurse_a, data):
    response = login(nurse_a).get(URL)
    assert response.status_code == 200
    assert rows(response) == {
        ("General palliative follow-up", "week 1"): (1, 2, 50),
        ("General palliative follow-up", "week 2"): (0, 1, 0),
    }
    assert "50 %" in response.content.decode()
    assert AuditEvent.objects.filter(action="followup_adherence").exists()


def test_researchers_see_aggregates_of_consenting_patients_only(login, researcher, data):
    response = login(researcher).get(URL)
    assert response.status_code == 200
    # Cas has no research consent; Bob (site B, consenting) counts.
    assert rows(response)[("General palliative follow-up", "week 1")] == (2, 2, 100)
    body = response.content.decode()
    for identifier in ("Andersen", "Bakker", "A-0001", "P-"):
        assert identifier not in body


def test_it_filters_by_site(login, researcher, data, site_b):
    response = login(researcher).get(URL, {"site": site_b.pk})
    assert rows(response) == {("General palliative follow-up", "week 1"): (1, 1, 100)}


def test_it_ignores_a_site_the_user_does_not_belong_to(login, nurse_a, data, site_b):
    response = login(nurse_a).get(URL, {"site": site_b.pk})
    assert response.status_code == 200 and response.context["form"].errors["site"]
    assert ("General palliative follow-up", "week 1") in rows(response)
    assert rows(response)[("General palliative follow-up", "week 1")][1] == 2  # still only site A


def test_it_redirects_anonymous_users(client):
    assert client.get(URL).status_code == 302


def test_it_refuses_post(login, nurse_a):
    assert login(nurse_a).post(URL).status_code == 405
