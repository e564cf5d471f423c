"""Patient and proxy pages, reached only through the secret link in an invitation (mounted at /r/)."""

from django.urls import path

from palliro.followup import patient_views

urlpatterns = [
    path("<str:token>/", patient_views.respond, name="respond"),
    path("<str:token>/check/", patient_views.check, name="respond_check"),
    path("<str:token>/review/", patient_views.review, name="respond_review"),
    path("<str:token>/done/", patient_views.done, name="respond_done"),
]
