"""Synthetic follow-up activity for stored patients, as the shipped protocols would have produced it.

Every consenting patient with a started course is enrolled (three days before the first fraction) in the
protocol of the course's indication (:func:`~palliro.followup.protocols.protocol_for_indication`), and gets
that protocol's invitations: baseline, the weekly questionnaires, the daily pain diary where the protocol
has one, and the relatives' questionnaires for each consenting proxy. Up to the anchor date ("today") an
invitation was answered (most at first, fewer as weeks pass), missed (expired), or, when the patient died
before it was due, cancelled; later ones are scheduled, with working links. Answers: pain starts between
2 and 8, often flares in the first diary days, and falls in most patients after treatment; a relative
answering the same week usually answers the same day and rates the pain within a point or two of the
patient. Alerts follow from the answers (worst pain of 7 or more) plus a few red flags; recent ones are
open, older ones resolved.

Everything is deterministic for a seed and the patients' order; rows are written with bulk inserts in
batches, with the same fields the patient pages write (step label, invitation, respondent, proxy). The data
are synthetic, never evidence.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.clinic.models import Patient, Proxy, RTCourse
from palliro.core.questionnaire import to_questionnaire_response
from palliro.core.questionnaire.answers import enabled_items
from palliro.followup.models import (
    Anchor,
    Enrolment,
    Invitation,
    InvitationState,
    Observation,
    Respondent,
    Response,
    hash_token,
)
from palliro.followup.protocols import protocol_for_indication
from palliro.followup.scheduling import link_window, planned_days
from palliro.followup.submission import observation_rows
from palliro.instruments.models import Instrument
from palliro.triage.models import SEVERITY_RANK, Alert, AlertRule, Outcome
from palliro.triage.services import staff_labels

BATCH = 2000
CHUNK = 500  # patients per transaction
ENROL_DAYS_BEFORE_FIRST = 3
OPEN_WITHIN_DAYS = 45
# Share of invitations answered: high at baseline, lower as the weeks pass (palliative cohorts lose many
# answers to illness); the diary is kept less faithfully than the weekly questionnaires.
ANSWER_RATE = {"baseline": 0.92, "weekly": 0.85, "weekly_decline": 0.02, "diary": 0.8, "proxy": 0.6}
SAME_DAY_AS_PATIENT = 0.7  # relatives who answer in the week the patient did, on the same day


@dataclass
class _Planned:
    """One invitation and, if answered, its response's answers and the observations' values."""

    invitation: Invitation
    answers: dict | None = None
    values: list | None = None
    answered_at: datetime | None = None


def _latest(code: str) -> Instrument:
    instrument = Instrument.objects.filter(code=code).order_by("-version").first()
    if instrument is None:
        raise RuntimeError(f"instrument {code!r} is not loaded: run migrate first")
    return instrument


def _items(instrument: Instrument):
    """(linkId, {ordinal: answer code} or None for an integer item) of every scored item."""
    items = []
    for q in instrument.questionnaire().questions:
        if q.type == "choice" and not q.repeats and q.options:
            items.append((q.link_id, {int(o.ordinal): o.code for o in q.options if o.ordinal is not None}))
        elif q.type == "integer":
            items.append((q.link_id, None))
    return items


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8), tzinfo=UTC) + timedelta(minutes=rng.randrange(600))


def _submission_id(rng: random.Random, patient_id: int) -> uuid.UUID:
    # Mixing in the patient's key keeps ids unique when a second run adds patients to the same database.
    return uuid.UUID(int=rng.getrandbits(128) ^ patient_id)


def _answer(codes, value: int):
    """The answer option whose ordinal is nearest to ``value`` (``value`` itself for an integer item)."""
    if codes is None:
        return value
    return codes[min(codes, key=lambda k: abs(k - value))]


class _Instruments:
    """The latest version of each instrument the protocols use, its scored items, parsed once."""

    def __init__(self):
        self._by_code: dict[str, tuple[Instrument, list]] = {}

    def get(self, code: str) -> tuple[Instrument, list]:
        if code not in self._by_code:
            instrument = _latest(code)
            self._by_code[code] = (instrument, _items(instrument))
        return self._by_code[code]


def write_activity(patients_qs, seed: int, anchor: date, progress=None) -> dict[str, int]:
    """Enrol the given patients and store their invitations, responses, observations and alerts.

    Patients already enrolled in a protocol are left as they are. Returns counts by kind. ``anchor`` is the day
    the department is seen on: invitations after it are still scheduled.
    """
    instruments = _Instruments()
    rules = {r.code: r for r in AlertRule.objects.filter(code__in=["pain-worst-high", "mscc-red-flag"])}
    zones = {pk: Site.zone_named(tz) for pk, tz in Site.objects.values_list("pk", "timezone")}
    steps: dict[str, tuple] = {}  # indication → (protocol, its steps)
    counts = {"enrolments": 0, "invitations": 0, "responses": 0, "observations": 0, "alerts": 0}
    patient_ids = list(patients_qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(patient_ids), CHUNK):
        chunk = patient_ids[start:start + CHUNK]
        with transaction.atomic():
            _write_chunk(chunk, start, seed, anchor, instruments, rules, zones, steps, counts)
        if progress:
            progress(min(start + CHUNK, len(patient_ids)))
    return counts


def _first_courses(chunk) -> dict[int, RTCourse]:
    """Each patient's earliest started course."""
    firsts: dict[int, RTCourse] = {}
    for course in (RTCourse.objects.filter(patient_id__in=chunk, first_fraction_date__isnull=False)
                   .order_by("patient_id", "first_fraction_date", "id")):
        firsts.setdefault(course.patient_id, course)
    return firsts


