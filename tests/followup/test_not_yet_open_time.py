"""The "not open yet" page says the date and the time the link opens, on the site's clock, in the patient's
language."""

import pytest
from django.urls import reverse

from palliro.clinic.models import Patient
from tests.followup.staff_fixtures import local, make_invitation

pytestmark = pytest.mark.django_db


def page(client, invitation):
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_says_the_day_and_the_time_it_opens(client, ann):
    invitation = make_invitation(ann, local(2099, 11, 23, 9, 30))
    text = page(client, invitation)
    assert "Nov. 23, 2099, 09:30" in text


def test_it_uses_the_sites_time_zone(client, ann):
    ann.site.timezone = "America/New_York"
    ann.site.save()
    invitation = make_invitation(ann, local(2099, 11, 23, 9, 30))  # 03:30 in New York
    assert "Nov. 23, 2099, 03:30" in page(client, invitation)


def test_it_is_in_the_patients_language(client, ann):
    Patient.objects.filter(pk=ann.pk).update(language="nl")
    invitation = make_invitation(ann, local(2099, 11, 23, 9, 30))
    assert "23 november 2099, 09:30" in page(client, invitation)
