"""Enrolment, rescheduling and stopping of follow-up (palliro.followup.scheduling)."""

from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from palliro.clinic.models import Proxy, RTCourse
from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol
from palliro.followup.protocols import SHIPPED, protocol_for_indication
from palliro.followup.scheduling import (
    EnrolmentError,
    enrol,
    expected_last_fraction,
    invite_proxy,
    reschedule_course,
    stop_followup,
)
from palliro.followup.tasks import dispatch_due
from palliro.instruments.models import Instrument
from tests.followup.staff_fixtures import AMS

pytestmark = pytest.mark.django_db


def local_day(dt):
    return timezone.localtime(dt).date()


@pytest.fixture
def noon():
    """Today, 12:00 at the site: today's diary link is open, yesterday's closed at 09:00 when today's opened."""
    now = datetime.combine(timezone.localdate(), time(12), tzinfo=AMS)
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield now


def course_for(patient, first=None, fractions=5, region="Lumbar spine"):
    return RTCourse.objects.create(
        patient=patient, indication="pain", target_region=region, technique="conventional", total_dose_gy=20,
        fractions_planned=fractions, first_fraction_date=first,
    )


def bone(patient, course):
    return enrol(patient, Protocol.objects.get(code="bone-metastases"), course)


def open_plan(enrolment):
    """The open time points: (label, questionnaire, respondent, day), in order."""
    return sorted(
        (i.step_label, i.instrument.code, i.respondent, local_day(i.due_at))
        for i in enrolment.invitations.filter(state__in=["scheduled", "sent"])
    )


def snapshot(enrolment):
    return sorted(enrolment.invitations.values_list("pk", "state", "due_at", "expires_at", "token_hash"))


def complete(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(state=InvitationState.COMPLETED)


class TestEnrol:
    def test_it_plans_the_bone_metastases_protocol(self, ann, ann_course, ann_proxy):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrolment = enrol(ann, protocol, ann_course)
        invitations = list(enrolment.invitations.all())
        first = ann_course.first_fraction_date
        last = expected_last_fraction(ann_course)
        assert last == first + timedelta(days=4)  # five weekday fractions from a Monday
        diary = [i for i in invitations if i.step_label == "pain diary"]
        assert len(diary) == (last + timedelta(days=10) - first).days + 1 == 15
        weekly = [i for i in invitations if i.step_label.startswith("week") and i.respondent == "patient"]
        assert len(weekly) == 10  # weeks 1, 2, 4, 8, 12 × general + bone questionnaires
        assert {local_day(i.due_at) for i in weekly} == {first + timedelta(days=7 * w) for w in (1, 2, 4, 8, 12)}
        proxies = [i for i in invitations if i.respondent == "proxy"]
        # The relative answers at weeks 2 and 4, the relatives' version of both questionnaires.
        assert [p.proxy for p in proxies] == [ann_proxy] * 4
        assert {p.instrument.code for p in proxies} == {"palliro-general-proxy", "palliro-bone-proxy"}
        baseline = [i for i in invitations if i.step_label == "baseline"]
        assert {i.instrument.code for i in baseline} == {"palliro-general", "palliro-bone"}
        assert len(invitations) == 2 + 15 + 10 + 4
        assert all(i.state == InvitationState.SCHEDULED and timezone.localtime(i.due_at).hour == 9
                   for i in invitations)

    @pytest.mark.parametrize("code", sorted(SHIPPED))
    def test_every_shipped_protocol_enrols(self, ann, ann_course, code):
        enrolment = enrol(ann, Protocol.objects.get(code=code), ann_course)
        planned = sum(1 for _ in enrolment.invitations.all())
        assert planned >= len([s for s in SHIPPED[code][2] if s.respondent == "patient"])
        assert len({i.token_hash for i in enrolment.invitations.all()}) == planned  # every link is distinct

    def test_it_skips_proxies_without_consent(self, ann, ann_course):
        Proxy.objects.create(patient=ann, name="No Consent", relationship="child", consent=False)
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        assert not enrolment.invitations.filter(respondent="proxy").exists()

    def test_it_refuses_a_patient_without_consent(self, ann, ann_course):
        ann.followup_consent = False
        ann.save()
        with pytest.raises(EnrolmentError, match="consented"):
            enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)

    def test_it_refuses_enrolling_the_same_course_twice(self, ann, ann_course):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrol(ann, protocol, ann_course)
        with pytest.raises(EnrolmentError, match="already enrolled"):
            enrol(ann, protocol, ann_course)

    def test_it_refuses_another_patients_course(self, ann, cas, ann_course):
        with pytest.raises(EnrolmentError, match="another patient"):
            enrol(cas, Protocol.objects.get(code="bone-metastases"), ann_course)

    def test_the_baseline_falls_on_the_day_of_enrolment_at_the_site(self, ann):
        ann.site.timezone = "America/Curacao"
        ann.site.save()
        enrolled = datetime(2027, 2, 3, 20, 30, tzinfo=ZoneInfo("America/Curacao"))  # already Thursday in Amsterdam
        with mock.patch("django.utils.timezone.now", return_value=enrolled):
            enrolment = enrol(ann, Protocol.objects.get(code="general-palliative"))
        baseline = enrolment.invitations.get(step_label="baseline")
        assert baseline.due_at == datetime(2027, 2, 3, 9, tzinfo=ZoneInfo("America/Curacao"))

    def test_protocol_for_indication_falls_back_to_general(self):
        assert protocol_for_indication("pain").code == "bone-metastases"
        assert protocol_for_indication("obstruction").code == "general-palliative"


