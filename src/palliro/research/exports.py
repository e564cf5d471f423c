"""Exports of the research pages: any report table as CSV or Excel, the cohort as a FHIR Bundle.

FHIR version: ``fhir.resources`` 8.x models FHIR R5 at its top level and R4B under
``fhir.resources.R4B``; it has no plain R4 package. R4B (4.3) keeps the R4 (4.0.1) structure of every
resource used here (Patient, Procedure, Questionnaire, QuestionnaireResponse, Observation), so the Bundle
is validated with the R4B models and declared as R4-compatible JSON.

Pseudonymisation of the Bundle: Patient.id is the pseudonym; no name, identifier, telecom, address or
birth date; free-text answers (valueString) are dropped from QuestionnaireResponses because a patient
may type a name into them; authors are reduced to their resource type.
"""

from __future__ import annotations

import csv
import io
import uuid

import pandas as pd
from fhir.resources.R4B.bundle import Bundle

from palliro.followup.models import Observation, Response

_NS = uuid.UUID("8a1f5c9e-7d2b-4b1e-9c55-0f3e2a6d4b71")


def table_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


def table_xlsx(frame: pd.DataFrame, title: str, cohort_lines: list[tuple[str, str]]) -> bytes:
    """One sheet with the table and one describing the cohort and the table's title."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "table"
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and v != v) else (v if isinstance(v, int | float | str | bool)
                   or v is None else str(v)) for v in row])
    meta = wb.create_sheet("cohort")
    meta.append(["Table", title])
    for label, value in cohort_lines:
        meta.append([label, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _full_url(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{kind}/{key}')}"


def _strip_free_text(items):
    out = []
    for item in items or []:
        item = dict(item)
        if "answer" in item:
            answers = [dict(a) for a in item["answer"] if "valueString" not in a]
            for a in answers:
                if "item" in a:
                    a["item"] = _strip_free_text(a["item"])
            if not answers:
                item.pop("answer")
            else:
                item["answer"] = answers
        if "item" in item:
            item["item"] = _strip_free_text(item["item"])
        if "answer" in item or "item" in item:
            out.append(item)
    return out


def cohort_bundle(frame: pd.DataFrame) -> dict:
    """A FHIR collection Bundle of the cohort (validated with fhir.resources.R4B); returns the JSON dict."""
    per = frame.drop_duplicates("patient_id")
    pseudonym = dict(zip(per["patient_id"], per["pseudonym"], strict=True))
    entries = []
    for row in per.itertuples():
        res = {"resourceType": "Patient", "id": row.pseudonym,
               "gender": row.sex if row.sex in ("male", "female", "other", "unknown") else "unknown"}
        if row.vital_status == "dead":
            res["deceasedBoolean"] = True
        entries.append(("Patient", row.pseudonym, res))
    for row in frame.itertuples():
        res = {"resourceType": "Procedure", "id": f"course-{row.course_id}", "status": "completed",
               "code": {"text": "Palliative radiotherapy course"},
               "subject": {"reference": f"Patient/{row.pseudonym}"},
               "note": [{"text": f"{row.regimen}; indication {row.indication}; technique {row.technique}"}]}
        if pd.notna(row.first_fraction_date):
            period = {"start": row.first_fraction_date.date().isoformat()}
            if pd.notna(row.last_fraction_date):
                period["end"] = row.last_fraction_date.date().isoformat()
            res["performedPeriod"] = period
        else:
            res["status"] = "preparation"
        entries.append(("Procedure", res["id"], res))
    ids = list(pseudonym)
    responses = Response.objects.filter(patient_id__in=ids, status="completed").values_list(
        "id", "patient_id", "questionnaire_response", "instrument__code", "instrument__version", "instrument__resource"
    )
    questionnaires = {}
    for rid, pid, qr, code, version, resource in responses:
        if not qr:
            continue
        if (code, version) not in questionnaires:
            q = {k: v for k, v in (resource or {}).items() if k not in ("meta", "text", "contained")}
            q.update(resourceType="Questionnaire", id=f"{code}-{version}".replace(".", "-")[:64], status="active")
            questionnaires[(code, version)] = q
        r = {k: v for k, v in qr.items() if k not in ("meta", "text", "contained", "author", "source", "identifier")}
        r.update(resourceType="QuestionnaireResponse", id=f"response-{rid}", status="completed",
                 subject={"reference": f"Patient/{pseudonym[pid]}"})
        r["item"] = _strip_free_text(r.get("item"))
        if not r["item"]:
            r.pop("item")
        entries.append(("QuestionnaireResponse", r["id"], r))
    for q in questionnaires.values():
        entries.append(("Questionnaire", q["id"], q))
    for oid, pid, code, value, at in Observation.objects.filter(patient_id__in=ids).values_list(
        "id", "patient_id", "code", "value", "observed_at"
    ):
        entries.append(("Observation", f"obs-{oid}", {
            "resourceType": "Observation", "id": f"obs-{oid}", "status": "final",
            "code": {"coding": [{"system": "https://palliro.org/fhir/CodeSystem/observation", "code": code}],
                     "text": code},
            "subject": {"reference": f"Patient/{pseudonym[pid]}"},
            "effectiveDateTime": at.isoformat(), "valueQuantity": {"value": value},
        }))
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": _full_url(kind, key), "resource": res} for kind, key, res in entries]}
    Bundle.model_validate(bundle)
    return bundle
