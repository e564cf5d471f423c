"""The clinic's records: patients, their relatives, treatments, episodes and analgesics.

Validation lives in ``clean()`` so that forms, the admin and imports give the same clear messages; the
database constraints are the last line of defence against impossible values.
"""

import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.clinic import choices
from palliro.clinic.analgesia import DRUG_CHOICES, record_omed

PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read aloud on the phone


def new_pseudonym(rng=secrets) -> str:
    return "P-" + "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))


#: No clinical date of a living patient's care lies before this; earlier ones are typing errors (0225 for 2025).
EARLIEST_DATE = date(1900, 1, 1)

#: How far ahead a first fraction may be booked. Follow-up starts before treatment (a baseline questionnaire,
#: a pain diary through the course), so a nurse enrols the patient at simulation with the booked first fraction;
#: palliative courses start within days or weeks, so a date more than about half a year ahead is a typing error
#: (2027 for 2026), not a booking.
BOOKING_HORIZON_DAYS = 180


def _check_date(value: date | None, field: str, errors: dict, birth_date: date | None = None) -> None:
    """A recorded date must be plausible: not in the future, not before 1900 and, where the patient's date of
    birth is known, not before it."""
    if value is None:
        return
    if value > timezone.localdate():
        errors.setdefault(field, []).append("This date is in the future.")
    elif value < EARLIEST_DATE:
        errors.setdefault(field, []).append("Dates before 1900 are not accepted: check the year.")
    elif birth_date is not None and value < birth_date:
        errors.setdefault(field, []).append(
            f"This date is before the patient's date of birth ({birth_date:%d %b %Y})."
        )


def _birth_date_of(record) -> date | None:
    return record.patient.birth_date if record.patient_id else None


class Patient(models.Model):
    site = models.ForeignKey(Site, models.PROTECT, related_name="patients")
    pseudonym = models.CharField(max_length=16, unique=True, default=new_pseudonym, editable=False)
    hospital_number = models.CharField(max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=8, choices=choices.Sex.choices)
    language = models.CharField(max_length=2, choices=choices.Language.choices, default=choices.Language.EN)
    primary_tumour = models.CharField(max_length=20, choices=choices.PrimaryTumour.choices)
    metastatic_sites = models.JSONField(default=list, blank=True)
    kps = models.PositiveSmallIntegerField(
        "Karnofsky performance status",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    performance_date = models.DateField("Performance status assessed on", null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    followup_consent = models.BooleanField("Consents to symptom follow-up", default=False)
    research_consent = models.BooleanField("Consents to research use of data", default=False)
    followup_stopped_on = models.DateField(
        "Follow-up withdrawn on", null=True, blank=True, help_text="Invitations stop from this date."
    )
    vital_status = models.CharField(
        max_length=8, choices=choices.VitalStatus.choices, default=choices.VitalStatus.ALIVE
    )
    death_date = models.DateField(null=True, blank=True)
    last_known_alive = models.DateField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "hospital_number"], name="hospital_number_unique_per_site"),
            models.CheckConstraint(
                condition=Q(vital_status="dead", death_date__isnull=False) | ~Q(vital_status="dead"),
                name="dead_patient_has_death_date",
            ),
        ]
        indexes = [models.Index(fields=["site", "family_name"])]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.hospital_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def is_dead(self) -> bool:
        return self.vital_status == choices.VitalStatus.DEAD

    def clean(self):
        errors: dict[str, list[str]] = {}
        _check_date(self.birth_date, "birth_date", errors)
        _check_date(self.death_date, "death_date", errors)  # before birth: its own message below
        for field in ("last_known_alive", "performance_date", "followup_stopped_on"):
            _check_date(getattr(self, field), field, errors, self.birth_date)
        if self.death_date and self.birth_date and self.death_date < self.birth_date:
            errors.setdefault("death_date", []).append("The date of death is before the date of birth.")
        if self.vital_status == choices.VitalStatus.DEAD and not self.death_date:
            errors.setdefault("death_date", []).append("Give the date of death for a deceased patient.")
        if self.vital_status == choices.VitalStatus.ALIVE and self.death_date:
            errors.setdefault("vital_status", []).append("A date of death is given: set the status to deceased.")
        if self.death_date and self.last_known_alive and self.last_known_alive > self.death_date:
            errors.setdefault("last_known_alive", []).append("Last known alive cannot be after the date of death.")
        if (self.kps is not None or self.ecog is not None) and not self.performance_date:
            errors.setdefault("performance_date", []).append("Give the date the performance status was assessed.")
        if self.kps is not None and self.kps % 10:
            errors.setdefault("kps", []).append("Karnofsky scores are multiples of 10.")
        unknown = set(self.metastatic_sites or []) - set(choices.MetastaticSite.values)
        if unknown:
            errors.setdefault("metastatic_sites", []).append(f"Unknown metastatic site: {', '.join(sorted(unknown))}.")
        if errors:
            raise ValidationError(errors)


