import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent
from palliro.clinic.models import Patient

URL = reverse("patient_create")


def form_data(site, **overrides):
    data = {
        "site": site.pk, "hospital_number": "A-0100", "given_name": "Dora", "family_name": "Dekker",
        "birth_date": "1948-02-03", "sex": "female", "language": "nl", "primary_tumour": "lung",
        "metastatic_sites": ["bone", "brain"], "kps": "70", "ecog": "", "performance_date": "2026-01-05",
        "phone": "+31 6 5555 5555", "email": "", "followup_consent": "on", "research_consent": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestPatientCreate:
    def test_it_creates_a_patient_with_a_pseudonym(self, login, nurse_a, site_a):
        response = login(nurse_a).post(URL, form_data(site_a))
        patient = Patient.objects.get(hospital_number="A-0100")
        assert response.status_code == 302 and response.url == reverse("patient_detail", args=[patient.pk])
        assert patient.pseudonym.startswith("P-") and len(patient.pseudonym) == 10
        assert patient.metastatic_sites == ["bone", "brain"]
        assert AuditEvent.objects.filter(action="patient_create", patient=patient).exists()

    def test_it_offers_only_my_sites(self, login, nurse_a, site_a, site_b):
        response = login(nurse_a).post(URL, form_data(site_b))
        assert response.status_code == 200
        assert b"Select a valid choice" in response.content
        assert not Patient.objects.exists()

    @pytest.mark.parametrize(
        "overrides, field, message",
        [
            ({"birth_date": "2999-01-01"}, "birth_date", b"This date is in the future."),
            ({"birth_date": "1850-01-01"}, "birth_date", b"Dates before 1900 are not accepted"),
            ({"kps": "75"}, "kps", b"multiples of 10"),
            ({"kps": "110"}, "kps", b"less than or equal to 100"),
            ({"performance_date": ""}, "performance_date", b"Give the date the performance status"),
            ({"email": "not-an-address"}, "email", b"Enter a valid email address."),
        ],
    )
    def test_it_explains_impossible_input(self, login, nurse_a, site_a, overrides, field, message):
        response = login(nurse_a).post(URL, form_data(site_a, **overrides))
        assert response.status_code == 200
        assert message in response.content
        assert b"error-summary" in response.content
        assert not Patient.objects.exists()

    def test_it_refuses_a_duplicate_hospital_number_at_the_same_site(self, login, nurse_a, site_a, ann):
        response = login(nurse_a).post(URL, form_data(site_a, hospital_number="A-0001"))
        assert b"Another patient at this site has this hospital number." in response.content

    def test_researchers_cannot_create_patients(self, login, researcher, site_a):
        assert login(researcher).get(URL).status_code == 403
        assert login(researcher).post(URL, form_data(site_a)).status_code == 403

    def test_it_redirects_anonymous_users(self, client, site_a):
        assert client.post(URL, form_data(site_a)).status_code == 302
        assert not Patient.objects.exists()

    def test_it_refuses_put(self, login, nurse_a):
        assert login(nurse_a).put(URL).status_code == 405
