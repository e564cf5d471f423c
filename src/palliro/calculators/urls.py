from django.urls import path

from palliro.calculators import views

app_name = "calculators"

urlpatterns = [
    path("", views.index, name="index"),
    path("bed/", views.bed, name="bed"),
    path("compare/", views.compare, name="compare"),
    path("isoeffect/", views.isoeffect, name="isoeffect"),
    path("brachytherapy/", views.brachy, name="brachy"),
    path("reirradiation/", views.reirradiation, name="reirradiation"),
    path("omed/", views.omed, name="omed"),
    path("pain-response/", views.pain_response, name="pain_response"),
    path("pain-flare/", views.flare, name="flare"),
    path("prognosis/", views.prognosis_index, name="prognosis_index"),
    path("prognosis/<slug:model>/", views.prognosis, name="prognosis"),
    path("cvi/", views.cvi, name="cvi"),
    path("patient/<int:pk>/prognosis/", views.patient_prognosis, name="patient_prognosis"),
]
