"""Background tasks: email the team about a new urgent alert; look for patients who stopped answering; draw
the timeline figure after each new answer.

The email carries the pseudonym and a link only: names and answers stay behind the login.

The timeline figure (matplotlib, 50–150 ms) is drawn here and stored in :class:`TimelineFigure`, keyed by a
fingerprint of the data it shows, so the timeline page usually only reads it back. Whoever needs it first
draws it: the task queued after a submission, the ``warm_timelines`` command for bulk-loaded data, or the
figure request of a page that found no up-to-date copy.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import CARE_ROLES, Membership
from palliro.clinic.models import Patient, Procedure, RTCourse
from palliro.followup.models import Observation
from palliro.stats.plots import inline_svg
from palliro.triage import plots
from palliro.triage.models import Alert, TimelineFigure

log = logging.getLogger(__name__)


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


@task
def notify_urgent_alert(alert_id: int) -> int:
    """Email the responsible team once; returns the number of recipients (0 if already sent or nobody)."""
    alert = Alert.objects.select_related("patient__site", "rule").filter(pk=alert_id).first()
    if alert is None or alert.notified_at is not None or not alert.is_open:
        return 0
    recipients = team_addresses(alert.patient.site)
    if not recipients:
        return 0
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
    marks = [(c.first_fraction_date, f"RT {c.regimen_label}") for c in courses if c.first_fraction_date]
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


@task
def refresh_timeline_figure(patient_id: int) -> int:
    """Draw the patient's timeline figure unless the stored one is current; returns 1 if drawn, else 0."""
    if not Patient.objects.filter(pk=patient_id).exists():
        return 0
    return refresh_figures([patient_id])


def schedule_figure_refresh(sender, response, **kwargs):
    """``response_completed`` receiver: queue the figure's redraw; never draws, so the submission stays fast.

    With the database task queue the task row is written inside the submission's transaction: it commits
    with the answer (no second commit per submission, which the submission throughput target cannot afford)
    and disappears with it if the submission rolls back. Any other queue is called after the commit. Either
    way a queue failure is logged and swallowed: the patient's answer must not fail because of a figure.
    """
    patient_id = response.patient_id
    if _queue_is_in_the_database():
        try:
            with transaction.atomic():  # a savepoint, so a failed insert leaves the submission intact
                refresh_timeline_figure.enqueue(patient_id)
        except Exception:
            log.exception("could not queue the timeline figure of patient %s", patient_id)
    else:
        transaction.on_commit(lambda: refresh_timeline_figure.enqueue(patient_id), robust=True)


def _queue_is_in_the_database() -> bool:
    backend = type(refresh_timeline_figure.get_backend())
    return backend.__module__.startswith("django_tasks_db") and backend.__name__ == "DatabaseBackend"
