"""Follow-up: protocols, enrolments, invitations with secret links, responses and observations.

Exactly-once storage rests on two database constraints, not on application checks: a response's
``submission_id`` is unique, and an invitation has at most one completed response.
"""

import base64
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from palliro.clinic.choices import Indication
from palliro.clinic.models import Patient, Proxy, RTCourse
from palliro.instruments.models import Instrument


class Respondent(models.TextChoices):
    PATIENT = "patient", "Patient"
    PROXY = "proxy", "Relative (proxy)"
    STAFF = "staff", "Staff interview"


class Anchor(models.TextChoices):
    ENROLMENT = "enrolment", "Day of enrolment"
    FIRST_FRACTION = "first_fraction", "First fraction"
    LAST_FRACTION = "last_fraction", "Last fraction"


class Protocol(models.Model):
    """A named schedule of questionnaires. Palliro ships some (followup/protocols.py); a site adds its own or
    adjusts a shipped one in the admin, and an upgrade never overwrites a shipped one a site changed."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    indication = models.CharField(
        max_length=12, blank=True, choices=Indication.choices,
        help_text="RT course indication it is meant for: offered first when enrolling such a course.",
    )
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Offered for new enrolments.")
    shipped = models.BooleanField(default=False, editable=False, help_text="Came with Palliro (followup/protocols.py).")
    edited = models.BooleanField(
        default=False, editable=False, help_text="Changed by an administrator: upgrades leave it as it is."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProtocolStep(models.Model):
    """One questionnaire in a protocol; with ``repeat_until_*`` it repeats daily (a diary).

    ``clean()`` refuses what scheduling could not plan or a respondent could not answer (followup/scheduling.py
    relies on it): a questionnaire that is not installed, one meant for someone else, a link valid for less
    than a day, half a repeat, and a diary that would end before it starts.
    """

    protocol = models.ForeignKey(Protocol, models.CASCADE, related_name="steps")
    label = models.CharField(max_length=60, help_text="Shown in adherence tables, e.g. 'week 2'.")
    instrument_code = models.SlugField(max_length=64, verbose_name="questionnaire")
    respondent = models.CharField(max_length=8, choices=Respondent.choices, default=Respondent.PATIENT)
    anchor = models.CharField(max_length=16, choices=Anchor.choices)
    day_offset = models.SmallIntegerField(help_text="Days after the anchor (negative: before it).")
    window_days = models.PositiveSmallIntegerField(default=3, help_text="Days the link stays valid.")
    repeat_until_anchor = models.CharField(
        max_length=16, choices=Anchor.choices, blank=True, help_text="For a daily diary: repeat until this anchor…"
    )
    repeat_until_offset = models.SmallIntegerField(null=True, blank=True, help_text="… plus these days.")

    class Meta:
        ordering = ["protocol", "anchor", "day_offset", "id"]

    def __str__(self):
        return f"{self.protocol.code}: {self.label} ({self.instrument_code})"

    def clean(self):
        errors: dict[str, str] = {}
        if self.window_days is not None and self.window_days < 1:
            errors["window_days"] = "The link must stay valid for at least one day."
        if bool(self.repeat_until_anchor) != (self.repeat_until_offset is not None):
            missing = "repeat_until_offset" if self.repeat_until_anchor else "repeat_until_anchor"
            errors[missing] = (
                "A daily diary needs both 'repeat until' fields (anchor and days); a single time point needs neither."
            )
        elif self.repeat_until_anchor and self.day_offset is not None and self._ends_before_start():
            errors["repeat_until_offset"] = (
                "The diary would end before it starts: its last day comes before its first "
                f"({self.get_anchor_display().lower()} {self.day_offset:+d} days)."
            )
        if (self.anchor == Anchor.ENROLMENT and self.day_offset is not None and self.window_days is not None
                and not self.repeat_until_anchor and self.day_offset + self.window_days < 0):
            errors["day_offset"] = "This link would close before the day of enrolment: it would never be sent."
        if self.instrument_code:
            problem = instrument_problem(self.instrument_code, self.respondent)
            if problem:
                errors["instrument_code"] = problem
        if errors:
            raise ValidationError(errors)

    def _ends_before_start(self) -> bool:
        # The last fraction is never before the first: a diary from (last + a) to (first + b) with b < a, or from
        # (anchor + a) to (same anchor + b) with b < a, has no day at all.
        same = self.repeat_until_anchor == self.anchor
        backwards = self.anchor == Anchor.LAST_FRACTION and self.repeat_until_anchor == Anchor.FIRST_FRACTION
        return (same or backwards) and self.repeat_until_offset < self.day_offset


def instrument_problem(code: str, respondent: str) -> str:
    """Why a step asking ``respondent`` cannot use questionnaire ``code`` (empty when it can).

    Scheduling invites with the newest active version of the code. A patient step needs a questionnaire the
    patient answers, a relative's step one written for relatives (its FHIR respondent extension, as loaded into
    Instrument); both need wording a patient or relative can read. A staff interview can use any of them.
    """
    instrument = Instrument.objects.filter(code=code, active=True).order_by("-version").first()
    if instrument is None:
        return f"No questionnaire {code!r} is installed (see the questionnaire list); check the code."
    if respondent == Respondent.STAFF:
        return ""
    answered_by = _answered_by(instrument)
    if respondent not in answered_by:
        others = " or ".join(_WHO.get(r, r) for r in answered_by)
        hint = _version_for(code, respondent)
        return (f"{code} is answered by {others}, not by {_WHO[respondent]}"
                + (f": use {hint} for this step." if hint else "; choose another questionnaire or respondent."))
    if not instrument.patient_ready:
        return (f"{code} has only neutral labels, not wording a patient or relative can read: it can only be used "
                "in a staff interview step.")
    return ""


_WHO = {Respondent.PATIENT: "the patient", Respondent.PROXY: "a relative", Respondent.STAFF: "staff"}


def _answered_by(instrument: Instrument) -> tuple[str, ...]:
    try:
        return instrument.questionnaire().respondents or (instrument.respondent,)
    except ValueError:
        return (instrument.respondent,)


def _version_for(code: str, respondent: str) -> str:
    """The relatives' version of a patient questionnaire (``-proxy``), or the patient's of a relatives' one."""
    other = code.removesuffix("-proxy") if respondent == Respondent.PATIENT else f"{code}-proxy"
    if other == code or not Instrument.objects.filter(code=other, active=True).exists():
        return ""
    return other


