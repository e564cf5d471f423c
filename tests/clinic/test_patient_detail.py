from datetime import timedelta

import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.clinic.models import Proxy, RTCourse


def url(patient):
    return reverse("patient_detail", args=[patient.pk])


@pytest.fixture
def ann_course(ann):
    return RTCourse.objects.create(
        patient=ann, indication="pain", target_region="Lumbar spine", technique="conventional",
        total_dose_gy=20, fractions_planned=5,
    )


@pytest.mark.django_db
class TestPatientDetail:
    def test_it_shows_the_patient_with_records(self, login, nurse_a, ann, ann_course):
        Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", phone="+31 6 1111 1111")
        response = login(nurse_a).get(url(ann))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Ann Andersen" in body and "A-0001" in body
        assert "20 Gy / 5" in body and "Lumbar spine" in body
        assert "Piet Andersen" in body

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, ann):
        assert login(nurse_b).get(url(ann)).status_code == 404

    def test_it_is_404_for_a_missing_patient(self, login, nurse_a, ann):
        assert login(nurse_a).get(reverse("patient_detail", args=[ann.pk + 999])).status_code == 404

    def test_it_hides_identifiers_from_researchers(self, login, researcher, ann, ann_course):
        Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", phone="+31 6 1111 1111")
        response = login(researcher).get(url(ann))
        assert response.status_code == 200
        body = response.content.decode()
        assert ann.pseudonym in body and "Lumbar spine" in body
        for identifier in ("Andersen", "A-0001", "1950-05-17", "+31 6 1234 5678", "ann@example.org", "Piet"):
            assert identifier not in body
        assert "Edit" not in body

    def test_it_is_404_for_a_researcher_without_research_consent(self, login, researcher, cas):
        assert login(researcher).get(url(cas)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, ann):
        response = client.get(url(ann))
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_it_refuses_post(self, login, nurse_a, ann):
        assert login(nurse_a).post(url(ann)).status_code == 405

    def test_it_audits_the_view(self, login, researcher, ann):
        login(researcher).get(url(ann))
        event = AuditEvent.objects.get(action="patient_view")
        assert event.patient == ann and event.user == researcher and event.object_id == str(ann.pk)


@pytest.mark.django_db
def test_it_says_how_many_open_links_were_not_sent(login, nurse_a, researcher, ann):
    from django.utils import timezone

    from palliro.followup.models import Invitation
    from tests.followup.staff_fixtures import make_invitation

    now = timezone.now()
    for hours, channel in ((1, "none"), (2, "none"), (3, "email")):
        invitation = make_invitation(ann, now - timedelta(hours=hours))
        Invitation.objects.filter(pk=invitation.pk).update(state="sent", channel=channel, sent_at=now)
    expired = make_invitation(ann, now - timedelta(days=9))  # window closed: nothing left to hand over
    Invitation.objects.filter(pk=expired.pk).update(state="expired", channel="none")
    body = login(nurse_a).get(url(ann)).content.decode()
    assert "<strong>2 open questionnaire links were NOT sent</strong>" in body
    assert "NOT sent" not in login(researcher).get(url(ann)).content.decode()  # care staff hand links over
