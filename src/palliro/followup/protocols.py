"""The protocols Palliro ships: one per common palliative indication, loaded after every migrate.

Time points follow the clinical reference: the ICE comparison studies assessed pain at weeks 1, 2, 4, 8
and 12, and pain flare is read from a daily diary from the first fraction to 10 days after the last
(clinical.md §1.3-1.4). Weeks count from the first fraction. Sites may add their own protocols in the admin.
"""

from dataclasses import dataclass

from django.db import transaction

from palliro.followup.models import Anchor, Protocol, ProtocolStep, Respondent


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


@transaction.atomic
def sync_shipped_protocols() -> None:
    for code, (name, indication, steps) in SHIPPED.items():
        protocol, created = Protocol.objects.get_or_create(code=code, defaults={"name": name, "indication": indication})
        if not created:
            continue  # a site may have edited a shipped protocol: never overwrite it
        ProtocolStep.objects.bulk_create(
            ProtocolStep(
                protocol=protocol, label=s.label, instrument_code=s.instrument, respondent=s.respondent,
                anchor=s.anchor, day_offset=s.offset, window_days=s.window,
                repeat_until_anchor=s.until_anchor, repeat_until_offset=s.until_offset,
            )
            for s in steps
        )


def protocol_for_indication(indication: str) -> Protocol | None:
    return Protocol.objects.filter(indication=indication, active=True).first() or Protocol.objects.filter(
        code="general-palliative", active=True
    ).first()
