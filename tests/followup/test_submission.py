"""Exactly-once submission and drafts (palliro.followup.submission)."""

import uuid

import pytest
from django.utils import timezone

from palliro.followup.models import InvitationState, Observation, Response
from palliro.followup.submission import SubmissionError, response_completed, save_draft, submit
from tests.followup.staff_fixtures import valid_general_answers

pytestmark = pytest.mark.django_db


def _submit(invitation, answers=None, submission_id=None, **extra):
    return submit(
        instrument=invitation.instrument, patient=invitation.patient, respondent=invitation.respondent,
        answers=answers if answers is not None else valid_general_answers(invitation.instrument),
        submission_id=submission_id or uuid.uuid4(), language="en", invitation=invitation, **extra,
    )


def test_it_stores_a_response_and_completes_the_invitation(ann_invitation):
    result = _submit(ann_invitation, {"pain-worst": "3", "fatigue": "some"})
    assert result.created
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.COMPLETED and ann_invitation.completed_at is not None
    response = result.response
    assert response.status == "completed" and response.respondent == "patient"
    assert response.questionnaire_response["resourceType"] == "QuestionnaireResponse"
    codes = dict(Observation.objects.filter(response=response).values_list("code", "value"))
    assert codes["palliro-general/pain-worst"] == 3.0
    assert "palliro-general/fatigue" in codes


def test_it_is_idempotent_on_the_submission_id(ann_invitation):
    sid = uuid.uuid4()
    first = _submit(ann_invitation, submission_id=sid)
    again = _submit(ann_invitation, submission_id=sid)
    assert first.created and not again.created and again.response.pk == first.response.pk
    assert Response.objects.count() == 1


def test_a_second_submission_for_a_completed_invitation_returns_the_first(ann_invitation):
    first = _submit(ann_invitation)
    second = _submit(ann_invitation)
    assert not second.created and second.response.pk == first.response.pk
    assert Response.objects.filter(status="completed").count() == 1


def test_it_rejects_invalid_answers_with_per_item_messages(ann_invitation):
    with pytest.raises(SubmissionError) as caught:
        _submit(ann_invitation, {"pain-worst": "11", "no-such-item": "x"})
    assert set(caught.value.errors) == {"pain-worst", "no-such-item"}
    ann_invitation.refresh_from_db()
    assert ann_invitation.state == InvitationState.SCHEDULED and not Response.objects.exists()


def test_it_rejects_a_missing_required_answer(ann_invitation):
    with pytest.raises(SubmissionError) as caught:
        _submit(ann_invitation, {"fatigue": "some"})
    assert "pain-worst" in caught.value.errors


def test_the_draft_becomes_the_response(ann_invitation):
    draft = save_draft(ann_invitation, {"fatigue": "some"}, page=1, language="nl")
    assert save_draft(ann_invitation, {"pain-worst": "2"}, page=2, language="nl").pk == draft.pk
    result = _submit(ann_invitation, {"pain-worst": "2", "fatigue": "some"})
    assert result.response.pk == draft.pk and Response.objects.count() == 1


def test_it_records_staff_entry(ann_invitation, nurse_a):
    result = submit(
        instrument=ann_invitation.instrument, patient=ann_invitation.patient, respondent="staff",
        answers={"pain-worst": "4"}, submission_id=uuid.uuid4(), language="en", invitation=ann_invitation,
        entered_by=nurse_a,
    )
    assert result.response.respondent == "staff" and result.response.entered_by == nurse_a
    assert set(Observation.objects.values_list("respondent", flat=True)) == {"staff"}


def test_it_sends_response_completed_once(ann_invitation):
    received = []

    def receiver(sender, response, **kwargs):
        received.append(response.pk)

    response_completed.connect(receiver)
    try:
        sid = uuid.uuid4()
        _submit(ann_invitation, submission_id=sid)
        _submit(ann_invitation, submission_id=sid)
    finally:
        response_completed.disconnect(receiver)
    assert len(received) == 1


def test_it_scores_the_death_rattle_grade_beside_the_questions_the_scale_does_not_score(ann):
    # The questionnaire also asks who answers, the family's distress and the interventions tried; the Back
    # scale scores only the intensity item (clinical.md §3.7), and its grade must still be stored.
    from tests.followup.staff_fixtures import make_invitation

    invitation = make_invitation(ann, timezone.now(), respondent="staff", code="palliro-death-rattle")
    answers = {"respondent-role": "staff", "intensity": "2", "family-distress": "3", "interventions": ["suction"]}
    response = _submit(invitation, answers).response
    codes = dict(Observation.objects.filter(response=response).values_list("code", "value"))
    assert codes["palliro-death-rattle/BACK"] == 2.0
    assert codes["palliro-death-rattle/intensity"] == 2.0
