from django.urls import path

from palliro.instruments import preview, views

urlpatterns = [
    path("", views.instrument_list, name="instrument_list"),
    path("<slug:code>/<str:version>/", views.instrument_detail, name="instrument_detail"),
    path("<slug:code>/<str:version>/fhir.json", views.instrument_fhir, name="instrument_fhir"),
    path("<slug:code>/<str:version>/preview/", preview.instrument_preview, name="instrument_preview"),
]
