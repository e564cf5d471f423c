"""Who may open a patient link: token lookup, time window, optional second check and rate limiting.

A link is the only credential a patient or proxy has, so every way it can fail ends in a page that says
what to do next and nothing about whose link it was. Guessing is made pointless by the 256-bit token and
slow by counting failures per client address (:class:`~palliro.followup.models.LinkFailure`): after
``FAILURE_LIMIT`` failures in ``FAILURE_WINDOW`` every link request from that address gets a 429 page.
"""

import functools
import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections, router
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.clinic.models import Patient, Proxy, RTCourse
from palliro.followup.models import Enrolment, Invitation, InvitationState, LinkFailure, hash_token
from palliro.followup.rowsql import concrete_names, row_instance, select_columns
from palliro.instruments.models import Instrument

#: Failures (unknown token, wrong year of birth) from one address before it is refused for a while.
FAILURE_LIMIT = 10
FAILURE_WINDOW = timedelta(minutes=15)
#: Failure rows older than this are deleted whenever a new failure is recorded.
FAILURE_RETENTION = timedelta(days=1)

# Invitation.token() is a URL-safe base64 SHA-256 HMAC without padding: 43 characters. Anything else is
# refused before it reaches the database.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class LinkState:
    OPEN = "open"
    UNKNOWN = "unknown"
    NOT_YET_OPEN = "not_yet_open"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class LinkAccess:
    """The outcome of opening a link. ``invitation`` is None unless the token matched an invitation."""

    state: str
    invitation: Invitation | None = None

    @property
    def is_open(self) -> bool:
        return self.state == LinkState.OPEN


def client_address(request) -> str | None:
    """The address failures are counted against.

    REMOTE_ADDR only: behind a reverse proxy the proxy must set it (e.g. gunicorn's forwarded_allow_ips),
    because trusting X-Forwarded-For here would let a guesser pick a fresh address for every try.
    """
    address = request.META.get("REMOTE_ADDR") or None
    if address is not None and len(address) > 45:
        return None
    return address


def is_rate_limited(request) -> bool:
    since = timezone.now() - FAILURE_WINDOW
    return LinkFailure.objects.filter(ip_address=client_address(request), at__gte=since).count() >= FAILURE_LIMIT


def record_failure(request) -> None:
    LinkFailure.objects.filter(at__lt=timezone.now() - FAILURE_RETENTION).delete()
    LinkFailure.objects.create(ip_address=client_address(request))


# The instrument's FHIR resource (up to ~185 kB of JSON) stays deferred: Instrument.questionnaire() parses it
# once per process and version and reads it on its own only on that first call.
_LINK_MODELS = (
    ("i", Invitation, concrete_names(Invitation)),
    ("p", Patient, concrete_names(Patient)),
    ("s", Site, concrete_names(Site)),
    ("x", Proxy, concrete_names(Proxy)),
    ("q", Instrument, concrete_names(Instrument, skip=("resource",))),
    # Where the follow-up of the invitation's course began (triage's baseline, on the final "send"): read
    # here rather than by one more statement inside the submission. The course's other fields stay deferred.
    ("e", Enrolment, concrete_names(Enrolment)),
    ("c", RTCourse, ("id", "first_fraction_date")),
)


@functools.cache
def _find_invitation_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    models = {name: model for name, model, _ in _LINK_MODELS}
    table = {name: qn(model._meta.db_table) for name, model in models.items()}

    def col(name: str, field: str) -> str:
        return f"{name}.{qn(models[name]._meta.get_field(field).column)}"

    return (
        f"SELECT {', '.join(select_columns(model, name, names) for name, model, names in _LINK_MODELS)} "
        f"FROM {table['i']} i JOIN {table['p']} p ON {col('p', 'id')} = {col('i', 'patient')} "
        f"JOIN {table['s']} s ON {col('s', 'id')} = {col('p', 'site')} "
        f"JOIN {table['q']} q ON {col('q', 'id')} = {col('i', 'instrument')} "
        f"LEFT JOIN {table['x']} x ON {col('x', 'id')} = {col('i', 'proxy')} "
        f"LEFT JOIN {table['e']} e ON {col('e', 'id')} = {col('i', 'enrolment')} "
        f"LEFT JOIN {table['c']} c ON {col('c', 'id')} = {col('e', 'course')} "
        f"WHERE {col('i', 'token_hash')} = %s"
    )


def find_invitation(token: str) -> Invitation | None:
    """The invitation of a link with its patient (and site), proxy, instrument and enrolment (with the
    course's first fraction), in one plain-SQL join.

    Every patient page and the final "send" start here, so this is one statement through the cursor
    rather than an ORM ``select_related`` (2 ms of query compilation per request; see ``rowsql``).
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    connection = connections[router.db_for_read(Invitation)]
    sql = _find_invitation_sql(connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_token(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    found, start = {}, 0
    for alias, model, names in _LINK_MODELS:
        values = row[start:start + len(names)]
        start += len(names)
        found[alias] = None if values[0] is None else row_instance(model, names, values, connection)
    invitation, patient = found["i"], found["p"]
    Patient._meta.get_field("site").set_cached_value(patient, found["s"])
    Invitation._meta.get_field("patient").set_cached_value(invitation, patient)
    Invitation._meta.get_field("proxy").set_cached_value(invitation, found["x"])
    Invitation._meta.get_field("instrument").set_cached_value(invitation, found["q"])
    Invitation._meta.get_field("enrolment").set_cached_value(invitation, found["e"])
    if found["e"] is not None:
        Enrolment._meta.get_field("course").set_cached_value(found["e"], found["c"])
    return invitation


def link_state(invitation: Invitation, now) -> str:
    """Whether a found invitation may be answered at ``now``, and if not, why not."""
    if invitation.state == InvitationState.COMPLETED:
        return LinkState.COMPLETED
    if invitation.state == InvitationState.CANCELLED:
        return LinkState.CANCELLED
    if invitation.state == InvitationState.EXPIRED or now >= invitation.expires_at:
        return LinkState.EXPIRED
    if now < invitation.due_at:
        return LinkState.NOT_YET_OPEN
    return LinkState.OPEN


def open_link(request, token: str) -> LinkAccess:
    """Resolve a token to an invitation and say whether it may be answered now.

    Unknown tokens count as failures; a known token in the wrong state does not (its holder is not guessing).
    """
    if is_rate_limited(request):
        return LinkAccess(LinkState.RATE_LIMITED)
    invitation = find_invitation(token)
    if invitation is None:
        record_failure(request)
        return LinkAccess(LinkState.UNKNOWN)
    return LinkAccess(link_state(invitation, timezone.now()), invitation)


# --- second check ----------------------------------------------------------------------------------

def _session_key(invitation: Invitation) -> str:
    return f"palliro-link-checked-{invitation.pk}"


def needs_second_check(request, invitation: Invitation) -> bool:
    """True when the site asks for a second check and this browser session has not passed it."""
    if invitation.patient.site.link_check != "birth_year":
        return False
    return not request.session.get(_session_key(invitation), False)


def check_birth_year(request, invitation: Invitation, year: int) -> bool:
    """Compare the patient's year of birth (also for proxies); a wrong year counts as a failure."""
    if invitation.patient.birth_date is not None and invitation.patient.birth_date.year == year:
        request.session.cycle_key()  # a fresh session id once the second factor is passed
        request.session[_session_key(invitation)] = True
        return True
    record_failure(request)
    return False
