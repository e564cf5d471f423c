"""Raising alerts from responses and missed questionnaires, and the worklist actions.

``raise_alerts`` runs inside the submission transaction (through the ``response_completed`` signal), so a
response and its alerts are stored together or not at all. The team is emailed about a new urgent alert
only after that transaction commits.
"""

from datetime import date, datetime, time, timedelta, tzinfo

from django.db import IntegrityError, connections, router, transaction
from django.db.models import DateField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.clinic.models import AnalgesicRecord, Patient, Procedure, RTCourse
from palliro.core.pain import DiaryEntry
from palliro.core.questionnaire import advice_for
from palliro.core.rules import (
    AdviceHit,
    DiaryContext,
    Finding,
    ItemLabel,
    RuleContext,
    Severity,
    evaluate,
    item_labels,
)
from palliro.followup.models import (
    OPEN_INVITATION_STATES,
    Enrolment,
    Invitation,
    InvitationState,
    Observation,
    Respondent,
    Response,
    ResponseStatus,
)
from palliro.followup.rowsql import fields_of, prep, row_instance
from palliro.followup.scheduling import diary_day
from palliro.triage.models import OPEN_STATES, SEVERITY_RANK, Alert, AlertNote, AlertState, Outcome
from palliro.triage.rules_io import rules_in_force

DIARY_PAIN_ITEM = "diary-pain-worst"
BASELINE_PAIN_CODES = ("palliro-general/pain-worst", "palliro-bone/pain-worst")
#: Answers given up to this many days before a course's first fraction are its pre-treatment answers (the
#: pain flare's baseline pain, and the baseline of a course whose enrolment came after its first fraction).
PRE_TREATMENT_DAYS = 14
UNVERIFIED_NO_ANALGESIC = (
    "no_analgesic_record: no analgesic recorded before the first fraction, so the baseline oral morphine "
    "equivalent is counted as 0 mg/day [U]"
)


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


def site_zone(response: Response) -> tzinfo:
    """The time zone of the patient's site (days, such as "today" or a course's first fraction, are the site's).

    Read once per response and kept on it; the server's zone if the site names no zone Python knows.
    """
    zone = getattr(response, "_site_zone", None)
    if zone is None:
        patient = response.patient if Response.patient.is_cached(response) else None
        if patient is not None and Patient.site.is_cached(patient):
            zone = patient.site.zone
        else:
            zone = Site.zone_named(
                Site.objects.filter(patients=response.patient_id).values_list("timezone", flat=True).first()
            )
        response._site_zone = zone
    return zone


def _day_start(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, zone)


def _enrolment_start(enrolled_at: datetime, first_fraction: date | None, zone) -> datetime:
    """Where the follow-up of an enrolment begins: the day of enrolment (the shipped protocols' baseline step
    is due then), or, for a patient enrolled after the course's first fraction, ``PRE_TREATMENT_DAYS`` before
    that fraction, so that an answer given before treatment is still the baseline."""
    enrolled_on = timezone.localdate(enrolled_at, zone)
    if first_fraction is not None and enrolled_on > first_fraction:
        return _day_start(first_fraction - timedelta(days=PRE_TREATMENT_DAYS), zone)
    return _day_start(enrolled_on, zone)


