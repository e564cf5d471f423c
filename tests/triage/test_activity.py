"""palliro.demo.activity: synthetic responses, observations and alerts, deterministic for a seed."""

from datetime import date

from palliro.clinic.models import Patient
from palliro.demo.activity import write_activity
from palliro.demo.writer import write_department
from palliro.followup.models import Observation, Response
from palliro.triage.models import Alert

ANCHOR = date(2026, 6, 1)


def snapshot():
    return (
        sorted(Response.objects.values_list("patient__hospital_number", "instrument__code", "submitted_at", "answers")),
        sorted(Observation.objects.values_list("patient__hospital_number", "code", "value", "observed_at")),
        sorted(Alert.objects.values_list("patient__hospital_number", "rule__code", "state", "created")),
    )


def test_it_writes_about_a_hundred_observations_per_patient_with_open_alerts(db):
    write_department(40, 7, ANCHOR, activity=False)
    counts = write_activity(Patient.objects.all(), 7, ANCHOR)
    assert counts["observations"] == Observation.objects.count()
    assert 40 * 50 < counts["observations"] < 40 * 160
    assert Response.objects.filter(respondent="proxy").exists()
    assert Alert.objects.exists()
    # Every answer stored is one the questionnaire accepts.
    response = Response.objects.filter(instrument__code="palliro-general").first()
    items = {q.link_id: q for q in response.instrument.questionnaire().questions}
    assert all(items[k].value_of(v) is not None for k, v in response.answers.items())


def test_it_is_deterministic_for_a_seed(db):
    write_department(15, 3, ANCHOR, activity=False)
    write_activity(Patient.objects.all(), 3, ANCHOR)
    first = snapshot()
    Alert.objects.all().delete()
    Response.objects.all().delete()
    write_activity(Patient.objects.all(), 3, ANCHOR)
    assert snapshot() == first
