"""Drafts and exactly-once submission of responses.

``submit`` writes the response, its FHIR QuestionnaireResponse, its observations and (through the
``response_completed`` signal, received by triage) its alerts in one transaction. Retries and double clicks
carry the same submission id and get the stored response back; two different submissions for one invitation
are stopped by the database constraint, whichever arrives second.
"""

import logging
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connections, router, transaction
from django.dispatch import Signal
from django.utils import timezone

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire import to_questionnaire_response, validate_answers
from palliro.core.scoring import SCORERS, observations
from palliro.followup.models import Invitation, InvitationState, Response, ResponseStatus
from palliro.followup.submission_sql import write_submission

logger = logging.getLogger(__name__)

#: Sent inside the submission transaction with ``response``; receivers must not swallow errors.
response_completed = Signal()


class SubmissionError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class SubmissionResult:
    response: Response
    created: bool


def _clean_answers(questionnaire, answers: dict) -> dict:
    return {k: v for k, v in answers.items() if v not in (None, "", [])}


@transaction.atomic
def save_draft(invitation: Invitation, answers: dict, page: int, language: str) -> Response:
    """Merge the answers of one page into the invitation's draft; creates the draft on first save."""
    draft = Response.objects.filter(invitation=invitation, status=ResponseStatus.IN_PROGRESS).first()
    if draft is None:
        try:
            with transaction.atomic():
                draft = Response.objects.create(
                    invitation=invitation, patient_id=invitation.patient_id, instrument_id=invitation.instrument_id,
                    respondent=invitation.respondent, proxy_id=invitation.proxy_id, language=language,
                )
        except IntegrityError:
            # A parallel request created it first.
            draft = Response.objects.get(invitation=invitation, status=ResponseStatus.IN_PROGRESS)
    merged = dict(draft.answers)
    for key, value in answers.items():
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value
    draft.answers, draft.page, draft.language = merged, page, language
    draft.save(update_fields=["answers", "page", "language", "updated_at"])
    return draft


def observation_rows(instrument, questionnaire, answers: dict) -> list[tuple[str, float]]:
    """Numeric value of every answered item, plus scale scores when the instrument has a scorer."""
    rows = []
    for item in questionnaire.questions:
        if item.link_id in answers:
            value = item.value_of(answers[item.link_id])
            if value is not None:
                rows.append((f"{instrument.code}/{item.link_id}", float(value)))
    if instrument.scorer_code and instrument.scorer_code in SCORERS:
        scorer = SCORERS[instrument.scorer_code]
        # Only the items the scoring manual knows: a questionnaire may ask more (who answered, free text,
        # interventions tried), and the scorer rejects any item it does not define.
        scored_items = {str(item.key).casefold() for item in scorer.definition.items}
        numeric = {}
        for item in questionnaire.questions:
            if item.link_id in answers and item.link_id.casefold() in scored_items:
                value = item.value_of(answers[item.link_id])
                numeric[item.link_id] = None if value is None else int(value)
        try:
            scored = scorer.score(numeric)
        except PalliroValueError as error:
            # The answers were valid for the questionnaire, so this is an instrument set up with a scorer
            # that does not fit it; the answers are still stored, the scores are not, and it is logged.
            logger.error("%s: answers not scored by %s: %s", instrument.code, instrument.scorer_code, error)
            scored = None
        if scored is not None:
            rows.extend((code, float(value)) for code, value in observations(scored))
    return rows


def submit(
    *, instrument, patient, respondent: str, answers: dict, submission_id: uuid.UUID, language: str,
    invitation: Invitation | None = None, proxy=None, entered_by=None, replaces: Response | None = None,
) -> SubmissionResult:
    """Store a completed response exactly once. Raises SubmissionError with per-item messages if invalid."""
    questionnaire = instrument.questionnaire()
    answers = _clean_answers(questionnaire, answers)
    errors = validate_answers(questionnaire, answers, language, complete=True)
    if errors:
        raise SubmissionError(errors)
    try:
        with transaction.atomic():
            return _store(instrument, questionnaire, patient, respondent, answers, submission_id, language,
                          invitation, proxy, entered_by, replaces)
    except IntegrityError:
        # Either the same submission id won a race, or another submission completed the invitation.
        winner = Response.objects.filter(submission_id=submission_id).first()
        if winner is None and invitation is not None:
            winner = Response.objects.filter(invitation=invitation, status=ResponseStatus.COMPLETED).first()
        if winner is None:
            raise
        return SubmissionResult(winner, False)


def _store(instrument, questionnaire, patient, respondent, answers, submission_id, language, invitation, proxy,
           entered_by, replaces) -> SubmissionResult:
    """Write the response with its observations and the invitation (``submission_sql``), then let triage raise
    its alerts through ``response_completed``, all in the caller's transaction."""
    now = timezone.now()
    author = f"RelatedPerson/{proxy.pk}" if proxy is not None else (
        f"Practitioner/{entered_by.pk}" if entered_by is not None else f"Patient/{patient.pseudonym}"
    )
    completed = dict(
        questionnaire_response=to_questionnaire_response(
            questionnaire, answers, language, f"Patient/{patient.pseudonym}", now, author_ref=author, trusted=True,
        ),
        answers=answers, status=ResponseStatus.COMPLETED, submission_id=submission_id, language=language,
        entered_by=entered_by, submitted_at=now, replaces=replaces,
    )
    new = dict(invitation=invitation, patient=patient, instrument=instrument, respondent=respondent, proxy=proxy)
    rows = observation_rows(instrument, questionnaire, answers)
    response = write_submission(
        connections[router.db_for_write(Response)], new=new, completed=completed, now=now,
        invitation_id=None if invitation is None else invitation.pk, observations=rows,
    )
    if invitation is not None:
        invitation.state = InvitationState.COMPLETED
        invitation.completed_at = now
    # Receivers (triage) read the values just stored from here instead of querying them back.
    response.observation_values = dict(rows)
    response_completed.send(sender=Response, response=response)
    return SubmissionResult(response, True)
