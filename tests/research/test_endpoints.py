"""Pain response (both denominators), flare, QoL, adherence and proxy agreement from stored answers."""

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import pytest

from palliro.accounts.access import staff_context
from palliro.clinic.models import AnalgesicRecord, RTCourse
from palliro.followup.models import Invitation, Observation, Response
from palliro.instruments.models import Instrument
from palliro.instruments.sync import sync_shipped_instruments
from palliro.research.analyses import ReportOptions, build_report
from palliro.research.cohort import cohort_frame
from palliro.research.endpoints import load_endpoint_data
from tests.conftest import make_patient

DAY0 = datetime(2025, 3, 3, tzinfo=UTC).date()


def answer(patient, instrument, respondent, day, values, step_label=None):
    at = datetime.combine(day, time(10), tzinfo=UTC)
    invitation = None
    if step_label:
        invitation = Invitation.objects.create(
            patient=patient, respondent=respondent, instrument=instrument, step_label=step_label, due_at=at,
            expires_at=at + timedelta(days=3), state="completed",
        )
    response = Response.objects.create(patient=patient, instrument=instrument, respondent=respondent,
                                       status="completed", submitted_at=at, invitation=invitation)
    Observation.objects.bulk_create(
        Observation(patient=patient, response=response, code=f"{instrument.code}/{k}", value=v, observed_at=at,
                    respondent=respondent) for k, v in values.items()
    )


@pytest.fixture
def answered(site_a):
    sync_shipped_instruments()
    general = Instrument.objects.filter(code="palliro-general").first()
    proxy = Instrument.objects.filter(code="palliro-general-proxy").first()
    patients = []
    # (baseline pain, week-2 pain, week-2 OMED) -> CR, PR, IR, and one without any week-2 answer.
    for i, follow in enumerate([(8, 0, 60), (8, 5, 60), (6, 6, 60), None]):
        p = make_patient(site_a, f"A-1{i:03d}", f"Endo{i}", f"Point{i}")
        RTCourse.objects.create(patient=p, indication="pain", target_region="femur", technique="conventional",
                                total_dose_gy=8, fractions_planned=1, first_fraction_date=DAY0,
                                last_fraction_date=DAY0, fractions_delivered=1)
        AnalgesicRecord.objects.create(patient=p, recorded_on=DAY0 - timedelta(days=2), drug="morphine", dose=30,
                                       unit="mg", route="oral", doses_per_day=2)
        answer(p, general, "patient", DAY0 - timedelta(days=1), {"pain-worst": 8 if follow is None else follow[0],
                                                                "fatigue": i}, "baseline")
        if follow:
            answer(p, general, "patient", DAY0 + timedelta(days=14), {"pain-worst": follow[1], "fatigue": i + 1},
                   "week 2")
            answer(p, proxy, "proxy", DAY0 + timedelta(days=14), {"pain-worst": follow[1] + (i % 2)})
        else:
            Invitation.objects.create(patient=p, respondent="patient", instrument=general, step_label="week 2",
                                      due_at=datetime(2025, 3, 17, tzinfo=UTC),
                                      expires_at=datetime(2025, 3, 20, tzinfo=UTC), state="expired")
        patients.append(p)
    return patients


@pytest.mark.django_db
def test_it_reports_pain_response_with_both_denominators(answered, make_cohort, clinician_a):
    built = cohort_frame(make_cohort(), staff_context(clinician_a))
    data = load_endpoint_data(list(built.frame["patient_id"]))
    report = build_report(built.frame, ReportOptions(), data)
    pain = report.table("pain_response").frame
    week2 = pain[pain["time_point"] == "week 2"].set_index("response")
    # 3 assessable at week 2 (CR, PR, IR), 4 treated: complete 1/3 and 1/4, partial 1/3, overall 2/3 and 2/4.
    assert week2.loc["complete", ["responders", "assessable", "treated"]].tolist() == [1, 3, 4]
    assert week2.loc["overall", "rate_assessable"] == pytest.approx(0.667, abs=1e-3)
    assert week2.loc["overall", "rate_treated"] == pytest.approx(0.5)
    # Wilson 95 % CI for 2/4: 0.150 to 0.850 (Newcombe 1998 method 3 formula; checked by hand).
    assert week2.loc["overall", ["lower_95_treated", "upper_95_treated"]].tolist() == pytest.approx([0.150, 0.850],
                                                                                                     abs=1e-3)
    adherence = report.table("adherence").frame.set_index("time_point")
    assert adherence.loc["week 2", ["due", "completed"]].tolist() == [4, 3]
    qol = report.table("qol").frame
    assert set(qol["time_point"]) == {"baseline", "week 2"}
    proxy = report.table("proxy_agreement").frame.set_index("item")
    row = proxy.loc["palliro-general/pain-worst"]
    assert row["pairs"] == 3
    # Patient − proxy differences 0, −1, 0: bias −1/3.
    assert row["bias"] == pytest.approx(-0.333, abs=1e-3)
    assert report.figure("bland_altman_palliro-general__pain-worst") is not None


