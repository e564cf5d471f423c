"""A new version of a shipped questionnaire changes what new respondents read, never what earlier ones were shown.

The situation of an installation upgraded to the relatives' questionnaires 1.1.0: it still holds 1.0.0 (the
relatives' questions with the patient's advice), with responses and invitations made from it. After the
upgrade's migrate (``sync_shipped_instruments`` and ``move_open_invitations``), old responses keep the advice
their relative read, and everything planned from then on asks 1.1.0.
"""

import copy
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.core.questionnaire import PALLIRO_EXT
from palliro.followup.forms import ProxyInvitationForm
from palliro.followup.models import Invitation, InvitationState, Protocol, Response
from palliro.followup.scheduling import enrol
from palliro.followup.shown import raised_alerts, what_was_shown
from palliro.followup.submission import save_draft, submit
from palliro.instruments.models import Instrument, latest_instrument
from palliro.instruments.sync import move_open_invitations, sync_shipped_instruments
from tests.followup.staff_fixtures import ann_course, ann_proxy  # noqa: F401
from tests.followup.test_patient_support import make_proxy
from tests.triage.helpers import answers_for

CODE = "palliro-general-proxy"
OLD_MODERATE = "Take your pain medicine as your care team told you."
NEW_MODERATE = "Help them take their pain medicine as the care team advised."
ADVICE = PALLIRO_EXT + "advice"


def release_1_0_0() -> Instrument:
    """The 1.0.0 row an upgraded installation holds: today's questions, each item with the patient's advice."""
    current = Instrument.objects.get(code=CODE, version="1.1.0")
    patient = {item["linkId"]: item for item in Instrument.objects.get(code="palliro-general").resource["item"]}
    resource = copy.deepcopy(current.resource)
    resource["version"] = "1.0.0"
    for item in resource["item"]:
        if item["linkId"] in patient:
            own = [e for e in item.get("extension", []) if e["url"] != ADVICE]
            item["extension"] = own + [e for e in patient[item["linkId"]].get("extension", []) if e["url"] == ADVICE]
    return Instrument.objects.create(
        code=CODE, version="1.0.0", title=current.title, kind=current.kind, respondent=current.respondent,
        languages=current.languages, resource=resource, scorer_code=current.scorer_code, patient_ready=True,
        licence=current.licence,
    )


def invitation_for(proxy, instrument, state=InvitationState.SENT, due_in_days=0):
    now = timezone.now() + timedelta(days=due_in_days)
    return Invitation.objects.create(
        patient=proxy.patient, proxy=proxy, respondent="proxy", instrument=instrument, step_label="week 2 (relative)",
        state=state, due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=3),
    )


def answer(invitation, **given):
    return submit(
        instrument=invitation.instrument, patient=invitation.patient, respondent="proxy",
        answers=answers_for(invitation.instrument, **given), submission_id=uuid.uuid4(), language="en",
        invitation=invitation, proxy=invitation.proxy,
    ).response


def upgrade():
    """What the migrate of the upgrade does (instruments/apps.py)."""
    sync_shipped_instruments()
    return move_open_invitations()


def pain_advice(response) -> str:
    return next(a["text"] for a in what_was_shown(response).advice if a["question"].startswith("Since last time, how bad"))


@pytest.fixture
def relative(ann):
    return make_proxy(ann, language="en")


@pytest.fixture
def old(db):
    return release_1_0_0()


def test_the_upgrade_keeps_1_0_0_for_its_responses_and_offers_it_no_more(old):
    stored = copy.deepcopy(old.resource)
    upgrade()
    old.refresh_from_db()
    assert not old.active and old.resource == stored
    assert Instrument.objects.get(code=CODE, version="1.1.0").active


def test_an_old_response_keeps_the_advice_its_relative_read_on_every_page(client, login, nurse_a, relative, old):
    invitation = invitation_for(relative, old)
    response = answer(invitation, pain_worst="5")
    assert pain_advice(response).startswith(OLD_MODERATE)
    upgrade()
    response = Response.objects.get(pk=response.pk)
    assert response.instrument == old and pain_advice(response).startswith(OLD_MODERATE)
    thank_you = client.get(reverse("respond_done", args=[invitation.token()])).content.decode()
    assert OLD_MODERATE in thank_you and NEW_MODERATE not in thank_you
    staff_page = login(nurse_a).get(reverse("response_detail", args=[response.pk])).content.decode()
    assert OLD_MODERATE in staff_page and NEW_MODERATE not in staff_page


