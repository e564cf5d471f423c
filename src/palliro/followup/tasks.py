"""Background work: send due invitations, remind on a cadence, expire what closed.

Cadence: the invitation goes out when it becomes due; reminders follow at the days in
``settings.PALLIRO_REMINDER_DAYS`` (default ``(2, 5)``) counted from the due date, at the same local time of
day, until the questionnaire is completed, cancelled or expires. ``reminders_sent`` counts the reminder slots
already used, so a slot is never used twice however often (or however many workers) run a pass; a pass that
comes late sends one reminder for all the slots it missed, never a burst.

Quiet hours: nobody gets a symptom question at night. The worker sends invitations and reminders only in
the daytime of the patient's site (``settings.PALLIRO_SEND_WINDOW``, default ``(8, 21)``: from 08:00 up to
21:00 in the site's time zone, see :func:`is_daytime`). Outside it a due invitation or reminder waits for the
next pass in the morning; one whose window closes before then (a window closing at 23:00 that was due in the
evening) is not sent at all and expires unsent, because waking the patient is worse than one missed time
point. A staff member's "send now" is an explicit action and sends at any hour.

Concurrency: each invitation is handled in its own transaction that locks its row first. On PostgreSQL the
lock is ``SELECT … FOR UPDATE SKIP LOCKED``: a second worker passes over rows the first holds. On SQLite the
project's IMMEDIATE transactions take the database write lock at BEGIN, so passes queue; the state is read
again under the lock in both cases. A message is sent inside that transaction and the row updated after it:
if sending raises, nothing is recorded and the next pass tries again (at least once, never silently lost).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from palliro.followup.models import OPEN_INVITATION_STATES, Invitation, InvitationState, Respondent
from palliro.followup.notifications import Channel, deliver

logger = logging.getLogger("palliro.followup")

DEFAULT_REMINDER_DAYS = (2, 5)
#: Daytime (whole hours, local to the site): the worker sends from the first hour until the second.
DEFAULT_SEND_WINDOW = (8, 21)


class CadenceError(ValueError):
    def __init__(self, message: str, field: str = "PALLIRO_REMINDER_DAYS"):
        self.field = field
        super().__init__(message)


def reminder_days() -> tuple[int, ...]:
    """The configured cadence, validated: strictly increasing whole days after the due date."""
    days = tuple(getattr(settings, "PALLIRO_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))
    if any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in days):
        raise CadenceError(f"PALLIRO_REMINDER_DAYS must hold whole days of at least 1, got {days!r}")
    if list(days) != sorted(set(days)):
        raise CadenceError(f"PALLIRO_REMINDER_DAYS must be strictly increasing, got {days!r}")
    return days


def send_window() -> tuple[time, time]:
    """The configured daytime as (start, end) local times: 0 <= start < end <= 24 whole hours."""
    window = tuple(getattr(settings, "PALLIRO_SEND_WINDOW", DEFAULT_SEND_WINDOW))
    if (len(window) != 2 or any(not isinstance(h, int) or isinstance(h, bool) for h in window)
            or not 0 <= window[0] < window[1] <= 24):
        raise CadenceError(
            f"PALLIRO_SEND_WINDOW must be two whole hours 'from-until' with 0 <= from < until <= 24, got {window!r}",
            field="PALLIRO_SEND_WINDOW")
    start, end = window
    return time(start), time.max if end == 24 else time(end)


def is_daytime(now: datetime, zone_name: str | None) -> bool:
    """Whether ``now`` is inside the send window on the wall clock of the site whose zone is ``zone_name``."""
    from palliro.accounts.models import Site

    start, end = send_window()
    local = timezone.localtime(now, Site.zone_named(zone_name)).time()
    return start <= local < end


@dataclass(frozen=True)
class DispatchResult:
    invitations_sent: int
    reminders_sent: int
    expired: int
    failed: int
    no_channel: int

    def as_dict(self) -> dict:
        return {
            "invitations_sent": self.invitations_sent, "reminders_sent": self.reminders_sent,
            "expired": self.expired, "failed": self.failed, "no_channel": self.no_channel,
        }


def slots_due(invitation: Invitation, now: datetime, days: tuple[int, ...]) -> int:
    """How many reminder slots have started by ``now``, in the wall-clock time of the patient's site."""
    zone = ZoneInfo(invitation.patient.site.timezone)
    due_local = timezone.localtime(invitation.due_at, zone)
    # Adding days to an aware local time keeps the time of day across a daylight-saving change.
    return sum(1 for d in days if (due_local + timedelta(days=d)) <= now)


def expire_closed(now: datetime) -> int:
    return Invitation.objects.filter(state__in=OPEN_INVITATION_STATES, expires_at__lte=now).update(state=InvitationState.EXPIRED)