def follow_up_start(response: Response) -> datetime | None:
    """When the follow-up of the course ``response`` belongs to began; None when it belongs to none.

    The course is the invitation's enrolment (with its RT course). An answer outside any enrolment (a staff
    interview, a relative's extra invitation) belongs to the patient's latest enrolment made before it, unless
    an RT course not in that enrolment began later (up to ``PRE_TREATMENT_DAYS`` after the answer): then it
    belongs to that course, whose follow-up begins ``PRE_TREATMENT_DAYS`` before its first fraction.
    No query for an answer given through a link (``find_invitation`` read the enrolment and course with the
    invitation), else one primary-key lookup for an invited answer, which also reads the site's time zone
    (plain SQL: it runs inside the submission).
    """
    enrolment = _cached_enrolment(response)
    if enrolment is not None:
        course = enrolment.course  # cached with the enrolment: None or the course's first fraction
        first = None if course is None else course.first_fraction_date
        return _enrolment_start(enrolment.enrolled_at, first, site_zone(response))
    if response.invitation_id:
        connection = connections[router.db_for_read(Observation)]
        qn = connection.ops.quote_name
        inv_pk, inv_enrolment, inv_patient = (
            qn(f.column) for f in fields_of(Invitation, ("id", "enrolment", "patient"))
        )
        enr_pk, enr_course, enrolled_at = (qn(f.column) for f in fields_of(Enrolment, ("id", "course", "enrolled_at")))
        course_pk, first_fraction = (qn(f.column) for f in fields_of(RTCourse, ("id", "first_fraction_date")))
        patient_pk, patient_site = (qn(f.column) for f in fields_of(Patient, ("id", "site")))
        site_pk, site_zone_name = (qn(f.column) for f in fields_of(Site, ("id", "timezone")))
        sql = (
            f"SELECT e.{enrolled_at}, c.{first_fraction}, s.{site_zone_name} FROM {qn(Invitation._meta.db_table)} i "
            f"JOIN {qn(Patient._meta.db_table)} p ON p.{patient_pk} = i.{inv_patient} "
            f"JOIN {qn(Site._meta.db_table)} s ON s.{site_pk} = p.{patient_site} "
            f"LEFT JOIN {qn(Enrolment._meta.db_table)} e ON e.{enr_pk} = i.{inv_enrolment} "
            f"LEFT JOIN {qn(RTCourse._meta.db_table)} c ON c.{course_pk} = e.{enr_course} WHERE i.{inv_pk} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [response.invitation_id])
            found = cursor.fetchone()
        if found is not None:
            if getattr(response, "_site_zone", None) is None:
                response._site_zone = Site.zone_named(found[2])
            if found[0] is not None:
                enrolled = row_instance(Enrolment, ("enrolled_at",), found[:1], connection).enrolled_at
                first = row_instance(RTCourse, ("first_fraction_date",), found[1:2], connection).first_fraction_date
                return _enrolment_start(enrolled, first, site_zone(response))
    # Not invited through an enrolment: rare (staff interviews, extra relative links), so plain ORM.
    zone = site_zone(response)
    answered = response.submitted_at or timezone.now()
    enrolment = (
        Enrolment.objects.filter(patient_id=response.patient_id, enrolled_at__lte=answered)
        .order_by("-enrolled_at", "-id").values_list("enrolled_at", "course_id", "course__first_fraction_date")
        .first()
    )
    course = (
        RTCourse.objects.filter(
            patient_id=response.patient_id,
            first_fraction_date__lte=timezone.localdate(answered, zone) + timedelta(days=PRE_TREATMENT_DAYS),
        )
        .order_by("-first_fraction_date", "-id").values_list("pk", "first_fraction_date").first()
    )
    from_enrolment = None if enrolment is None else _enrolment_start(enrolment[0], enrolment[2], zone)
    from_course = None if course is None else _day_start(course[1] - timedelta(days=PRE_TREATMENT_DAYS), zone)
    if from_course is not None and (
        from_enrolment is None or (course[0] != enrolment[1] and from_course > from_enrolment)
    ):
        return from_course
    return from_enrolment


def _cached_enrolment(response: Response) -> Enrolment | None:
    """The enrolment (with its course) already read with the response's invitation, if it was."""
    if not response.invitation_id or not Response.invitation.is_cached(response):
        return None
    invitation = response.invitation
    if invitation is None or not invitation.enrolment_id or not Invitation.enrolment.is_cached(invitation):
        return None
    enrolment = invitation.enrolment
    if enrolment.course_id and not Enrolment.course.is_cached(enrolment):
        return None
    return enrolment


def _baseline(response: Response, items: set[str]) -> dict[str, float]:
    """The first value of each item in the current course's follow-up (:func:`follow_up_start`): the
    pre-treatment time point (clinical reference §1.2), never an answer from an earlier course. A relative's
    answers are compared with a relative's first answer, anyone else's with the first answer not given by a
    relative. One indexed lookup per item, whatever the history; no baseline outside any course.

    Plain SQL because it runs inside every submission that answers such an item (see followup/rowsql.py).
    """
    if not items:
        return {}
    start = follow_up_start(response)
    if start is None:
        return {}
    code = response.instrument.code
    connection = connections[router.db_for_read(Observation)]
    qn = connection.ops.quote_name
    fields = fields_of(Observation, ("value", "patient", "code", "response", "observed_at", "id", "respondent"))
    value, patient, obs_code, answered_in, at, pk, respondent = (qn(f.column) for f in fields)
    by_proxy = response.respondent == Respondent.PROXY
    sql = (
        f"SELECT {value} FROM {qn(Observation._meta.db_table)} WHERE {patient} = %s AND {obs_code} = %s "
        f"AND {answered_in} <> %s AND {at} >= %s AND {respondent} {'=' if by_proxy else '<>'} %s "
        f"ORDER BY {at}, {pk} LIMIT 1"
    )
    since = prep(fields[4:5], [start], connection)[0]
    baseline: dict[str, float] = {}
    with connection.cursor() as cursor:
        for item in sorted(items):
            cursor.execute(sql, [response.patient_id, f"{code}/{item}", response.pk, since, Respondent.PROXY.value])
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
    tz = site_zone(response)
    window_from = _day_start(start - timedelta(days=PRE_TREATMENT_DAYS), tz)
    observations = list(
        Observation.objects.filter(
            patient_id=response.patient_id, code__in=(code, *BASELINE_PAIN_CODES), observed_at__gte=window_from,
            observed_at__lte=response.submitted_at,
        ).order_by("observed_at", "id").values_list("code", "value", "observed_at", "response__invitation__due_at")
    )
    before = [v for c, v, at, _ in observations if timezone.localdate(at, tz) < start]
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
    recorded_before = bool(records) and records[0].recorded_on < start
    unverified = () if recorded_before else (UNVERIFIED_NO_ANALGESIC,)
    by_day: dict[int, float] = {}
    for obs_code, value, at, due_at in observations:
        # A diary answer counts for the day its link was for, even when given the next morning.
        day = timezone.localdate(at, tz) if due_at is None else diary_day(due_at, tz)
        if obs_code == code and day >= start:
            by_day[(day - start).days] = value  # the latest entry of a day wins
    entries = tuple(
        DiaryEntry(d, pain, daily_omed(records, table, start + timedelta(days=d))) for d, pain in sorted(by_day.items())
    )
    return DiaryContext(baseline_pain, baseline_omed, entries, 0, (end - start).days, (today - start).days,
                        unverified)


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
    values = _current_values(response, code) if applicable else {}
    baseline_items = {r.parameters["item"] for r in applicable if r.kind == "baseline_change"}
    needs_treatment = _needs_treatment(applicable, response, values)
    # "Today" is the site's day (a course's dates are the site's days); only read when a rule needs it.
    today = (
        timezone.localdate(response.submitted_at, site_zone(response))
        if needs_treatment or "pain_flare" in kinds else None
    )
    return RuleContext(
        instrument=code,
        respondent=response.respondent,
        values=values,
        # Without a current value a baseline_change rule cannot fire: its baseline is not looked up.
        baseline=_baseline(response, baseline_items & values.keys()),
        previous=_previous(response) if "restarted" in kinds else {},
        diary=_diary(response, today) if "pain_flare" in kinds else None,
        days_since_treatment=days_since_treatment(response.patient_id, today) if needs_treatment else None,
        contact_now=contact_now_hits(response) if "advice_contact_now" in kinds else (),
        texts=free_texts(response) if "free_text" in kinds else {},
        labels=staff_labels(response.instrument) if applicable else {},
    )


def staff_labels(instrument) -> dict[str, ItemLabel]:
    """The English wording of an instrument's items and answers for alert details; built once per process and
    stored version (no query: the questionnaire is parsed once, too)."""
    key = (instrument.pk, instrument.loaded_at)
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = item_labels(instrument.questionnaire(), "en")
    return labels


# Instruments are few and immutable per (pk, loaded_at), like their parsed questionnaires.
_LABELS: dict[tuple, dict[str, ItemLabel]] = {}


def free_texts(response: Response) -> dict[str, str]:
    """The response's non-empty free-text answers (items of type text or string), in questionnaire order."""
    answers = response.answers or {}
    return {
        item.link_id: answers[item.link_id]
        for item in response.instrument.questionnaire().questions
        if item.type in ("text", "string") and isinstance(answers.get(item.link_id), str)
        and answers[item.link_id].strip()
    }


def contact_now_hits(response: Response) -> tuple[AdviceHit, ...]:
    """The answered items whose advice band told the respondent to contact the team now (the questionnaire's
    contact threshold, as on the thank-you page), each with its question and answer in English for staff.
    Pure computation over the answers just stored (validated by the submission): no query."""
    from palliro.followup.patient_forms import display_answer

    questionnaire = response.instrument.questionnaire()
    answers = response.answers or {}
    hits = []
    for advice in advice_for(questionnaire, answers, "en", trusted=True):
        if advice.contact_now:
            item = questionnaire.item(advice.link_id)
            label = f"{item.text('en')}: {display_answer(item, answers[item.link_id], 'en')}"
            hits.append(AdviceHit(item.link_id, advice.value, red_flag=item.red_flag, label=label))
    return tuple(hits)


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
    """Open an alert per finding, or add the finding to the patient's alert from the same rule; returns the
    alerts opened. The team is emailed about each new urgent alert once the transaction commits.

    Which alert a repeat goes to (see the model's docstring):

    - an urgent finding is added to the rule's alert only while that alert is still unacknowledged; after
      someone acknowledged it, the finding opens a new alert and pages the team again, because a new
      emergency (e.g. new incontinence after acknowledged leg weakness) must never be taken as already seen;
    - an attention or information finding is added to the rule's alert while it is open or acknowledged.

    Either way nothing is lost: a repeat appends what it found to the alert's ``detail`` (with the site's
    date and time), adds its [U] marks to ``unverified``, counts in ``repeat_count`` and moves ``last_fired``.
    A resolved alert takes no repeats: the next finding opens a new one.
    """
    if not findings:
        return []  # before the transaction: most submissions find nothing, and a savepoint is two round trips
    with transaction.atomic():
        return _store_findings(patient_id, findings, rows_by_code, response, now or timezone.now())


def _store_findings(patient_id, findings, rows_by_code, response, now) -> list[Alert]:
    rule_ids = [rows_by_code[f.rule_code].pk for f in findings]
    alive = list(
        Alert.objects.select_for_update()
        .filter(patient_id=patient_id, state__in=OPEN_STATES, rule_id__in=rule_ids)
        .order_by("-created", "-id")
    )
    protocol_id = _protocol_id(patient_id, response)
    zone = None
    created = []
    for finding in findings:
        row = rows_by_code[finding.rule_code]
        alert = _alert_to_repeat(alive, row.pk, finding.severity)
        if alert is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        patient_id=patient_id, response=response, rule=row, protocol_id=protocol_id,
                        severity=str(finding.severity), priority=SEVERITY_RANK[str(finding.severity)],
                        reason=finding.reason, detail=finding.detail, advice=finding.advice,
                        unverified=list(finding.unverified), created=now, last_fired=now,
                    )
                created.append(alert)
                alive.insert(0, alert)
                continue
            except IntegrityError:
                # A parallel submission opened it first: add this one to it.
                alert = Alert.objects.select_for_update().get(patient_id=patient_id, rule=row, state=AlertState.OPEN)
        if zone is None:
            zone = _patient_zone(patient_id, response)
        _add_repeat(alert, finding, now, zone)
    urgent = [a.pk for a in created if a.severity == "urgent"]
    if urgent:
        transaction.on_commit(lambda: _notify(urgent))
    return created


