"""Shared helpers for the patient-link tests: invitations made directly, and a walker that answers pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone


def make_invitation(patient, code="palliro-general", *, proxy=None, state="sent", due=None, expires=None):
    from palliro.followup.models import Invitation
    from palliro.instruments.models import Instrument

    now = timezone.now()
    return Invitation.objects.create(
        patient=patient, proxy=proxy, respondent="proxy" if proxy else "patient",
        instrument=Instrument.objects.filter(code=code).order_by("-version").first(),
        step_label="week 1", state=state,
        due_at=due or now - timedelta(hours=1), expires_at=expires or now + timedelta(days=3),
    )


def make_proxy(patient, language="nl"):
    from palliro.clinic.models import Proxy

    return Proxy.objects.create(patient=patient, name="Piet Pieters", relationship="partner",
                                language=language, consent=True)


def page_fields(invitation, answers=None):
    """(page number, [link ids]) of every screen for the given draft answers."""
    from palliro.followup.patient_forms import paginate

    pages = paginate(invitation.instrument.questionnaire(), answers or {})
    return [(page.number, [item.link_id for item in page.questions]) for page in pages]


def assert_no_patient_data(content: bytes, patient):
    """No name, number, pseudonym, contact detail or birth date of the patient (or their proxies) on a page."""
    text = re.sub(r"[A-Za-z0-9_-]{43}", "", content.decode())  # a link token may contain digits by chance
    secrets = [patient.given_name, patient.family_name, patient.hospital_number, patient.pseudonym,
               patient.email, patient.phone, patient.birth_date.isoformat(), str(patient.birth_date.year)]
    secrets += [proxy.name for proxy in patient.proxies.all()]
    for secret in filter(None, secrets):
        assert secret not in text, secret


@pytest.fixture
def invitation(ann):
    return make_invitation(ann)


@pytest.mark.django_db
def test_it_creates_an_open_invitation_with_a_43_character_token(invitation):
    assert len(invitation.token()) == 43
    assert page_fields(invitation)[0][0] == 1