class Enrolment(models.Model):
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(RTCourse, models.CASCADE, null=True, blank=True, related_name="enrolments")
    anchor_date = models.DateField(
        null=True, blank=True, verbose_name="start date",
        help_text="Without a course: the day of the intervention or of the start of care; the protocol's "
                  "'first fraction' and 'last fraction' time points count from it.",
    )
    protocol = models.ForeignKey(Protocol, models.PROTECT, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    active = models.BooleanField(default=True)
    stopped_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]

    def __str__(self):
        return f"{self.patient.pseudonym} in {self.protocol.code}"


class InvitationState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


#: States of an invitation whose link may still be answered (if its window is open).
OPEN_INVITATION_STATES = (InvitationState.SCHEDULED, InvitationState.SENT)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """One questionnaire due from one respondent in a time window, reachable only by its secret link."""

    enrolment = models.ForeignKey(Enrolment, models.CASCADE, null=True, blank=True, related_name="invitations")
    step = models.ForeignKey(ProtocolStep, models.SET_NULL, null=True, blank=True, related_name="+")
    step_label = models.CharField(max_length=60)
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="invitations")
    proxy = models.ForeignKey(Proxy, models.CASCADE, null=True, blank=True, related_name="invitations")
    respondent = models.CharField(max_length=8, choices=Respondent.choices)
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="invitations")
    due_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    link_salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=InvitationState.choices, default=InvitationState.SCHEDULED)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(
        max_length=8, blank=True, help_text="How the link last went out: email, sms, or none (no address on file)."
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["patient", "due_at"]),
        ]

    def __str__(self):
        return f"{self.instrument.code} for {self.patient.pseudonym} due {self.due_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self.link_salt:
            self.link_salt = secrets.token_hex(16)
        if not self.token_hash:
            self.token_hash = hash_token(self.token())
        super().save(*args, **kwargs)

    def token(self) -> str:
        """The secret in the patient's link: an HMAC of a random salt under SECRET_KEY (256 bits).

        Only its SHA-256 hash is stored, so the database alone cannot open a link; the same link can be
        re-sent in reminders because it is derived again from the salt and the server's secret.
        """
        digest = hmac.new(settings.SECRET_KEY.encode(), f"palliro-link:{self.link_salt}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def link(self) -> str:
        from django.urls import reverse

        return settings.SITE_ROOT + reverse("respond", args=[self.token()])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_INVITATION_STATES


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Response(models.Model):
    """Answers to one questionnaire. A completed response is never edited: an amendment replaces it."""

    # No index of its own: the (patient, submitted_at) index below serves every lookup by patient.
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="responses", db_index=False)
    invitation = models.ForeignKey(Invitation, models.PROTECT, null=True, blank=True, related_name="responses")
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="responses")
    respondent = models.CharField(max_length=8, choices=Respondent.choices)
    proxy = models.ForeignKey(Proxy, models.SET_NULL, null=True, blank=True, related_name="responses")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="entered_responses"
    )
    status = models.CharField(max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS)
    submission_id = models.UUIDField(null=True, blank=True, unique=True)
    answers = models.JSONField(default=dict)
    page = models.PositiveSmallIntegerField(default=0, help_text="Where the respondent was, to resume.")
    language = models.CharField(max_length=2, default="en")
    questionnaire_response = models.JSONField(null=True, blank=True, help_text="FHIR QuestionnaireResponse.")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    replaces = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="replaced_by")
    # A draft that says "call your care team now" but is never sent must still reach staff (triage/unsent.py).
    unsent_checked_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="The draft's updated_at last checked for an unsent 'call now' answer: each change is checked once.",
    )
    unsent_reported = models.JSONField(
        default=dict, blank=True, editable=False,
        help_text="The unsent 'call now' answers already reported to staff (question: answer): only a new one is "
                  "reported again.",
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation"],
                condition=Q(status="completed"),
                name="one_completed_response_per_invitation",
            ),
            models.UniqueConstraint(
                fields=["invitation"],
                condition=Q(status="in_progress"),
                name="one_draft_per_invitation",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "submitted_at"]),
            # The minute-by-minute sweep for unsent red flags reads only drafts, by when they were last saved.
            models.Index(fields=["updated_at"], condition=Q(status="in_progress"), name="draft_updated_at"),
        ]

    def __str__(self):
        return f"{self.instrument.code} by {self.respondent} ({self.status})"

    @staticmethod
    def new_submission_id() -> uuid.UUID:
        return uuid.uuid4()