def _alert_to_repeat(alive: list[Alert], rule_id: int, severity) -> Alert | None:
    """The not-resolved alert (newest first) a finding of this rule and severity is added to, if any."""
    mine = [a for a in alive if a.rule_id == rule_id]
    unacknowledged = next((a for a in mine if a.state == AlertState.OPEN), None)
    if unacknowledged is not None or Severity(str(severity)) == Severity.URGENT:
        return unacknowledged
    return mine[0] if mine else None


def _add_repeat(alert: Alert, finding: Finding, now: datetime, zone) -> None:
    when = timezone.localtime(now, zone).strftime("%Y-%m-%d %H:%M")
    line = f"Again {when}: {finding.detail}" if finding.detail else f"Again {when}."
    alert.detail = f"{alert.detail}\n{line}" if alert.detail else line
    alert.unverified = list(dict.fromkeys([*(alert.unverified or []), *finding.unverified]))
    alert.repeat_count += 1
    alert.last_fired = now
    alert.save(update_fields=["detail", "unverified", "repeat_count", "last_fired"])


def _patient_zone(patient_id: int, response: Response | None):
    if response is not None:
        return site_zone(response)
    return Site.zone_named(Site.objects.filter(patients=patient_id).values_list("timezone", flat=True).first())


def _notify(alert_ids: list[int]) -> None:
    from palliro.triage.tasks import notify_urgent_alert

    for pk in alert_ids:
        notify_urgent_alert.enqueue(pk)


