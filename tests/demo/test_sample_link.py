"""The patient link `palliro demo` prints must open a questionnaire right away."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.demo.enrolments import enrol_recent_courses, sample_open_invitation
from palliro.demo.writer import write_department
from palliro.followup.models import Invitation

pytestmark = pytest.mark.django_db


def test_the_printed_link_opens_a_questionnaire_now(client):
    write_department(300, 1, date.today(), 2)
    enrol_recent_courses(date.today())
    invitation = sample_open_invitation()
    now = timezone.now()
    assert invitation.due_at <= now < invitation.expires_at and invitation.patient.vital_status == "alive"
    page = client.get(reverse("respond", args=[invitation.token()]))
    assert page.status_code == 200 and b'name="q-' in page.content


def test_a_department_with_nothing_open_gets_a_questionnaire_sent_for_the_demo(client, ann):
    # Ann is alive and in follow-up, but nothing of hers is open (a 40-patient demo can be like that).
    before = Invitation.objects.count()
    invitation = sample_open_invitation()
    assert Invitation.objects.count() == before + 1 and invitation.patient == ann
    assert invitation.expires_at - invitation.due_at == timedelta(days=3)
    assert b'name="q-' in client.get(reverse("respond", args=[invitation.token()])).content
    # Asked again, it gives the same open one instead of sending another.
    assert sample_open_invitation() == invitation
