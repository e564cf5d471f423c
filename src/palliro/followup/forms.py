"""Staff forms: enrolment, proxy invitation, staff entry of a questionnaire, adherence filter."""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from palliro.accounts.models import Site
from palliro.core.questionnaire.answers import enabled_items
from palliro.followup.models import Protocol, Respondent
from palliro.followup.protocols import protocol_for_indication
from palliro.followup.scheduling import site_zone
from palliro.instruments.models import Instrument

LANGUAGE_CHOICES = list(settings.LANGUAGES)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


#: How far a start date without a course may lie from today: the last time point of a shipped protocol is
#: week 12, so a start longer ago plans nothing; a start months ahead is better enrolled nearer the time.
START_DATE_PAST_DAYS = 84
START_DATE_AHEAD_DAYS = 90


class EnrolForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="No course (time points count from the start date)",
        help_text="Time points after the first or last fraction need a course with its dates.",
    )
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(active=True))
    start_date = forms.DateField(
        required=False, label="Start date (only without a course)", widget=DATE,
        help_text="The day of the intervention (e.g. a procedure) or of the start of supportive care: without a "
                  "course, the protocol's time points count from it. Empty: today.",
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate(timezone.now(), site_zone(patient))
        courses = patient.courses.order_by("-first_fraction_date", "-id")
        self.fields["course"].queryset = courses
        self.fields["course"].label_from_instance = lambda c: f"{c.get_indication_display()}: {c} ({_dates(c)})"
        latest = courses.first()
        if latest is not None and not self.is_bound:
            self.initial.setdefault("course", latest.pk)
            default = protocol_for_indication(latest.indication)
            if default is not None:
                self.initial.setdefault("protocol", default.pk)

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        if day is None:
            return None
        if day < self.today - timedelta(days=START_DATE_PAST_DAYS):
            raise forms.ValidationError(
                f"The start date {day:%Y-%m-%d} is more than {START_DATE_PAST_DAYS // 7} weeks ago: every time "
                "point of the protocol would be over.")
        if day > self.today + timedelta(days=START_DATE_AHEAD_DAYS):
            raise forms.ValidationError(
                f"The start date {day:%Y-%m-%d} is more than {START_DATE_AHEAD_DAYS} days ahead: enrol nearer "
                "the time.")
        return day

    def clean(self):
        data = super().clean()
        if data.get("course") is not None and data.get("start_date") is not None:
            self.add_error("start_date", "A start date is only for an enrolment without a course (the course's "
                                         "fractions set the dates): clear it, or choose 'No course'.")
        return data

    def anchor_date(self):
        """The start date to enrol with: None with a course, else the date given or today at the site."""
        if self.cleaned_data["course"] is not None:
            return None
        return self.cleaned_data["start_date"] or self.today


def _dates(course) -> str:
    if course.first_fraction_date is None:
        return "no dates yet"
    if course.is_booked:
        return f"booked for {course.first_fraction_date:%Y-%m-%d}"
    return f"from {course.first_fraction_date:%Y-%m-%d}"


class StopEnrolmentForm(forms.Form):
    reason = forms.CharField(
        max_length=120, strip=True, error_messages={
            "required": "give the reason for stopping this enrolment.",
            "max_length": "the reason must be at most 120 characters (it has %(show_value)d).",
        },
    )


class ProxyInvitationForm(forms.Form):
    proxy = forms.ModelChoiceField(queryset=None, empty_label=None, label="Relative")
    instrument = forms.ModelChoiceField(queryset=None, empty_label=None, label="Questionnaire")
    window_days = forms.IntegerField(
        label="Days the link stays valid", min_value=1, max_value=28, initial=4,
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proxy"].queryset = patient.proxies.filter(active=True, consent=True)
        self.fields["instrument"].queryset = Instrument.objects.filter(
            active=True, respondent=Respondent.PROXY
        ).order_by("code", "-version")
        self.fields["instrument"].label_from_instance = lambda i: i.title


class AdherenceFilterForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my sites")
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.all(), required=False, empty_label="All protocols")

    def __init__(self, *args, site_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=site_ids)


YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


class StaffResponseForm(forms.Form):
    """A questionnaire as a plain form for a phone interview: one field per answerable item.

    Every question field is optional here: which ones are required depends on earlier answers (enableWhen), so
    the questionnaire's own validation decides and its messages are attached to the fields.
    """

    submission_id = forms.UUIDField(widget=forms.HiddenInput)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, label="Language of the interview")

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.initial.setdefault("submission_id", uuid.uuid4())
        self.link_ids: dict[str, str] = {}
        for number, item in enumerate(questionnaire.questions, start=1):
            name = f"q{number}"
            self.link_ids[name] = item.link_id
            self.fields[name] = _field_for(item)

    def field_name(self, link_id: str) -> str | None:
        return next((name for name, lid in self.link_ids.items() if lid == link_id), None)

    def answers(self) -> dict:
        """The cleaned answers keyed by linkId, without blanks and without items their conditions disable."""
        answers = {}
        for name, link_id in self.link_ids.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if value in ("yes", "no") and isinstance(self.fields[name], forms.TypedChoiceField):
                value = value == "yes"
            answers[link_id] = value
        enabled = {item.link_id for item in enabled_items(self.questionnaire, answers)}
        return {k: v for k, v in answers.items() if k in enabled}

    def attach_errors(self, errors: dict[str, str]) -> None:
        for link_id, message in errors.items():
            name = self.field_name(link_id)
            self.add_error(name, message)


def _field_for(item) -> forms.Field:
    label = item.text("en") or item.label or item.link_id
    common = {"label": label, "required": False}
    if item.type == "choice":
        choices = [(o.code, o.display("en")) for o in item.options]
        if item.repeats:
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        return forms.ChoiceField(choices=[("", "—")] + choices, **common)
    if item.type == "integer":
        return forms.IntegerField(min_value=item.min_value, max_value=item.max_value, **common)
    if item.type == "decimal":
        return forms.FloatField(min_value=item.min_value, max_value=item.max_value, **common)
    if item.type == "boolean":
        return forms.TypedChoiceField(choices=YES_NO, **common)
    widget = forms.Textarea(attrs={"rows": 3}) if item.type == "text" else forms.TextInput
    return forms.CharField(max_length=item.max_length, widget=widget, strip=True, **common)
