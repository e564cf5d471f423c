"""Link-problem pages give the care team's number when the link is genuine, never for an unknown token."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.followup.test_patient_support import assert_no_patient_data, make_invitation

SITE_PHONE = "+31 20 000 0000"
TEL = f'href="tel:{SITE_PHONE}"'


def expired(patient, **extra):
    now = timezone.now()
    return make_invitation(patient, due=now - timedelta(days=5), expires=now - timedelta(days=1), **extra)


@pytest.mark.django_db
def test_the_expired_page_in_dutch_gives_the_sites_number_and_promises_no_new_link(client, ann):
    ann.language = "nl"
    ann.save()
    response = client.get(reverse("respond", args=[expired(ann).token()]))
    body = response.content.decode()
    assert response.status_code == 410 and response["Content-Language"] == "nl"
    assert TEL in body and "bel dan uw zorgteam:" in body
    assert "nieuwe link" not in body and "new link" not in body
    assert "Hebt u klachten of vragen, bel dan uw zorgteam." in body
    assert_no_patient_data(response.content, ann)


@pytest.mark.django_db
def test_the_expired_page_promises_a_new_link_only_when_one_is_scheduled(client, ann):
    now = timezone.now()
    old = expired(ann)
    make_invitation(ann, state="scheduled", due=now + timedelta(days=4), expires=now + timedelta(days=7))
    body = client.get(reverse("respond", args=[old.token()])).content.decode()
    assert "You will get a new link when the next questionnaire is due." in body and TEL in body


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_closed_links_give_the_number_in_every_page_of_the_link(client, ann, state):
    invitation = make_invitation(ann, state=state)
    for name in ("respond", "respond_review", "respond_done"):
        response = client.get(reverse(name, args=[invitation.token()]))
        assert response.status_code == 410 and TEL in response.content.decode(), name


@pytest.mark.django_db
def test_a_link_not_open_yet_gives_the_number(client, ann):
    due = timezone.now() + timedelta(days=2)
    invitation = make_invitation(ann, due=due, expires=due + timedelta(days=3))
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 200 and TEL in response.content.decode()


@pytest.mark.django_db
def test_a_completed_link_after_its_window_still_gives_the_number(client, ann):
    now = timezone.now()
    invitation = make_invitation(ann, state="completed", due=now - timedelta(days=5), expires=now - timedelta(days=1))
    response = client.get(reverse("respond_done", args=[invitation.token()]))
    assert response.status_code == 200 and TEL in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "nl", "fr", "es"])
def test_an_unknown_token_shows_no_number(client, ann, lang):
    make_invitation(ann)
    response = client.get(reverse("respond", args=["x" * 43]), HTTP_ACCEPT_LANGUAGE=lang)
    body = response.content.decode()
    assert response.status_code == 404 and "tel:" not in body and SITE_PHONE not in body
