"""Questionnaires stored as FHIR R4 Questionnaire JSON, one row per (code, version).

A response records the exact instrument row it answered, so a later version never changes how an earlier
answer is read or scored.
"""

from django.db import models

from palliro.core.questionnaire import Instrument as QuestionnaireModel
from palliro.core.questionnaire import load_questionnaire


class InstrumentKind(models.TextChoices):
    PALLIRO = "palliro", "Palliro item bank"
    STANDARD = "standard", "Standard instrument (structure and scoring only)"
    SITE = "site", "Loaded by a site"


class Instrument(models.Model):
    code = models.SlugField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)
    respondent = models.CharField(
        max_length=10, default="patient", help_text="Who answers: patient, proxy or staff."
    )
    languages = models.JSONField(default=list, help_text="Languages every patient-facing string is available in.")
    resource = models.JSONField(help_text="The FHIR R4 Questionnaire.")
    scorer_code = models.CharField(max_length=64, blank=True, help_text="Key of the scoring function, if scored.")
    patient_ready = models.BooleanField(
        default=False, help_text="Has wording patients can read (not only neutral labels)."
    )
    licence = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version_unique")]

    def __str__(self):
        return f"{self.title} ({self.code} v{self.version})"

    def questionnaire(self) -> QuestionnaireModel:
        """The validated, immutable questionnaire model, parsed once per process and stored version."""
        key = (self.pk, self.loaded_at)
        model = _PARSED.get(key)
        if model is None:
            other_languages = tuple(lang for lang in self.languages if lang != "en")
            model = _PARSED[key] = load_questionnaire(self.resource, languages=other_languages)
        return model


def latest_instrument(code: str, version: str | None = None) -> Instrument | None:
    """The most recently loaded instrument with this code (and version, if given), or None.

    Without a version an active one comes first: a superseded shipped version (instruments/sync.py) is kept
    only for the responses that used it.
    """
    instruments = Instrument.objects.filter(code=code)
    if version:
        instruments = instruments.filter(version=version)
    return instruments.order_by("-active", "-loaded_at").first()


# Instruments are few and immutable per (pk, loaded_at): a plain dict is a sufficient cache.
_PARSED: dict[tuple, QuestionnaireModel] = {}
