from django.urls import path

from palliro.research import views

app_name = "research"

urlpatterns = [
    path("", views.cohort_list, name="cohort_list"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/edit/", views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/", views.cohort_report, name="cohort_report"),
    path("cohorts/<int:pk>/tables/<slug:key>.<str:fmt>", views.table_export, name="table_export"),
    path("cohorts/<int:pk>/figures/<slug:key>.<str:fmt>", views.figure_export, name="figure_export"),
    path("cohorts/<int:pk>/fhir.json", views.fhir_export, name="fhir_export"),
]
