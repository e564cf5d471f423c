"""palliro.demo.activity: synthetic enrolments, invitations, responses, observations and alerts."""

from datetime import date

from django.db.models import Count
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from palliro.clinic.models import Patient
from palliro.core.questionnaire.answers import validate_answers
from palliro.demo.activity import write_activity
from palliro.demo.writer import write_department
from palliro.followup.models import Enrolment, Invitation, InvitationState, Observation, Response
from palliro.followup.submission import observation_rows
from palliro.triage.models import Alert

ANCHOR = date(2026, 6, 1)


def snapshot():
    return (
        sorted(Invitation.objects.values_list("patient__hospital_number", "step_label", "respondent", "due_at",
                                              "state", "token_hash")),
        sorted(Response.objects.values_list("patient__hospital_number", "instrument__code", "submitted_at", "answers")),
        sorted(Observation.objects.values_list("patient__hospital_number", "code", "value", "observed_at")),
        sorted(Alert.objects.values_list("patient__hospital_number", "rule__code", "state", "created")),
    )


def test_it_follows_the_protocols_with_answered_missed_and_scheduled_invitations(db):
    write_department(40, 7, ANCHOR, activity=False)
    counts = write_activity(Patient.objects.all(), 7, ANCHOR)
    assert counts["observations"] == Observation.objects.count()
    assert counts["invitations"] == Invitation.objects.count()
    enrolled = Enrolment.objects.count()
    assert enrolled == counts["enrolments"] > 0
    assert 50 * enrolled < counts["observations"] < 400 * enrolled
    # Only consenting patients are followed, each in the protocol of their first course's indication.
    assert not Enrolment.objects.filter(patient__followup_consent=False).exists()
    states = set(Invitation.objects.values_list("state", flat=True))
    assert {InvitationState.COMPLETED, InvitationState.EXPIRED} <= states
    # Every completed invitation has exactly one response, answered inside its window; no other has one.
    completed = Invitation.objects.filter(state=InvitationState.COMPLETED)
    assert Response.objects.count() == completed.count()
    assert not completed.annotate(n=Count("responses")).exclude(n=1).exists()
    for response in Response.objects.select_related("invitation")[:200]:
        assert response.invitation.due_at <= response.submitted_at <= response.invitation.expires_at
        assert response.respondent == response.invitation.respondent
    # The product's own windows: a diary day's link closes when the next day's opens, never later.
    diary = Invitation.objects.exclude(step=None).exclude(step__repeat_until_anchor="").order_by("patient", "respondent",
                                                                                       "proxy", "due_at")
    assert diary.exists()
    previous = None
    for link in diary:
        key = (link.patient_id, link.respondent, link.proxy_id, link.step_id)
        if previous is not None and previous[0] == key:
            assert previous[1] <= link.due_at, key
        previous = (key, link.expires_at)
    # Time points come from the protocols' step labels.
    labels = set(Invitation.objects.values_list("step_label", flat=True))
    assert {"baseline", "week 1", "week 4"} <= labels
    assert Response.objects.filter(respondent="proxy").exists()
    assert Alert.objects.exists()
    # A made-up alert says what was found as triage would: the question and the answer in words.
    high = Alert.objects.filter(rule__code="pain-worst-high")
    assert high.exists() and not high.filter(detail="").exists()
    assert all("(rule: 7 or more)" in a.detail and "pain" in a.detail.lower() for a in high)
    # Every stored answer set is one the questionnaire accepts as complete, stored as a submission stores it:
    # with its FHIR QuestionnaireResponse and the observations submission.observation_rows gives.
    for code in set(Response.objects.values_list("instrument__code", flat=True)):
        response = Response.objects.filter(instrument__code=code).first()
        questionnaire = response.instrument.questionnaire()
        assert validate_answers(questionnaire, response.answers) == {}, code
        QuestionnaireResponse.model_validate(response.questionnaire_response)
        assert response.questionnaire_response["authored"].startswith(response.submitted_at.date().isoformat())
        stored = sorted(response.observations.values_list("code", "value"))
        assert stored == sorted(observation_rows(response.instrument, questionnaire, response.answers)), code
    assert not Response.objects.filter(questionnaire_response__isnull=True).exists()


def test_no_invitation_is_due_after_the_patient_died(db):
    write_department(60, 11, ANCHOR, activity=False)
    write_activity(Patient.objects.all(), 11, ANCHOR)
    for invitation in Invitation.objects.filter(patient__death_date__isnull=False).select_related("patient"):
        if invitation.due_at.date() > invitation.patient.death_date:
            assert invitation.state == InvitationState.CANCELLED


def test_later_invitations_are_scheduled_with_working_links(db):
    write_department(40, 5, date.today(), activity=False)
    write_activity(Patient.objects.all(), 5, date.today())
    scheduled = Invitation.objects.filter(state=InvitationState.SCHEDULED).first()
    assert scheduled is not None
    from palliro.followup.models import hash_token

    assert hash_token(scheduled.token()) == scheduled.token_hash


def test_it_is_deterministic_for_a_seed(db):
    write_department(15, 3, ANCHOR, activity=False)
    write_activity(Patient.objects.all(), 3, ANCHOR)
    first = snapshot()
    Alert.objects.all().delete()
    Response.objects.all().delete()
    Enrolment.objects.all().delete()
    write_activity(Patient.objects.all(), 3, ANCHOR)
    assert snapshot() == first


def test_a_second_run_leaves_patients_in_follow_up_as_they_are(db):
    write_department(15, 3, ANCHOR, activity=False)
    write_activity(Patient.objects.all(), 3, ANCHOR)
    first = snapshot()
    counts = write_activity(Patient.objects.all(), 3, ANCHOR)
    assert counts["enrolments"] == counts["invitations"] == counts["observations"] == 0
    assert snapshot() == first


def test_nothing_happens_later_today_than_the_real_clock_when_the_anchor_is_today(db):
    # The demo generates up to "today": started at 00:27 it wrote answers stamped 11:36 the same day.
    from datetime import UTC, datetime
    from unittest import mock

    from django.utils import timezone

    early = datetime(2026, 6, 1, 0, 27, tzinfo=UTC)
    write_department(300, 3, ANCHOR, activity=False)
    with mock.patch.object(timezone, "now", return_value=early):
        write_activity(Patient.objects.all(), 3, ANCHOR)
    assert Response.objects.exists()
    assert not Response.objects.filter(submitted_at__gt=early).exists()
    assert not Observation.objects.filter(observed_at__gt=early).exists()
    assert not Alert.objects.filter(created__gt=early).exists()
    assert not Enrolment.objects.filter(enrolled_at__gt=early).exists()
    assert not Invitation.objects.filter(completed_at__gt=early).exists()
