from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst

from palliro.accounts.models import Site
from palliro.clinic import choices
from palliro.clinic.models import (
    BOOKING_HORIZON_DAYS,
    AnalgesicRecord,
    Episode,
    Patient,
    Procedure,
    Proxy,
    RTCourse,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_widgets(*names):
    return {name: DATE for name in names}


class ClinicModelForm(forms.ModelForm):
    """A model form whose model rules may name a field it does not show.

    Patient.clean() compares the date of birth with the date of death, which the patient form does not edit;
    Django would raise ValueError for such an error. Here it becomes a form-wide error naming the field.
    """

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            shown, elsewhere = {}, []
            for field, field_errors in errors.error_dict.items():
                if field == NON_FIELD_ERRORS or field in self.fields:
                    shown[field] = field_errors
                    continue
                label = capfirst(self._meta.model._meta.get_field(field).verbose_name)
                elsewhere.extend(f"{label}: {message}" for error in field_errors for message in error.messages)
            if elsewhere:
                shown.setdefault(NON_FIELD_ERRORS, []).extend(ValidationError(m) for m in elsewhere)
                errors = ValidationError(shown)
        super()._update_errors(errors)


class PatientForm(ClinicModelForm):
    metastatic_sites = forms.MultipleChoiceField(
        choices=choices.MetastaticSite.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Patient
        fields = [
            "site", "hospital_number", "given_name", "family_name", "birth_date", "sex", "language",
            "primary_tumour", "metastatic_sites", "kps", "ecog", "performance_date", "phone", "email",
            "followup_consent", "research_consent", "followup_stopped_on",
        ]
        widgets = _date_widgets("birth_date", "performance_date", "followup_stopped_on")

    def __init__(self, *args, care_site_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(id__in=care_site_ids)
        if len(care_site_ids) == 1 and not self.instance.pk:
            self.fields["site"].initial = next(iter(care_site_ids))

    def clean(self):
        cleaned = super().clean()
        site, number = cleaned.get("site"), cleaned.get("hospital_number")
        if site and number:
            clash = Patient.objects.filter(site=site, hospital_number=number).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("hospital_number", "Another patient at this site has this hospital number.")
        return cleaned


class VitalStatusForm(ClinicModelForm):
    class Meta:
        model = Patient
        fields = ["vital_status", "death_date", "last_known_alive"]
        widgets = _date_widgets("death_date", "last_known_alive")


class ProxyForm(ClinicModelForm):
    class Meta:
        model = Proxy
        fields = ["name", "relationship", "phone", "email", "language", "consent", "active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError("Give a phone number or an e-mail address so the proxy can be reached.")
        return cleaned


class RTCourseForm(ClinicModelForm):
    class Meta:
        model = RTCourse
        fields = [
            "indication", "target_region", "technique", "total_dose_gy", "fractions_planned", "schedule",
            "referral_date", "consultation_date", "simulation_date", "first_fraction_date",
            "last_fraction_date", "fractions_delivered", "stop_reason", "is_reirradiation", "previous_course",
            "couch_minutes", "notes",
        ]
        widgets = _date_widgets(
            "referral_date", "consultation_date", "simulation_date", "first_fraction_date", "last_fraction_date"
        )
        help_texts = {
            "first_fraction_date": (
                f"Given, or booked: up to {BOOKING_HORIZON_DAYS} days ahead, so that follow-up can start before "
                "treatment."
            ),
            "last_fraction_date": "Once given.",
            "fractions_delivered": "Once the course has started.",
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        earlier = RTCourse.objects.filter(patient=patient)
        if self.instance.pk:
            earlier = earlier.exclude(pk=self.instance.pk)
        self.fields["previous_course"].queryset = earlier


class ProcedureForm(ClinicModelForm):
    class Meta:
        model = Procedure
        fields = ["kind", "performed_on", "indication", "hospital_days", "had_complication", "complications"]
        widgets = _date_widgets("performed_on")


class EpisodeForm(ClinicModelForm):
    class Meta:
        model = Episode
        fields = ["kind", "onset_date", "resolution_date", "management", "notes"]
        widgets = _date_widgets("onset_date", "resolution_date")


class AnalgesicForm(ClinicModelForm):
    class Meta:
        model = AnalgesicRecord
        fields = ["recorded_on", "drug", "dose", "unit", "route", "doses_per_day", "as_needed"]
        widgets = _date_widgets("recorded_on")


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="All my sites")

    def __init__(self, *args, site_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(id__in=site_ids)
