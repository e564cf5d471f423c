"""The patient timeline: records, responses (self and proxy marked), alerts, plots; access; bounded queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.accounts.models import AuditEvent

from .helpers import backdate, make_alert, submit


@pytest.fixture
def history(ann):
    from palliro.clinic.models import AnalgesicRecord, Episode, Proxy, RTCourse

    today = timezone.localdate()
    RTCourse.objects.create(patient=ann, indication="pain", target_region="Lumbar spine", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=today - timedelta(days=20),
                            last_fraction_date=today - timedelta(days=20), fractions_delivered=1)
    AnalgesicRecord.objects.create(patient=ann, recorded_on=today - timedelta(days=21), drug="oxycodone", dose=10,
                                   unit="mg", route="oral", doses_per_day=2)
    Episode.objects.create(patient=ann, kind="pain_flare", onset_date=today - timedelta(days=19), management="medication")
    proxy = Proxy.objects.create(patient=ann, name="Piet Andersen", relationship="partner", consent=True)
    backdate(submit(ann, "palliro-general", pain_worst="3"), 25)
    backdate(submit(ann, "palliro-general", pain_worst="6"), 10)
    submit(ann, "palliro-general-proxy", proxy=proxy, pain_worst="5", patient_involved="yes")
    return ann


def test_it_shows_records_responses_alerts_and_plots(login, nurse_a, history):
    from palliro.triage.tasks import refresh_figures

    make_alert(history, "pain-flare")
    refresh_figures([history.pk])  # what the task queued by a submission does (backdating came after it)
    page = login(nurse_a).get(f"/triage/patient/{history.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "8 Gy × 1" in body and "Oxycodone" in body
    assert "30 (CDC2022)" in body  # oxycodone 10 mg × 2 oral × 1.5 (CDC 2022 factor) = 30 mg/day
    assert 'class="resp-proxy"' in body and "Piet Andersen" in body and 'class="resp-patient"' in body
    assert "Pain flare" in body
    assert "<svg" in body and 'style="' not in body and "<style" not in body  # inline SVG, CSP-safe
    assert AuditEvent.objects.filter(action="triage_timeline", patient=history, user=nurse_a).exists()


def test_it_shows_an_empty_timeline(login, nurse_a, cas):
    page = login(nurse_a).get(f"/triage/patient/{cas.pk}/")
    assert page.status_code == 200 and "No questionnaires answered." in page.content.decode()


def test_it_gives_404_for_another_sites_patient(login, nurse_a, bob):
    assert login(nurse_a).get(f"/triage/patient/{bob.pk}/").status_code == 404


def test_it_gives_404_for_a_missing_patient(login, nurse_a):
    assert login(nurse_a).get("/triage/patient/999999/").status_code == 404


def test_it_refuses_researchers(login, researcher, ann):
    assert login(researcher).get(f"/triage/patient/{ann.pk}/").status_code == 403


def test_it_refuses_post(login, nurse_a, ann):
    assert login(nurse_a).post(f"/triage/patient/{ann.pk}/").status_code == 405


@pytest.mark.parametrize(("name", "content_type", "start"), [
    ("symptoms.svg", "image/svg+xml", b"<?xml"), ("symptoms.png", "image/png", b"\x89PNG"),
    ("qol.svg", "image/svg+xml", b"<?xml"),
])
def test_it_downloads_the_figures(login, nurse_a, history, name, content_type, start):
    page = login(nurse_a).get(f"/triage/patient/{history.pk}/{name}")
    assert page.status_code == 200 and page["Content-Type"] == content_type
    assert page.content.startswith(start)
    assert history.pseudonym in page["Content-Disposition"]


@pytest.mark.parametrize("name", ["other.svg", "symptoms.pdf"])
def test_it_gives_404_for_an_unknown_figure(login, nurse_a, ann, name):
    assert login(nurse_a).get(f"/triage/patient/{ann.pk}/{name}").status_code == 404


def test_it_gives_404_for_another_sites_figure(login, nurse_a, bob):
    assert login(nurse_a).get(f"/triage/patient/{bob.pk}/symptoms.svg").status_code == 404


@pytest.mark.parametrize("n", [1, 40])
def test_its_query_count_does_not_grow_with_the_history(login, nurse_a, ann, n, django_assert_max_num_queries):
    from palliro.clinic.models import AnalgesicRecord, Procedure, RTCourse
    from palliro.followup.models import Observation

    today = timezone.localdate()
    for i in range(n):
        day = today - timedelta(days=i + 1)
        RTCourse.objects.create(patient=ann, indication="pain", target_region=f"Site {i}", technique="conventional",
                                total_dose_gy=8, fractions_planned=1, first_fraction_date=day)
        Procedure.objects.create(patient=ann, kind="vertebroplasty", performed_on=day)
        AnalgesicRecord.objects.create(patient=ann, recorded_on=day, drug="morphine", dose=10, unit="mg",
                                       route="oral", doses_per_day=3)
        make_alert(ann, "pain-worst-high", state="resolved", outcome="phoned")
    response = submit(ann, "palliro-general", pain_worst="3")
    Observation.objects.bulk_create(
        Observation(patient=ann, response=response, code="palliro-general/fatigue", value=i % 5,
                    observed_at=timezone.now() - timedelta(days=i), respondent="patient") for i in range(n * 5)
    )
    client = login(nurse_a)
    client.get("/triage/")
    with django_assert_max_num_queries(16):
        assert client.get(f"/triage/patient/{ann.pk}/").status_code == 200
