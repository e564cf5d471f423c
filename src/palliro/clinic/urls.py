from django.urls import path

from palliro.clinic import views

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:pk>/", views.patient_detail, name="patient_detail"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:pk>/vital-status/", views.vital_status_edit, name="vital_status_edit"),
    path("<int:pk>/<slug:kind>/new/", views.record_create, name="record_create"),
    path("records/<slug:kind>/<int:record_pk>/edit/", views.record_edit, name="record_edit"),
]
