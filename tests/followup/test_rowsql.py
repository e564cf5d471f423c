"""Plain-SQL row helpers (palliro.followup.rowsql): the rows they write and read are the ORM's rows."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from palliro.followup.models import Invitation, Response
from palliro.followup.rowsql import insert_row, row_instance, select_columns, update_rows
from tests.followup.staff_fixtures import make_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(ann):
    return make_invitation(ann, timezone.now() - timedelta(hours=1))


def _values(invitation, **extra):
    return dict(invitation=invitation, patient=invitation.patient, instrument=invitation.instrument,
                respondent="patient", answers={"pain-worst": "3", "note": "ça va"},
                submission_id=uuid.uuid4(), status="completed", submitted_at=timezone.now(), **extra)


def test_insert_row_writes_what_save_writes(invitation, cas):
    now = timezone.now()
    raw = Response.objects.get(pk=insert_row(Response, _values(invitation), now))
    other = make_invitation(cas, timezone.now() - timedelta(hours=1))
    saved = Response.objects.create(**_values(other))
    skip = {"id", "invitation", "patient", "submission_id", "submitted_at", "started_at", "updated_at"}
    assert {k: v for k, v in model_to_dict(raw).items() if k not in skip} == \
        {k: v for k, v in model_to_dict(saved).items() if k not in skip}
    assert raw.page == 0 and raw.language == "en" and raw.started_at == raw.updated_at == now  # defaults


def test_update_rows_counts_or_returns_the_changed_rows(invitation):
    assert update_rows(Invitation, {"state": "sent"}, {"id": invitation.pk}) == 1
    assert update_rows(Invitation, {"state": "sent"}, {"id": invitation.pk + 1000}) == 0
    [changed] = update_rows(Invitation, {"reminders_sent": 2}, {"id": invitation.pk},
                            returning=("reminders_sent", "id", "due_at"))
    assert (changed.pk, changed.reminders_sent, changed.due_at) == (invitation.pk, 2, invitation.due_at)
    assert changed.get_deferred_fields() >= {"state", "expires_at"}


def test_row_instance_converts_columns_named_in_any_order(invitation):
    names = ("expires_at", "id", "state", "due_at")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select_columns(Invitation, 'i', names)} FROM followup_invitation i")
        row = cursor.fetchone()
    found = row_instance(Invitation, names, row, connection)
    assert (found.pk, found.state, found.due_at, found.expires_at) == (
        invitation.pk, invitation.state, invitation.due_at, invitation.expires_at)
    assert found.due_at.tzinfo is not None
    found.refresh_from_db(fields=["step_label"])  # deferred fields load on demand
    assert found.step_label == invitation.step_label


def test_update_rows_returns_rows_without_returning_support(invitation, monkeypatch):
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    [changed] = update_rows(Invitation, {"reminders_sent": 3}, {"id": invitation.pk},
                            returning=("id", "reminders_sent"))
    assert (changed.pk, changed.reminders_sent) == (invitation.pk, 3)
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 3
    assert update_rows(Invitation, {"reminders_sent": 4}, {"id": invitation.pk + 1000}, returning=("id",)) == []