def _write_chunk(chunk, offset, seed, anchor, instruments, rules, zones, steps, counts):
    # A patient already in follow-up keeps it: a second run adds nothing for them.
    patients = {p.pk: p for p in Patient.objects.filter(pk__in=chunk, enrolments__isnull=True)}
    courses = _first_courses(chunk)
    proxies: dict[int, list[Proxy]] = {}
    for proxy in Proxy.objects.filter(patient_id__in=chunk, active=True, consent=True).order_by("patient_id", "pk"):
        proxies.setdefault(proxy.patient_id, []).append(proxy)
    # Noon of the anchor day, but never later than the real clock: with the anchor today (the demo), nothing may
    # be answered, enrolled or alerted in the hours still to come.
    now = min(datetime.combine(anchor, time(12), tzinfo=UTC), timezone.now())
    enrolments, plans, alerts = [], [], []
    for index, pid in enumerate(chunk, start=offset):
        rng = random.Random(seed * 1_000_003 + index)
        patient, course = patients.get(pid), courses.get(pid)
        if patient is None or course is None or not patient.followup_consent:
            continue
        enrolled_on = course.first_fraction_date - timedelta(days=ENROL_DAYS_BEFORE_FIRST)
        if enrolled_on > anchor:
            continue
        if course.indication not in steps:
            protocol = protocol_for_indication(course.indication)
            steps[course.indication] = (protocol, list(protocol.steps.all()) if protocol else [])
        protocol, protocol_steps = steps[course.indication]
        if protocol is None:
            continue
        zone = zones[patient.site_id]
        enrolment = Enrolment(patient=patient, course=course, protocol=protocol,
                              enrolled_at=min(datetime.combine(enrolled_on, time(10), tzinfo=zone), now))
        enrolments.append(enrolment)
        planned = _patient_plan(patient, course, enrolment, protocol_steps, proxies.get(pid, []), zone, now,
                                anchor, rng, instruments)
        plans.extend(planned)
        alerts.extend(_alerts(patient, planned, rules, anchor, now, rng))
    _store(enrolments, plans, alerts, counts)


def _patient_plan(patient, course, enrolment, steps, proxies, zone, now, anchor, rng, instruments) -> list[_Planned]:
    baseline_pain = rng.randint(2, 8)
    responder = rng.random() < 0.7
    symptoms: dict[str, int] = {}
    answered_days: dict[str, date] = {}  # step label → the day the patient answered it
    planned = []
    # The days each step is due, as enrolling the patient would plan them (no query: the course is attached).
    days = {step.pk: planned_days(step, enrolment) for step in steps}
    # Patient steps first, in time order, so that relatives can answer on the patient's day.
    ordered = sorted(steps, key=lambda s: (s.respondent == Respondent.PROXY, days[s.pk][0], s.pk))
    for step in ordered:
        instrument, items = instruments.get(step.instrument_code)
        respondents = [(step.respondent, None)] if step.respondent != Respondent.PROXY else [
            (Respondent.PROXY, proxy) for proxy in proxies]
        for day in days[step.pk]:
            window = link_window(step, day, zone)
            for respondent, proxy in respondents:
                invitation = Invitation(
                    enrolment=enrolment, step=step, step_label=step.label, patient=patient, proxy=proxy,
                    respondent=respondent, instrument=instrument,
                    # The product's own window: a diary day's link closes when the next day's opens.
                    due_at=window[0], expires_at=window[1],
                    # The patient key keeps salts apart when a second run reuses the seed.
                    link_salt=f"{rng.getrandbits(128) ^ patient.pk:032x}",
                )
                invitation.token_hash = hash_token(invitation.token())
                plan = _Planned(invitation)
                planned.append(plan)
                _decide(plan, step, day, patient, now, anchor, rng, answered_days)
                if plan.answered_at is None:
                    continue
                week = (day - course.first_fraction_date).days
                pain = _pain(step, week, baseline_pain, responder, rng)
                plan.answers, plan.values = _answers(instrument, items, pain, symptoms, rng)
                if respondent == Respondent.PATIENT and step.instrument_code == "palliro-general":
                    answered_days.setdefault(step.label, plan.answered_at.date())
    return planned


