from datetime import date

import pytest
from django.urls import reverse


def url(patient):
    return reverse("vital_status_edit", args=[patient.pk])


@pytest.mark.django_db
class TestVitalStatus:
    def test_it_records_a_death(self, login, nurse_a, ann):
        response = login(nurse_a).post(url(ann), {"vital_status": "dead", "death_date": "2026-03-04"})
        assert response.status_code == 302
        ann.refresh_from_db()
        assert ann.is_dead and ann.death_date == date(2026, 3, 4)

    @pytest.mark.parametrize(
        "data, message",
        [
            ({"vital_status": "dead", "death_date": ""}, b"Give the date of death"),
            ({"vital_status": "dead", "death_date": "1940-01-01"}, b"before the date of birth"),
            ({"vital_status": "dead", "death_date": "2999-01-01"}, b"in the future"),
            ({"vital_status": "alive", "death_date": "2026-01-01"}, b"set the status to deceased"),
            ({"vital_status": "alive", "last_known_alive": "0225-05-01"}, b"Dates before 1900 are not accepted"),
            ({"vital_status": "alive", "last_known_alive": "1950-01-01"}, b"before the patient&#x27;s date of birth"),
            (
                {"vital_status": "dead", "death_date": "2026-01-01", "last_known_alive": "2026-02-01"},
                b"Last known alive cannot be after the date of death",
            ),
        ],
    )
    def test_it_refuses_impossible_dates(self, login, nurse_a, ann, data, message):
        response = login(nurse_a).post(url(ann), data)
        assert response.status_code == 200 and message in response.content
        ann.refresh_from_db()
        assert not ann.is_dead

    def test_it_is_404_for_another_site(self, login, nurse_b, ann):
        assert login(nurse_b).post(url(ann), {"vital_status": "dead", "death_date": "2026-03-04"}).status_code == 404

    def test_it_is_403_for_researchers(self, login, researcher, ann):
        assert login(researcher).get(url(ann)).status_code == 403

    def test_it_redirects_anonymous_users(self, client, ann):
        assert client.get(url(ann)).status_code == 302
