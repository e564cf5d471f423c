"""course_dose, prognosis_for_patient and the inclusion templates for the clinic patient page."""

from datetime import date

import pytest
from django.template import Context, Template

from palliro.calculators.patient import course_dose, prognosis_for_patient, record_inputs
from palliro.clinic.models import RTCourse


def make_course(patient, **extra):
    values = dict(patient=patient, indication="pain", target_region="L3", technique="conventional",
                  total_dose_gy=20, fractions_planned=5)
    values.update(extra)
    return RTCourse.objects.create(**values)


@pytest.mark.django_db
class TestCourseDose:
    def test_planned_dose(self, ann):
        # clinical.md §2.3: 20 Gy/5 -> BED10 28.00, EQD2(10) 23.33, BED3 46.67, EQD2(3) 28.00.
        d = course_dose(make_course(ann))
        assert d.planned.bed10 == pytest.approx(28.0) and d.planned.eqd2_10 == pytest.approx(23.3333, abs=1e-4)
        assert d.planned.bed3 == pytest.approx(46.6667, abs=1e-4) and d.planned.eqd2_3 == pytest.approx(28.0)
        assert d.delivered is None and d.unverified

    def test_delivered_dose_when_stopped_early(self, ann):
        # 3 of 5 fractions of 4 Gy = 12 Gy/3: BED10 = 12 * 1.4 = 16.80.
        d = course_dose(make_course(ann, fractions_delivered=3, stop_reason="deterioration"))
        assert d.delivered.regimen.fractions == 3 and d.delivered.bed10 == pytest.approx(16.8)

    def test_sbrt_warning(self, ann):
        d = course_dose(make_course(ann, total_dose_gy=24, fractions_planned=2, technique="sbrt"))
        assert d.planned.bed10 == pytest.approx(52.8) and d.warnings[0].code == "LQ_HIGH_DOSE_PER_FRACTION"

    def test_include_renders(self, ann):
        course = make_course(ann, fractions_delivered=3, stop_reason="deterioration")
        html = Template('{% include "calculators/includes/course_dose.html" with course=c %}').render(
            Context({"c": course}))
        assert "BED10 28.0" in html and "EQD2(10) 23.3" in html and "Delivered 3" in html and "16.8" in html


@pytest.mark.django_db
class TestPrognosisForPatient:
    def test_record_mapping(self, ann):
        ann.primary_tumour, ann.metastatic_sites, ann.kps = "myeloma", ["spine", "bone"], 70
        values = record_inputs(ann, today=date(2026, 5, 17))
        assert values["primary"] == "myeloma_lymphoma" and values["bone_only_metastases"] is True
        assert values["liver_metastases"] is False and values["age"] == 76 and values["kps"] == 70

    def test_empty_metastatic_sites_are_missing_not_no(self, ann):
        items = {p.key: p for p in prognosis_for_patient(ann)}
        assert items["chow_nrf3"].result is None and items["chow_nrf3"].missing == ("bone_only_metastases", "kps")

    def test_it_computes_where_the_data_allow(self, ann):
        ann.primary_tumour, ann.metastatic_sites, ann.kps = "breast", ["bone"], 80
        items = {p.key: p for p in prognosis_for_patient(ann)}
        assert items["chow_nrf3"].result.group == "I" and items["chow_sps3"].result.points == 0
        assert items["teachh"].result is None and "prior_chemo_courses" in items["teachh"].missing

    def test_unusable_record_values_are_reported(self, ann):
        ann.metastatic_sites, ann.kps, ann.ecog = ["bone"], 80, 5
        items = {p.key: p for p in prognosis_for_patient(ann)}
        assert items["chow_nrf3"].result is not None
        assert all(p.error == "" for p in items.values())  # ECOG 5 only feeds models still missing inputs

    def test_include_renders(self, ann):
        ann.metastatic_sites, ann.kps = ["bone", "liver"], 50
        html = Template('{% include "calculators/includes/patient_prognosis.html" with patient=p %}').render(
            Context({"p": ann}))
        assert "Chow NRF3" in html and "Missing:" in html and "Andersen" not in html
