"""Enrolment, scheduling and rescheduling of invitations."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from palliro.followup.models import (
    OPEN_INVITATION_STATES,
    Anchor,
    Enrolment,
    Invitation,
    InvitationState,
    Protocol,
    ProtocolStep,
    Respondent,
)
from palliro.instruments.models import Instrument

SEND_HOUR = 9  # invitations open at 09:00 local time: nobody should get a symptom question at night


class EnrolmentError(ValueError):
    pass


def site_zone(patient) -> tzinfo:
    """The wall clock of the patient's site: due times, windows and the day of enrolment all follow it."""
    return patient.site.zone if patient.site_id else timezone.get_current_timezone()


def anchor_date(step_anchor: str, enrolment: Enrolment) -> date | None:
    if step_anchor == Anchor.ENROLMENT:
        # In the server's zone an evening enrolment at a site far west would be planned for the next day.
        return timezone.localdate(enrolment.enrolled_at, site_zone(enrolment.patient))
    course = enrolment.course
    if course is None:
        # Follow-up after another intervention (a procedure, best supportive care): the nurse gave its date,
        # and both ends of treatment are that day. An enrolment made before that date existed plans no more
        # than its baseline.
        return enrolment.anchor_date
    if step_anchor == Anchor.FIRST_FRACTION:
        return course.first_fraction_date
    # Until the last fraction is recorded, plan with the expected end of the course.
    return course.last_fraction_date or expected_last_fraction(course)


