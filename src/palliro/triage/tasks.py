"""Background tasks: email the team about a new urgent alert; look for patients who stopped answering; draw
the timeline figures of patients who answered recently.

The email carries the pseudonym and a link only: names and answers stay behind the login.

The timeline figure (matplotlib, 50–150 ms) is drawn here and stored in :class:`TimelineFigure`, keyed by a
fingerprint of the data it shows, so the timeline page usually only reads it back. Whoever needs it first
draws it: the worker's periodic sweep of recent answers, the ``warm_timelines`` command for bulk-loaded
data, or the figure request of a page that found no up-to-date copy.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import CARE_ROLES, Membership
from palliro.clinic.models import Procedure, RTCourse
from palliro.followup.models import Observation, Response, ResponseStatus
from palliro.stats.plots import inline_svg
from palliro.triage import plots
from palliro.triage.models import Alert, TimelineFigure

logger = logging.getLogger("palliro.triage")


def team_addresses(site) -> list[str]:
    """The site's team address if it has one, else the care staff of the site who gave an email address."""
    if site.email:
        return [site.email]
    return sorted(
        set(
            Membership.objects.filter(site=site, role__in=CARE_ROLES, user__is_active=True)
            .exclude(user__email="").values_list("user__email", flat=True)
        )
    )


class NobodyToNotify(RuntimeError):
    """An urgent alert's site has no address to email: the team was not told."""


@task
def notify_urgent_alert(alert_id: int) -> int:
    """Email the responsible team once; returns the number of recipients (0 if already sent or not open).

    When the site has no team address and none of its care staff has an email address, nobody can be told:
    the alert keeps ``notified_at`` empty, an error is logged, and the task *fails* with
    :class:`NobodyToNotify` (its result, kept 90 days, says why) rather than reporting success. The system
    check ``palliro.E008``/``W001`` and the worklist's banner name such sites before it happens.
    """
    alert = Alert.objects.select_related("patient__site", "rule").filter(pk=alert_id).first()
    if alert is None or alert.notified_at is not None or not alert.is_open:
        return 0
    recipients = team_addresses(alert.patient.site)
    if not recipients:
        site = alert.patient.site
        message = (
            f"Urgent alert {alert.pk} for patient {alert.patient.pseudonym} was NOT emailed to anybody: site "
            f"{site.code!r} has no team email address and none of its active care staff has an email address"
        )
        logger.error(message)
        raise NobodyToNotify(message)
    link = settings.SITE_ROOT + reverse("triage:alert", args=[alert.pk])
    send_mail(
        subject=f"[Palliro] Urgent alert for patient {alert.patient.pseudonym}",
        message=(
            f"An urgent alert was raised at {timezone.localtime(alert.created):%Y-%m-%d %H:%M}.\n\n"
            f"Reason: {alert.reason}\n\nOpen the worklist to acknowledge it: {link}\n\n"
            "Palliro supports, and never replaces, clinical judgement."
        ),
        from_email=None,
        recipient_list=recipients,
    )
    Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    return len(recipients)


@task
def check_non_response() -> int:
    """Open non-response alerts; returns how many were opened. Schedule it daily (cron or the task worker)."""
    from palliro.triage.services import check_non_response as check

    return len(check())


# --- timeline figure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineInputs:
    """Everything the timeline figure shows for one patient, and its fingerprint."""

    patient_id: int
    rows: list  # (code, value, local date, respondent), oldest first, codes in plots.PLOT_CODES
    treatments: list  # (date, label), sorted

    @property
    def fingerprint(self) -> str:
        return plots.fingerprint(self.rows, self.treatments)


def treatment_marks(courses, procedures) -> list[tuple[date, str]]:
    """Dated marks for the figure: the first fraction of each radiotherapy course and each procedure."""
    marks = [(c.first_fraction_date, f"RT {c.regimen_label}{' (booked)' if c.is_booked else ''}")
             for c in courses if c.first_fraction_date]
    marks += [(p.performed_on, p.get_kind_display()) for p in procedures]
    return sorted(marks)


