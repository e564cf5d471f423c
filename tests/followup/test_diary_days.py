"""The pain diary counts each day once: one diary link open at a time, an answer dated by its link's day."""

import uuid
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from palliro.clinic.models import RTCourse
from palliro.core.pain import detect_flare
from palliro.followup.linkaccess import LinkState, link_state
from palliro.followup.models import Invitation, Protocol
from palliro.followup.scheduling import enrol, reschedule_course
from palliro.followup.submission import submit
from palliro.triage import services
from tests.followup.staff_fixtures import AMS
from tests.triage.helpers import answers_for, instrument

pytestmark = pytest.mark.django_db

DAY0 = date(2026, 3, 2)  # a Monday, first fraction; no daylight-saving change in the diary's weeks


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


class Clock:
    """timezone.now() under the test's control."""

    def __init__(self, now):
        self.now = now
        self._patch = mock.patch("django.utils.timezone.now", side_effect=lambda: self.now)

    def __enter__(self):
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


@pytest.fixture
def clock():
    with Clock(at(DAY0 - timedelta(days=7), 10)) as c:
        yield c


@pytest.fixture
def enrolment(ann, clock):
    course = RTCourse.objects.create(
        patient=ann, indication="pain", target_region="Femur", technique="conventional", total_dose_gy=20,
        fractions_planned=5, first_fraction_date=DAY0,
    )
    return enrol(ann, Protocol.objects.get(code="bone-metastases"), course)


def diary_links(enrolment):
    return list(enrolment.invitations.filter(step_label="pain diary").order_by("due_at"))


def link_for(enrolment, day):
    return next(i for i in diary_links(enrolment) if i.due_at == at(day, 9))


def answer(invitation, code="palliro-pain-diary", **given):
    inst = instrument(code)
    return submit(instrument=inst, patient=invitation.patient, respondent="patient",
                  answers=answers_for(inst, **given), submission_id=uuid.uuid4(), language="en",
                  invitation=invitation).response


def test_it_never_has_two_diary_links_open_at_once(enrolment):
    links = diary_links(enrolment)
    assert len(links) == 15  # first fraction to 10 days after the fifth
    for link, following in zip(links, links[1:], strict=False):
        assert link.expires_at == following.due_at  # closes when the next day's opens
    hour = at(DAY0 - timedelta(days=1), 0)
    while hour < at(DAY0 + timedelta(days=16), 0):
        assert sum(link_state(i, hour) == LinkState.OPEN for i in links) <= 1, hour
        hour += timedelta(hours=1)


def test_each_diary_link_is_open_for_its_whole_day_and_the_night_after(enrolment):
    link = link_for(enrolment, DAY0)
    assert (link.due_at, link.expires_at) == (at(DAY0, 9), at(DAY0 + timedelta(days=1), 9))
    assert link_state(link, at(DAY0 + timedelta(days=1), 8, 59)) == LinkState.OPEN
    assert link_state(link, at(DAY0 + timedelta(days=1), 9)) == LinkState.EXPIRED


def test_a_course_save_closes_a_diary_link_planned_to_stay_open_into_the_next_evening(enrolment, clock):
    link = link_for(enrolment, DAY0)
    Invitation.objects.filter(pk=link.pk).update(expires_at=at(DAY0 + timedelta(days=1), 23), state="sent")
    clock.now = at(DAY0, 12)
    reschedule_course(enrolment.course)
    link.refresh_from_db()
    assert (link.state, link.expires_at) == ("sent", at(DAY0 + timedelta(days=1), 9))


def test_a_late_answer_counts_for_its_own_day_in_the_diary_triage_reads(ann, enrolment, clock):
    clock.now = at(DAY0 - timedelta(days=3), 11)
    baseline = enrolment.invitations.get(step_label="baseline", instrument__code="palliro-general")
    answer(baseline, "palliro-general", pain_worst="5")
    clock.now = at(DAY0 + timedelta(days=1), 7, 30)  # yesterday's diary, answered before today's opens
    late = answer(link_for(enrolment, DAY0), diary_pain_worst="8")
    clock.now = at(DAY0 + timedelta(days=1), 10)
    today = answer(link_for(enrolment, DAY0 + timedelta(days=1)), diary_pain_worst="5")

    diary = services._diary(today, DAY0 + timedelta(days=1))
    assert [(e.day, e.worst_pain) for e in diary.entries] == [(0, 8.0), (1, 5.0)]
    assert diary.today == 1
    assert late.submitted_at.date() == DAY0 + timedelta(days=1)  # given the next day, counted for its own


