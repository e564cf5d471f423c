"""The submission's writes (palliro.followup.submission_sql): the same contract whichever way they are written.

Each test runs against the portable statements and, on PostgreSQL, against the single statement too.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from palliro.followup import submission_sql
from palliro.followup.models import InvitationState, Observation, Response, ResponseStatus
from palliro.followup.submission import save_draft
from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db

WAYS = [
    pytest.param("_statements", id="statements"),
    pytest.param("_one_statement", id="one-statement", marks=pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the single statement is PostgreSQL's")),
]
ROWS = [("palliro-general/pain-worst", 3.0), ("palliro-general/fatigue", 2.0)]


@pytest.fixture(params=WAYS)
def write(request, monkeypatch):
    """write_submission, forced to take one implementation."""
    chosen = getattr(submission_sql, request.param)
    monkeypatch.setattr(submission_sql, "_one_statement", chosen)
    monkeypatch.setattr(submission_sql, "_statements", chosen)

    def call(invitation, *, patient=None, instrument=None, submission_id=None, observations=ROWS, now=None):
        now = now or timezone.now()
        new = dict(invitation=invitation, patient=patient or invitation.patient,
                   instrument=instrument or invitation.instrument, respondent="patient", proxy=None)
        completed = dict(questionnaire_response={"resourceType": "QuestionnaireResponse", "item": []},
                         answers={"pain-worst": "3"}, status=ResponseStatus.COMPLETED,
                         submission_id=submission_id or uuid.uuid4(), language="nl", entered_by=None,
                         submitted_at=now, replaces=None)
        with transaction.atomic():
            return submission_sql.write_submission(
                connection, new=new, completed=completed, now=now,
                invitation_id=None if invitation is None else invitation.pk, observations=observations)

    return call


@pytest.fixture
def invitation(ann):
    return make_invitation(ann, timezone.now() - timedelta(hours=1))


def test_it_completes_the_draft_in_place(write, invitation):
    draft = save_draft(invitation, {"pain-worst": "2"}, page=2, language="en")
    started = Response.objects.get(pk=draft.pk).started_at
    response = write(invitation)
    assert response.pk == draft.pk and response.started_at == started and response.page == 2
    stored = Response.objects.get(pk=draft.pk)
    assert stored.status == "completed" and stored.answers == {"pain-worst": "3"} and stored.language == "nl"
    assert stored.submission_id == response.submission_id and stored.questionnaire_response["item"] == []
    assert Response.objects.count() == 1


def test_it_inserts_a_response_when_there_is_no_draft(write, invitation):
    response = write(invitation)
    stored = Response.objects.get(pk=response.pk)
    assert stored.status == "completed" and stored.invitation_id == invitation.pk
    assert stored.patient_id == invitation.patient_id and stored.instrument_id == invitation.instrument_id
    assert stored.page == 0 and stored.started_at == stored.submitted_at == stored.updated_at


def test_it_stores_every_observation_and_completes_the_invitation(write, invitation):
    now = timezone.now()
    response = write(invitation, now=now)
    rows = Observation.objects.filter(response=response).values_list(
        "patient_id", "code", "value", "observed_at", "respondent")
    assert sorted(rows) == sorted((invitation.patient_id, code, value, now, "patient") for code, value in ROWS)
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.COMPLETED and invitation.completed_at == now


def test_a_response_without_an_invitation_is_stored(write, invitation):
    response = write(None, patient=invitation.patient, instrument=invitation.instrument)
    stored = Response.objects.get(pk=response.pk)
    assert stored.invitation_id is None and stored.status == "completed"
    assert Observation.objects.filter(response=stored).count() == len(ROWS)
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SCHEDULED


def test_a_response_without_observations_is_stored(write, invitation):
    response = write(invitation, observations=[])
    assert Response.objects.filter(pk=response.pk, status="completed").exists()
    assert not Observation.objects.exists()


def test_a_second_completion_of_an_invitation_breaks_the_constraint(write, invitation):
    write(invitation)
    with pytest.raises(IntegrityError):
        write(invitation)
    assert Response.objects.count() == 1 and Observation.objects.count() == len(ROWS)


def test_a_repeated_submission_id_breaks_the_constraint(write, invitation, cas):
    other = make_invitation(cas, timezone.now() - timedelta(hours=1))
    sid = uuid.uuid4()
    write(invitation, submission_id=sid)
    with pytest.raises(IntegrityError):
        write(other, submission_id=sid)
    other.refresh_from_db()
    assert other.state == InvitationState.SCHEDULED  # nothing of the failed write remains
    assert Observation.objects.count() == len(ROWS)


def test_deleting_a_patient_still_deletes_their_observations(invitation):
    # Observation.patient has no database constraint (see the model): Django's CASCADE does the work.
    from palliro.followup.models import Invitation

    response = submission_sql.write_submission(
        connection, new=dict(invitation=invitation, patient=invitation.patient, instrument=invitation.instrument,
                             respondent="patient", proxy=None),
        completed=dict(questionnaire_response=None, answers={}, status=ResponseStatus.COMPLETED,
                       submission_id=uuid.uuid4(), language="en", entered_by=None, submitted_at=timezone.now(),
                       replaces=None),
        now=timezone.now(), invitation_id=invitation.pk, observations=ROWS)
    assert Observation.objects.filter(response=response).count() == len(ROWS)
    Response.objects.filter(pk=response.pk).update(invitation=None)  # invitations PROTECT their responses
    Invitation.objects.filter(pk=invitation.pk).delete()
    invitation.patient.delete()
    assert not Observation.objects.exists() and not Response.objects.exists()
