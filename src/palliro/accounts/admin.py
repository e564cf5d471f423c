from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from palliro.accounts.models import AuditEvent, Membership, Site


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone", "email")
    search_fields = ("name", "code")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")
    search_fields = ("user__username", "site__name")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "patient", "ip_address", "path")
    list_filter = ("action",)
    search_fields = ("username", "path")

    # The audit trail is evidence: nobody edits or deletes it through the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Users are edited together with their site memberships.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PalliroUserAdmin(UserAdmin):
    inlines = [MembershipInline]