def _decide(plan: _Planned, step, day: date, patient, now: datetime, anchor: date, rng, answered_days) -> None:
    """The invitation's state on the anchor day and, when answered, when."""
    invitation = plan.invitation
    if patient.death_date is not None and patient.death_date < day:
        invitation.state = InvitationState.CANCELLED
        return
    if invitation.due_at > now:
        return  # still scheduled
    invitation.sent_at = invitation.last_contact_at = invitation.due_at
    invitation.channel = "email"
    if step.respondent == Respondent.PROXY:
        rate = ANSWER_RATE["proxy"]
    elif step.repeat_until_anchor:
        rate = ANSWER_RATE["diary"]
    elif step.anchor == Anchor.ENROLMENT:
        rate = ANSWER_RATE["baseline"]
    else:
        rate = ANSWER_RATE["weekly"] - ANSWER_RATE["weekly_decline"] * step.day_offset / 7
    death = patient.death_date
    if rng.random() < rate:
        patient_day = answered_days.get(step.label.removesuffix(" (relative)"))
        if step.respondent == Respondent.PROXY and patient_day is not None and rng.random() < SAME_DAY_AS_PATIENT:
            answer_day = patient_day
        else:
            answer_day = day + timedelta(days=rng.randint(0, step.window_days))
        answered_at = _at(answer_day, rng)
        # Nobody answers for a day after the patient's death (the relatives' questionnaires ask about them too).
        if (death is None or answer_day <= death) and invitation.due_at <= answered_at <= min(invitation.expires_at, now):
            plan.answered_at = answered_at
            invitation.state, invitation.completed_at = InvitationState.COMPLETED, answered_at
            return
    if death is not None and death < min(invitation.expires_at, now).date():
        # Recording the death cancels what is still open, as stop_followup does in the product.
        invitation.state = InvitationState.CANCELLED
        return
    if invitation.expires_at < now:
        invitation.state, invitation.reminders_sent = InvitationState.EXPIRED, 2
    else:
        invitation.state = InvitationState.SENT


