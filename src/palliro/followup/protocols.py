"""The protocols Palliro ships, one per common palliative indication, and how an installation keeps them current.

Time points follow the clinical reference: the ICE comparison studies assessed pain at weeks 1, 2, 4, 8
and 12, and pain flare is read from a daily diary from the first fraction to 10 days after the last
(clinical.md §1.3-1.4). Weeks count from the first fraction.

The diary asks about "today" and counts each day once: a diary day's link opens at 09:00 that day and closes when
the next day's opens, 09:00 the next morning (its ``window`` does not apply), and an answer counts for the day of
its link even when given after midnight (scheduling.link_window, scheduling.diary_day; the page then says which day
"today" means). Follow-up without a course (after a procedure, or best supportive care) counts the first- and
last-fraction time points from the start date the nurse gives when enrolling (Enrolment.anchor_date), so the
whole protocol is planned; with the bone protocol the diary then runs from that day to 10 days after it.

A site adds its own protocols, or adjusts a shipped one, in the admin (followup/admin.py); saving a change there
marks the protocol ``edited``. After every migrate ``sync_shipped_protocols`` creates a shipped protocol that is
missing and brings every shipped one that is not edited up to date with SHIPPED (its steps, name and
indication), replanning the open invitations of its active enrolments; an edited one is never overwritten. A
shipped protocol a site deletes comes back at the next migrate: untick "active" to stop offering it.

When SHIPPED changes, add the version it replaces to EARLIER with the commit that shipped it: an installation
upgrading from before protocols carried the shipped/edited marks (migration 0004) holds one of these versions,
and only that tells an unchanged copy (brought up to date) from one its site changed (left alone).
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction

from palliro.followup.models import Anchor, Protocol, ProtocolStep, Respondent
from palliro.followup.scheduling import replan_protocol
from palliro.instruments.models import Instrument

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    label: str
    instrument: str
    anchor: str
    offset: int
    window: int = 3
    respondent: str = Respondent.PATIENT
    until_anchor: str = ""
    until_offset: int | None = None


F, L, E = Anchor.FIRST_FRACTION, Anchor.LAST_FRACTION, Anchor.ENROLMENT
WEEKS = (1, 2, 4, 8, 12)


def _weekly(instruments, weeks=WEEKS, proxy_weeks=(2, 4)):
    """Patient contacts at ``weeks``; relatives' contacts at ``proxy_weeks`` ask the relative's version of the
    same instruments, so an indication's own items (the spinal cord compression red flags, heavy bleeding)
    are asked at every contact, whoever answers."""
    steps = []
    for week in weeks:
        for instrument in instruments:
            steps.append(Step(f"week {week}", instrument, F, 7 * week, window=4))
    for week in proxy_weeks:
        for instrument in instruments:
            steps.append(Step(f"week {week} (relative)", f"{instrument}-proxy", F, 7 * week, 4, Respondent.PROXY))
    return steps


def _baseline(instruments):
    return [Step("baseline", instrument, E, 0, window=3) for instrument in instruments]


SHIPPED = {
    "bone-metastases": (
        "Bone metastases (pain)", "pain",
        _baseline(["palliro-general", "palliro-bone"])
        + [Step("pain diary", "palliro-pain-diary", F, 0, window=1, until_anchor=L, until_offset=10)]
        + _weekly(["palliro-general", "palliro-bone"]),
    ),
    "spinal-cord-compression": (
        "Spinal cord compression", "mscc",
        _baseline(["palliro-general", "palliro-mscc"]) + _weekly(["palliro-general", "palliro-mscc"]),
    ),
    "bleeding": (
        "Haemostatic radiotherapy", "bleeding",
        _baseline(["palliro-general", "palliro-bleeding"])
        + _weekly(["palliro-general", "palliro-bleeding"], weeks=(1, 2, 4, 8)),
    ),
    "whole-brain": (
        "Whole-brain radiotherapy", "brain",
        _baseline(["palliro-general"]) + _weekly(["palliro-general"], weeks=(4, 8, 12), proxy_weeks=(4, 8, 12)),
    ),
    "general-palliative": (
        "General palliative follow-up", "",
        _baseline(["palliro-general"]) + _weekly(["palliro-general"]),
    ),
}


def _shipped_c904e37():
    """SHIPPED as commit c904e375b12aaf76d0e8f8a6d4619a26ac445f5b wrote it, transcribed with its own helpers
    (not today's): the same patient steps, but every relatives' contact asked palliro-general-proxy only."""

    def baseline(instruments):
        return [Step("baseline", instrument, E, 0, window=3) for instrument in instruments]

    def weekly(instruments, weeks=(1, 2, 4, 8, 12), proxy_weeks=(2, 4)):
        steps = [Step(f"week {week}", instrument, F, 7 * week, window=4) for week in weeks for instrument in instruments]
        return steps + [
            Step(f"week {week} (relative)", "palliro-general-proxy", F, 7 * week, 4, Respondent.PROXY)
            for week in proxy_weeks
        ]

    diary = Step("pain diary", "palliro-pain-diary", F, 0, window=1, until_anchor=L, until_offset=10)
    return {
        "bone-metastases": (
            "Bone metastases (pain)", "pain",
            baseline(["palliro-general", "palliro-bone"]) + [diary] + weekly(["palliro-general", "palliro-bone"]),
        ),
        "spinal-cord-compression": (
            "Spinal cord compression", "mscc",
            baseline(["palliro-general", "palliro-mscc"]) + weekly(["palliro-general", "palliro-mscc"]),
        ),
        "bleeding": (
            "Haemostatic radiotherapy", "bleeding",
            baseline(["palliro-general", "palliro-bleeding"])
            + weekly(["palliro-general", "palliro-bleeding"], weeks=(1, 2, 4, 8)),
        ),
        "whole-brain": (
            "Whole-brain radiotherapy", "brain",
            baseline(["palliro-general"]) + weekly(["palliro-general"], weeks=(4, 8, 12), proxy_weeks=(4, 8, 12)),
        ),
        "general-palliative": (
            "General palliative follow-up", "", baseline(["palliro-general"]) + weekly(["palliro-general"]),
        ),
    }


#: Earlier shipped versions by the commit that shipped them, newest first. SHIPPED itself is the version of
#: commit a4cc1c3 (relatives asked the relatives' version of every protocol questionnaire).
EARLIER = {
    "c904e375b12aaf76d0e8f8a6d4619a26ac445f5b": _shipped_c904e37(),
}

#: A step's columns, in the order of ``step_row``.
STEP_FIELDS = (
    "label", "instrument_code", "respondent", "anchor", "day_offset", "window_days",
    "repeat_until_anchor", "repeat_until_offset",
)


def step_row(step: Step) -> tuple:
    """A shipped step as the values of STEP_FIELDS (plain strings, as read from the database)."""
    return (step.label, step.instrument, str(step.respondent), str(step.anchor), step.offset, step.window,
            str(step.until_anchor), step.until_offset)


def _steps_key(rows) -> frozenset:
    """Steps compared as a multiset: their order in the database carries no meaning."""
    return frozenset(Counter(tuple(row) for row in rows).items())


def is_shipped_version(code: str, name: str, indication: str, description: str, active: bool, rows) -> bool:
    """Whether a protocol holds exactly what Palliro shipped as ``code``, now or in an EARLIER version.

    ``rows`` are its steps as STEP_FIELDS values. Everything an administrator can change counts: a protocol that
    differs in any of it (even only a description or being made inactive) was changed by its site.
    """
    if description or not active:
        return False
    content = (name, indication, _steps_key(rows))
    for version in (SHIPPED, *EARLIER.values()):
        if code in version:
            shipped_name, shipped_indication, steps = version[code]
            if content == (shipped_name, shipped_indication, _steps_key(step_row(s) for s in steps)):
                return True
    return False


@dataclass
class ProtocolUpdate:
    """What ``sync_shipped_protocols`` did to one shipped protocol."""

    code: str
    created: bool = False
    added: int = 0
    updated: int = 0
    removed: int = 0
    enrolments: int = 0
    invitations: int = 0
    skipped: str = ""

    def __str__(self):
        if self.skipped:
            return f"protocol {self.code} not brought up to date: {self.skipped}"
        if self.created:
            return f"protocol {self.code} created ({self.added} steps)"
        return (f"protocol {self.code} brought up to date: {self.added} steps added, {self.updated} changed, "
                f"{self.removed} removed; {self.invitations} open invitations of {self.enrolments} active "
                "enrolments replanned")


def sync_shipped_protocols(now=None) -> list[ProtocolUpdate]:
    """Create missing shipped protocols and bring the shipped ones nobody edited up to date; returns the changes.

    Run after every migrate: when every protocol is current it reads two queries' worth and writes nothing.
    The changes are made in one transaction.
    """
    stale = _stale_codes()
    if not stale:
        return []
    updates = _bring_up_to_date(stale, now)
    for update in updates:
        (logger.warning if update.skipped else logger.info)("%s", update)
    return updates


def _stale_codes() -> list[str]:
    """The shipped codes that are missing, or shipped, unedited and no longer what SHIPPED says (two queries)."""
    fields = ("pk", "code", "name", "indication", "shipped", "edited")
    protocols = {row["code"]: row for row in Protocol.objects.filter(code__in=SHIPPED).values(*fields)}
    steps = defaultdict(list)
    if protocols:
        rows = ProtocolStep.objects.filter(protocol_id__in=[row["pk"] for row in protocols.values()])
        for protocol_id, *values in rows.values_list("protocol_id", *STEP_FIELDS):
            steps[protocol_id].append(values)
    stale = []
    for code, (name, indication, shipped_steps) in SHIPPED.items():
        row = protocols.get(code)
        if row is None:
            stale.append(code)
        elif row["shipped"] and not row["edited"]:
            held = (row["name"], row["indication"], _steps_key(steps[row["pk"]]))
            if held != (name, indication, _steps_key(step_row(s) for s in shipped_steps)):
                stale.append(code)
    return stale


@transaction.atomic
def _bring_up_to_date(codes: list[str], now) -> list[ProtocolUpdate]:
    updates = []
    for code in codes:
        name, indication, steps = SHIPPED[code]
        protocol = Protocol.objects.select_for_update().filter(code=code).first()
        if protocol is None:
            protocol = Protocol.objects.create(code=code, name=name, indication=indication, shipped=True)
            ProtocolStep.objects.bulk_create(_fill(ProtocolStep(protocol=protocol), step) for step in steps)
            updates.append(ProtocolUpdate(code, created=True, added=len(steps)))
        elif protocol.shipped and not protocol.edited:  # read again under the lock: another process may be here
            update = _refresh(protocol, name, indication, steps, now)
            if update is not None:
                updates.append(update)
    return updates


def _refresh(protocol: Protocol, name: str, indication: str, steps: list[Step], now) -> ProtocolUpdate | None:
    """Make a shipped protocol's rows equal to ``steps``, keeping the row of every time point that stays."""
    current = list(protocol.steps.all())
    unchanged = (protocol.name, protocol.indication) == (name, indication) and _steps_key(
        [getattr(s, f) for f in STEP_FIELDS] for s in current
    ) == _steps_key(step_row(s) for s in steps)
    if unchanged:
        return None
    update = ProtocolUpdate(protocol.code)
    needed = {s.instrument for s in steps}
    installed = set(Instrument.objects.filter(code__in=needed, active=True).values_list("code", flat=True))
    if needed - installed:
        update.skipped = f"questionnaires not installed: {', '.join(sorted(needed - installed))}"
        return update
    if (protocol.name, protocol.indication) != (name, indication):
        protocol.name, protocol.indication = name, indication
        protocol.save(update_fields=["name", "indication"])
    # A time point is the same one when its label, questionnaire and respondent are: its row (and so the
    # invitations already planned from it) is kept and its days or window changed in place.
    rows = defaultdict(list)
    for row in current:
        rows[(row.label, row.instrument_code, row.respondent)].append(row)
    kept = []
    for step in steps:
        matches = rows[(step.label, step.instrument, step.respondent)]
        row = matches.pop(0) if matches else ProtocolStep(protocol=protocol)
        if row.pk is None:
            update.added += 1
        elif [getattr(row, f) for f in STEP_FIELDS] != list(step_row(step)):
            update.updated += 1
        else:
            kept.append(row)
            continue
        _fill(row, step).save()
        kept.append(row)
    retired = [row.pk for leftover in rows.values() for row in leftover]
    # Planned with the steps that stay, so that the open links of a retired step are cancelled before it goes.
    update.enrolments, update.invitations = replan_protocol(protocol, kept, now)
    ProtocolStep.objects.filter(pk__in=retired).delete()
    update.removed = len(retired)
    return update


def _fill(row: ProtocolStep, step: Step) -> ProtocolStep:
    row.label, row.instrument_code, row.respondent = step.label, step.instrument, step.respondent
    row.anchor, row.day_offset, row.window_days = step.anchor, step.offset, step.window
    row.repeat_until_anchor, row.repeat_until_offset = step.until_anchor, step.until_offset
    return row


def protocol_for_indication(indication: str) -> Protocol | None:
    return Protocol.objects.filter(indication=indication, active=True).first() or Protocol.objects.filter(
        code="general-palliative", active=True
    ).first()