def _candidates(now: datetime, days: tuple[int, ...]) -> list[int]:
    # The query narrows with a day of slack (daylight-saving shifts); slots_due decides exactly under the lock.
    wanted = Q(state=InvitationState.SCHEDULED)
    for k, day in enumerate(days):
        wanted |= Q(state=InvitationState.SENT, reminders_sent=k, due_at__lte=now - timedelta(days=day) + timedelta(days=1))
    rows = (
        Invitation.objects.filter(wanted, due_at__lte=now, expires_at__gt=now)
        .exclude(respondent=Respondent.STAFF)  # staff time points are phone interviews: nothing to send
        .order_by("due_at", "pk")
        .values_list("pk", "patient__site__timezone")
    )
    # Quiet hours: at night in the patient's site nothing goes out; it waits for the morning's passes.
    daytime: dict[str | None, bool] = {}
    return [pk for pk, zone in rows if daytime.setdefault(zone, is_daytime(now, zone))]


def _lock(pk: int) -> Invitation | None:
    rows = Invitation.objects.filter(pk=pk, state__in=OPEN_INVITATION_STATES)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return rows.select_related("patient__site", "proxy", "instrument").first()


def process(pk: int, now: datetime, days: tuple[int, ...], *, manual: bool = False) -> str:
    """Send what one invitation needs at ``now``; returns 'invitation', 'reminder', 'none' or 'no_channel'.

    ``manual`` is the staff member's "send now": it sends at any hour (quiet hours are for the worker), opens
    a scheduled single time point early (its window starts now; it keeps its closing time) or repeats the link
    of a sent one without using up a reminder slot. A diary day is never opened early (see
    :func:`opens_early`): its link would answer for the wrong day; it returns 'not_yet_open'.
    """
    with transaction.atomic():
        invitation = _lock(pk)
        if invitation is None or invitation.expires_at <= now:
            return "none"
        if not manual and not is_daytime(now, invitation.patient.site.timezone):
            return "none"
        fields = []
        if invitation.state == InvitationState.SCHEDULED:
            if invitation.due_at > now:
                if not manual:
                    return "none"
                if not opens_early(invitation):
                    return "not_yet_open"
                logger.info("Invitation %s opened early by send now: due %s, now %s", pk, invitation.due_at, now)
                invitation.due_at = now
                fields.append("due_at")
            kind = "invitation"
            new_slots = slots_due(invitation, now, days)
        else:
            used = invitation.reminders_sent
            new_slots = slots_due(invitation, now, days)
            if new_slots <= used and not manual:
                return "none"
            kind = "reminder"
            new_slots = max(new_slots, used)
        channel = deliver(invitation, kind)
        invitation.state = InvitationState.SENT
        invitation.channel = channel
        invitation.last_contact_at = now
        fields += ["state", "channel", "last_contact_at"]
        if kind == "invitation":
            invitation.sent_at = now
            fields.append("sent_at")
        if new_slots != invitation.reminders_sent:
            invitation.reminders_sent = new_slots
            fields.append("reminders_sent")
        invitation.save(update_fields=fields)
    return "no_channel" if channel == Channel.NONE else kind


def dispatch_due(now: datetime | None = None) -> DispatchResult:
    """One pass: expire closed windows, send due invitations and reminders. Safe to run at any time."""
    now = now or timezone.now()
    days = reminder_days()
    send_window()  # a misconfigured window fails every pass, not only the ones that find something to send
    expired = expire_closed(now)
    counts = {"invitation": 0, "reminder": 0, "none": 0, "no_channel": 0}
    failed = 0
    for pk in _candidates(now, days):
        try:
            counts[process(pk, now, days)] += 1
        except Exception:
            # One unreachable mail server or broken number must not stop everybody else's invitation.
            logger.exception("Sending invitation %s failed; it will be tried again on the next pass", pk)
            failed += 1
    return DispatchResult(counts["invitation"], counts["reminder"], expired, failed, counts["no_channel"])


def opens_early(invitation: Invitation) -> bool:
    """Whether staff may open this invitation before its due time with "send now".

    A single time point (week 1, month 3 …) may: the patient answers it now and the link stays open until its
    window closes as planned. A day of a daily diary may not: its due day *is* what the answer is about, and
    rescheduling keys diary invitations on that day.
    """
    if invitation.step_id is None:
        return True
    return not invitation.step.repeat_until_anchor


def send_now(pk: int, now: datetime | None = None) -> str:
    """Staff's "send now" for one invitation: see :func:`process`."""
    return process(pk, now or timezone.now(), reminder_days(), manual=True)


@task
def dispatch_due_invitations() -> dict:
    """The periodic pass, enqueued by ``palliro worker``'s scheduler."""
    return dispatch_due().as_dict()


@task
def send_invitation(invitation_id: int) -> str:
    return send_now(invitation_id)


#: Finished task results are kept this long for diagnosis, failed ones longer; then the worker deletes them.
KEEP_SUCCESSFUL_TASKS = timedelta(days=14)
KEEP_FAILED_TASKS = timedelta(days=90)


@task
def prune_task_results() -> int:
    """Delete finished task results past their keeping time; returns how many (enqueued daily by the worker).

    The worker's periodic passes alone leave thousands of finished rows a day in the task table.
    """
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    old = Q(status="SUCCESSFUL", finished_at__lt=now - KEEP_SUCCESSFUL_TASKS) | Q(
        status="FAILED", finished_at__lt=now - KEEP_FAILED_TASKS)
    deleted, _ = DBTaskResult.objects.filter(old).delete()
    return deleted
