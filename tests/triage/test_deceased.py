"""A recorded death marks the patient's open alerts: they stay listed, marked "Deceased", and resolve as "Patient died"."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from palliro.triage.models import Alert, AlertState

from .helpers import make_alert


def record_death(client, patient, day):
    response = client.post(reverse("vital_status_edit", args=[patient.pk]),
                           {"vital_status": "dead", "death_date": day.isoformat()})
    assert response.status_code == 302


def test_recording_a_death_keeps_the_open_alerts_and_marks_the_worklist_row(login, nurse_a, ann, cas):
    alert = make_alert(ann, "pain-worst-high")
    make_alert(cas, "pain-worst-high")
    client = login(nurse_a)
    day = timezone.localdate() - timedelta(days=1)
    record_death(client, ann, day)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    page = client.get("/triage/").content.decode()
    rows = {row.split("</tr>")[0] for row in page.split("<tr")}
    ann_row = next(row for row in rows if "Andersen" in row)
    cas_row = next(row for row in rows if "Claes" in row)
    assert f"Deceased {day:%Y-%m-%d}" in ann_row and "Deceased" not in cas_row


def test_the_alert_page_says_the_patient_died_and_hides_the_phone_prompt(login, nurse_a, ann):
    alert = make_alert(ann, "pain-worst-high")
    client = login(nurse_a)
    day = timezone.localdate() - timedelta(days=2)
    record_death(client, ann, day)
    body = client.get(f"/triage/alert/{alert.pk}/").content.decode()
    assert 'id="patient-deceased"' in body and f"Deceased {day:%Y-%m-%d}" in body
    assert "phone +31 6 1234 5678" not in body
    assert '"Patient died"' in body and 'value="patient_died"' in body


def test_the_timeline_header_says_the_patient_died(login, nurse_a, ann):
    client = login(nurse_a)
    day = timezone.localdate() - timedelta(days=3)
    record_death(client, ann, day)
    body = client.get(f"/triage/patient/{ann.pk}/").content.decode()
    head = body.split("<h1>", 1)[0]
    assert f"Deceased {day:%Y-%m-%d}" in head


def test_a_living_patients_pages_have_no_marker(login, nurse_a, ann):
    alert = make_alert(ann, "pain-worst-high")
    client = login(nurse_a)
    for url in ("/triage/", f"/triage/alert/{alert.pk}/", f"/triage/patient/{ann.pk}/"):
        assert "Deceased" not in client.get(url).content.decode(), url


def test_an_alert_resolves_with_the_outcome_patient_died(login, nurse_a, ann):
    alert = make_alert(ann, "pain-worst-high")
    client = login(nurse_a)
    record_death(client, ann, timezone.localdate())
    client.post(f"/triage/alert/{alert.pk}/resolve/", {"outcome": "patient_died", "note": "Family informed."})
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.outcome == "patient_died"
    assert alert.get_outcome_display() == "Patient died"


def test_patient_died_is_refused_while_the_patient_is_recorded_alive(login, nurse_a, ann):
    alert = make_alert(ann, "pain-worst-high")
    client = login(nurse_a)
    response = client.post(f"/triage/alert/{alert.pk}/resolve/", {"outcome": "patient_died"}, follow=True)
    assert "Record the death in the patient" in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).state == AlertState.OPEN