def raise_alerts(response: Response) -> list[Alert]:
    """Evaluate the rules in force against a just-completed response; returns the alerts it opened."""
    in_force = rules_in_force()
    rules = [rule for _row, rule in in_force]
    findings = evaluate(rules, build_context(response, rules))
    # The alerts carry the response's own time, so that what the respondent was shown can be worked out later
    # from the alerts this response raised or fired again (followup.shown).
    return store_findings(response.patient_id, findings, {row.code: row for row, _ in in_force}, response=response,
                          now=response.submitted_at)


def on_response_completed(sender, response, **kwargs):
    raise_alerts(response)


def _missed(inv, now: datetime) -> bool:
    return inv.state == InvitationState.EXPIRED or (
        inv.state in OPEN_INVITATION_STATES and inv.expires_at <= now
    )


def missed_in_a_row(invitations, now: datetime) -> list:
    """The questionnaires missed in a row, newest first, over invitations sorted newest first."""
    missed = []
    for inv in invitations:
        if inv.state == InvitationState.COMPLETED:
            break
        if _missed(inv, now):
            missed.append(inv)
        elif inv.state == InvitationState.CANCELLED:
            continue
        else:
            break  # still open: not yet missed
    return missed


def consecutive_missed(invitations, now: datetime) -> int:
    """Missed questionnaires in a row, newest first, over invitations sorted newest first."""
    return len(missed_in_a_row(invitations, now))


