"""Raising alerts from responses and missed questionnaires, and the worklist actions.

``raise_alerts`` runs inside the submission transaction (through the ``response_completed`` signal), so a
response and its alerts are stored together or not at all. The team is emailed about a new urgent alert
only after that transaction commits.
"""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, connections, router, transaction
from django.db.models import DateField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from palliro.clinic.models import AnalgesicRecord, Patient, Procedure, RTCourse
from palliro.core.pain import DiaryEntry
from palliro.core.rules import DiaryContext, Finding, RuleContext, evaluate
from palliro.followup.models import (
    Enrolment,
    Invitation,
    InvitationState,
    Observation,
    Response,
    ResponseStatus,
)
from palliro.followup.rowsql import fields_of
from palliro.triage.models import OPEN_STATES, SEVERITY_RANK, Alert, AlertNote, AlertState, Outcome
from palliro.triage.rules_io import rules_in_force

DIARY_PAIN_ITEM = "diary-pain-worst"
BASELINE_PAIN_CODES = ("palliro-general/pain-worst", "palliro-bone/pain-worst")


class ActionError(ValueError):
    """A worklist action that does not fit the alert's state; the message is shown to the user."""


# --- context ---------------------------------------------------------------------------------------


def _values(response_id: int, instrument_code: str) -> dict[str, float]:
    prefix = instrument_code + "/"
    return {
        code[len(prefix):]: value
        for code, value in Observation.objects.filter(response_id=response_id).values_list("code", "value")
        if code.startswith(prefix)
    }


def _current_values(response: Response, instrument_code: str) -> dict[str, float]:
    """The response's own values: handed over by the submission when it has them, else read back."""
    stored = getattr(response, "observation_values", None)
    if stored is None:
        return _values(response.pk, instrument_code)
    prefix = instrument_code + "/"
    return {code[len(prefix):]: value for code, value in stored.items() if code.startswith(prefix)}


def _baseline(response: Response, items: set[str]) -> dict[str, float]:
    """The patient's first recorded value of each item: one indexed lookup per item, whatever the history.

    Plain SQL because it runs inside every submission that answers such an item (see followup/rowsql.py).
    """
    code = response.instrument.code
    connection = connections[router.db_for_read(Observation)]
    qn = connection.ops.quote_name
    value, patient, obs_code, answered_in, at, pk = (
        qn(f.column) for f in fields_of(Observation, ("value", "patient", "code", "response", "observed_at", "id"))
    )
    sql = (
        f"SELECT {value} FROM {qn(Observation._meta.db_table)} WHERE {patient} = %s AND {obs_code} = %s "
        f"AND {answered_in} <> %s ORDER BY {at}, {pk} LIMIT 1"
    )
    baseline: dict[str, float] = {}
    with connection.cursor() as cursor:
        for item in sorted(items):
            cursor.execute(sql, [response.patient_id, f"{code}/{item}", response.pk])
            first = cursor.fetchone()
            if first is not None:
                baseline[item] = first[0]
    return baseline


