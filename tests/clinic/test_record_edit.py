import pytest
from django.urls import reverse

from palliro.clinic.models import Episode


@pytest.fixture
def episode(ann):
    return Episode.objects.create(patient=ann, kind="bleeding", onset_date="2026-01-01", management="radiotherapy")


def url(record, kind="episode"):
    return reverse("record_edit", args=[kind, record.pk])


@pytest.mark.django_db
class TestRecordEdit:
    def test_it_updates_the_record(self, login, nurse_a, episode):
        data = {"kind": "bleeding", "onset_date": "2026-01-01", "resolution_date": "2026-01-09",
                "management": "radiotherapy"}
        assert login(nurse_a).post(url(episode), data).status_code == 302
        episode.refresh_from_db()
        assert str(episode.resolution_date) == "2026-01-09"

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, episode):
        assert login(nurse_b).get(url(episode)).status_code == 404

    def test_it_is_404_for_a_record_of_another_kind(self, login, nurse_a, episode):
        assert login(nurse_a).get(url(episode, "procedure")).status_code == 404

    def test_it_is_403_for_researchers(self, login, researcher, episode):
        assert login(researcher).get(url(episode)).status_code == 403

    def test_it_redirects_anonymous_users(self, client, episode):
        assert client.get(url(episode)).status_code == 302

    def test_it_refuses_delete(self, login, nurse_a, episode):
        assert login(nurse_a).delete(url(episode)).status_code == 405
