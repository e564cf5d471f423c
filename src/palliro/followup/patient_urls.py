from django.urls import path

from palliro.followup import patient_views

urlpatterns = [
    path("<str:token>/", patient_views.respond, name="respond"),
]