def _previous(response: Response) -> dict[str, float]:
    earlier = (
        Response.objects.filter(
            patient_id=response.patient_id, instrument__code=response.instrument.code,
            status=ResponseStatus.COMPLETED, submitted_at__lte=response.submitted_at,
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return {} if earlier is None else _values(earlier, response.instrument.code)


def daily_omed(records, table: str, day: date) -> float | None:
    """OMED of the latest recorded day on or before ``day`` (records sorted by date); 0 when none recorded.

    No analgesic record means no opioid recorded: counted as 0 mg/day, so the flare rule reads pain alone
    (an implementation choice, [U]). A record the table cannot convert makes the day unknown (None).
    """
    latest = [r for r in records if r.recorded_on <= day]
    if not latest:
        return 0.0
    last_day = latest[-1].recorded_on
    total = 0.0
    for record in latest:
        if record.recorded_on == last_day:
            mg = record.omed(table).mg_per_day
            if mg is None:
                return None
            total += mg
    return total


def _diary(response: Response, today: date) -> DiaryContext | None:
    course = (
        RTCourse.objects.filter(patient_id=response.patient_id, first_fraction_date__lte=today)
        .order_by("-first_fraction_date", "-id").first()
    )
    if course is None:
        return None
    start = course.first_fraction_date
    end = course.last_fraction_date or today
    code = f"{response.instrument.code}/{DIARY_PAIN_ITEM}"
    tz = timezone.get_current_timezone()
    window_from = datetime.combine(start - timedelta(days=14), datetime.min.time(), tz)
    observations = list(
        Observation.objects.filter(
            patient_id=response.patient_id, code__in=(code, *BASELINE_PAIN_CODES), observed_at__gte=window_from,
            observed_at__lte=response.submitted_at,
        ).order_by("observed_at", "id").values_list("code", "value", "observed_at")
    )
    before = [v for c, v, at in observations if timezone.localdate(at, tz) < start]
    if not before:
        return None  # no pre-treatment pain score: a flare cannot be judged
    baseline_pain = before[-1]
    records = list(
        AnalgesicRecord.objects.filter(patient_id=response.patient_id, recorded_on__lte=today).order_by("recorded_on")
    )
    table = response.patient.site.omed_table
    baseline_omed = daily_omed(records, table, start - timedelta(days=1))
    if baseline_omed is None:
        return None
    by_day: dict[int, float] = {}
    for obs_code, value, at in observations:
        day = timezone.localdate(at, tz)
        if obs_code == code and day >= start:
            by_day[(day - start).days] = value  # the latest entry of a day wins
    entries = tuple(
        DiaryEntry(d, pain, daily_omed(records, table, start + timedelta(days=d))) for d, pain in sorted(by_day.items())
    )
    return DiaryContext(baseline_pain, baseline_omed, entries, 0, (end - start).days, (today - start).days)


def days_since_treatment(patient_id: int, today: date) -> int | None:
    """Days since the last fraction (0 during a course) or procedure on or before ``today``; one query."""
    day = Value(today, output_field=DateField())
    # A course without a last fraction date, or one ending after today, counts as "treated today".
    last_course = (
        RTCourse.objects.filter(patient_id=OuterRef("pk"), first_fraction_date__lte=today)
        .order_by().values("patient_id")
        .annotate(last=Max(Least(Coalesce("last_fraction_date", day), day)))
        .values("last")
    )
    last_procedure = (
        Procedure.objects.filter(patient_id=OuterRef("pk"), performed_on__lte=today)
        .order_by().values("patient_id").annotate(last=Max("performed_on")).values("last")
    )
    found = Patient.objects.filter(pk=patient_id).values_list(
        Subquery(last_course, output_field=DateField()), Subquery(last_procedure, output_field=DateField())
    ).first()
    lasts = [d for d in (found or ()) if d is not None]
    return (today - max(lasts)).days if lasts else None


def build_context(response: Response, rules) -> RuleContext:
    """Gather only what the applicable rules need: a handful of indexed queries, independent of history size."""
    code = response.instrument.code
    applicable = [r for r in rules if r.kind != "non_response" and r.applies_to(code)]
    kinds = {r.kind for r in applicable}
    today = timezone.localdate(response.submitted_at)
    values = _current_values(response, code) if applicable else {}
    baseline_items = {r.parameters["item"] for r in applicable if r.kind == "baseline_change"}
    return RuleContext(
        instrument=code,
        respondent=response.respondent,
        values=values,
        # Without a current value a baseline_change rule cannot fire: its baseline is not looked up.
        baseline=_baseline(response, baseline_items & values.keys()),
        previous=_previous(response) if "restarted" in kinds else {},
        diary=_diary(response, today) if "pain_flare" in kinds else None,
        days_since_treatment=(
            days_since_treatment(response.patient_id, today) if _needs_treatment(applicable, response, values)
            else None
        ),
    )


def _needs_treatment(applicable, response: Response, values: dict[str, float]) -> bool:
    """Whether a rule limited to the days after treatment could fire, so that those days must be read.

    Such a rule fires only if its answer conditions hold and the days are within its limit; day 0 is within
    every limit, so if the rule does not fire at day 0 it cannot fire at all and no query is needed.
    """
    limited = [r for r in applicable if r.kind == "threshold" and r.parameters.get("max_days_since_treatment")
               is not None]
    if not limited:
        return False
    probe = RuleContext(instrument=response.instrument.code, respondent=response.respondent, values=values,
                        days_since_treatment=0)
    return bool(evaluate(limited, probe))


# --- raising alerts --------------------------------------------------------------------------------


def _protocol_id(patient_id: int, response: Response | None) -> int | None:
    if response is not None and response.invitation_id:
        enrolment_id = Invitation.objects.filter(pk=response.invitation_id).values_list("enrolment_id", flat=True)
        protocol = Enrolment.objects.filter(pk__in=enrolment_id).values_list("protocol_id", flat=True).first()
        if protocol:
            return protocol
    return (
        Enrolment.objects.filter(patient_id=patient_id, active=True)
        .order_by("-enrolled_at").values_list("protocol_id", flat=True).first()
    )


def store_findings(patient_id: int, findings: list[Finding], rows_by_code: dict, *, response=None, now=None) -> list[Alert]:
    """Open one alert per finding, or count a repeat on the alert already open for that patient and rule."""
    if not findings:
        return []
    now = now or timezone.now()
    open_alerts = {
        a.rule_id: a for a in Alert.objects.filter(patient_id=patient_id, state__in=OPEN_STATES,
                                                   rule_id__in=[rows_by_code[f.rule_code].pk for f in findings])
    }
    protocol_id = _protocol_id(patient_id, response)
    created = []
    for finding in findings:
        row = rows_by_code[finding.rule_code]
        alert = open_alerts.get(row.pk)
        if alert is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        patient_id=patient_id, response=response, rule=row, protocol_id=protocol_id,
                        severity=str(finding.severity), priority=SEVERITY_RANK[str(finding.severity)],
                        reason=finding.reason, detail=finding.detail, advice=finding.advice, created=now,
                        last_fired=now,
                    )
                created.append(alert)
                continue
            except IntegrityError:
                # A parallel submission opened it first: count this one as a repeat.
                alert = Alert.objects.get(patient_id=patient_id, rule=row, state__in=OPEN_STATES)
        Alert.objects.filter(pk=alert.pk).update(repeat_count=alert.repeat_count + 1, last_fired=now)
    urgent = [a.pk for a in created if a.severity == "urgent"]
    if urgent:
        transaction.on_commit(lambda: _notify(urgent))
    return created


def _notify(alert_ids: list[int]) -> None:
    from palliro.triage.tasks import notify_urgent_alert

    for pk in alert_ids:
        notify_urgent_alert.enqueue(pk)


def raise_alerts(response: Response) -> list[Alert]:
    """Evaluate the rules in force against a just-completed response; returns the alerts it opened."""
    in_force = rules_in_force()
    rules = [rule for _row, rule in in_force]
    findings = evaluate(rules, build_context(response, rules))
    return store_findings(response.patient_id, findings, {row.code: row for row, _ in in_force}, response=response)


def on_response_completed(sender, response, **kwargs):
    raise_alerts(response)


def consecutive_missed(invitations, now: datetime) -> int:
    """Missed questionnaires in a row, newest first, over invitations sorted newest first."""
    missed = 0
    for inv in invitations:
        if inv.state == InvitationState.COMPLETED:
            break
        if inv.state == InvitationState.EXPIRED or (
            inv.state in (InvitationState.SCHEDULED, InvitationState.SENT) and inv.expires_at <= now
        ):
            missed += 1
        elif inv.state == InvitationState.CANCELLED:
            continue
        else:
            break  # still open: not yet missed
    return missed


def check_non_response(now: datetime | None = None, lookback_days: int = 120) -> list[Alert]:
    """Open a non-response alert for each enrolled patient who missed the configured number in a row."""
    now = now or timezone.now()
    in_force = [(row, rule) for row, rule in rules_in_force() if rule.kind == "non_response"]
    if not in_force:
        return []
    rows_by_code = {row.code: row for row, _ in in_force}
    rules = [rule for _, rule in in_force]
    invitations = (
        Invitation.objects.filter(
            enrolment__active=True, due_at__lte=now, due_at__gte=now - timedelta(days=lookback_days),
            patient__vital_status="alive",
        )
        .order_by("patient_id", "-due_at", "-id")
        .only("patient_id", "state", "expires_at", "due_at")
    )
    by_patient: dict[int, list] = {}
    for inv in invitations.iterator(chunk_size=2000):
        by_patient.setdefault(inv.patient_id, []).append(inv)
    created = []
    with transaction.atomic():
        for patient_id, rows in by_patient.items():
            missed = consecutive_missed(rows, now)
            if missed:
                findings = evaluate(rules, RuleContext(consecutive_missed=missed))
                created += store_findings(patient_id, findings, rows_by_code, now=now)
    return created


# --- worklist actions ------------------------------------------------------------------------------


def _require_open(alert: Alert) -> None:
    if not alert.is_open:
        raise ActionError("This alert is already resolved.")


@transaction.atomic
def acknowledge(alert: Alert, user) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_open(alert)
    if alert.state == AlertState.ACKNOWLEDGED:
        raise ActionError("This alert was already acknowledged.")
    alert.state, alert.acknowledged_at, alert.acknowledged_by = AlertState.ACKNOWLEDGED, timezone.now(), user
    alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    AlertNote.objects.create(alert=alert, author=user, text="Acknowledged.", action="acknowledge")
    return alert


def _acknowledge_implicitly(alert: Alert, user, now) -> None:
    # Assigning or resolving an alert means someone has seen it: the time to acknowledge stops then.
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user
        if alert.state == AlertState.OPEN:
            alert.state = AlertState.ACKNOWLEDGED


@transaction.atomic
def assign(alert: Alert, user, assignee) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_open(alert)
    alert.assignee = assignee
    _acknowledge_implicitly(alert, user, timezone.now())
    alert.save(update_fields=["assignee", "state", "acknowledged_at", "acknowledged_by"])
    who = assignee.get_username() if assignee else "nobody"
    AlertNote.objects.create(alert=alert, author=user, text=f"Assigned to {who}.", action="assign")
    return alert


def add_note(alert: Alert, user, text: str) -> AlertNote:
    text = text.strip()
    if not text:
        raise ActionError("Write the note before saving it.")
    return AlertNote.objects.create(alert=alert, author=user, text=text)


@transaction.atomic
def resolve(alert: Alert, user, outcome: str, note: str = "") -> Alert:
    if outcome not in Outcome.values:
        raise ActionError("Choose the outcome.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_open(alert)
    now = timezone.now()
    _acknowledge_implicitly(alert, user, now)
    alert.state, alert.resolved_at, alert.resolved_by, alert.outcome = AlertState.RESOLVED, now, user, outcome
    alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "outcome"])
    text = f"Resolved: {Outcome(outcome).label}." + (f" {note.strip()}" if note.strip() else "")
    AlertNote.objects.create(alert=alert, author=user, text=text, action="resolve")
    return alert