class Proxy(models.Model):
    """A relative or friend who answers questionnaires about the patient."""

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="proxies")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=12, choices=choices.Relationship.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=2, choices=choices.Language.choices, default=choices.Language.EN)
    consent = models.BooleanField("Consents to answer questionnaires", default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "proxies"

    def __str__(self):
        return f"{self.name} ({self.get_relationship_display()})"


class RTCourse(models.Model):
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="courses")
    indication = models.CharField(max_length=12, choices=choices.Indication.choices)
    target_region = models.CharField(max_length=120)
    technique = models.CharField(max_length=12, choices=choices.Technique.choices)
    total_dose_gy = models.DecimalField("Total dose (Gy)", max_digits=6, decimal_places=2)
    fractions_planned = models.PositiveSmallIntegerField()
    schedule = models.CharField(max_length=8, choices=choices.Schedule.choices, default=choices.Schedule.DAILY)
    referral_date = models.DateField(null=True, blank=True)
    consultation_date = models.DateField(null=True, blank=True)
    simulation_date = models.DateField(null=True, blank=True)
    first_fraction_date = models.DateField(null=True, blank=True)
    last_fraction_date = models.DateField(null=True, blank=True)
    fractions_delivered = models.PositiveSmallIntegerField(null=True, blank=True)
    stop_reason = models.CharField(max_length=16, choices=choices.StopReason.choices, blank=True)
    is_reirradiation = models.BooleanField("Re-irradiation", default=False)
    previous_course = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="reirradiations"
    )
    couch_minutes = models.PositiveSmallIntegerField(
        "Time on the couch (minutes)", null=True, blank=True, help_text="For online-adaptive workflows."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-first_fraction_date", "-id"]
        verbose_name = "RT course"
        constraints = [
            models.CheckConstraint(condition=Q(total_dose_gy__gt=0), name="course_dose_positive"),
            models.CheckConstraint(condition=Q(fractions_planned__gt=0), name="course_fractions_positive"),
            models.CheckConstraint(
                condition=Q(fractions_delivered__isnull=True) | Q(fractions_delivered__lte=F("fractions_planned")),
                name="course_delivered_not_above_planned",
            ),
        ]
        indexes = [models.Index(fields=["patient", "first_fraction_date"])]

    def __str__(self):
        return f"{self.regimen_label} to {self.target_region}"

    @property
    def dose_per_fraction(self) -> float:
        return float(self.total_dose_gy) / self.fractions_planned

    @property
    def regimen_label(self) -> str:
        total = f"{float(self.total_dose_gy):g}"
        if self.fractions_planned == 1:
            return f"{total} Gy × 1"
        suffix = {"weekly": " weekly", "bid": " twice daily"}.get(self.schedule, "")
        return f"{total} Gy / {self.fractions_planned}{suffix}"

    @property
    def is_booked(self) -> bool:
        """The first fraction is a booked date still ahead: the course has not started."""
        return self.first_fraction_date is not None and self.first_fraction_date > timezone.localdate()

    def _check_booking(self, errors: dict) -> None:
        """A booked first fraction (in the future) within the horizon; the date of birth is in the past anyway."""
        horizon = timezone.localdate() + timedelta(days=BOOKING_HORIZON_DAYS)
        if self.first_fraction_date > horizon:
            errors.setdefault("first_fraction_date", []).append(
                f"A first fraction can be booked at most {BOOKING_HORIZON_DAYS} days ahead "
                f"(until {horizon:%d %b %Y}): check the year."
            )

    @property
    def completed(self) -> bool | None:
        if self.fractions_delivered is None:
            return None
        return self.fractions_delivered >= self.fractions_planned

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.total_dose_gy is not None and self.total_dose_gy <= 0:
            errors.setdefault("total_dose_gy", []).append("The total dose must be more than 0 Gy.")
        if self.total_dose_gy is not None and self.total_dose_gy > 150:
            errors.setdefault("total_dose_gy", []).append("A total dose above 150 Gy is not plausible.")
        if self.fractions_planned is not None and self.fractions_planned < 1:
            errors.setdefault("fractions_planned", []).append("At least one fraction must be planned.")
        if (
            self.fractions_delivered is not None
            and self.fractions_planned
            and self.fractions_delivered > self.fractions_planned
        ):
            errors.setdefault("fractions_delivered", []).append(
                f"More fractions delivered ({self.fractions_delivered}) than planned ({self.fractions_planned})."
            )
        if self.fractions_delivered is not None and self.fractions_planned:
            stopped_early = self.fractions_delivered < self.fractions_planned
            if stopped_early and not self.stop_reason and self.last_fraction_date:
                errors.setdefault("stop_reason", []).append("Say why the course stopped early.")
            if not stopped_early and self.stop_reason:
                errors.setdefault("stop_reason", []).append("The course was completed: leave the reason empty.")
        pathway = [
            ("referral_date", "referral"),
            ("consultation_date", "consultation"),
            ("simulation_date", "simulation"),
            ("first_fraction_date", "first fraction"),
            ("last_fraction_date", "last fraction"),
        ]
        birth_date = _birth_date_of(self)
        today = timezone.localdate()
        # Referral to simulation are events already recorded and the last fraction one already given: never in
        # the future. Only the first fraction may be a booking.
        for field, _ in pathway:
            if field == "first_fraction_date" and self.is_booked:
                self._check_booking(errors)
            elif field == "last_fraction_date" and self.last_fraction_date and self.last_fraction_date > today:
                errors.setdefault(field, []).append(
                    "This date is in the future: record the last fraction once it has been given."
                )
            else:
                _check_date(getattr(self, field), field, errors, birth_date)
        if self.is_booked and self.fractions_delivered is not None:
            errors.setdefault("fractions_delivered", []).append(
                f"The first fraction is booked for {self.first_fraction_date:%d %b %Y}: no fraction can have been "
                "delivered yet. Leave this empty until the course has started."
            )
        for i, (field, label) in enumerate(pathway):
            later = getattr(self, field)
            if later is None:
                continue
            # Name the nearest earlier step: "last fraction before first fraction" says most.
            for earlier_field, earlier_label in reversed(pathway[:i]):
                earlier = getattr(self, earlier_field)
                if earlier is not None and later < earlier:
                    errors.setdefault(field, []).append(f"The {label} is before the {earlier_label}.")
                    break
        if self.previous_course_id and not self.is_reirradiation:
            errors.setdefault("is_reirradiation", []).append("A course linked to an earlier course is a re-irradiation.")
        if self.previous_course_id and self.patient_id and self.previous_course.patient_id != self.patient_id:
            errors.setdefault("previous_course", []).append("The earlier course belongs to another patient.")
        if self.previous_course_id and self.pk and self.previous_course_id == self.pk:
            errors.setdefault("previous_course", []).append("A course cannot re-irradiate itself.")
        if errors:
            raise ValidationError(errors)


class Procedure(models.Model):
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="procedures")
    kind = models.CharField(max_length=16, choices=choices.ProcedureKind.choices)
    performed_on = models.DateField()
    indication = models.CharField(max_length=200, blank=True)
    hospital_days = models.PositiveSmallIntegerField("Days in hospital", null=True, blank=True)
    had_complication = models.BooleanField("Complication", default=False)
    complications = models.TextField(blank=True)

    class Meta:
        ordering = ["-performed_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.performed_on}"

    def clean(self):
        errors: dict[str, list[str]] = {}
        _check_date(self.performed_on, "performed_on", errors, _birth_date_of(self))
        if self.complications and not self.had_complication:
            errors.setdefault("had_complication", []).append("Complications are described: tick 'Complication'.")
        if self.hospital_days is not None and self.hospital_days > 365:
            errors.setdefault("hospital_days", []).append("More than 365 days in hospital is not plausible.")
        if errors:
            raise ValidationError(errors)


class Episode(models.Model):
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="episodes")
    kind = models.CharField(max_length=20, choices=choices.EpisodeKind.choices)
    onset_date = models.DateField()
    resolution_date = models.DateField(null=True, blank=True)
    management = models.CharField(max_length=16, choices=choices.EpisodeManagement.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-onset_date", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "onset_date"])]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.onset_date}"

    def clean(self):
        errors: dict[str, list[str]] = {}
        birth_date = _birth_date_of(self)
        _check_date(self.onset_date, "onset_date", errors, birth_date)
        _check_date(self.resolution_date, "resolution_date", errors, birth_date)
        if self.onset_date and self.resolution_date and self.resolution_date < self.onset_date:
            errors.setdefault("resolution_date", []).append("The episode resolved before it started.")
        if errors:
            raise ValidationError(errors)


class AnalgesicRecord(models.Model):
    """One analgesic as taken on a day; the daily oral morphine equivalent is derived, never typed in."""

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="analgesics")
    recorded_on = models.DateField()
    drug = models.CharField(max_length=20, choices=DRUG_CHOICES)
    dose = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=6, choices=choices.DoseUnit.choices, default=choices.DoseUnit.MG)
    route = models.CharField(max_length=12, choices=choices.Route.choices, default=choices.Route.ORAL)
    doses_per_day = models.DecimalField(
        max_digits=5, decimal_places=2, default=1, help_text="For a patch give 1 (the rate is per hour)."
    )
    as_needed = models.BooleanField("Breakthrough (as needed)", default=False)

    class Meta:
        ordering = ["-recorded_on", "drug"]
        indexes = [models.Index(fields=["patient", "recorded_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(dose__gt=0), name="analgesic_dose_positive"),
            models.CheckConstraint(condition=Q(doses_per_day__gt=0), name="analgesic_frequency_positive"),
        ]

    def __str__(self):
        if self.unit == choices.DoseUnit.MCG_PER_HOUR:
            return f"{self.get_drug_display()} {self.dose:g} {self.unit} patch"
        return f"{self.get_drug_display()} {self.dose:g} {self.unit} {self.route} × {self.doses_per_day:g}/day"

    def omed(self, table: str | None = None):
        """Daily oral morphine equivalent with the site's conversion table (or the one given)."""
        return record_omed(
            self.drug, self.dose, self.unit, self.route, self.doses_per_day, table or self.patient.site.omed_table
        )

    @property
    def daily_omed_display(self) -> str:
        result = self.omed()
        if result.mg_per_day is None:
            return f"not computable ({result.table})"
        return f"{result.mg_per_day:.0f} ({result.table})"

    def clean(self):
        errors: dict[str, list[str]] = {}
        _check_date(self.recorded_on, "recorded_on", errors, _birth_date_of(self))
        if self.dose is not None and self.dose <= 0:
            errors.setdefault("dose", []).append("The dose must be more than 0.")
        if self.doses_per_day is not None and self.doses_per_day <= 0:
            errors.setdefault("doses_per_day", []).append("Give how many doses a day (more than 0).")
        if self.doses_per_day is not None and self.doses_per_day > 24:
            errors.setdefault("doses_per_day", []).append("More than 24 doses a day is not plausible.")
        if self.unit == choices.DoseUnit.MCG_PER_HOUR and self.route != choices.Route.TRANSDERMAL:
            errors.setdefault("unit", []).append("Micrograms per hour is used for transdermal patches only.")
        if not errors and self.patient_id and self.drug and self.dose:
            result = self.omed()
            if result.mg_per_day is None and result.problem_part == "dose":
                errors.setdefault("dose", []).append(f"{result.problem}.")
            elif result.mg_per_day is None:
                errors.setdefault("drug", []).append(
                    f"This drug, route and unit cannot be converted to an oral morphine equivalent with the "
                    f"{result.table} table: {result.problem}"
                )
        if errors:
            raise ValidationError(errors)
