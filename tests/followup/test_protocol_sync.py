"""Shipped protocols on an existing installation: brought up to date unless a site changed them.

An installation created by commit c904e37 holds relatives' steps that ask palliro-general-proxy only; the
current protocols ask the relatives' version of every protocol questionnaire (e.g. palliro-bone-proxy).
"""

import importlib
from dataclasses import replace
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone

from palliro.clinic.models import Proxy
from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol, ProtocolStep
from palliro.followup.protocols import EARLIER, SHIPPED, STEP_FIELDS, step_row, sync_shipped_protocols
from palliro.followup.scheduling import enrol, stop_followup

pytestmark = pytest.mark.django_db

OLD = "c904e375b12aaf76d0e8f8a6d4619a26ac445f5b"
MIGRATION = importlib.import_module("palliro.followup.migrations.0004_protocol_shipped_edited")


def install(code, version):
    """Make a shipped protocol hold ``version`` (SHIPPED or an EARLIER one), as that release created it."""
    name, indication, steps = version[code]
    protocol = Protocol.objects.get(code=code)
    protocol.steps.all().delete()
    Protocol.objects.filter(pk=protocol.pk).update(name=name, indication=indication)
    ProtocolStep.objects.bulk_create(
        ProtocolStep(protocol=protocol, **dict(zip(STEP_FIELDS, step_row(step), strict=True))) for step in steps
    )
    return protocol


def upgrade_marks():
    """What migration 0004 does on an installation from before the shipped/edited marks."""
    Protocol.objects.update(shipped=False, edited=False)
    MIGRATION.mark_shipped(django_apps, None)


def steps_of(protocol):
    return sorted(protocol.steps.values_list(*STEP_FIELDS), key=repr)


def shipped_steps(code):
    return sorted((step_row(s) for s in SHIPPED[code][2]), key=repr)


def snapshot(invitations):
    return sorted(invitations.values_list("pk", "step_id", "state", "due_at", "expires_at", "proxy_id"))


def open_for(enrolment, **filters):
    return enrolment.invitations.filter(state__in=["scheduled", "sent"], **filters)


def test_the_shipped_protocols_are_created_marked_shipped_and_unedited():
    assert set(Protocol.objects.filter(shipped=True, edited=False).values_list("code", flat=True)) == set(SHIPPED)
    for code in SHIPPED:
        assert steps_of(Protocol.objects.get(code=code)) == shipped_steps(code)


class TestUpgradeMarks:
    def test_it_recognises_the_earlier_version_and_the_current_one_as_unedited(self):
        install("bone-metastases", EARLIER[OLD])
        upgrade_marks()
        assert Protocol.objects.filter(code__in=SHIPPED, shipped=True, edited=False).count() == len(SHIPPED)

    def test_it_marks_a_protocol_a_site_changed_as_edited(self):
        protocol = install("bone-metastases", EARLIER[OLD])
        protocol.steps.filter(label="week 1").update(window_days=6)
        Protocol.objects.filter(code="bleeding").update(description="Our own notes")
        Protocol.objects.filter(code="whole-brain").update(active=False)
        upgrade_marks()
        assert set(Protocol.objects.filter(edited=True).values_list("code", flat=True)) == {
            "bone-metastases", "bleeding", "whole-brain"}

    def test_a_sites_own_protocol_is_not_shipped(self):
        Protocol.objects.create(code="our-diary", name="Our diary")
        upgrade_marks()
        assert not Protocol.objects.get(code="our-diary").shipped


class TestSync:
    def test_it_brings_an_unedited_shipped_protocol_up_to_date(self, ann, ann_course, ann_proxy):
        protocol = install("bone-metastases", EARLIER[OLD])
        upgrade_marks()
        absent = Proxy.objects.create(patient=ann, name="Els Andersen", relationship="sister", consent=False)
        enrolment = enrol(ann, protocol, ann_course)
        assert not enrolment.invitations.filter(instrument__code="palliro-bone-proxy").exists()
        before = snapshot(enrolment.invitations.all())

        updates = sync_shipped_protocols()

        assert [(u.code, u.added, u.updated, u.removed, u.enrolments, u.invitations) for u in updates] == [
            ("bone-metastases", 2, 0, 0, 1, 2)]
        assert steps_of(protocol) == shipped_steps("bone-metastases")
        protocol.refresh_from_db()
        assert protocol.shipped and not protocol.edited
        # The relative who consented is now asked the bone questionnaire's relatives' version at weeks 2 and 4 ...
        new = open_for(enrolment, instrument__code="palliro-bone-proxy")
        first = ann_course.first_fraction_date
        assert sorted((i.step_label, i.proxy, timezone.localtime(i.due_at).date()) for i in new) == [
            ("week 2 (relative)", ann_proxy, first + timedelta(days=14)),
            ("week 4 (relative)", ann_proxy, first + timedelta(days=28)),
        ]
        assert not Invitation.objects.filter(proxy=absent).exists()
        # ... and what was planned before is as it was.
        assert snapshot(enrolment.invitations.exclude(pk__in=new)) == before

    def test_it_leaves_a_protocol_an_administrator_edited_alone(self, ann, ann_course, ann_proxy):
        protocol = install("bone-metastases", EARLIER[OLD])
        protocol.steps.filter(label="week 1").update(window_days=6)
        upgrade_marks()
        enrolment = enrol(ann, protocol, ann_course)
        steps, invitations = steps_of(protocol), snapshot(enrolment.invitations.all())
        assert sync_shipped_protocols() == []
        assert steps_of(protocol) == steps and snapshot(enrolment.invitations.all()) == invitations
        Protocol.objects.filter(pk=protocol.pk).update(edited=False)  # the mark, not the content, protects it
        assert [u.code for u in sync_shipped_protocols()] == ["bone-metastases"]

    def test_a_second_sync_changes_nothing_and_only_reads(self, ann, ann_course, ann_proxy,
                                                         django_assert_max_num_queries):
        install("spinal-cord-compression", EARLIER[OLD])
        upgrade_marks()
        enrolment = enrol(ann, Protocol.objects.get(code="spinal-cord-compression"), ann_course)
        assert [u.code for u in sync_shipped_protocols()] == ["spinal-cord-compression"]
        steps, invitations = steps_of(enrolment.protocol), snapshot(enrolment.invitations.all())
        with django_assert_max_num_queries(2):
            assert sync_shipped_protocols() == []
        assert steps_of(enrolment.protocol) == steps and snapshot(enrolment.invitations.all()) == invitations

    def test_it_creates_a_missing_shipped_protocol(self):
        Protocol.objects.filter(code="whole-brain").delete()
        updates = sync_shipped_protocols()
        assert [(u.code, u.created) for u in updates] == [("whole-brain", True)]
        protocol = Protocol.objects.get(code="whole-brain")
        assert protocol.shipped and not protocol.edited and steps_of(protocol) == shipped_steps("whole-brain")

    def test_an_inactive_enrolment_gets_nothing_new(self, ann, ann_course, ann_proxy):
        protocol = install("bone-metastases", EARLIER[OLD])
        upgrade_marks()
        enrolment = enrol(ann, protocol, ann_course)
        stop_followup(ann, "patient withdrew from follow-up")
        before = snapshot(enrolment.invitations.all())
        assert sync_shipped_protocols()[0].enrolments == 0
        assert snapshot(enrolment.invitations.all()) == before