def test_flare_detection_sees_one_value_per_diary_day(ann, enrolment, clock):
    clock.now = at(DAY0 - timedelta(days=3), 11)
    answer(enrolment.invitations.get(step_label="baseline", instrument__code="palliro-general"),
           "palliro-general", pain_worst="5")
    answers = {0: "8", 1: "8", 2: "5"}
    last = None
    for offset, pain in answers.items():
        day = DAY0 + timedelta(days=offset)
        clock.now = at(day + timedelta(days=1), 8)  # every day answered late, next morning
        last = answer(link_for(enrolment, day), diary_pain_worst=pain)
    diary = services._diary(last, DAY0 + timedelta(days=3))
    assert [(e.day, e.worst_pain) for e in diary.entries] == [(0, 8.0), (1, 8.0), (2, 5.0)]
    result = detect_flare(diary.baseline_pain, diary.baseline_omed, diary.entries,
                          first_rt_day=diary.first_rt_day, last_rt_day=diary.last_rt_day)
    assert (result.flare, result.first_day, result.return_day) == (True, 0, 2)


def test_a_passed_diary_days_link_names_the_day_and_points_to_the_newest_link(client, ann, enrolment, clock):
    clock.now = at(DAY0 + timedelta(days=1), 10)
    response = client.get(reverse("respond", args=[link_for(enrolment, DAY0).token()]))
    body = response.content.decode()
    assert response.status_code == 410
    assert "This diary day has passed" in body and "This link was for the diary of March 2, 2026." in body
    assert "please use the newest one you received" in body and "questionnaire has closed" not in body


@pytest.mark.parametrize(("lang", "title", "day"), [
    ("nl", "Deze dagboekdag is voorbij", "het dagboek van 2 maart 2026"),
    ("fr", "Ce jour du journal est passé", "le journal du 2 mars 2026"),
    ("es", "Este día del diario ya ha pasado", "el diario del 2 de marzo de 2026"),
])
def test_the_passed_diary_day_page_is_translated(client, ann, enrolment, clock, lang, title, day):
    ann.language = lang
    ann.save()
    clock.now = at(DAY0 + timedelta(days=1), 10)
    body = client.get(reverse("respond", args=[link_for(enrolment, DAY0).token()])).content.decode()
    assert title in body and day in body


def test_the_last_diary_days_page_thanks_the_patient(client, ann, enrolment, clock):
    last = diary_links(enrolment)[-1]
    clock.now = last.expires_at + timedelta(hours=1)
    body = client.get(reverse("respond", args=[last.token()])).content.decode()
    assert "Thank you for keeping the diary. You do not need to do anything." in body


def test_the_migration_closes_diary_links_planned_to_stay_open_into_the_next_evening(enrolment):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("palliro.followup.migrations.0006_enrolment_anchor_date")
    first, second = diary_links(enrolment)[:2]
    week1 = enrolment.invitations.filter(step_label="week 1").first()
    Invitation.objects.filter(pk__in=[first.pk, second.pk]).update(expires_at=at(DAY0 + timedelta(days=1), 23))
    migration.close_diary_overlaps(apps, None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.expires_at == at(DAY0 + timedelta(days=1), 9)
    assert second.expires_at == at(DAY0 + timedelta(days=1), 23)  # never lengthened
    assert Invitation.objects.get(pk=week1.pk).expires_at == week1.expires_at  # single time points untouched


def test_a_diary_answered_the_next_morning_says_which_day_today_means(client, ann, enrolment, clock):
    clock.now = at(DAY0 + timedelta(days=1), 7, 30)
    response = client.get(reverse("respond", args=[link_for(enrolment, DAY0).token()]))
    assert response.status_code == 200
    assert 'These questions are about March 2, 2026: "today" means that day.' in response.content.decode()


def test_a_diary_answered_on_its_own_day_needs_no_note(client, ann, enrolment, clock):
    clock.now = at(DAY0, 20)
    body = client.get(reverse("respond", args=[link_for(enrolment, DAY0).token()])).content.decode()
    assert "These questions are about" not in body


def test_the_next_morning_note_is_translated(client, ann, enrolment, clock):
    ann.language = "nl"
    ann.save()
    clock.now = at(DAY0 + timedelta(days=1), 7, 30)
    body = client.get(reverse("respond", args=[link_for(enrolment, DAY0).token()])).content.decode()
    assert "Deze vragen gaan over 2 maart 2026: met „vandaag” wordt die dag bedoeld." in body