class TestReschedule:
    def test_changing_the_first_fraction_moves_open_invitations(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        week1 = enrolment.invitations.get(step_label="week 1", instrument__code="palliro-general")
        done = enrolment.invitations.filter(step_label="week 2").first()
        Invitation.objects.filter(pk=done.pk).update(state=InvitationState.COMPLETED)
        old_week1, old_done = week1.due_at, done.due_at
        ann_course.first_fraction_date += timedelta(days=7)
        ann_course.save()  # post_save reschedules
        week1.refresh_from_db()
        done.refresh_from_db()
        assert week1.due_at - old_week1 == timedelta(days=7)
        assert done.due_at == old_done  # completed questionnaires never move
        assert enrolment.invitations.filter(step_label="pain diary", state="scheduled").count() == 15

    def test_a_shorter_course_cancels_diary_days_beyond_the_new_end(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        ann_course.fractions_planned = 1
        ann_course.save()
        diary = enrolment.invitations.filter(step_label="pain diary")
        assert diary.filter(state="scheduled").count() == 11  # first fraction to 10 days after it
        assert diary.filter(state="cancelled").count() == 4

    def test_recording_the_first_fraction_plans_the_treatment_time_points(self, ann, ann_proxy, noon):
        enrolment = bone(ann, course_for(ann))  # enrolled before treatment: the form refuses future dates
        assert {i.step_label for i in enrolment.invitations.all()} == {"baseline"}
        enrolment.course.first_fraction_date = noon.date()
        enrolment.course.save()
        diary = [day for label, _, _, day in open_plan(enrolment) if label == "pain diary"]
        end = expected_last_fraction(enrolment.course) + timedelta(days=10)
        assert diary == [noon.date() + timedelta(days=k) for k in range((end - noon.date()).days + 1)]
        weeks = {label for label, _, _, _ in open_plan(enrolment) if label.startswith("week")}
        assert weeks == {"week 1", "week 2", "week 4", "week 8", "week 12", "week 2 (relative)", "week 4 (relative)"}
        # exactly what enrolling the course today would have planned
        twin = bone(ann, course_for(ann, first=noon.date(), region="Thoracic spine"))
        assert open_plan(enrolment) == open_plan(twin)

    def test_clearing_and_reentering_the_first_fraction_loses_and_duplicates_nothing(self, ann, ann_course):
        enrolment = bone(ann, ann_course)
        planned = open_plan(enrolment)
        first = ann_course.first_fraction_date
        week1 = enrolment.invitations.get(step_label="week 1", instrument__code="palliro-general")
        day1 = enrolment.invitations.filter(step_label="pain diary").order_by("due_at").first()
        complete(week1)
        complete(day1)
        ann_course.first_fraction_date = None  # start postponed, new date not yet known
        ann_course.save()
        assert {label for label, _, _, _ in open_plan(enrolment)} == {"baseline"}
        ann_course.first_fraction_date = first
        ann_course.save()
        answered = {(i.step_label, i.instrument.code, i.respondent, local_day(i.due_at)) for i in (week1, day1)}
        assert open_plan(enrolment) == sorted(set(planned) - answered)
        assert enrolment.invitations.filter(state="completed").count() == 2
        assert enrolment.invitations.filter(step_label="week 1", instrument__code="palliro-general").exclude(
            state="cancelled").count() == 1

    def test_a_save_that_changes_no_date_changes_no_invitation(self, ann, noon):
        enrolment = bone(ann, course_for(ann, first=noon.date() - timedelta(days=4), fractions=1))
        dispatch_due(noon)  # today's diary link goes out (yesterday's closed when today's opened)
        before = snapshot(enrolment)
        assert enrolment.invitations.filter(step_label="pain diary", state="sent").count() == 1
        enrolment.course.notes, enrolment.course.fractions_delivered = "treated as planned", 1
        enrolment.course.save()
        assert snapshot(enrolment) == before
        assert reschedule_course(enrolment.course) == 0

    def test_a_late_enrolment_never_moves_a_link_into_a_closed_window(self, ann, noon):
        today = noon.date()
        enrolment = bone(ann, course_for(ann, first=today - timedelta(days=4)))
        dispatch_due(noon)
        sent = {i.pk: (i.due_at, i.expires_at) for i in enrolment.invitations.filter(state="sent")}
        assert sent
        enrolment.course.last_fraction_date, enrolment.course.fractions_delivered = today, 5
        enrolment.course.save()
        still_open = enrolment.invitations.filter(state__in=["scheduled", "sent"])
        assert not still_open.filter(expires_at__lte=noon).exists()
        assert {i.pk: (i.due_at, i.expires_at) for i in still_open.filter(state="sent")} == sent
        diary = [day for label, _, _, day in open_plan(enrolment) if label == "pain diary"]
        assert diary == [today + timedelta(days=k) for k in range(0, 11)]  # yesterday's closed at 09:00 today

    def test_a_course_stopped_early_cancels_the_diary_days_no_longer_wanted(self, ann, noon):
        today = noon.date()
        enrolment = bone(ann, course_for(ann, first=today - timedelta(days=4), fractions=10))
        dispatch_due(noon)
        complete(enrolment.invitations.filter(step_label="pain diary").order_by("due_at").first())
        enrolment.course.last_fraction_date, enrolment.course.fractions_delivered = today - timedelta(days=1), 3
        enrolment.course.save()
        diary = enrolment.invitations.filter(step_label="pain diary")
        assert [local_day(i.due_at) for i in diary.filter(state__in=["scheduled", "sent"])] == [
            today + timedelta(days=k) for k in range(1, 10)]  # today's, the first still open, was answered
        assert diary.filter(state="completed").count() == 1
        assert not diary.filter(state="cancelled", due_at__lte=noon + timedelta(days=9)).exists()
        assert diary.filter(state="cancelled").count() > 0

    def test_a_link_already_sent_keeps_working_when_the_first_fraction_moves(self, ann, ann_course):
        enrolment = bone(ann, ann_course)
        week1 = enrolment.invitations.get(step_label="week 1", instrument__code="palliro-general")
        Invitation.objects.filter(pk=week1.pk).update(state=InvitationState.SENT)  # staff's "send now"
        ann_course.first_fraction_date += timedelta(days=2)
        ann_course.save()
        after = enrolment.invitations.get(step_label="week 1", instrument__code="palliro-general")
        assert (after.pk, after.state, after.due_at) == (week1.pk, "sent", week1.due_at)
        moved = enrolment.invitations.get(step_label="week 1", instrument__code="palliro-bone")
        assert local_day(moved.due_at) == ann_course.first_fraction_date + timedelta(days=7)

    def test_an_earlier_first_fraction_does_not_plan_windows_that_have_closed(self, ann, ann_proxy, noon):
        enrolment = bone(ann, course_for(ann))
        enrolment.course.first_fraction_date = noon.date() - timedelta(days=20)  # a date recorded late
        enrolment.course.save()
        assert not enrolment.invitations.filter(state__in=["scheduled", "sent"], expires_at__lte=noon).exists()
        assert {label for label, _, _, _ in open_plan(enrolment)} == {
            "baseline", "week 4", "week 8", "week 12", "week 4 (relative)"}

    def test_a_time_point_cancelled_by_staff_stays_cancelled(self, login, nurse_a, ann, ann_course):
        enrolment = bone(ann, ann_course)
        week2 = enrolment.invitations.get(step_label="week 2", instrument__code="palliro-bone")
        login(nurse_a).post(reverse("followup_invitation_cancel", args=[week2.pk]))
        ann_course.first_fraction_date += timedelta(days=1)
        ann_course.save()
        assert not enrolment.invitations.filter(step_label="week 2", instrument__code="palliro-bone").exclude(
            state="cancelled").exists()


class TestStop:
    def test_death_cancels_open_invitations(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        ann.vital_status, ann.death_date = "dead", timezone.localdate()
        ann.save()
        assert not enrolment.invitations.exclude(state="cancelled").exists()
        enrolment.refresh_from_db()
        assert not enrolment.active and enrolment.stopped_reason == "patient died"

    def test_withdrawal_cancels_open_invitations_but_keeps_completed(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        kept = enrolment.invitations.first()
        Invitation.objects.filter(pk=kept.pk).update(state=InvitationState.COMPLETED)
        ann.followup_stopped_on = timezone.localdate()
        ann.save()
        kept.refresh_from_db()
        assert kept.state == InvitationState.COMPLETED
        assert enrolment.invitations.filter(state="cancelled").count() == enrolment.invitations.count() - 1

    def test_stop_followup_returns_the_count(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="general-palliative"), ann_course)
        assert stop_followup(ann, "test") == enrolment.invitations.count()
        assert Enrolment.objects.get(pk=enrolment.pk).active is False


class TestInviteProxy:
    def test_it_creates_an_open_invitation_for_the_relative(self, ann, ann_proxy):
        instrument = Instrument.objects.filter(code="palliro-general-proxy").first()
        now = timezone.now()
        invitation = invite_proxy(ann, ann_proxy, instrument, 4, now=now)
        assert invitation.respondent == "proxy" and invitation.proxy == ann_proxy and invitation.due_at == now
        assert local_day(invitation.expires_at) == timezone.localdate(now) + timedelta(days=4)

    def test_it_refuses_a_relative_without_consent(self, ann, ann_proxy):
        ann_proxy.consent = False
        ann_proxy.save()
        instrument = Instrument.objects.filter(code="palliro-general-proxy").first()
        with pytest.raises(EnrolmentError, match="consented"):
            invite_proxy(ann, ann_proxy, instrument, 4)


@pytest.mark.parametrize(("code", "items"), [
    ("spinal-cord-compression", {"limb-weakness", "bladder-bowel-control"}),
    ("bleeding", {"bleeding-any"}),
])
def test_every_contact_asks_the_indications_own_items_whoever_answers(ann, ann_course, ann_proxy, code, items):
    # Issue 4: spinal cord compression "with its red-flag items at every contact"; relatives' contacts too.
    enrolment = enrol(ann, Protocol.objects.get(code=code), ann_course)
    asked: dict[tuple, set] = {}
    for invitation in enrolment.invitations.select_related("instrument"):
        questions = {q.link_id for q in invitation.instrument.questionnaire().questions}
        asked.setdefault((invitation.respondent, invitation.step_label), set()).update(questions & items)
    assert asked and all(found == items for found in asked.values()), asked


class TestRelativeChanges:
    def test_a_relative_who_is_no_longer_involved_gets_no_more_links(self, ann, ann_course, ann_proxy):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        extra = invite_proxy(ann, ann_proxy, Instrument.objects.filter(code="palliro-general-proxy").first(), 4)
        assert enrolment.invitations.filter(respondent="proxy", state="scheduled").exists()
        ann_proxy.active = False
        ann_proxy.save()
        assert not Invitation.objects.filter(proxy=ann_proxy).exclude(state="cancelled").exists()
        extra.refresh_from_db()
        assert extra.state == "cancelled"
        # Nothing goes out to them when their time points come.
        first_due = enrolment.invitations.filter(respondent="proxy").order_by("due_at").first().due_at
        dispatch_due(first_due + timedelta(days=2, minutes=5))
        assert not mail.outbox or all("piet@example.org" not in m.to for m in mail.outbox)

    def test_withdrawn_consent_cancels_a_relatives_links_but_keeps_their_answers(self, ann, ann_course, ann_proxy):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        answered = enrolment.invitations.filter(respondent="proxy").first()
        Invitation.objects.filter(pk=answered.pk).update(state=InvitationState.COMPLETED)
        ann_proxy.consent = False
        ann_proxy.save()
        answered.refresh_from_db()
        assert answered.state == InvitationState.COMPLETED
        assert not enrolment.invitations.filter(respondent="proxy", state__in=["scheduled", "sent"]).exists()

    def test_a_relative_added_after_enrolment_gets_the_time_points_ahead(self, ann, ann_course):
        enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        assert not enrolment.invitations.filter(respondent="proxy").exists()
        relative = Proxy.objects.create(patient=ann, name="Nel Andersen", relationship="daughter",
                                        email="nel@example.org", consent=True, language="nl")
        planned = enrolment.invitations.filter(respondent="proxy", proxy=relative, state="scheduled")
        now = timezone.now()
        assert planned.exists() and all(i.expires_at > now for i in planned)
