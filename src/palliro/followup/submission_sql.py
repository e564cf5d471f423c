"""The writes of one submission: the response (a completed draft or a new row), its observations and the
invitation marked completed.

Two implementations with one contract, chosen by the database: on PostgreSQL a single statement
(data-modifying common table expressions), elsewhere four plain statements. Both run inside the caller's
transaction and neither reads first: a retry of the same submission or a second submission of the
invitation breaks a unique constraint (``submission_id``; one completed response per invitation) and the
caller returns the stored winner.

Why one statement on PostgreSQL: every statement costs a round trip plus parsing and planning in the
server, and on the patient's "send" those costs, not the writing, were most of the time (bench/README.md,
"Submission throughput"). tests/followup/test_submission_sql.py runs the same checks against both.
"""

import functools

from django.db import connections

from palliro.followup.models import Invitation, InvitationState, Observation, Response, ResponseStatus
from palliro.followup.rowsql import (
    fields_of,
    full_row,
    insert_row,
    insert_rows,
    prep,
    row_instance,
    update_rows,
)

#: Read back from the stored row: what the caller's values do not already say.
RETURNED = ("id", "started_at", "page")
_OBSERVATION_FIXED = ("patient", "response", "observed_at", "respondent")
_OBSERVATION_VARYING = ("code", "value")


def write_submission(connection, *, new: dict, completed: dict, now, invitation_id, observations) -> Response:
    """Store the response and its observations; returns the stored response.

    ``completed``: the fields a draft gets on completion (also part of a new row); ``new``: the other fields
    of a new row; ``observations``: (code, value) pairs.
    """
    write = _one_statement if connection.vendor == "postgresql" else _statements
    response = write(connection, new, completed, now, invitation_id, observations)
    for name, value in {**new, **completed, "updated_at": now}.items():
        setattr(response, name, value)
    response._state.adding = False
    return response


def _statements(connection, new, completed, now, invitation_id, observations):
    drafts = []
    if invitation_id is not None:
        drafts = update_rows(Response, {**completed, "updated_at": now},
                             {"invitation": invitation_id, "status": ResponseStatus.IN_PROGRESS}, returning=RETURNED)
    if drafts:
        response = drafts[0]
    else:
        response = Response(pk=insert_row(Response, {**new, **completed}, now), started_at=now, page=0)
    insert_rows(Observation, {"patient": new["patient"], "response": response.pk, "observed_at": now,
                              "respondent": new["respondent"]}, _OBSERVATION_VARYING, observations)
    if invitation_id is not None:
        update_rows(Invitation, {"state": InvitationState.COMPLETED, "completed_at": now}, {"id": invitation_id})
    return response


@functools.cache
def _one_statement_sql(alias: str, changed: frozenset) -> str:
    """The statement for a database alias and the set of fields a completed draft gets (built once)."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    fields = [f for f in Response._meta.concrete_fields if f is not Response._meta.pk]
    columns = [qn(f.column) for f in fields]
    returned = ", ".join(qn(f.column) for f in fields_of(Response, RETURNED))
    obs_fixed, obs_varying = fields_of(Observation, _OBSERVATION_FIXED), fields_of(Observation, _OBSERVATION_VARYING)
    inv_state, inv_completed, inv_pk = fields_of(Invitation, ("state", "completed_at", "id"))
    response_table = qn(Response._meta.db_table)
    invitation_col, status_col = (qn(f.column) for f in fields_of(Response, ("invitation", "status")))
    return f"""
        WITH v ({", ".join(columns)}) AS (VALUES ({", ".join(f"%s::{f.db_type(connection)}" for f in fields)})),
        draft AS (
            UPDATE {response_table} r
            SET {", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields if f.name in changed)}
            FROM v WHERE r.{invitation_col} = %s AND r.{status_col} = %s
            RETURNING {", ".join(f"r.{qn(f.column)}" for f in fields_of(Response, RETURNED))}
        ),
        created AS (
            INSERT INTO {response_table} ({", ".join(columns)})
            SELECT {", ".join(f"v.{c}" for c in columns)} FROM v WHERE NOT EXISTS (SELECT 1 FROM draft)
            RETURNING {returned}
        ),
        stored AS (SELECT {returned} FROM draft UNION ALL SELECT {returned} FROM created),
        observations AS (
            INSERT INTO {qn(Observation._meta.db_table)} ({", ".join(qn(f.column) for f in obs_fixed + obs_varying)})
            SELECT %s, stored.{qn(Response._meta.pk.column)}, %s, %s, u.*
            FROM stored, unnest({", ".join(f"%s::{f.db_type(connection)}[]" for f in obs_varying)}) AS u
        ),
        completed_invitation AS (
            UPDATE {qn(Invitation._meta.db_table)} SET {qn(inv_state.column)} = %s, {qn(inv_completed.column)} = %s
            WHERE {qn(inv_pk.column)} = %s
        )
        SELECT {returned} FROM stored
    """


def _one_statement(connection, new, completed, now, invitation_id, observations):
    sql = _one_statement_sql(connection.alias, frozenset(completed) | {"updated_at"})
    fields, values = full_row(Response, {**new, **completed}, now)
    obs_fixed = fields_of(Observation, _OBSERVATION_FIXED)
    inv_state, inv_completed = fields_of(Invitation, ("state", "completed_at"))
    params = [
        *prep(fields, values, connection),
        invitation_id, ResponseStatus.IN_PROGRESS,
        *prep(obs_fixed[:1], [new["patient"]], connection),
        *prep(obs_fixed[2:], [now, new["respondent"]], connection),
        # Codes and values as observation_rows() makes them (str, float): what the two fields store as is.
        [str(code) for code, _ in observations], [float(value) for _, value in observations],
        *prep([inv_state, inv_completed], [InvitationState.COMPLETED, now], connection), invitation_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row_instance(Response, RETURNED, row, connection)