def check_non_response(now: datetime | None = None, lookback_days: int = 120) -> list[Alert]:
    """Raise a non-response rule for each enrolled patient who missed its number of questionnaires in a row,
    when at least one of those misses is new: missed (its link expired) after that rule last fired for the
    patient. Misses an earlier alert already reported, whether it is still open, acknowledged or resolved, do
    not raise it again at the next (hourly) check; a further miss does, as a new alert after a resolved one
    and otherwise as a repeat (:func:`store_findings`)."""
    now = now or timezone.now()
    in_force = [(row, rule) for row, rule in rules_in_force() if rule.kind == "non_response"]
    if not in_force:
        return []
    rows_by_code = {row.code: row for row, _ in in_force}
    rules = [rule for _, rule in in_force]
    since = now - timedelta(days=lookback_days)
    invitations = (
        Invitation.objects.filter(
            enrolment__active=True, due_at__lte=now, due_at__gte=since,
            patient__vital_status="alive",
        )
        .order_by("patient_id", "-due_at", "-id")
        .only("patient_id", "state", "expires_at", "due_at")
    )
    by_patient: dict[int, list] = {}
    for inv in invitations.iterator(chunk_size=2000):
        by_patient.setdefault(inv.patient_id, []).append(inv)
    # When each rule last fired for each patient: misses up to then are already reported. A miss counted
    # here is due within the lookback, so an alert last fired before it cannot have reported that miss.
    reported = dict(
        ((patient_id, rule_id), fired)
        for patient_id, rule_id, fired in Alert.objects.filter(rule__in=[row.pk for row, _ in in_force])
        .annotate(fired=Coalesce("last_fired", "created")).filter(fired__gte=since).order_by()
        .values("patient_id", "rule_id").annotate(latest=Max("fired")).values_list("patient_id", "rule_id", "latest")
    )
    created = []
    with transaction.atomic():
        for patient_id, rows in by_patient.items():
            missed = missed_in_a_row(rows, now)
            if not missed:
                continue
            findings = [
                f for f in evaluate(rules, RuleContext(consecutive_missed=len(missed)))
                if _has_new_miss(missed, reported.get((patient_id, rows_by_code[f.rule_code].pk)))
            ]
            if findings:
                created += store_findings(patient_id, findings, rows_by_code, now=now)
    return created


def _has_new_miss(missed, reported_until: datetime | None) -> bool:
    return reported_until is None or any(inv.expires_at > reported_until for inv in missed)


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
    if outcome == Outcome.PATIENT_DIED and not Patient.objects.filter(pk=alert.patient_id, vital_status="dead").exists():
        raise ActionError("Record the death in the patient's vital status first.")
    now = timezone.now()
    _acknowledge_implicitly(alert, user, now)
    alert.state, alert.resolved_at, alert.resolved_by, alert.outcome = AlertState.RESOLVED, now, user, outcome
    alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "outcome"])
    text = f"Resolved: {Outcome(outcome).label}." + (f" {note.strip()}" if note.strip() else "")
    AlertNote.objects.create(alert=alert, author=user, text=text, action="resolve")
    return alert