def _pain(step, days_from_first: int, baseline: int, responder: bool, rng) -> int:
    if step.repeat_until_anchor:  # the diary: a flare on days 1–2 in some, then (in responders) relief
        flare = 2 if days_from_first in (1, 2) and rng.random() < 0.4 else 0
        value = baseline + flare - (max(days_from_first, 0) // 4 if responder else 0) + rng.randint(-1, 1)
    elif days_from_first < 0:
        value = baseline
    else:
        value = baseline - (3 if responder else 0) + rng.randint(-1, 2)
    if step.respondent == Respondent.PROXY:
        value += rng.randint(-1, 2)  # relatives tend to rate pain a little higher
    return max(0, min(10, value))


def _answers(instrument, items, pain: int, symptoms: dict, rng) -> tuple[dict, list]:
    """Answers to the scored items the questionnaire shows for them (enableWhen followed), and the
    observations' (code, value) pairs."""
    stored = {}
    for link, codes in items:
        if link.startswith(("pain", "diary-pain")):
            raw = pain if link in ("pain-worst", "diary-pain-worst") else max(0, pain - rng.randint(0, 3))
        elif codes is None:
            raw = rng.randint(0, 4)
        else:
            symptoms[link] = max(0, min(4, symptoms.get(link, 1) + rng.randint(-1, 1)))
            raw = symptoms[link]
        stored[link] = _answer(codes, raw)
    questionnaire = instrument.questionnaire()
    answers = dict(stored)
    for _ in range(3):  # an answer given here can show further questions
        shown = enabled_items(questionnaire, answers)
        shown_ids = {item.link_id for item in shown}
        answers = {link: answer for link, answer in stored.items() if link in shown_ids}
        missing = [i for i in shown if i.answerable and i.required and i.link_id not in answers]
        for item in missing:  # unscored required questions, e.g. "choose all that apply"
            if item.type == "choice" and item.options:
                choice = rng.choice(item.options).code
                stored[item.link_id] = [choice] if item.repeats else choice
        if not missing:
            break
    # The observations a submission of these answers stores (item values, and scales where scored).
    return answers, observation_rows(instrument, questionnaire, answers)


def _detail(rule, plan: _Planned) -> str:
    """What the rule found in the answers, worded as triage words it (the item's question and answer)."""
    values = {code.split("/", 1)[-1]: value for code, value in plan.values}
    conditions = rule.to_rule().parameters.get("conditions", ())
    labels = staff_labels(plan.invitation.instrument)
    return "; ".join(c.describe(values, labels) for c in conditions if c.holds(values))


def _alerts(patient, planned: list[_Planned], rules, anchor: date, now: datetime, rng) -> list[Alert]:
    fired = []
    high = [p for p in planned if p.values and p.invitation.respondent == Respondent.PATIENT
            and any(code.endswith("/pain-worst") and value >= 7 for code, value in p.values)]
    if high and "pain-worst-high" in rules:
        fired.append((rules["pain-worst-high"], high[-1].answered_at, _detail(rules["pain-worst-high"], high[-1])))
    if rng.random() < 0.01 and "mscc-red-flag" in rules and planned:
        first_due = planned[0].invitation.due_at.date()
        day = max(first_due, anchor - timedelta(days=rng.randrange(30)))
        fired.append((rules["mscc-red-flag"], min(_at(day, rng), now), ""))
    alerts = []
    for rule, when, detail in fired:
        alert = Alert(patient=patient, rule=rule, severity=rule.severity, priority=SEVERITY_RANK[rule.severity],
                      reason=rule.reason, detail=detail, advice=rule.advice, created=when, last_fired=when)
        if (anchor - when.date()).days > OPEN_WITHIN_DAYS:
            alert.state, alert.resolved_at = "resolved", when + timedelta(hours=rng.randint(1, 48))
            alert.acknowledged_at = when + timedelta(minutes=rng.randint(5, 240))
            # Never "Patient died" for a made-up resolution: that outcome needs a recorded death.
            alert.outcome = rng.choice([v for v in Outcome.values if v != Outcome.PATIENT_DIED])
        alerts.append(alert)
    return alerts


def _store(enrolments, plans: list[_Planned], alerts, counts) -> None:
    enrolled_at = {id(e): e.enrolled_at for e in enrolments}
    Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
    for enrolment in enrolments:  # auto_now_add replaced the historical date on insert
        enrolment.enrolled_at = enrolled_at[id(enrolment)]
    Enrolment.objects.bulk_update(enrolments, ["enrolled_at"], batch_size=BATCH)
    Invitation.objects.bulk_create([p.invitation for p in plans], batch_size=BATCH)
    answered = [p for p in plans if p.answered_at is not None]
    responses = []
    for plan in answered:
        invitation = plan.invitation
        rng = random.Random(invitation.link_salt)
        subject = invitation.proxy or invitation.patient
        # The FHIR document a submission stores with the response (research exports read it).
        document = to_questionnaire_response(
            invitation.instrument.questionnaire(), plan.answers, subject.language,
            f"Patient/{invitation.patient.pseudonym}", plan.answered_at, trusted=True,
            author_ref=(f"RelatedPerson/{invitation.proxy.pk}" if invitation.proxy
                        else f"Patient/{invitation.patient.pseudonym}"),
        )
        responses.append(Response(
            patient_id=invitation.patient_id, invitation=invitation, instrument=invitation.instrument,
            respondent=invitation.respondent, proxy=invitation.proxy, status="completed",
            submission_id=_submission_id(rng, invitation.patient_id), answers=plan.answers,
            submitted_at=plan.answered_at, language=subject.language, questionnaire_response=document,
        ))
    Response.objects.bulk_create(responses, batch_size=BATCH)
    observations = [
        Observation(patient_id=r.patient_id, response_id=r.pk, code=code, value=float(value),
                    observed_at=plan.answered_at, respondent=r.respondent)
        for r, plan in zip(responses, answered, strict=True) for code, value in plan.values
    ]
    Observation.objects.bulk_create(observations, batch_size=BATCH)
    Alert.objects.bulk_create(alerts, batch_size=BATCH)
    counts["enrolments"] += len(enrolments)
    counts["invitations"] += len(plans)
    counts["responses"] += len(responses)
    counts["observations"] += len(observations)
    counts["alerts"] += len(alerts)
