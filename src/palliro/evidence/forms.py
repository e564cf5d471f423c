from decimal import Decimal

from django import forms

from palliro.accounts.models import Site
from palliro.clinic.choices import Indication
from palliro.evidence.cohort import CohortSpec, Regimen
from palliro.evidence.models import INPUT_FIELDS, Method, Outcome, Review, StudyRow
from palliro.evidence.tables import StudyInput, validate_study
from palliro.research.alive import ALIVE_EVIDENCE, DEFAULT_ALIVE_EVIDENCE
from palliro.stats.errors import StatsInputError


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["title", "question", "site"]

    def __init__(self, *args, site_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=site_ids).order_by("name")
        if len(site_ids) == 1:
            self.fields["site"].initial = next(iter(site_ids))


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["name", "measure", "method", "knha", "level"]


class StudyRowForm(forms.ModelForm):
    class Meta:
        model = StudyRow
        fields = ["label", "year", "subgroup", *INPUT_FIELDS, "source"]

    def __init__(self, *args, measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        inputs = {f: float(data[f]) for f in INPUT_FIELDS if data.get(f) is not None}
        for error in validate_study(StudyInput(data.get("label", ""), inputs), self.measure):
            target = error.column if error.column in self.fields else None
            self.add_error(target, error.message if target else f"{error.column}: {error.message}")
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label="Study table (CSV)",
                           help_text="One row per study, columns named as in metafor (see the list below).")
    subgroup_column = forms.CharField(required=False, max_length=100,
                                      help_text="Optional: name of the column that holds subgroups (default 'group').")
    replace = forms.BooleanField(required=False, label="Replace the studies already entered")


class GroupsForm(forms.Form):
    """Two regimens of the department's own RT courses."""

    indication = forms.ChoiceField(choices=[("", "Any indication"), *Indication.choices], required=False)
    date_from = forms.DateField(required=False, label="First fraction from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="First fraction until", widget=forms.DateInput(attrs={"type": "date"}))
    a_dose = forms.DecimalField(label="Group A: total dose (Gy)", min_value=Decimal("0.01"), max_digits=6, decimal_places=2)
    a_fractions = forms.IntegerField(label="Group A: fractions", min_value=1, max_value=100)
    b_dose = forms.DecimalField(label="Group B: total dose (Gy)", min_value=Decimal("0.01"), max_digits=6, decimal_places=2)
    b_fractions = forms.IntegerField(label="Group B: fractions", min_value=1, max_value=100)
    alive_evidence = forms.ChoiceField(
        label="Last known alive (for patients without a date of death)", choices=list(ALIVE_EVIDENCE.items()),
        initial=DEFAULT_ALIVE_EVIDENCE, required=False,
        help_text="A questionnaire the patient answered themselves proves they were alive that day; relatives' "
                  "answers and staff interviews do not count.",
    )

    def spec(self, site_ids) -> CohortSpec | None:
        """The cohort specification, or None with the error added to the form."""
        d = self.cleaned_data
        try:
            return CohortSpec(frozenset(site_ids), Regimen(d["a_dose"], d["a_fractions"]),
                              Regimen(d["b_dose"], d["b_fractions"]), d.get("indication") or "",
                              d.get("date_from"), d.get("date_to"),
                              d.get("alive_evidence") or DEFAULT_ALIVE_EVIDENCE)
        except StatsInputError as exc:
            self.add_error(None, str(exc).split(": ", 1)[-1])
            return None


class OwnCohortForm(GroupsForm):
    days = forms.IntegerField(label="Death within (days of the first fraction)", min_value=1, max_value=3650,
                              initial=30, required=False,
                              help_text="Used for risk and odds ratios; hazard ratios use survival from the first fraction.")
    label = forms.CharField(max_length=200, initial="Own cohort")


class IPDForm(forms.Form):
    file = forms.FileField(label="Patient data (CSV)",
                           help_text="Columns trial, arm (1 treatment / 0 control), time (> 0), event (1/0).")
    model = forms.ChoiceField(choices=[("cox", "Time to event (Cox)"), ("logistic", "Binary outcome (logistic)")])
    covariates = forms.CharField(required=False, max_length=300, help_text="Optional: covariate columns, comma separated.")
    method = forms.ChoiceField(choices=[(m.value, m.label) for m in Method if m.value not in ("MH", "PETO")],
                               initial="REML", label="Two-stage pooling")
    knha = forms.BooleanField(required=False, label="Knapp-Hartung adjustment")
    include_own = forms.BooleanField(required=False, label="Add the department's own patients as one more trial")

    def covariate_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data.get("covariates", "").split(",") if c.strip()]


class IPDOwnForm(GroupsForm):
    """Groups of own patients for the IPD page (prefix ``own``); days for the logistic model."""

    days = forms.IntegerField(label="Death within (days), logistic model", min_value=1, max_value=3650,
                              initial=30, required=False)
