from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from palliro.accounts import views as account_views

if settings.REQUIRE_TWO_FACTOR:
    from django_otp.admin import OTPAdminSite

    admin.site.__class__ = OTPAdminSite

admin.site.site_header = "Palliro administration"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("palliro.accounts.urls")),
    path("patients/", include("palliro.clinic.urls")),
    path("instruments/", include("palliro.instruments.urls")),
    path("followup/", include("palliro.followup.urls")),
    path("r/", include("palliro.followup.patient_urls")),
    path("triage/", include("palliro.triage.urls")),
    path("calculators/", include("palliro.calculators.urls")),
    path("research/", include("palliro.research.urls")),
    path("evidence/", include("palliro.evidence.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
