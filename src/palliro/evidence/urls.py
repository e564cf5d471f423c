from django.urls import path

from palliro.evidence import views, views_cohort

app_name = "evidence"

urlpatterns = [
    path("", views.review_list, name="review_list"),
    path("new/", views.review_create, name="review_create"),
    path("<int:pk>/", views.review_detail, name="review_detail"),
    path("<int:pk>/edit/", views.review_edit, name="review_edit"),
    path("<int:pk>/outcomes/new/", views.outcome_create, name="outcome_create"),
    path("<int:pk>/ipd/", views_cohort.ipd, name="ipd"),
    path("outcomes/<int:pk>/", views.outcome_detail, name="outcome_detail"),
    path("outcomes/<int:pk>/edit/", views.outcome_edit, name="outcome_edit"),
    path("outcomes/<int:pk>/upload/", views.outcome_upload, name="outcome_upload"),
    path("outcomes/<int:pk>/studies/new/", views.row_create, name="row_create"),
    path("outcomes/<int:pk>/own-cohort/", views_cohort.own_cohort, name="own_cohort"),
    path("outcomes/<int:pk>/<str:kind>.<str:fmt>", views.outcome_plot, name="outcome_plot"),
    path("outcomes/<int:pk>/export/<str:what>.csv", views.outcome_export, name="outcome_export"),
    path("studies/<int:pk>/edit/", views.row_edit, name="row_edit"),
    path("studies/<int:pk>/delete/", views.row_delete, name="row_delete"),
]
