"""Synthetic follow-up activity for stored patients: answered questionnaires, observations and alerts.

Per patient: the general questionnaire at baseline and weeks 1, 2 and 4 (sometimes answered by a relative),
and a daily pain diary for 4 to 12 days from the first fraction; about 110 observations per patient, so
10 000 patients give about a million. Pain starts between 2 and 8, often flares in the first days, and
falls in most patients after treatment. Alerts follow from the answers (worst pain of 7 or more) plus a
few red flags; recent ones are open, older ones resolved. Everything is deterministic for a seed and the
patients' order; rows are written with bulk inserts in batches. The data are synthetic, never evidence.
"""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from palliro.clinic.models import RTCourse
from palliro.followup.models import Observation, Response
from palliro.instruments.models import Instrument
from palliro.triage.models import SEVERITY_RANK, Alert, AlertRule, Outcome

BATCH = 2000
CHUNK = 500  # patients per transaction
GENERAL_DAYS = (-3, 7, 14, 28)  # baseline and weeks 1, 2, 4 from the first fraction
OPEN_WITHIN_DAYS = 45


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
    if codes is None:
        return value
    nearest = min(codes, key=lambda k: abs(k - value))
    return codes[nearest], nearest


def write_activity(patients_qs, seed: int, anchor: date, progress=None) -> dict[str, int]:
    """Store synthetic responses, observations and alerts for the given patients; returns counts by model."""
    general = {"patient": _latest("palliro-general"), "proxy": _latest("palliro-general-proxy")}
    diary = _latest("palliro-pain-diary")
    items = {key: _items(inst) for key, inst in general.items()}
    diary_items = _items(diary)
    rules = {r.code: r for r in AlertRule.objects.filter(code__in=["pain-worst-high", "mscc-red-flag", "pain-flare"])}
    counts = {"responses": 0, "observations": 0, "alerts": 0}
    patient_ids = list(patients_qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(patient_ids), CHUNK):
        chunk = patient_ids[start:start + CHUNK]
        firsts = {}
        for pid, first in (RTCourse.objects.filter(patient_id__in=chunk, first_fraction_date__isnull=False)
                           .order_by("patient_id", "first_fraction_date").values_list("patient_id", "first_fraction_date")):
            firsts.setdefault(pid, first)
        with transaction.atomic():
            _write_chunk(chunk, start, seed, anchor, firsts, general, diary, items, diary_items, rules, counts)
        if progress:
            progress(min(start + CHUNK, len(patient_ids)))
    return counts


def _write_chunk(chunk, offset, seed, anchor, firsts, general, diary, items, diary_items, rules, counts):
    responses, obs_rows, alerts = [], [], []
    for index, pid in enumerate(chunk, start=offset):
        rng = random.Random(seed * 1_000_003 + index)
        first = firsts.get(pid) or anchor - timedelta(days=rng.randrange(5, 400))
        baseline = rng.randint(2, 8)
        responder = rng.random() < 0.7
        symptoms = {link: rng.randint(0, 2) for link, _ in items["patient"]}
        worst_pain_at = None
        for day in GENERAL_DAYS:
            when_day = first + timedelta(days=day)
            if when_day > anchor:
                break
            pain = baseline if day < 0 else max(0, min(10, baseline - (3 if responder else 0) + rng.randint(-1, 2)))
            respondent = "proxy" if rng.random() < 0.08 else "patient"
            answers, values = {}, []
            for link, codes in items[respondent]:
                if link.startswith("pain"):
                    raw = pain if link == "pain-worst" else max(0, pain - rng.randint(0, 3))
                elif codes is None:
                    raw = rng.randint(0, 4)
                else:
                    symptoms[link] = max(0, min(4, symptoms.get(link, 1) + rng.randint(-1, 1)))
                    raw = symptoms[link]
                code, value = (raw, raw) if codes is None else _answer(codes, raw)
                answers[link] = code
                values.append((link, value))
            when = _at(when_day, rng)
            response = Response(
                patient_id=pid, instrument=general[respondent], respondent=respondent, status="completed",
                submission_id=_submission_id(rng, pid), answers=answers, submitted_at=when,
                language="en",
            )
            responses.append(response)
            obs_rows.append((response, [(f"{general[respondent].code}/{k}", v) for k, v in values], when, respondent))
            if pain >= 7:
                worst_pain_at = when
        for day in range(rng.randint(4, 12)):
            when_day = first + timedelta(days=day)
            if when_day > anchor:
                break
            flare = 2 if day in (1, 2) and rng.random() < 0.4 else 0
            pain = max(0, min(10, baseline + flare - (day // 4 if responder else 0) + rng.randint(-1, 1)))
            answers, values = {}, []
            for link, codes in diary_items:
                raw = pain if link == "diary-pain-worst" else rng.randint(0, 3)
                code, value = (raw, raw) if codes is None else _answer(codes, raw)
                answers[link] = code
                values.append((f"{diary.code}/{link}", value))
            when = _at(when_day, rng)
            response = Response(
                patient_id=pid, instrument=diary, respondent="patient", status="completed",
                submission_id=_submission_id(rng, pid), answers=answers, submitted_at=when,
                language="en",
            )
            responses.append(response)
            obs_rows.append((response, values, when, "patient"))
        fired = []
        if worst_pain_at is not None and "pain-worst-high" in rules:
            fired.append((rules["pain-worst-high"], worst_pain_at))
        if rng.random() < 0.01 and "mscc-red-flag" in rules:
            fired.append((rules["mscc-red-flag"], _at(max(first, anchor - timedelta(days=rng.randrange(30))), rng)))
        for rule, when in fired:
            alert = Alert(patient_id=pid, rule=rule, severity=rule.severity, priority=SEVERITY_RANK[rule.severity],
                          reason=rule.reason, advice=rule.advice, created=when, last_fired=when)
            if (anchor - when.date()).days > OPEN_WITHIN_DAYS:
                alert.state, alert.resolved_at = "resolved", when + timedelta(hours=rng.randint(1, 48))
                alert.acknowledged_at = when + timedelta(minutes=rng.randint(5, 240))
                alert.outcome = rng.choice(Outcome.values)
            alerts.append(alert)
    Response.objects.bulk_create(responses, batch_size=BATCH)
    observations = [
        Observation(patient_id=r.patient_id, response_id=r.pk, code=code, value=float(value), observed_at=when,
                    respondent=respondent)
        for r, values, when, respondent in obs_rows for code, value in values
    ]
    Observation.objects.bulk_create(observations, batch_size=BATCH)
    Alert.objects.bulk_create(alerts, batch_size=BATCH)
    counts["responses"] += len(responses)
    counts["observations"] += len(observations)
    counts["alerts"] += len(alerts)
