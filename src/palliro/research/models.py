"""A saved cohort: the filters that drive every analysis on the research pages.

The cohort stores filters, never patient lists, so it always reflects the current records and the
viewer's own access rights (see :func:`palliro.research.cohort.cohort_frame`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now

from palliro.accounts.models import Site
from palliro.clinic import choices
from palliro.followup.models import Protocol


class Unit(models.TextChoices):
    PATIENTS = "patients", "Patients (earliest eligible course each)"
    COURSES = "courses", "RT courses"


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    sites = models.ManyToManyField(Site, related_name="+")
    first_fraction_from = models.DateField("First fraction from", null=True, blank=True)
    first_fraction_to = models.DateField("First fraction until", null=True, blank=True)
    indications = models.JSONField(default=list, blank=True)
    techniques = models.JSONField(default=list, blank=True)
    tumours = models.JSONField("Primary tumours", default=list, blank=True)
    regimen_total_dose_gy = models.DecimalField(
        "Regimen: total dose (Gy)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    regimen_fractions = models.PositiveSmallIntegerField("Regimen: fractions", null=True, blank=True)
    protocol = models.ForeignKey(Protocol, models.SET_NULL, null=True, blank=True, related_name="+")
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.PATIENTS)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.first_fraction_from and self.first_fraction_to and self.first_fraction_to < self.first_fraction_from:
            errors.setdefault("first_fraction_to", []).append("The end date is before the start date.")
        if (self.regimen_total_dose_gy is None) != (self.regimen_fractions is None):
            errors.setdefault("regimen_fractions", []).append(
                "A regimen needs both the total dose and the number of fractions (or neither)."
            )
        if self.regimen_total_dose_gy is not None and self.regimen_total_dose_gy <= 0:
            errors.setdefault("regimen_total_dose_gy", []).append("The total dose must be more than 0 Gy.")
        if self.regimen_fractions is not None and self.regimen_fractions < 1:
            errors.setdefault("regimen_fractions", []).append("At least one fraction.")
        for field, allowed in (
            ("indications", choices.Indication.values),
            ("techniques", choices.Technique.values),
            ("tumours", choices.PrimaryTumour.values),
        ):
            unknown = set(getattr(self, field) or []) - set(allowed)
            if unknown:
                errors.setdefault(field, []).append(f"Unknown value(s): {', '.join(sorted(unknown))}.")
        if errors:
            raise ValidationError(errors)

    def describe(self) -> list[tuple[str, str]]:
        """The filters as (label, value) pairs, shown beside every result."""
        labels = {
            "indications": dict(choices.Indication.choices),
            "techniques": dict(choices.Technique.choices),
            "tumours": dict(choices.PrimaryTumour.choices),
        }
        rows = [("Unit", self.get_unit_display())]
        if self.pk:
            rows.append(("Sites", ", ".join(s.name for s in self.sites.all()) or "—"))
        span = f"{self.first_fraction_from or '…'} to {self.first_fraction_to or '…'}"
        rows.append(("First fraction", span if (self.first_fraction_from or self.first_fraction_to) else "any date"))
        for field, label in (("indications", "Indications"), ("techniques", "Techniques"), ("tumours", "Tumours")):
            values = getattr(self, field) or []
            rows.append((label, ", ".join(labels[field].get(v, v) for v in values) if values else "any"))
        if self.regimen_fractions:
            rows.append(("Regimen", f"{float(self.regimen_total_dose_gy):g} Gy in {self.regimen_fractions}"))
        else:
            rows.append(("Regimen", "any"))
        rows.append(("Follow-up protocol", self.protocol.name if self.protocol_id else "any"))
        return rows


class Change(models.Model):
    """One entry of the change journal that the analysis store follows (:mod:`palliro.research.journal`).

    Written only by database triggers: rows ``lo``..``hi`` of ``table`` were inserted, updated or deleted.
    ``xid`` is the writing transaction's id on PostgreSQL (None on SQLite, whose writers are serialised).
    """

    table = models.CharField(max_length=16)
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    xid = models.BigIntegerField(null=True)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["xid"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.table} {self.lo}..{self.hi}"