@pytest.mark.django_db
def test_a_cohort_counted_by_courses_measures_pain_from_the_followed_course(answered, make_cohort, clinician_a):
    # A re-irradiation months later has no follow-up of its own; counting courses instead of patients must not
    # move the patient's pain response and flare to it (clinical.md §1.2-1.4: relative to the treated course).
    RTCourse.objects.create(patient=answered[0], indication="pain", target_region="spine", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=DAY0 + timedelta(days=120),
                            last_fraction_date=DAY0 + timedelta(days=120), fractions_delivered=1,
                            is_reirradiation=False)
    tables = {}
    for unit in ("patients", "courses"):
        built = cohort_frame(make_cohort(unit=unit, name=unit), staff_context(clinician_a))
        data = load_endpoint_data(list(built.frame["patient_id"].unique()))
        report = build_report(built.frame, ReportOptions(), data)
        tables[unit] = report.table("pain_response").frame
    assert len(built.frame) == 5  # four first courses and the later one
    pd.testing.assert_frame_equal(tables["courses"], tables["patients"])
    week2 = tables["courses"][tables["courses"]["time_point"] == "week 2"].set_index("response")
    assert week2.loc["complete", ["responders", "assessable", "treated"]].tolist() == [1, 3, 4]


@pytest.mark.django_db
def test_the_report_page_shows_endpoints_without_identifiers(answered, make_cohort, login, researcher):
    cohort = make_cohort()
    response = login(researcher).get(f"/research/cohorts/{cohort.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Pain response (complete, partial, overall)" in body and "Patient–proxy agreement" in body
    for p in answered:
        assert p.family_name not in body and p.hospital_number not in body and p.given_name not in body


def test_adherence_lists_time_points_in_order_of_their_numbers():
    from palliro.research.endpoint_report import adherence_section
    from palliro.research.endpoints import EndpointData

    due = pd.Timestamp("2026-01-05", tz="UTC")
    labels = ["week 12", "week 2", "baseline", "week 2 (relative)", "week 4", "pain diary"]
    invitations = pd.DataFrame({"patient_id": range(len(labels)), "step_label": labels,
                                "state": ["completed"] * len(labels), "due": [due] * len(labels)})
    data = EndpointData(pd.DataFrame(), pd.DataFrame(), invitations)
    (table,), _, _ = adherence_section(None, data, ReportOptions())
    assert table.frame["time_point"].tolist() == [
        "baseline", "pain diary", "week 2", "week 2 (relative)", "week 4", "week 12"]


@pytest.mark.django_db
def test_proxy_kappa_weighs_disagreement_on_the_items_whole_scale(answered, make_cohort, clinician_a):
    from palliro.research.endpoints import proxy_pairs
    from palliro.stats.agreement import weighted_kappa

    built = cohort_frame(make_cohort(), staff_context(clinician_a))
    data = load_endpoint_data(list(built.frame["patient_id"]))
    row = build_report(built.frame, ReportOptions(), data).table("proxy_agreement").frame.set_index("item").loc[
        "palliro-general/pain-worst"]
    pairs = proxy_pairs(data)
    pairs = pairs[pairs["item"] == "palliro-general/pain-worst"]
    a, b = pairs["patient"].tolist(), pairs["proxy"].tolist()
    # Worst pain is answered on 0-10: a one-point disagreement is a tenth of the scale, whatever was observed.
    whole_scale = weighted_kappa(a, b, categories=list(range(11)), weights="linear")
    observed_only = weighted_kappa(a, b, categories=sorted(set(a) | set(b)), weights="linear")
    assert round(whole_scale.kappa, 3) != round(observed_only.kappa, 3)
    assert row["weighted_kappa"] == pytest.approx(whole_scale.kappa, abs=1e-3)
    assert -1 <= row["kappa_lower"] <= row["kappa_upper"] <= 1
