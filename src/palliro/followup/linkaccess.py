"""Who may open a patient link: token lookup, time window, optional second check and rate limiting.

A link is the only credential a patient or proxy has, so every way it can fail ends in a page that says
what to do next and nothing about whose link it was. Guessing is made pointless by the 256-bit token and
slow by counting failures per client address (:class:`~palliro.followup.models.LinkFailure`): after
``FAILURE_LIMIT`` failures in ``FAILURE_WINDOW`` every link request from that address gets a 429 page.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from palliro.followup.models import Invitation, InvitationState, LinkFailure, hash_token

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


def find_invitation(token: str) -> Invitation | None:
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    return (
        Invitation.objects.select_related("patient__site", "proxy", "instrument")
        # The questionnaire JSON is large and already parsed in this process (Instrument.questionnaire()).
        .defer("instrument__resource")
        .filter(token_hash=hash_token(token))
        .first()
    )


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
    now = timezone.now()
    if invitation.state == InvitationState.COMPLETED:
        return LinkAccess(LinkState.COMPLETED, invitation)
    if invitation.state == InvitationState.CANCELLED:
        return LinkAccess(LinkState.CANCELLED, invitation)
    if invitation.state == InvitationState.EXPIRED or now >= invitation.expires_at:
        return LinkAccess(LinkState.EXPIRED, invitation)
    if now < invitation.due_at:
        return LinkAccess(LinkState.NOT_YET_OPEN, invitation)
    return LinkAccess(LinkState.OPEN, invitation)


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
