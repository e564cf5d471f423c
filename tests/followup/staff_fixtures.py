"""Fixtures shared by the staff, task and service tests of follow-up (imported explicitly by each file)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

AMS = ZoneInfo("Europe/Amsterdam")


def next_monday(after: date) -> date:
    return after + timedelta(days=(7 - after.weekday()) % 7 or 7)


def local(y, m, d, h=9, minute=0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=AMS)


def make_invitation(patient, due_at, *, window_days=7, respondent="patient", proxy=None, code="palliro-general",
                    step_label="week 1", state="scheduled"):
    from palliro.followup.models import Invitation
    from palliro.instruments.models import Instrument

    instrument = Instrument.objects.filter(code=code).order_by("-version").first()
    return Invitation.objects.create(
        patient=patient, proxy=proxy, respondent=respondent, instrument=instrument, step_label=step_label,
        due_at=due_at, expires_at=due_at + timedelta(days=window_days), state=state,
    )


@pytest.fixture
def ann_course(ann):
    from palliro.clinic.models import RTCourse

    first = next_monday(date.today() + timedelta(days=7))
    return RTCourse.objects.create(
        patient=ann, indication="pain", target_region="Lumbar spine", technique="conventional",
        total_dose_gy=20, fractions_planned=5, first_fraction_date=first,
    )


@pytest.fixture
def ann_proxy(ann):
    from palliro.clinic.models import Proxy

    return Proxy.objects.create(
        patient=ann, name="Piet Andersen", relationship="partner", phone="+31 6 1111 2222",
        email="piet@example.org", consent=True, language="nl",
    )


@pytest.fixture
def ann_invitation(ann):
    from django.utils import timezone

    return make_invitation(ann, timezone.now() - timedelta(hours=1))


@pytest.fixture
def bob_invitation(bob):
    from django.utils import timezone

    return make_invitation(bob, timezone.now() - timedelta(hours=1))


def valid_general_answers(instrument) -> dict:
    """A complete, valid set of answers: the first option of every enabled required choice question."""
    from palliro.core.questionnaire.answers import enabled_items

    questionnaire = instrument.questionnaire()
    answers: dict = {}
    for _ in range(3):  # enableWhen may unlock further required items
        for item in enabled_items(questionnaire, answers):
            if item.answerable and item.required and item.link_id not in answers:
                if item.type == "choice":
                    first = item.options[0].code
                    answers[item.link_id] = [first] if item.repeats else first
                elif item.type == "integer":
                    answers[item.link_id] = int(item.min_value or 0)
    return answers
