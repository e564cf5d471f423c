from datetime import date

import pytest
from django.urls import reverse

from tests.clinic.test_patient_create import form_data


def url(patient):
    return reverse("patient_edit", args=[patient.pk])


@pytest.mark.django_db
class TestPatientEdit:
    def test_it_updates_the_patient(self, login, clinician_a, ann, site_a):
        data = form_data(site_a, hospital_number="A-0001", given_name="Anna", family_name="Andersen")
        response = login(clinician_a).post(url(ann), data)
        assert response.status_code == 302
        ann.refresh_from_db()
        assert ann.given_name == "Anna" and ann.primary_tumour == "lung"

    def test_it_explains_a_birth_date_after_the_recorded_death(self, login, clinician_a, ann, site_a):
        # The date of death is not on this form; its rule must still come back as a message, not a 500.
        ann.vital_status, ann.death_date = "dead", date(2025, 2, 28)
        ann.save()
        data = form_data(site_a, hospital_number="A-0001", given_name="Ann", family_name="Andersen",
                         birth_date="2025-06-01")
        response = login(clinician_a).post(url(ann), data)
        assert response.status_code == 200
        assert "Death date: The date of death is before the date of birth." in response.content.decode()
        ann.refresh_from_db()
        assert ann.birth_date == date(1950, 5, 17)

    def test_it_shows_the_form_with_current_values(self, login, nurse_a, ann):
        response = login(nurse_a).get(url(ann))
        assert response.status_code == 200 and b'value="Andersen"' in response.content

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, ann):
        assert login(nurse_b).get(url(ann)).status_code == 404

    def test_it_is_403_for_researchers(self, login, researcher, ann):
        assert login(researcher).get(url(ann)).status_code == 403

    def test_it_redirects_anonymous_users(self, client, ann):
        assert client.get(url(ann)).status_code == 302

    def test_it_refuses_delete(self, login, nurse_a, ann):
        assert login(nurse_a).delete(url(ann)).status_code == 405
