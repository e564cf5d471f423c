from django.contrib import admin

from palliro.triage.models import Alert, AlertNote, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    """Rules are validated by palliro.core.rules (AlertRule.clean); an edited shipped rule is kept on upgrade."""

    list_display = ("code", "kind", "severity", "active", "shipped", "edited")
    list_filter = ("kind", "severity", "active")
    search_fields = ("code", "reason")

    def save_model(self, request, obj, form, change):
        if change:
            obj.edited = True
        super().save_model(request, obj, form, change)


class AlertNoteInline(admin.TabularInline):
    model = AlertNote
    extra = 0
    readonly_fields = ("author", "text", "action", "created")
    can_delete = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "rule", "severity", "state", "created", "acknowledged_at", "resolved_at", "outcome")
    list_filter = ("severity", "state", "outcome")
    list_select_related = ("rule",)
    raw_id_fields = ("patient", "response", "assignee", "acknowledged_by", "resolved_by")
    readonly_fields = (
        "created", "acknowledged_at", "resolved_at", "repeat_count", "last_fired", "notified_at", "unverified",
    )
    inlines = [AlertNoteInline]
