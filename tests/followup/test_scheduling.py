"""Enrolment, rescheduling and stopping of follow-up (palliro.followup.scheduling)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.clinic.models import Proxy
from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol
from palliro.followup.protocols import SHIPPED, protocol_for_indication
from palliro.followup.scheduling import (
    EnrolmentError,
    enrol,
    expected_last_fraction,
    invite_proxy,
    stop_followup,
)
from palliro.instruments.models import Instrument

pytestmark = pytest.mark.django_db


def local_day(dt):
    return timezone.localtime(dt).date()


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
        assert [p.proxy for p in proxies] == [ann_proxy, ann_proxy]
        assert {p.instrument.code for p in proxies} == {"palliro-general-proxy"}
        baseline = [i for i in invitations if i.step_label == "baseline"]
        assert {i.instrument.code for i in baseline} == {"palliro-general", "palliro-bone"}
        assert len(invitations) == 2 + 15 + 10 + 2
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
