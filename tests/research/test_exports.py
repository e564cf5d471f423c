"""Exports: CSV parses, Excel opens with openpyxl, figures are PNG/SVG, the FHIR Bundle validates with
fhir.resources R4B, free text never leaves, and every export is audited."""

import csv
import io
import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook

from palliro.accounts.models import AuditEvent
from palliro.followup.models import Response
from tests.research.test_endpoints import answered  # noqa: F401  (fixture)


@pytest.fixture
def cohort(lung_patients, make_cohort):
    return make_cohort()


@pytest.mark.django_db
class TestTableExports:
    def test_csv_parses(self, cohort, login, researcher):
        response = login(researcher).get(reverse("research:table_export", args=[cohort.pk, "km_median", "csv"]),
                                         {"group_by": "sex"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert {r["group"]: r["median_days"] for r in rows} == {"all": "310.0", "female": "426.0", "male": "270.0"}
        assert AuditEvent.objects.filter(action="research_export_table", detail="km_median.csv").exists()

    def test_xlsx_opens(self, cohort, login, clinician_a):
        response = login(clinician_a).get(reverse("research:table_export", args=[cohort.pk, "mortality", "xlsx"]))
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(response.content))
        assert wb["table"]["A1"].value == "group" and wb["table"]["A2"].value == "all"
        assert wb["cohort"]["A1"].value == "Table"
        assert AuditEvent.objects.filter(action="research_export_table", detail="mortality.xlsx").exists()

    @pytest.mark.parametrize("key, fmt", [("km_median", "pdf"), ("nonsense", "csv"), ("km", "png")])
    def test_unknown_tables_and_formats_are_404(self, cohort, login, researcher, key, fmt):
        assert login(researcher).get(reverse("research:table_export", args=[cohort.pk, key, fmt])).status_code == 404


@pytest.mark.django_db
class TestFigureExports:
    @pytest.mark.parametrize("key, fmt, magic", [("km", "png", b"\x89PNG"), ("km", "svg", b"<?xml"),
                                                 ("calibration_chow_nrf3", "svg", b"<?xml")])
    def test_figures_download(self, cohort, login, researcher, key, fmt, magic):
        response = login(researcher).get(reverse("research:figure_export", args=[cohort.pk, key, fmt]))
        assert response.status_code == 200 and response.content.startswith(magic)
        assert AuditEvent.objects.filter(action="research_export_figure", detail=f"{key}.{fmt}").exists()

    def test_unknown_figure_is_404(self, cohort, login, researcher):
        assert login(researcher).get(reverse("research:figure_export", args=[cohort.pk, "km", "gif"])).status_code == 404
        assert login(researcher).get(reverse("research:figure_export", args=[cohort.pk, "nope", "png"])).status_code == 404


@pytest.mark.django_db
class TestFhirBundle:
    def test_it_validates_with_r4b_and_is_pseudonymised(self, answered, make_cohort, login, clinician_a):  # noqa: F811
        p = answered[0]
        response = Response.objects.filter(patient=p).first()
        response.questionnaire_response = {
            "resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "https://palliro.org/fhir/Questionnaire/palliro-general",
            "subject": {"reference": f"Patient/{p.pseudonym}"}, "author": {"reference": "RelatedPerson/9"},
            "item": [{"linkId": "pain-worst", "answer": [{"valueCoding": {"code": "8"}}]},
                     {"linkId": "anything-else", "answer": [{"valueString": "Call my son Ann Andersen"}]}],
        }
        response.save()
        cohort = make_cohort()
        download = login(clinician_a).get(reverse("research:fhir_export", args=[cohort.pk]))
        assert download.status_code == 200 and download["Content-Type"] == "application/fhir+json"
        body = download.content.decode()
        bundle = Bundle.model_validate(json.loads(body))
        kinds = {e.resource.get_resource_type() for e in bundle.entry}
        assert kinds == {"Patient", "Procedure", "Questionnaire", "QuestionnaireResponse", "Observation"}
        for q in answered:
            for value in (q.given_name, q.family_name, q.hospital_number, q.email, "1950-05-17"):
                assert value not in body
        assert "Call my son" not in body and "RelatedPerson/9" not in body
        assert AuditEvent.objects.filter(action="research_export_fhir").exists()
