"""Protocols in the admin: a site defines its own schedules and adjusts the shipped ones.

Every step is checked by ProtocolStep.clean (an installed questionnaire meant for the step's respondent, a link
valid for a day or more, a diary with both ends and at least one day). Saving a change to a protocol or to any
of its steps marks it edited, so that an upgrade never overwrites it (followup/protocols.py), and replans the
open invitations of its active enrolments as a course save does. A protocol with enrolments cannot be deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from palliro.followup.models import Enrolment, Protocol, ProtocolStep
from palliro.followup.protocols import STEP_FIELDS
from palliro.followup.scheduling import replan_protocol
from palliro.instruments.models import Instrument


def instrument_choices() -> list[tuple[str, str]]:
    """The installed questionnaires (newest active version of each code), for the step's questionnaire list."""
    titles: dict[str, str] = {}
    for code, title in Instrument.objects.filter(active=True).order_by("code", "-version").values_list("code", "title"):
        titles.setdefault(code, title)
    return [("", "---------")] + [(code, f"{code}: {title}") for code, title in titles.items()]


class StepForm(forms.ModelForm):
    class Meta:
        model = ProtocolStep
        fields = STEP_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("instrument_code")
        current = self.instance.instrument_code
        if field is not None and current and current not in {code for code, _ in field.widget.choices}:
            # Shown as it is (and refused by the model's check) rather than silently replaced by the first choice.
            field.widget.choices = [*field.widget.choices, (current, f"{current} (not installed)")]


class StepFormSet(BaseInlineFormSet):
    """A protocol has at least one step, and asks one questionnaire of one respondent once per time point."""

    def clean(self):
        super().clean()
        seen: set[tuple] = set()
        steps = 0
        for form in self.forms:
            if (self.can_delete and self._should_delete_form(form)) or (form.instance.pk is None
                                                                        and not form.has_changed()):
                continue
            steps += 1
            data = getattr(form, "cleaned_data", {})
            key = (data.get("label"), data.get("instrument_code"), data.get("respondent"))
            if None in key:
                continue
            if key in seen:
                form.add_error("label", "Another step already asks this questionnaire of this respondent at this "
                                        "time point: give each time point its own label.")
            seen.add(key)
        if not steps:
            raise ValidationError("A protocol needs at least one step.")


class ProtocolStepInline(admin.TabularInline):
    model = ProtocolStep
    form = StepForm
    formset = StepFormSet
    fields = STEP_FIELDS

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None else 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "instrument_code":
            return forms.CharField(
                label="Questionnaire", max_length=64,
                widget=forms.Select(choices=instrument_choices()),
                help_text="Relatives' steps use the relatives' version (ending in -proxy).",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "indication", "step_count", "active", "shipped", "edited")
    list_filter = ("active", "shipped", "edited")
    search_fields = ("name", "code")
    fields = ("code", "name", "indication", "description", "active", "shipped", "edited")
    inlines = [ProtocolStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_count=Count("steps"))

    @admin.display(description="steps", ordering="step_count")
    def step_count(self, obj):
        return obj.step_count

    def get_readonly_fields(self, request, obj=None):
        # A shipped protocol keeps its code: under another code the upgrade would ship it a second time.
        return ("code", "shipped", "edited") if obj is not None and obj.shipped else ("shipped", "edited")

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProtocolStep or not change or not formset.has_changed():
            return super().save_formset(request, form, formset, change)
        rows = formset.save(commit=False)  # the deleted rows are only listed, in formset.deleted_objects
        for row in rows:
            row.save()
        gone = {row.pk for row in formset.deleted_objects}
        # Planned with the steps that stay, so that the open links of a deleted step are cancelled before it goes.
        enrolments, changed = replan_protocol(form.instance, [s for s in form.instance.steps.all() if s.pk not in gone])
        for row in formset.deleted_objects:
            row.delete()
        if enrolments:
            messages.info(request, f"The open questionnaires of {enrolments} active enrolment(s) were replanned: "
                                   f"{changed} created, moved or cancelled.")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            Protocol.objects.filter(pk=form.instance.pk).update(edited=True)
            form.instance.edited = True

    def get_deleted_objects(self, objs, request):
        """A protocol that has enrolments is kept (their history needs it): say so instead of listing them."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            used = dict(
                Enrolment.objects.filter(protocol__in=[p.pk for p in objs]).order_by().values("protocol")
                .annotate(n=Count("pk")).values_list("protocol", "n")
            )
            protected = [
                f"{p.name}: {used[p.pk]} enrolment(s), running or finished, follow this protocol. Untick "
                "“active” to stop offering it for new enrolments."
                for p in objs if p.pk in used
            ] or protected
        return deleted, counts, perms_needed, protected