def expected_last_fraction(course) -> date | None:
    if course.first_fraction_date is None:
        return None
    n = course.fractions_planned
    if course.schedule == "weekly":
        return course.first_fraction_date + timedelta(days=7 * (n - 1))
    if course.schedule == "bid":
        return course.first_fraction_date + timedelta(days=(n - 1) // 2)
    days, day = 0, course.first_fraction_date
    while days < n - 1:  # daily fractions on weekdays only
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return day


def _at(day: date, tz: tzinfo, hour: int = SEND_HOUR) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


def link_window(step: ProtocolStep, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """When the link of a time point on ``day`` opens, and when it closes (the evening ``window_days`` later).

    A day of a daily diary is the exception: its link opens at SEND_HOUR on its day and closes when the next
    day's opens, at SEND_HOUR the next morning (``window_days`` does not apply). So a patient never holds two
    diary links at once, which gave two answers on one day and none on the day before, and an answer given
    after midnight still belongs to the day whose link it came through (see :func:`diary_day`). The diary asks
    about "today", the day the link was sent for; the worker sends no reminder for it (the first reminder
    would fall after the window).
    """
    if step.repeat_until_anchor:
        return _at(day, tz), _at(day + timedelta(days=1), tz)
    return _at(day, tz), _at(day + timedelta(days=step.window_days), tz, hour=23)


def diary_day(due_at: datetime, tz: tzinfo) -> date:
    """The day a diary answer is about: its invitation's day at the site, not the day it was sent in.

    Each diary day's link opens on that day (:func:`link_window`), so the due time's local date is the day; an
    answer to yesterday's link given at 07:00 counts for yesterday, and each day has at most one answer per
    respondent (one invitation per day, one completed response per invitation).
    """
    return timezone.localtime(due_at, tz).date()


def is_diary_day(invitation: Invitation) -> bool:
    """Whether an invitation is one day of a daily diary (a repeating protocol step); reads its step."""
    return invitation.step_id is not None and bool(invitation.step.repeat_until_anchor)


def later_diary_link(invitation: Invitation) -> bool:
    """Whether a later day of the same diary is open or planned for the same respondent."""
    return Invitation.objects.filter(
        step_id=invitation.step_id, patient_id=invitation.patient_id, respondent=invitation.respondent,
        proxy_id=invitation.proxy_id, state__in=OPEN_INVITATION_STATES, due_at__gt=invitation.due_at,
    ).exists()


def planned_days(step: ProtocolStep, enrolment: Enrolment) -> list[date]:
    start = anchor_date(step.anchor, enrolment)
    if start is None:
        return []
    first = start + timedelta(days=step.day_offset)
    if not step.repeat_until_anchor:
        return [first]
    end_anchor = anchor_date(step.repeat_until_anchor, enrolment)
    if end_anchor is None:
        return [first]
    last = end_anchor + timedelta(days=step.repeat_until_offset or 0)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _respondents(step: ProtocolStep, patient) -> list:
    """(respondent kind, proxy) pairs for a step: a proxy step goes to every active, consenting proxy."""
    if step.respondent == Respondent.PROXY:
        return [(Respondent.PROXY, proxy) for proxy in patient.proxies.filter(active=True, consent=True)]
    return [(step.respondent, None)]


def _instrument(code: str) -> Instrument:
    instrument = Instrument.objects.filter(code=code, active=True).order_by("-version").first()
    if instrument is None:
        raise EnrolmentError(f"The protocol needs questionnaire {code!r}, which is not loaded.")
    return instrument


def _build(enrolment: Enrolment, step: ProtocolStep, day: date, respondent: str, proxy,
           instrument: Instrument | None = None) -> Invitation:
    due_at, expires_at = link_window(step, day, site_zone(enrolment.patient))
    return Invitation(
        enrolment=enrolment, step=step, step_label=step.label, patient=enrolment.patient, proxy=proxy,
        respondent=respondent, instrument=instrument or _instrument(step.instrument_code),
        due_at=due_at, expires_at=expires_at,
    )


@transaction.atomic
def enrol(patient, protocol: Protocol, course=None, user=None, anchor_date: date | None = None) -> Enrolment:
    """Enrol a patient and plan every time point of the protocol whose window has not closed.

    With a course the time points follow its fractions. Without one (follow-up after a procedure or best
    supportive care) they count from ``anchor_date``, the intervention or start date the nurse gives (default:
    today at the site). A patient has one active enrolment per protocol and course, and one per protocol
    without a course: checked under a lock on the patient, so two simultaneous requests cannot both enrol.
    """
    if not patient.followup_consent:
        raise EnrolmentError("The patient has not consented to symptom follow-up.")
    if patient.is_dead:
        raise EnrolmentError("The patient has died.")
    if patient.followup_stopped_on:
        raise EnrolmentError("The patient withdrew from follow-up.")
    if course is not None and course.patient_id != patient.pk:
        raise EnrolmentError("The course belongs to another patient.")
    if course is not None and anchor_date is not None:
        raise EnrolmentError("A start date is only given without a course: the course's fractions set the dates.")
    type(patient).objects.select_for_update().filter(pk=patient.pk).first()
    if course is not None and Enrolment.objects.filter(course=course, protocol=protocol, active=True).exists():
        raise EnrolmentError("This course is already enrolled in this protocol.")
    if course is None:
        held = Enrolment.objects.filter(patient=patient, course=None, protocol=protocol, active=True).first()
        if held is not None:
            raise EnrolmentError(
                f"The patient is already enrolled in {protocol.name} without a course (enrolled "
                f"{timezone.localdate(held.enrolled_at, site_zone(patient)):%Y-%m-%d}): stop that enrolment "
                "first, or enrol with a course.")
        anchor_date = anchor_date or timezone.localdate(timezone.now(), site_zone(patient))
    enrolment = Enrolment.objects.create(
        patient=patient, course=course, protocol=protocol, enrolled_by=user, anchor_date=anchor_date)
    invitations = [
        _build(enrolment, step, day, respondent, proxy)
        for step in protocol.steps.all()
        for day in planned_days(step, enrolment)
        for respondent, proxy in _respondents(step, patient)
    ]
    now = timezone.now()
    for invitation in invitations:
        if invitation.expires_at > now:  # a window that already closed is not worth a link
            invitation.save()  # save() derives each link's salt and hash
    return enrolment


@transaction.atomic
def reschedule_course(course, now: datetime | None = None) -> int:
    """Bring the open invitations of a course's enrolments in line with its current dates.

    Afterwards the open invitations are what enrolling the course now would plan: missing time points are
    created, open ones whose day moved are moved, open ones no longer planned are cancelled, and a time point
    whose window has already closed is not planned. Completed and expired invitations never change, and a
    link already sent keeps working for as long as its time point exists. Relatives follow the current list,
    as at enrolment. Returns how many invitations were created, moved or cancelled: a save that changes no
    date (and no relative) changes none.
    """
    now = now or timezone.now()
    changed = 0
    for enrolment in Enrolment.objects.filter(course=course, active=True).select_related("patient__site", "protocol"):
        enrolment.course = course  # the dates just saved, not a copy loaded before the save
        changed += _reschedule(enrolment, now)
    return changed


@transaction.atomic
def replan_protocol(protocol: Protocol, steps: list[ProtocolStep] | None = None,
                    now: datetime | None = None) -> tuple[int, int]:
    """Bring the open invitations of a protocol's active enrolments in line after its steps changed.

    As after a course save (``reschedule_course``): the open invitations become what enrolling now would plan.
    ``steps`` are the steps to plan when not all of the protocol's rows are meant: a caller removing steps
    passes the ones that stay, so that the open links of the others are cancelled before it deletes them.
    Returns (active enrolments, invitations created, moved or cancelled).
    """
    now = now or timezone.now()
    steps = list(protocol.steps.all()) if steps is None else list(steps)
    enrolments = Enrolment.objects.filter(protocol=protocol, active=True).select_related("patient__site", "course")
    count = changed = 0
    for enrolment in enrolments:
        count += 1
        changed += _reschedule(enrolment, now, steps)
    return count, changed


def _reschedule(enrolment: Enrolment, now: datetime, steps: list[ProtocolStep] | None = None) -> int:
    # Locked so that the worker cannot send a link while it is being moved or cancelled (it skips locked rows).
    invitations = list(enrolment.invitations.filter(step__isnull=False).select_for_update())
    groups: dict[tuple, list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        groups[(invitation.step_id, invitation.respondent, invitation.proxy_id)].append(invitation)
    plan = _Plan(enrolment, now, _cancelled_by_staff(invitations))
    changed = 0
    for step in enrolment.protocol.steps.all() if steps is None else steps:
        days = planned_days(step, enrolment)
        for respondent, proxy in _respondents(step, enrolment.patient):
            existing = groups.pop((step.pk, respondent, proxy.pk if proxy else None), [])
            changed += plan.step(step, respondent, proxy, days, existing)
    # Whoever or whatever is left is no longer asked (a relative who withdrew consent, a step taken out of the
    # protocol): their open links are cancelled.
    for existing in groups.values():
        changed += plan.drop(existing)
    return changed


def _cancelled_by_staff(invitations: list[Invitation]) -> set[int]:
    """Invitations a nurse cancelled one by one: a decision that a later course save must not undo.

    The invitation itself keeps no reason for its cancellation (rescheduling cancels too); the audit log does.
    """
    cancelled = [str(i.pk) for i in invitations if i.state == InvitationState.CANCELLED]
    if not cancelled:
        return set()
    events = AuditEvent.objects.filter(action="invitation_cancel", object_type="Invitation", object_id__in=cancelled)
    return {int(pk) for pk in events.values_list("object_id", flat=True)}


class _Plan:
    """Reconciles one enrolment's invitations with its planned days, one (step, respondent) at a time."""

    def __init__(self, enrolment: Enrolment, now: datetime, staff_cancelled: set[int]):
        self.enrolment, self.now, self.staff_cancelled = enrolment, now, staff_cancelled
        self.tz = site_zone(enrolment.patient)

    def day_of(self, invitation: Invitation) -> date:
        return timezone.localtime(invitation.due_at, self.tz).date()

    def step(self, step: ProtocolStep, respondent: str, proxy, days: list[date], existing: list[Invitation]) -> int:
        # A diary's time points are its days; any other step is a single time point, whatever day it falls on,
        # so that a completed "week 1" is not asked again when the first fraction moves.
        slot = (lambda day: day) if step.repeat_until_anchor else (lambda day: None)
        wanted = {slot(day): day for day in days}
        taken, live = set(), []
        for invitation in existing:
            if invitation.is_open and invitation.expires_at > self.now:
                live.append(invitation)
            elif invitation.state != InvitationState.CANCELLED or invitation.pk in self.staff_cancelled:
                # Answered, missed (an open one whose window closed is only waiting for the worker to expire
                # it) or cancelled by staff: the time point has had its chance and is not planned again.
                taken.add(slot(self.day_of(invitation)))
        keep: dict = {}
        spare = []
        # The link the respondent already holds wins over one not yet sent.
        for invitation in sorted(live, key=lambda i: (i.state != InvitationState.SENT, i.due_at, i.pk)):
            here = slot(self.day_of(invitation))
            if here in wanted and here not in taken and here not in keep:
                keep[here] = invitation
            elif here in wanted and invitation.state == InvitationState.SENT:
                continue  # a second delivered link to a time point that still exists keeps working
            else:
                spare.append(invitation)
        changed = 0
        for here, invitation in keep.items():
            if step.repeat_until_anchor and self.day_of(invitation) == wanted[here]:
                changed += self._close_overlap(invitation, step)
            # A delivered link keeps its window: moving it would postpone or close what the respondent holds.
            if invitation.state == InvitationState.SENT or self.day_of(invitation) == wanted[here]:
                continue
            if self._window_closed(step, wanted[here]):
                spare.append(invitation)  # never moved into a closed window; cancelled below
            else:
                changed += self._move(invitation, step, wanted[here])
        missing = sorted(
            day for here, day in wanted.items()
            if here not in keep and here not in taken and not self._window_closed(step, day)
        )
        # Links not yet sent are reused for the missing days rather than cancelled and created anew.
        movable = sorted((i for i in spare if i.state == InvitationState.SCHEDULED), key=lambda i: (i.due_at, i.pk))
        reused = movable[:len(missing)]
        for invitation, day in zip(reused, missing, strict=False):
            changed += self._move(invitation, step, day)
        for invitation in spare:
            if invitation not in reused:
                invitation.state = InvitationState.CANCELLED
                invitation.save(update_fields=["state"])
                changed += 1
        if len(missing) > len(movable):
            instrument = _instrument(step.instrument_code)
            for day in missing[len(movable):]:
                _build(self.enrolment, step, day, respondent, proxy, instrument).save()
                changed += 1
        return changed

    def drop(self, existing: list[Invitation]) -> int:
        """Cancel the links still open of a time point no longer planned (answered and missed ones stay)."""
        changed = 0
        for invitation in existing:
            if invitation.is_open and invitation.expires_at > self.now:
                invitation.state = InvitationState.CANCELLED
                invitation.save(update_fields=["state"])
                changed += 1
        return changed

    def _window_closed(self, step: ProtocolStep, day: date) -> bool:
        return link_window(step, day, self.tz)[1] <= self.now

    def _close_overlap(self, invitation: Invitation, step: ProtocolStep) -> int:
        """Close a diary day's link when the next day's opens, if it was planned to stay open longer (before
        diary windows ended there): even a delivered link, since a second open diary link is the fault."""
        closes = link_window(step, self.day_of(invitation), self.tz)[1]
        if invitation.expires_at <= closes:
            return 0
        invitation.expires_at = closes
        invitation.save(update_fields=["expires_at"])
        return 1

    def _move(self, invitation: Invitation, step: ProtocolStep, day: date) -> int:
        invitation.due_at, invitation.expires_at = link_window(step, day, self.tz)
        invitation.save(update_fields=["due_at", "expires_at"])
        return 1


@transaction.atomic
def stop_enrolment(enrolment: Enrolment, reason: str) -> int:
    """Stop one enrolment: its open invitations are cancelled, everything answered stays; returns how many.

    The patient's other enrolments go on (``stop_followup`` stops them all).
    """
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if not locked.active:
        raise EnrolmentError("This enrolment has already been stopped.")
    reason = reason.strip()
    if not reason:
        raise EnrolmentError("Give the reason for stopping this enrolment.")
    locked.active, locked.stopped_reason = False, reason[:120]
    locked.save(update_fields=["active", "stopped_reason"])
    enrolment.active, enrolment.stopped_reason = locked.active, locked.stopped_reason
    return locked.invitations.filter(state__in=OPEN_INVITATION_STATES).update(state=InvitationState.CANCELLED)


@transaction.atomic
def stop_followup(patient, reason: str) -> int:
    """Cancel every open invitation of a patient (death, withdrawal); returns how many were cancelled."""
    Enrolment.objects.filter(patient=patient, active=True).update(active=False, stopped_reason=reason[:120])
    return Invitation.objects.filter(
        patient=patient, state__in=OPEN_INVITATION_STATES
    ).update(state=InvitationState.CANCELLED)


@transaction.atomic
def relative_changed(proxy) -> int:
    """Bring a relative's invitations in line after the relative was added or edited.

    A relative who is no longer active or withdrew consent gets no more links: their open invitations are
    cancelled, those of the protocols and the extra ones staff sent alike. A relative added (or back) gets the
    time points still ahead of the patient's active enrolments. Returns how many invitations changed.
    """
    changed = 0
    if not (proxy.active and proxy.consent):
        changed += Invitation.objects.filter(
            proxy=proxy, state__in=OPEN_INVITATION_STATES
        ).update(state=InvitationState.CANCELLED)
    enrolled = Enrolment.objects.filter(patient_id=proxy.patient_id, active=True)
    courses = set()
    for enrolment in enrolled.select_related("course", "patient__site", "protocol"):
        if enrolment.course is not None:
            courses.add(enrolment.course)
        elif enrolment.anchor_date is not None:  # its relatives' time points count from the start date
            changed += _reschedule(enrolment, timezone.now())
    for course in courses:
        changed += reschedule_course(course)
    return changed


@transaction.atomic
def invite_proxy(patient, proxy, instrument: Instrument, window_days: int, now=None) -> Invitation:
    """An extra invitation for one relative, open from now until the evening ``window_days`` later.

    Outside any protocol (no enrolment): staff use it when a relative should answer at a time the protocol
    does not plan, e.g. when the patient has become too ill to answer.
    """
    if proxy.patient_id != patient.pk:
        raise EnrolmentError("The relative belongs to another patient.")
    if not (proxy.active and proxy.consent):
        raise EnrolmentError("The relative has not consented to answer questionnaires.")
    if patient.is_dead or patient.followup_stopped_on or not patient.followup_consent:
        raise EnrolmentError("Follow-up has stopped for this patient.")
    if window_days < 1:
        raise EnrolmentError("The link must stay valid for at least one day.")
    now = now or timezone.now()
    tz = site_zone(patient)
    today = timezone.localtime(now, tz).date()
    invitation = Invitation(
        patient=patient, proxy=proxy, respondent=Respondent.PROXY, instrument=instrument,
        step_label="relative (extra)", due_at=now, expires_at=_at(today + timedelta(days=window_days), tz, hour=23),
    )
    invitation.save()
    return invitation
