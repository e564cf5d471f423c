from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_zone_name(name: str) -> None:
    """A time zone Python knows (IANA name such as Europe/Brussels): a site's days and due times follow it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "%(name)s is not a known time zone; use an IANA name such as Europe/Amsterdam or America/Montreal.",
            code="unknown_zone", params={"name": name},
        ) from None


class Site(models.Model):
    """A hospital or department. Staff see only the patients of the sites they belong to."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=40, blank=True, help_text="Number patients are told to call when a symptom needs attention."
    )
    email = models.EmailField(blank=True, help_text="Team address for urgent alert notifications.")
    timezone = models.CharField(
        max_length=64, default="Europe/Amsterdam", validators=[validate_zone_name],
        help_text="IANA time zone name, e.g. Europe/Amsterdam: the site's days, due times and answer days follow it.",
    )
    link_check = models.CharField(
        "Second check on patient links",
        max_length=12,
        default="none",
        choices=[("none", "None: the link alone opens the questionnaire"), ("birth_year", "Year of birth")],
    )
    omed_table = models.CharField(
        "Opioid conversion table",
        max_length=16,
        default="CDC2022",
        choices=[("CDC2022", "CDC 2022 clinical MME factors"), ("BNF", "BNF palliative care equivalences")],
        help_text="Used to compute daily oral morphine equivalents for this site's patients.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> tzinfo:
        """The site's wall clock: due times, "today" and the days of its patients' answers follow it."""
        return Site.zone_named(self.timezone)

    @staticmethod
    def zone_named(name: str | None) -> tzinfo:
        """The zone called ``name`` (a site's ``timezone`` read without its row); the server's zone when the
        name is blank or unknown, so a mistyped zone never stops a submission or a schedule."""
        try:
            return ZoneInfo(name) if name else timezone.get_current_timezone()
        except (ZoneInfoNotFoundError, ValueError):
            return timezone.get_current_timezone()


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    NURSE = "nurse", "Nurse navigator"
    RESEARCHER = "researcher", "Researcher"
    ADMIN = "admin", "Site administrator"


CARE_ROLES = (Role.CLINICIAN, Role.NURSE, Role.ADMIN)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="one_membership_per_site")]
        ordering = ["site__name", "user__username"]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} at {self.site}"


class AuditEvent(models.Model):
    """Who looked at or exported which patient's data, when and from where. Never edited."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    patient = models.ForeignKey("clinic.Patient", models.SET_NULL, null=True, blank=True, related_name="+")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"