class TestChangedTimePoints:
    """A shipped version that moves, renames and drops time points (SHIPPED patched in place)."""

    @pytest.fixture
    def next_version(self, monkeypatch):
        _name, indication, steps = SHIPPED["bone-metastases"]
        moved = [replace(s, offset=s.offset + 1) if s.label == "week 1" else s for s in steps]
        kept = [s for s in moved if s.label != "week 12"]
        monkeypatch.setitem(SHIPPED, "bone-metastases", ("Bone metastases", indication, kept))

    def test_open_invitations_follow_completed_ones_stay(self, ann, ann_course, next_version):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrolment = enrol(ann, protocol, ann_course)
        answered = enrolment.invitations.get(step_label="week 12", instrument__code="palliro-general")
        Invitation.objects.filter(pk=answered.pk).update(state=InvitationState.COMPLETED)
        answered.refresh_from_db()
        week1 = {i.pk: i.due_at for i in enrolment.invitations.filter(step_label="week 1")}

        [update] = sync_shipped_protocols()

        assert (update.added, update.updated, update.removed) == (0, 2, 2)
        protocol.refresh_from_db()
        assert protocol.name == "Bone metastases" and steps_of(protocol) == shipped_steps("bone-metastases")
        # week 1 moved by a day (the same invitations, not new ones) ...
        assert {i.pk: i.due_at - timedelta(days=1) for i in enrolment.invitations.filter(step_label="week 1")} == week1
        # ... week 12 is no longer planned: the open one is cancelled, the answered one stays answered.
        assert not open_for(enrolment, step_label="week 12").exists()
        kept = Invitation.objects.get(pk=answered.pk)
        assert (kept.state, kept.due_at, kept.expires_at) == (answered.state, answered.due_at, answered.expires_at)

    def test_an_inactive_enrolments_invitations_are_untouched(self, ann, ann_course, next_version):
        stopped = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
        Enrolment.objects.filter(pk=stopped.pk).update(active=False)  # e.g. stopped by hand in the admin
        fields = ("pk", "state", "step_label", "instrument_id", "due_at", "expires_at", "proxy_id")
        before = sorted(stopped.invitations.values_list(*fields))
        [update] = sync_shipped_protocols()
        assert update.enrolments == 0 and update.removed == 2
        # (Those of the removed week 12 keep all they say; only their link to the deleted step row is gone.)
        assert sorted(stopped.invitations.values_list(*fields)) == before


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_from_c904e37_asks_the_relatives_the_new_questionnaires(ann, ann_course, ann_proxy):
    """migrate from before the marks: 0004 recognises the old version, the post-migrate sync replans."""
    protocol = install("spinal-cord-compression", EARLIER[OLD])
    edited = install("bleeding", EARLIER[OLD])
    edited.steps.filter(label="baseline").update(window_days=5)  # a site's own change
    enrolment = enrol(ann, protocol, ann_course)
    assert not enrolment.invitations.filter(instrument__code="palliro-mscc-proxy").exists()
    call_command("migrate", "followup", "0003", verbosity=0)
    call_command("migrate", "followup", verbosity=0)
    protocol.refresh_from_db()
    assert protocol.shipped and not protocol.edited
    assert steps_of(protocol) == shipped_steps("spinal-cord-compression")
    assert sorted(open_for(enrolment, instrument__code="palliro-mscc-proxy").values_list("step_label", flat=True)) == [
        "week 2 (relative)", "week 4 (relative)"]
    edited.refresh_from_db()
    assert edited.edited and steps_of(edited) != shipped_steps("bleeding")
