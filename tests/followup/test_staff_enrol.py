import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Enrolment, Protocol

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("followup_enrol", args=[patient.pk])


def test_it_suggests_the_protocol_for_the_course_indication(login, nurse_a, ann, ann_course):
    response = login(nurse_a).get(url(ann))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["protocol"] == Protocol.objects.get(code="bone-metastases").pk
    assert form.initial["course"] == ann_course.pk


def test_it_enrols(login, nurse_a, ann, ann_course):
    protocol = Protocol.objects.get(code="bone-metastases")
    response = login(nurse_a).post(url(ann), {"protocol": protocol.pk, "course": ann_course.pk})
    assert response.status_code == 302 and response.url == reverse("followup_patient", args=[ann.pk])
    enrolment = Enrolment.objects.get(patient=ann)
    assert enrolment.enrolled_by == nurse_a and enrolment.invitations.count() > 20
    assert AuditEvent.objects.filter(action="followup_enrol", patient=ann).exists()


def test_it_explains_why_enrolment_is_refused(login, nurse_a, ann, ann_course):
    ann.followup_consent = False
    ann.save()
    protocol = Protocol.objects.get(code="bone-metastases")
    response = login(nurse_a).post(url(ann), {"protocol": protocol.pk, "course": ann_course.pk})
    assert response.status_code == 200 and "not consented" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_it_rejects_another_patients_course(login, nurse_a, ann, cas, ann_course):
    protocol = Protocol.objects.get(code="bone-metastases")
    response = login(nurse_a).post(url(cas), {"protocol": protocol.pk, "course": ann_course.pk})
    assert response.status_code == 200 and response.context["form"].errors["course"]


def test_it_rejects_a_missing_protocol(login, nurse_a, ann):
    response = login(nurse_a).post(url(ann), {"protocol": "999999"})
    assert response.status_code == 200 and response.context["form"].errors["protocol"]


def test_it_is_404_for_another_sites_nurse(login, nurse_b, ann):
    assert login(nurse_b).get(url(ann)).status_code == 404


def test_it_is_403_for_researchers(login, researcher, ann):
    assert login(researcher).get(url(ann)).status_code == 403


def test_it_redirects_anonymous_users(client, ann):
    assert client.get(url(ann)).status_code == 302


def test_it_refuses_put(login, nurse_a, ann):
    assert login(nurse_a).put(url(ann)).status_code == 405
