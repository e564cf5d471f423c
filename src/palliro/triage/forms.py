from django import forms
from django.contrib.auth import get_user_model

from palliro.accounts.models import CARE_ROLES
from palliro.followup.models import Protocol
from palliro.triage.models import AlertState, Outcome, Severity

STATE_FILTERS = [("open", "Open and acknowledged"), ("resolved", "Resolved"), ("all", "All")]


def colleagues(site_ids):
    """Care staff of the given sites: who an alert can be assigned to."""
    return (
        get_user_model().objects.filter(memberships__site_id__in=site_ids, memberships__role__in=CARE_ROLES,
                                        is_active=True)
        .distinct().order_by("username")
    )


class WorklistFilterForm(forms.Form):
    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Site")
    severity = forms.ChoiceField(required=False, choices=[("", "Any")] + list(Severity.choices))
    assignee = forms.ChoiceField(required=False, label="Assigned to")
    protocol = forms.ChoiceField(required=False, label="Protocol")
    state = forms.ChoiceField(required=False, choices=STATE_FILTERS, label="State")

    def __init__(self, *args, sites, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "All my sites")] + [(s.pk, s.name) for s in sites]
        people = colleagues([s.pk for s in sites])
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me"), ("none", "Nobody")] + [
            (str(u.pk), u.get_username()) for u in people if u.pk != user.pk
        ]
        self.fields["protocol"].choices = [("", "Any")] + list(Protocol.objects.values_list("code", "name"))


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Assign to")

    def __init__(self, *args, site_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {u.pk: u for u in colleagues([site_id])}
        self.fields["assignee"].choices = [("", "Nobody")] + [(pk, u.get_username()) for pk, u in self.people.items()]


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label="Note")


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose…")] + list(Outcome.choices), label="Outcome")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False,
                           label="Note with the outcome")


__all__ = ["AlertState", "AssignForm", "NoteForm", "ResolveForm", "WorklistFilterForm"]
