from django.urls import path

from palliro.triage import views

app_name = "triage"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("alert/<int:pk>/", views.alert_detail, name="alert"),
    path("alert/<int:pk>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("alert/<int:pk>/assign/", views.alert_assign, name="assign"),
    path("alert/<int:pk>/note/", views.alert_note, name="note"),
    path("alert/<int:pk>/resolve/", views.alert_resolve, name="resolve"),
    path("patient/<int:pk>/", views.timeline, name="timeline"),
    path("patient/<int:pk>/<slug:kind>.<slug:fmt>", views.timeline_plot, name="timeline_plot"),
]
