"""Forms of the research pages: the cohort builder and the report options."""

from django import forms

from palliro.accounts.models import Site
from palliro.clinic import choices
from palliro.followup.models import Protocol
from palliro.research.alive import ALIVE_EVIDENCE, DEFAULT_ALIVE_EVIDENCE
from palliro.research.analyses import (
    COVARIATE_CHOICES,
    GROUP_CHOICES,
    ORIGIN_CHOICES,
    OUTCOME_CHOICES,
    ReportOptions,
)
from palliro.research.models import Cohort
from palliro.stats.survival import DAYS_PER_MONTH


class CohortForm(forms.ModelForm):
    indications = forms.MultipleChoiceField(
        choices=choices.Indication.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every indication.",
    )
    techniques = forms.MultipleChoiceField(
        choices=choices.Technique.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tumours = forms.MultipleChoiceField(
        label="Primary tumours", choices=choices.PrimaryTumour.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Cohort
        fields = [
            "name", "sites", "unit", "first_fraction_from", "first_fraction_to", "indications", "techniques",
            "tumours", "regimen_total_dose_gy", "regimen_fractions", "protocol",
        ]
        widgets = {
            "sites": forms.CheckboxSelectMultiple,
            "first_fraction_from": forms.DateInput(attrs={"type": "date"}),
            "first_fraction_to": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, site_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A cohort can only name sites the user belongs to.
        self.fields["sites"].queryset = Site.objects.filter(id__in=site_ids).order_by("name")
        self.fields["protocol"].queryset = Protocol.objects.order_by("name")
        self.fields["protocol"].required = False


_TIME_HELP = "Days, separated by commas (default 7, 30.4, 91.3, 182.6: 7 days, 1, 3 and 6 months)."


class ReportForm(forms.Form):
    origin = forms.ChoiceField(label="Survival from", choices=list(ORIGIN_CHOICES.items()), initial="first_fraction",
                               required=False)
    group_by = forms.ChoiceField(label="Compare groups by", choices=list(GROUP_CHOICES.items()), required=False,
                                 initial="indication")
    times = forms.CharField(label="Survival at (days)", required=False, help_text=_TIME_HELP)
    covariates = forms.MultipleChoiceField(label="Cox model covariates", choices=list(COVARIATE_CHOICES.items()),
                                           required=False, widget=forms.CheckboxSelectMultiple, initial=["age"])
    horizon_days = forms.IntegerField(label="Mortality horizon (days)", min_value=1, max_value=365, initial=30,
                                      required=False)
    ci_method = forms.ChoiceField(label="Confidence interval for proportions",
                                  choices=[("wilson", "Wilson"), ("clopper-pearson", "Exact (Clopper–Pearson)")],
                                  initial="wilson", required=False)
    outcome = forms.ChoiceField(label="Proportion: outcome", choices=list(OUTCOME_CHOICES.items()),
                                initial="completed", required=False)
    outcome_group = forms.ChoiceField(label="Proportion: by", choices=list(GROUP_CHOICES.items())[1:],
                                      initial="indication", required=False)
    alive_evidence = forms.ChoiceField(
        label="Last known alive (for patients without a date of death)", choices=list(ALIVE_EVIDENCE.items()),
        initial=DEFAULT_ALIVE_EVIDENCE, required=False,
        help_text="Where survival and mortality stop following a living patient. A questionnaire the patient "
                  "answered themselves proves they were alive that day; relatives' answers and staff interviews "
                  "do not count.",
    )

    def clean_times(self):
        raw = (self.cleaned_data.get("times") or "").strip()
        if not raw:
            return (7.0, DAYS_PER_MONTH, 3 * DAYS_PER_MONTH, 6 * DAYS_PER_MONTH)
        try:
            values = tuple(float(x) for x in raw.replace(";", ",").split(",") if x.strip())
        except ValueError:
            raise forms.ValidationError("Give days as numbers separated by commas, e.g. 7, 30, 90.") from None
        if not values or any(not 0 <= v <= 3650 for v in values):
            raise forms.ValidationError("Each time must be between 0 and 3650 days.")
        if len(values) > 10:
            raise forms.ValidationError("At most 10 times.")
        return tuple(sorted(set(values)))

    def options(self) -> ReportOptions:
        d = self.cleaned_data
        return ReportOptions(
            origin=d.get("origin") or "first_fraction", group_by=d.get("group_by") or "", times=d["times"],
            covariates=tuple(d.get("covariates") or ("age",)), horizon_days=d.get("horizon_days") or 30,
            ci_method=d.get("ci_method") or "wilson", outcome=d.get("outcome") or "completed",
            outcome_group=d.get("outcome_group") or "indication",
            alive_evidence=d.get("alive_evidence") or DEFAULT_ALIVE_EVIDENCE,
        )
