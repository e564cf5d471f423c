"""Two endpoints for bench/bench_submit.py, mounted only with PALLIRO_BENCH=1 (see urls.py).

``bench_submit`` does what the patient's final "send" does at the service level: find the invitation by its
link's hash and store the answers with ``submit()`` (response, FHIR QuestionnaireResponse, observations and
the ``response_completed`` signal, all in one transaction). ``bench_bare`` is the yardstick the design names:
a Django view that inserts one row. ``bench_rows`` is the floor the data model sets: it only writes what a
submission must store (the draft completed with its FHIR document, 24 observations, the invitation) in one
transaction, with the document and the observation values computed once per process and no link look-up,
validation or triage. All three run through the full middleware stack of the same server.
"""

import contextlib
import json
import uuid

from django.db import connections, router, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from palliro.clinic.models import Patient
from palliro.core.questionnaire import to_questionnaire_response
from palliro.followup.linkaccess import LinkState, find_invitation, link_state
from palliro.followup.models import Invitation, LinkFailure, Response, ResponseStatus
from palliro.followup.submission import SubmissionError, observation_rows, submit
from palliro.followup.submission_sql import write_submission
from palliro.instruments.models import Instrument


def _payload(request) -> tuple[uuid.UUID, dict] | None:
    """(submission id, answers) of a bench request's JSON body, None if it is not one."""
    try:
        payload = json.loads(request.body)
        return uuid.UUID(payload["submission_id"]), dict(payload["answers"])
    except (ValueError, KeyError, TypeError):
        return None


@csrf_exempt
@require_POST
def bench_submit(request, token):
    # The same lookup and window check as the patient's pages (without their rate limit and session).
    invitation = find_invitation(token)
    if invitation is None or link_state(invitation, timezone.now()) != LinkState.OPEN:
        return HttpResponse(status=404)
    parsed = _payload(request)
    if parsed is None:
        return JsonResponse({"error": "bad payload"}, status=400)
    submission_id, answers = parsed
    try:
        result = submit(
            instrument=invitation.instrument, patient=invitation.patient, respondent=invitation.respondent,
            answers=answers, submission_id=submission_id, language="en", invitation=invitation,
            proxy=invitation.proxy,
        )
    except SubmissionError as exc:
        return JsonResponse({"errors": exc.errors}, status=422)
    return JsonResponse({"response": result.response.pk, "created": result.created})


@csrf_exempt
@require_POST
def bench_bare(request):
    row = LinkFailure.objects.create(ip_address=request.META.get("REMOTE_ADDR"))
    return JsonResponse({"id": row.pk})


_FLOOR: dict[tuple, tuple] = {}


def _floor_values(instrument_id: int, answers: dict) -> tuple:
    """The FHIR document and observation rows of ``answers``, made once per process and answer set (the
    floor leaves out what ``submit`` computes per request)."""
    key = (instrument_id, json.dumps(answers, sort_keys=True))
    if key not in _FLOOR:
        instrument = Instrument.objects.get(pk=instrument_id)
        questionnaire = instrument.questionnaire()
        document = to_questionnaire_response(questionnaire, answers, "en", "Patient/bench", timezone.now(),
                                             author_ref="Patient/bench", trusted=True)
        _FLOOR[key] = (document, observation_rows(instrument, questionnaire, answers))
    return _FLOOR[key]


def write_floor(invitation_id: int, patient_id: int, instrument_id: int, submission_id: uuid.UUID, answers: dict,
                *, document: dict | None, rows: list, atomic: bool = True) -> Response:
    """Only the writes of a submission, with given document and observation rows. ``atomic`` False runs them
    without a transaction of their own (on PostgreSQL one statement, which is its own transaction): for
    bench/bench_submit_statements.py, which prices each part."""
    now = timezone.now()
    with transaction.atomic() if atomic else contextlib.nullcontext():
        return write_submission(
            connections[router.db_for_write(Response)],
            new=dict(invitation=Invitation(pk=invitation_id), patient=Patient(pk=patient_id),
                     instrument=Instrument(pk=instrument_id), respondent="patient", proxy=None),
            completed=dict(questionnaire_response=document, answers=answers, status=ResponseStatus.COMPLETED,
                           submission_id=submission_id, language="en", entered_by=None, submitted_at=now,
                           replaces=None),
            now=now, invitation_id=invitation_id, observations=rows,
        )


@csrf_exempt
@require_POST
def bench_rows(request, invitation_id, patient_id, instrument_id):
    parsed = _payload(request)
    if parsed is None:
        return JsonResponse({"error": "bad payload"}, status=400)
    submission_id, answers = parsed
    document, rows = _floor_values(instrument_id, answers)
    response = write_floor(invitation_id, patient_id, instrument_id, submission_id, answers, document=document,
                           rows=rows)
    return JsonResponse({"response": response.pk, "created": True})