def _rows_by_patient(patient_ids) -> dict[int, list]:
    rows = (
        Observation.objects.filter(patient_id__in=patient_ids, code__in=plots.PLOT_CODES)
        .order_by("patient_id", "observed_at", "id")
        .values_list("patient_id", "code", "value", "observed_at", "respondent")
    )
    out: dict[int, list] = defaultdict(list)
    for patient_id, code, value, at, respondent in rows:
        out[patient_id].append((code, value, timezone.localdate(at), respondent))
    return out


def timeline_inputs(patient, courses, procedures) -> TimelineInputs:
    """One patient's inputs from records already loaded: one query (the observations, on their index)."""
    rows = _rows_by_patient([patient.pk]).get(patient.pk, [])
    return TimelineInputs(patient.pk, rows, treatment_marks(courses, procedures))


def timeline_inputs_many(patient_ids: list[int]) -> list[TimelineInputs]:
    """Inputs for many patients in three queries (for the bulk command)."""
    courses, procedures = defaultdict(list), defaultdict(list)
    for course in RTCourse.objects.filter(patient_id__in=patient_ids):
        courses[course.patient_id].append(course)
    for procedure in Procedure.objects.filter(patient_id__in=patient_ids):
        procedures[procedure.patient_id].append(procedure)
    rows = _rows_by_patient(patient_ids)
    return [
        TimelineInputs(pk, rows.get(pk, []), treatment_marks(courses[pk], procedures[pk])) for pk in patient_ids
    ]


def stored_figure(inputs: TimelineInputs) -> str | None:
    """The stored SVG if it shows exactly these inputs, else None (one query)."""
    return (
        TimelineFigure.objects.filter(pk=inputs.patient_id, fingerprint=inputs.fingerprint)
        .values_list("svg", flat=True).first()
    )


def draw_and_store(inputs: TimelineInputs) -> str:
    """Draw the figure, store it (insert or replace, one query) and return the CSP-safe SVG."""
    svg = inline_svg(plots.render_timeline(inputs.rows, inputs.treatments))
    store_figures([(inputs, svg)])
    return svg


def store_figures(drawn: list[tuple[TimelineInputs, str]]) -> None:
    # One upsert: two workers drawing the same patient at once both succeed, the later one wins.
    TimelineFigure.objects.bulk_create(
        [TimelineFigure(patient_id=i.patient_id, fingerprint=i.fingerprint, svg=svg, drawn_at=timezone.now())
         for i, svg in drawn],
        update_conflicts=True, unique_fields=["patient"], update_fields=["fingerprint", "svg", "drawn_at"],
    )


def refresh_figures(patient_ids: list[int], *, force: bool = False) -> int:
    """Draw and store the figures of these patients that are missing or out of date; returns how many."""
    inputs = timeline_inputs_many(patient_ids)
    current = dict(TimelineFigure.objects.filter(pk__in=patient_ids).values_list("pk", "fingerprint"))
    todo = [i for i in inputs if force or current.get(i.patient_id) != i.fingerprint]
    drawn = [(i, inline_svg(plots.render_timeline(i.rows, i.treatments))) for i in todo]
    if drawn:
        store_figures(drawn)
    return len(drawn)


#: Patients whose figures one sweep reads and redraws at a time.
SWEEP_BATCH = 200


@task
def refresh_recent_timelines(since: str) -> int:
    """Redraw the out-of-date figures of the patients who answered at or after ``since`` (ISO 8601 time).

    Run by ``palliro worker``'s scheduler every few seconds (``TIMELINE_SWEEP_EVERY``) rather than queued by
    each submission: a task row per answer would be written inside the submission's transaction, which
    costs the patient's "send" more than everything triage does there. The figure is a convenience, never
    a record: a page that finds it out of date draws it on request. Returns how many figures it drew.
    """
    start = datetime.fromisoformat(since)
    patient_ids = sorted(set(
        Response.objects.filter(status=ResponseStatus.COMPLETED, submitted_at__gte=start)
        .values_list("patient_id", flat=True)
    ))
    return sum(refresh_figures(patient_ids[i:i + SWEEP_BATCH]) for i in range(0, len(patient_ids), SWEEP_BATCH))
