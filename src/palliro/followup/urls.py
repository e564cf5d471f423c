from django.conf import settings
from django.urls import path

from palliro.followup import response_views, views

urlpatterns = [
    path("patient/<int:pk>/", views.patient_followup, name="followup_patient"),
    path("patient/<int:pk>/enrol/", views.enrol_patient, name="followup_enrol"),
    path("patient/<int:pk>/relative/", views.proxy_invitation, name="followup_proxy_invitation"),
    path("enrolment/<int:pk>/stop/", views.enrolment_stop, name="followup_enrolment_stop"),
    path("invitation/<int:pk>/send/", views.invitation_send, name="followup_invitation_send"),
    path("invitation/<int:pk>/cancel/", views.invitation_cancel, name="followup_invitation_cancel"),
    path("invitation/<int:pk>/handout/", views.invitation_handout, name="followup_handout"),
    path("invitation/<int:pk>/interview/", views.staff_entry, name="followup_staff_entry"),
    path("adherence/", views.adherence, name="followup_adherence"),
    path("response/<int:pk>/", response_views.response_detail, name="response_detail"),
]

# Benchmark endpoints (bench/bench_submit.py): mounted only when the server is started with PALLIRO_BENCH=1,
# which the system checks refuse in production mode (accounts/checks.py, palliro.E006).
if settings.BENCH_ENDPOINTS:
    from palliro.followup import bench_views

    urlpatterns += [
        path("bench/submit/<str:token>/", bench_views.bench_submit, name="followup_bench_submit"),
        path("bench/bare/", bench_views.bench_bare, name="followup_bench_bare"),
        path("bench/rows/<int:invitation_id>/<int:patient_id>/<int:instrument_id>/", bench_views.bench_rows,
             name="followup_bench_rows"),
    ]