class Observation(models.Model):
    """One scored item or scale of one response: trajectories and cohorts are plain indexed queries.

    ``patient`` repeats the response's patient so those queries need no join. It has no index of its own (the
    (patient, code, observed_at) index serves lookups by patient) and no database constraint: rows are only
    written together with their response, from the same values, and the constraint on ``response`` already
    refuses an observation without its response. Each constraint costs a check per row on every
    submission, 24 rows for the general questionnaire (bench/README.md); deleting a patient still deletes
    their observations (Django's CASCADE).
    """

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="observations", db_index=False,
                                db_constraint=False)
    response = models.ForeignKey(Response, models.CASCADE, related_name="observations")
    code = models.CharField(max_length=80)
    value = models.FloatField()
    observed_at = models.DateTimeField()
    respondent = models.CharField(max_length=8, choices=Respondent.choices)

    class Meta:
        ordering = ["observed_at", "id"]
        indexes = [
            models.Index(fields=["patient", "code", "observed_at"]),
            models.Index(fields=["code", "observed_at"]),
        ]

    def __str__(self):
        return f"{self.code}={self.value:g}"


class LinkFailure(models.Model):
    """A failed attempt to open a patient link, kept briefly to slow down guessing."""

    ip_address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"link failure at {self.at:%Y-%m-%d %H:%M}"
