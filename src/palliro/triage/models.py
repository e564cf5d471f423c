"""Alert rules (data, editable by admins), alerts raised by them, and notes on alerts.

When a rule fires again for a patient who already has an alert from it that is not resolved
(``triage.services.store_findings`` decides, the rule is documented there):

- an urgent finding adds to that alert only while nobody has acknowledged it (the team was paged and has not
  yet looked); once it is acknowledged, a new urgent finding opens a new alert and pages the team again, so
  an emergency never disappears into an alert someone has already dealt with;
- an attention or information finding adds to the alert while it is open or acknowledged: those are worked
  at the team's pace, and the repeat shows on the worklist (+N) and in the alert's details.

A repeat is never silent: it counts in ``repeat_count``, moves ``last_fired``, appends what it found to
``detail`` and adds its [U] marks to ``unverified``. At most one *unacknowledged* alert per patient and rule
exists at a time: a partial unique constraint enforces it, so two submissions at once cannot page twice.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from palliro.clinic.models import Patient
from palliro.core.errors import PalliroValueError
from palliro.core.rules import Rule, parse_rule
from palliro.followup.models import Protocol, Response


class Severity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ATTENTION = "attention", "Attention"
    INFO = "info", "Information"


SEVERITY_RANK = {Severity.URGENT: 0, Severity.ATTENTION: 1, Severity.INFO: 2}


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


class Outcome(models.TextChoices):
    PHONED = "phoned", "Phoned the patient"
    ANALGESICS = "analgesics_changed", "Analgesics changed"
    CLINIC = "seen_in_clinic", "Seen in clinic"
    ADMITTED = "admitted", "Admitted"
    REFER_RT = "referred_rt", "Referred to radiotherapy"
    REFER_IR = "referred_ir", "Referred to interventional radiology"
    REFER_PALLIATIVE = "referred_palliative", "Referred to palliative care"
    NO_ACTION = "no_action", "No action needed"
    PATIENT_DIED = "patient_died", "Patient died"


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", "Absolute threshold"
    BASELINE = "baseline_change", "Change from own baseline"
    RESTARTED = "restarted", "Symptom restarted"
    FLARE = "pain_flare", "Pain flare (daily diary)"
    NON_RESPONSE = "non_response", "Questionnaires not answered"
    ADVICE_CONTACT_NOW = "advice_contact_now", "Told to call now by the questionnaire's advice"
    FREE_TEXT = "free_text", "Comment written in a free-text answer"


class AlertRule(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    instruments = models.JSONField(default=list, blank=True, help_text="Instrument codes; empty for all.")
    parameters = models.JSONField(default=dict, blank=True, help_text="See palliro.core.rules for each kind.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    reason = models.TextField(help_text="Plain-language reason shown to staff.")
    advice = models.TextField(
        help_text="Advice for staff to give: guidance only, never shown to the patient (the patient sees the "
                  "questionnaire's own advice and the call-now or team-told message)."
    )
    active = models.BooleanField(default=True)
    shipped = models.BooleanField(default=False, editable=False, help_text="Came from the shipped rule file.")
    edited = models.BooleanField(default=False, editable=False, help_text="Changed by an administrator.")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code

    def as_data(self) -> dict:
        return {
            "code": self.code, "kind": self.kind, "severity": self.severity, "reason": self.reason,
            "advice": self.advice, "instruments": list(self.instruments or []),
            "parameters": dict(self.parameters or {}), "active": self.active,
        }

    def to_rule(self) -> Rule:
        return parse_rule(self.as_data())

    def clean(self):
        try:
            self.to_rule()
        except PalliroValueError as exc:
            name = exc.field.split(".")[0].split("[")[0]
            field = name if name in {"code", "kind", "severity", "reason", "advice", "instruments",
                                     "parameters"} else None
            raise ValidationError({field: str(exc)} if field else str(exc)) from None


class Alert(models.Model):
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="alerts")
    response = models.ForeignKey(Response, models.SET_NULL, null=True, blank=True, related_name="alerts")
    rule = models.ForeignKey(AlertRule, models.PROTECT, related_name="alerts")
    protocol = models.ForeignKey(Protocol, models.SET_NULL, null=True, blank=True, related_name="+")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    priority = models.PositiveSmallIntegerField(help_text="0 urgent, 1 attention, 2 information: sorts the worklist.")
    reason = models.TextField()
    detail = models.TextField(blank=True, help_text="What the finding was, then one line per repeat.")
    unverified = models.JSONField(
        default=list, blank=True,
        help_text="[U] marks of the findings: choices not checked against the primary source, shown as unverified.",
    )
    advice = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="assigned_alerts"
    )
    created = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    repeat_count = models.PositiveIntegerField(
        default=0, help_text="Further firings added to this alert while it was not resolved."
    )
    last_fired = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the team was emailed.")

    class Meta:
        ordering = ["priority", "created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule"], condition=Q(state="open"),
                name="one_unacknowledged_alert_per_patient_and_rule",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | ~Q(outcome=""), name="resolved_alert_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "priority", "created"]),
            models.Index(fields=["patient", "created"]),
        ]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.rule.code} for {self.patient.pseudonym}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def time_to_acknowledge(self):
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.created


class AlertNote(models.Model):
    alert = models.ForeignKey(Alert, models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    text = models.TextField()
    action = models.CharField(max_length=20, blank=True, help_text="The action this note records, if any.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"Note on alert {self.alert_id}"


class TimelineFigure(models.Model):
    """The patient timeline's figure as last drawn, in the database so every worker and server shares it.

    ``fingerprint`` is :func:`palliro.triage.plots.fingerprint` of the data drawn; the page uses the stored
    SVG only while the fingerprint of the current data matches, so it never shows an out-of-date figure.
    ``svg`` is already CSP-safe (:func:`palliro.stats.plots.inline_svg`): ready to inline or to serve.
    """

    patient = models.OneToOneField(Patient, models.CASCADE, primary_key=True, related_name="timeline_figure")
    fingerprint = models.CharField(max_length=64)
    svg = models.TextField()
    drawn_at = models.DateTimeField()

    def __str__(self):
        return f"Timeline figure for patient {self.patient_id}"
