import pytest
from django.urls import reverse

from palliro.accounts.models import AuditEvent

URL = reverse("patient_list")


@pytest.mark.django_db
class TestPatientList:
    def test_it_lists_only_patients_of_my_sites(self, login, nurse_a, ann, bob):
        response = login(nurse_a).get(URL)
        assert response.status_code == 200
        assert b"Andersen" in response.content
        assert b"Bakker" not in response.content
        assert bob.pseudonym.encode() not in response.content

    def test_it_searches_by_name_and_hospital_number(self, login, nurse_a, ann, cas):
        client = login(nurse_a)
        assert b"Claes" not in client.get(URL, {"q": "ander"}).content
        response = client.get(URL, {"q": "A-0002"})
        assert b"Claes" in response.content and b"Andersen" not in response.content

    def test_it_does_not_find_another_sites_patient_by_hospital_number(self, login, nurse_a, bob):
        response = login(nurse_a).get(URL, {"q": "B-0001"})
        assert b"Bakker" not in response.content

    def test_it_shows_researchers_pseudonyms_only(self, login, researcher, ann, bob, cas):
        response = login(researcher).get(URL)
        body = response.content
        assert ann.pseudonym.encode() in body and bob.pseudonym.encode() in body
        for identifier in (b"Andersen", b"Bakker", b"A-0001", b"B-0001", b"Hospital number"):
            assert identifier not in body
        # Cas did not consent to research use.
        assert cas.pseudonym.encode() not in body

    def test_researchers_cannot_search_by_name(self, login, researcher, ann):
        response = login(researcher).get(URL, {"q": "Andersen"})
        assert ann.pseudonym.encode() not in response.content
        response = login(researcher).get(URL, {"q": ann.pseudonym})
        assert ann.pseudonym.encode() in response.content

    def test_it_filters_by_site(self, login, researcher, ann, bob, site_b):
        response = login(researcher).get(URL, {"site": site_b.pk})
        assert bob.pseudonym.encode() in response.content
        assert ann.pseudonym.encode() not in response.content

    def test_it_rejects_a_site_that_is_not_mine(self, login, nurse_a, ann, site_b):
        response = login(nurse_a).get(URL, {"site": site_b.pk})
        assert response.status_code == 200
        assert b"Select a valid choice" in response.content

    def test_it_redirects_anonymous_users_to_login(self, client, ann):
        response = client.get(URL)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_it_refuses_post(self, login, nurse_a):
        assert login(nurse_a).post(URL).status_code == 405

    def test_it_refuses_users_without_a_site(self, login, superuser):
        assert login(superuser).get(URL).status_code == 403

    def test_it_writes_an_audit_event(self, login, nurse_a, ann):
        login(nurse_a).get(URL, {"q": "Ann"})
        event = AuditEvent.objects.get(action="patient_list")
        assert event.user == nurse_a and event.detail == "q=Ann" and event.ip_address == "127.0.0.1"
