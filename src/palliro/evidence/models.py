"""Systematic reviews: a review has outcomes, an outcome has one row per study.

A study row stores the numbers as reported (2×2 counts, means/SDs, HR with CI, or log effect with SE);
effect sizes are always recomputed by :mod:`palliro.stats.meta`, never stored, so a fix in the engine
reaches every review.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from palliro.accounts.models import Site


class Measure(models.TextChoices):
    RR = "RR", "Risk ratio"
    OR = "OR", "Odds ratio"
    RD = "RD", "Risk difference"
    HR = "HR", "Hazard ratio"
    MD = "MD", "Mean difference"
    SMD = "SMD", "Standardised mean difference"


class Method(models.TextChoices):
    FE = "FE", "Common effect (inverse variance)"
    DL = "DL", "Random effects, DerSimonian-Laird"
    REML = "REML", "Random effects, REML"
    ML = "ML", "Random effects, maximum likelihood"
    PM = "PM", "Random effects, Paule-Mandel"
    EB = "EB", "Random effects, empirical Bayes"
    HE = "HE", "Random effects, Hedges"
    SJ = "SJ", "Random effects, Sidik-Jonkman"
    HS = "HS", "Random effects, Hunter-Schmidt"
    MH = "MH", "Mantel-Haenszel (counts)"
    PETO = "PETO", "Peto odds ratio (counts)"


DICHOTOMOUS = ("RR", "OR", "RD")
#: Counting methods and the measures they apply to (metafor rma.mh / rma.peto).
COUNT_METHODS = {"MH": DICHOTOMOUS, "PETO": ("OR",)}


class Review(models.Model):
    site = models.ForeignKey(Site, models.PROTECT, related_name="reviews")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    question = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.title


class Outcome(models.Model):
    review = models.ForeignKey(Review, models.CASCADE, related_name="outcomes")
    name = models.CharField(max_length=200)
    measure = models.CharField(max_length=4, choices=Measure.choices)
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.REML)
    knha = models.BooleanField("Knapp-Hartung adjustment", default=False)
    level = models.DecimalField("Confidence level (%)", max_digits=4, decimal_places=1, default=95)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        allowed = COUNT_METHODS.get(self.method)
        if allowed and self.measure not in allowed:
            errors["method"] = f"{self.get_method_display()} applies to {', '.join(allowed)} only."
        if self.knha and self.method in COUNT_METHODS:
            errors["knha"] = "The Knapp-Hartung adjustment applies to inverse-variance models only."
        if self.level is not None and not 50 <= float(self.level) < 100:
            errors["level"] = "Choose a level between 50 and 99.9."
        if errors:
            raise ValidationError(errors)

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("RR", "OR", "HR")


#: Numeric input columns of a study row, named as in metafor and the CSV upload.
INPUT_FIELDS = ("ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "hr", "hr_lb", "hr_ub",
                "yi", "sei")


class StudyRow(models.Model):
    outcome = models.ForeignKey(Outcome, models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField("Study", max_length=200)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    subgroup = models.CharField(max_length=100, blank=True)
    ai = models.PositiveIntegerField("Events, treatment (ai)", null=True, blank=True)
    bi = models.PositiveIntegerField("Non-events, treatment (bi)", null=True, blank=True)
    ci = models.PositiveIntegerField("Events, control (ci)", null=True, blank=True)
    di = models.PositiveIntegerField("Non-events, control (di)", null=True, blank=True)
    n1i = models.PositiveIntegerField("Patients, treatment (n1i)", null=True, blank=True)
    n2i = models.PositiveIntegerField("Patients, control (n2i)", null=True, blank=True)
    m1i = models.FloatField("Mean, treatment (m1i)", null=True, blank=True)
    sd1i = models.FloatField("SD, treatment (sd1i)", null=True, blank=True)
    m2i = models.FloatField("Mean, control (m2i)", null=True, blank=True)
    sd2i = models.FloatField("SD, control (sd2i)", null=True, blank=True)
    hr = models.FloatField("Hazard ratio", null=True, blank=True)
    hr_lb = models.FloatField("HR lower 95% limit", null=True, blank=True)
    hr_ub = models.FloatField("HR upper 95% limit", null=True, blank=True)
    yi = models.FloatField("Log effect (yi)", null=True, blank=True,
                           help_text="Log HR / log RR / log OR, or the difference for RD.")
    sei = models.FloatField("Standard error of yi", null=True, blank=True)
    source = models.CharField("Source note", max_length=300, blank=True)
    is_own_cohort = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.label

    def inputs(self) -> dict[str, float]:
        """The numeric inputs that were filled in, by column name."""
        return {f: float(getattr(self, f)) for f in INPUT_FIELDS if getattr(self, f) is not None}