def test_a_new_invitation_asks_1_1_0_and_shows_the_relatives_advice(client, login, nurse_a, relative, old):
    upgrade()
    new = invitation_for(relative, ProxyInvitationForm(patient=relative.patient).fields["instrument"].queryset.get(
        code=CODE))
    assert new.instrument.version == "1.1.0"
    response = answer(new, pain_worst="5")
    assert pain_advice(response).startswith(NEW_MODERATE)
    thank_you = client.get(reverse("respond_done", args=[new.token()])).content.decode()
    assert NEW_MODERATE in thank_you and OLD_MODERATE not in thank_you
    staff_page = login(nurse_a).get(reverse("response_detail", args=[response.pk])).content.decode()
    assert NEW_MODERATE in staff_page


def test_staff_can_invite_a_relative_only_with_the_current_version(relative, old):
    upgrade()
    offered = ProxyInvitationForm(patient=relative.patient).fields["instrument"].queryset.filter(code=CODE)
    assert [i.version for i in offered] == ["1.1.0"]


def test_enrolling_plans_the_relatives_contacts_with_the_current_version(ann, ann_course, ann_proxy, old):  # noqa: F811
    upgrade()
    enrolment = enrol(ann, Protocol.objects.get(code="bone-metastases"), ann_course)
    relatives = enrolment.invitations.filter(respondent="proxy")
    assert relatives.exists()
    assert {(i.instrument.code.endswith("-proxy"), i.instrument.version) for i in relatives} == {(True, "1.1.0")}


def test_open_invitations_nothing_was_saved_for_move_to_the_current_version(relative, old):
    scheduled = invitation_for(relative, old, InvitationState.SCHEDULED, due_in_days=7)
    sent = invitation_for(relative, old)
    started = invitation_for(relative, old)
    save_draft(started, {"pain-worst": "3"}, 2, "en")
    answered = invitation_for(relative, old)
    answer(answered, pain_worst="2")
    cancelled = invitation_for(relative, old, InvitationState.CANCELLED)
    assert upgrade() == 2
    versions = {i.pk: i.instrument.version for i in Invitation.objects.filter(proxy=relative)}
    assert versions == {scheduled.pk: "1.1.0", sent.pk: "1.1.0", started.pk: "1.0.0", answered.pk: "1.0.0",
                        cancelled.pk: "1.0.0"}
    assert upgrade() == 0  # idempotent, like every migrate


def test_a_started_draft_is_submitted_under_the_version_it_was_answered_in(relative, old):
    started = invitation_for(relative, old)
    save_draft(started, {"pain-worst": "5"}, 2, "en")
    upgrade()
    started.refresh_from_db()
    response = answer(started, pain_worst="5")
    assert response.instrument == old and pain_advice(response).startswith(OLD_MODERATE)


def test_triage_and_scoring_treat_both_versions_alike(relative, old):
    """Rules, observations and the patient's history go by the questionnaire's code, whatever its version."""
    before = answer(invitation_for(relative, old), pain_worst="9")
    upgrade()
    after = answer(invitation_for(relative, Instrument.objects.get(code=CODE, version="1.1.0")), pain_worst="9")
    for response in (before, after):
        assert response.observations.filter(code=f"{CODE}/pain-worst", value=9).exists()
        assert what_was_shown(response).contact_now
    rules = [set(raised_alerts(response).values_list("rule__code", flat=True)) for response in (before, after)]
    assert rules[0] and rules[0] == rules[1]  # the later one fires the same rules again


def test_a_changed_file_never_rewrites_a_version_that_has_responses(caplog, relative):
    current = Instrument.objects.get(code=CODE, version="1.1.0")
    answer(invitation_for(relative, current), pain_worst="1")
    shown_then = copy.deepcopy(current.resource)
    # As if the shipped file of 1.1.0 had been edited without a new version: the database holds the text shown.
    edited = copy.deepcopy(shown_then)
    edited["title"] = "Edited after release"
    Instrument.objects.filter(pk=current.pk).update(resource=edited)
    sync_shipped_instruments()
    current.refresh_from_db()
    assert current.resource == edited  # what respondents of this version read stays
    assert "already has responses" in caplog.text


def test_a_version_nobody_answered_is_brought_in_line_with_its_file(db):
    current = Instrument.objects.get(code=CODE, version="1.1.0")
    shipped = copy.deepcopy(current.resource)
    Instrument.objects.filter(pk=current.pk).update(resource={**shipped, "title": "Stale"})
    sync_shipped_instruments()
    current.refresh_from_db()
    assert current.resource == shipped


def test_the_latest_instrument_of_a_code_is_never_a_superseded_version(old):
    upgrade()
    Instrument.objects.filter(pk=old.pk).update(loaded_at=timezone.now() + timedelta(minutes=1))
    assert latest_instrument(CODE).version == "1.1.0"
    assert latest_instrument(CODE, "1.0.0") == old
