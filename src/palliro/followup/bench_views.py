"""Two endpoints for bench/bench_submit.py, mounted only with PALLIRO_BENCH=1 (see urls.py).

``bench_submit`` does what the patient's final "send" does at the service level: find the invitation by its
link's hash and store the answers with ``submit()`` (response, FHIR QuestionnaireResponse, observations and
the ``response_completed`` signal, all in one transaction). ``bench_bare`` is the yardstick the design names:
a Django view that inserts one row. Both run through the full middleware stack of the same server.
"""

import json
import uuid

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from palliro.followup.linkaccess import LinkState, find_invitation, link_state
from palliro.followup.models import LinkFailure
from palliro.followup.submission import SubmissionError, submit


@csrf_exempt
@require_POST
def bench_submit(request, token):
    # The same lookup and window check as the patient's pages (without their rate limit and session).
    invitation = find_invitation(token)
    if invitation is None or link_state(invitation, timezone.now()) != LinkState.OPEN:
        return HttpResponse(status=404)
    try:
        payload = json.loads(request.body)
        submission_id = uuid.UUID(payload["submission_id"])
        answers = dict(payload["answers"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "bad payload"}, status=400)
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
