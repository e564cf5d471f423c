"""The benchmark endpoints of bench/bench_submit.py: not mounted by default, and they store what they claim."""

import json
import uuid

import pytest
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from palliro.followup import bench_views
from palliro.followup.models import Invitation, InvitationState, Observation, Response, ResponseStatus
from palliro.followup.submission import save_draft
from tests.followup.staff_fixtures import valid_general_answers

pytestmark = pytest.mark.django_db


def post(view, payload: dict, **kwargs):
    request = RequestFactory().post("/", json.dumps(payload), content_type="application/json")
    return view(request, **kwargs)


def stored(response_pk: int) -> tuple:
    response = Response.objects.get(pk=response_pk)
    rows = sorted(Observation.objects.filter(response=response).values_list("code", "value", "respondent"))
    return response, rows


@pytest.mark.parametrize("path", ["/followup/bench/bare/", "/followup/bench/rows/1/1/1/",
                                  "/followup/bench/submit/abc/"])
def test_the_endpoints_are_not_mounted_without_palliro_bench(settings, path):
    if settings.BENCH_ENDPOINTS:
        pytest.skip("PALLIRO_BENCH is set for this run")
    with pytest.raises(Resolver404):
        resolve(path)


def test_the_rows_only_floor_stores_what_a_submission_stores(ann_invitation, ann):
    answers = valid_general_answers(ann_invitation.instrument)
    token = ann_invitation.token()
    save_draft(ann_invitation, answers, page=2, language="en")
    submitted = json.loads(post(bench_views.bench_submit, {"submission_id": str(uuid.uuid4()), "answers": answers},
                                token=token).content)

    other = Invitation.objects.create(patient=ann, respondent="patient", instrument=ann_invitation.instrument,
                                      step_label="week 2", due_at=ann_invitation.due_at,
                                      expires_at=ann_invitation.expires_at, state="sent")
    draft = save_draft(other, answers, page=2, language="en")
    floor = json.loads(post(bench_views.bench_rows, {"submission_id": str(uuid.uuid4()), "answers": answers},
                            invitation_id=other.pk, patient_id=ann.pk, instrument_id=other.instrument_id).content)

    assert floor["response"] == draft.pk  # the draft was completed, not a second row written
    by_submit, submit_rows = stored(submitted["response"])
    by_floor, floor_rows = stored(floor["response"])
    assert floor_rows == submit_rows and len(floor_rows) >= len(answers)
    assert by_floor.status == ResponseStatus.COMPLETED and by_floor.answers == by_submit.answers
    assert by_floor.questionnaire_response["item"] == by_submit.questionnaire_response["item"]
    other.refresh_from_db()
    assert other.state == InvitationState.COMPLETED


def test_the_submit_endpoint_stores_a_retry_once(ann_invitation):
    answers = valid_general_answers(ann_invitation.instrument)
    token = ann_invitation.token()
    payload = {"submission_id": str(uuid.uuid4()), "answers": answers}
    first = json.loads(post(bench_views.bench_submit, payload, token=token).content)
    # The link now leads to a completed questionnaire: the retry is refused before anything is written.
    assert post(bench_views.bench_submit, payload, token=token).status_code == 404
    assert first["created"] is True
    assert Response.objects.filter(invitation=ann_invitation, status=ResponseStatus.COMPLETED).count() == 1


def test_the_submit_endpoint_rejects_a_bad_payload_with_400(ann_invitation):
    token = ann_invitation.token()
    response = post(bench_views.bench_submit, {"answers": {}}, token=token)
    assert response.status_code == 400 and json.loads(response.content) == {"error": "bad payload"}
