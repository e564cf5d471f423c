"""Admin pages for clinic records, limited to the sites where the user is a site administrator."""

from django.contrib import admin

from palliro.accounts.access import audit
from palliro.accounts.models import Membership, Role
from palliro.clinic.models import AnalgesicRecord, Episode, Patient, Procedure, Proxy, RTCourse


def admin_site_ids(user) -> set[int]:
    return set(Membership.objects.filter(user=user, role=Role.ADMIN).values_list("site_id", flat=True))


class SiteScopedAdmin(admin.ModelAdmin):
    """Superusers see everything; a site administrator sees only the records of their own sites."""

    site_path = "patient__site_id"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.site_path}__in": admin_site_ids(request.user)})

    def changelist_view(self, request, extra_context=None):
        audit(request, f"admin_{self.model._meta.model_name}_list")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            patient = obj if isinstance(obj, Patient) else obj.patient
            audit(request, f"admin_{self.model._meta.model_name}_view", patient=patient, obj=obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            sites = admin_site_ids(request.user)
            if db_field.name == "patient":
                kwargs["queryset"] = Patient.objects.filter(site_id__in=sites)
            elif db_field.name == "site":
                from palliro.accounts.models import Site

                kwargs["queryset"] = Site.objects.filter(id__in=sites)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Patient)
class PatientAdmin(SiteScopedAdmin):
    site_path = "site_id"
    list_display = ("pseudonym", "family_name", "given_name", "hospital_number", "site", "vital_status")
    list_filter = ("site", "vital_status", "primary_tumour")
    search_fields = ("pseudonym", "hospital_number", "family_name")


@admin.register(RTCourse)
class RTCourseAdmin(SiteScopedAdmin):
    list_display = ("patient", "indication", "total_dose_gy", "fractions_planned", "first_fraction_date")
    list_filter = ("indication", "technique")
    raw_id_fields = ("patient", "previous_course")


@admin.register(Procedure)
class ProcedureAdmin(SiteScopedAdmin):
    list_display = ("patient", "kind", "performed_on", "hospital_days")
    raw_id_fields = ("patient",)


@admin.register(Episode)
class EpisodeAdmin(SiteScopedAdmin):
    list_display = ("patient", "kind", "onset_date", "resolution_date")
    raw_id_fields = ("patient",)


@admin.register(AnalgesicRecord)
class AnalgesicRecordAdmin(SiteScopedAdmin):
    list_display = ("patient", "recorded_on", "drug", "dose", "unit", "route")
    raw_id_fields = ("patient",)


@admin.register(Proxy)
class ProxyAdmin(SiteScopedAdmin):
    list_display = ("name", "patient", "relationship", "consent")
    raw_id_fields = ("patient",)
