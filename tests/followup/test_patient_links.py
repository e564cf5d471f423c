"""Every way a patient link can be wrong: a clear page, the right status, no patient data, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.followup import linkaccess
from palliro.followup.models import Invitation, LinkFailure, Response
from tests.followup.test_patient_support import (
    assert_no_patient_data,
    make_invitation,
    make_proxy,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(ann):
    return make_invitation(ann)


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_a_valid_link_opens_the_questionnaire(client, invitation):
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 200 and b'name="q-pain-worst"' in response.content
    assert not LinkFailure.objects.exists()


def test_the_stored_hash_is_not_the_token(invitation):
    stored = Invitation.objects.get(pk=invitation.pk)
    assert invitation.token() not in (stored.token_hash, stored.link_salt)
    assert linkaccess.find_invitation(invitation.token()) == invitation


@pytest.mark.parametrize("name", ["respond", "respond_review", "respond_done"])
def test_a_tampered_or_unknown_token_is_a_404_that_counts_as_a_failure(client, invitation, name):
    response = client.get(reverse(name, args=[tampered(invitation.token())]))
    assert response.status_code == 404 and b"This link does not work" in response.content
    assert_no_patient_data(response.content, invitation.patient)
    assert LinkFailure.objects.count() == 1


@pytest.mark.parametrize("token", [
    "x" * 5000, "..", ".", "%2e%2e", "ünïcødé-✓", "a" * 42, "a" * 44, "' OR 1=1 --", "%00", "<script>",
    "\u202etoken",
])
def test_malformed_tokens_get_the_same_clear_page(client, invitation, token):
    response = client.get(f"/r/{token}/")
    assert response.status_code == 404 and b"<script>" not in response.content
    response = client.post(f"/r/{token}/", {"page": "1"})
    assert response.status_code in (403, 404)  # 403: no CSRF cookie yet, Django's own page


def test_an_expired_window_is_a_410(client, ann):
    invitation = make_invitation(ann, due=timezone.now() - timedelta(days=5),
                                 expires=timezone.now() - timedelta(days=1))
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 410 and b"This questionnaire has closed" in response.content
    assert_no_patient_data(response.content, ann)
    assert not LinkFailure.objects.exists()


def test_an_expired_state_is_a_410_even_inside_the_window(client, ann):
    invitation = make_invitation(ann, state="expired")
    assert client.get(reverse("respond", args=[invitation.token()])).status_code == 410


def test_a_cancelled_link_is_a_410(client, ann):
    invitation = make_invitation(ann, state="cancelled")
    for name in ("respond", "respond_review", "respond_done"):
        response = client.get(reverse(name, args=[invitation.token()]))
        assert response.status_code == 410 and b"no longer in use" in response.content
        assert_no_patient_data(response.content, ann)


def test_a_link_that_is_not_open_yet_says_when_it_opens(client, ann):
    ann.language = "nl"
    ann.save()
    due = timezone.now() + timedelta(days=3)
    invitation = make_invitation(ann, due=due, expires=due + timedelta(days=3))
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 200 and "nog niet open" in response.content.decode()
    assert str(timezone.localtime(due).day) in response.content.decode()
    assert_no_patient_data(response.content, ann)
    assert not Response.objects.exists()


def test_a_completed_link_shows_the_thank_you_page(client, ann):
    invitation = make_invitation(ann, state="completed")
    response = client.get(reverse("respond", args=[invitation.token()]), follow=True)
    assert response.status_code == 200 and b"Thank you" in response.content
    assert_no_patient_data(response.content, ann)


def test_posting_to_a_closed_link_stores_nothing(client, ann):
    invitation = make_invitation(ann, state="cancelled")
    response = client.post(reverse("respond", args=[invitation.token()]),
                           {"page": "1", "action": "next", "q-pain-worst": "3", "shown": "pain-worst"})
    assert response.status_code == 410 and not Response.objects.exists()


def test_repeated_failures_from_one_address_are_rate_limited(client, invitation):
    for _ in range(linkaccess.FAILURE_LIMIT):
        assert client.get(reverse("respond", args=["b" * 43])).status_code == 404
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert response.status_code == 429 and b"Too many attempts" in response.content
    assert_no_patient_data(response.content, invitation.patient)
    # Another address is not affected, and old failures stop counting.
    assert client.get(reverse("respond", args=[invitation.token()]), REMOTE_ADDR="10.0.0.9").status_code == 200
    LinkFailure.objects.update(at=timezone.now() - linkaccess.FAILURE_WINDOW - timedelta(seconds=1))
    assert client.get(reverse("respond", args=[invitation.token()])).status_code == 200


@pytest.fixture
def checked_site(ann):
    ann.site.link_check = "birth_year"
    ann.site.save()
    return ann.site


def test_the_second_check_asks_for_the_year_of_birth(client, invitation, checked_site):
    url = reverse("respond", args=[invitation.token()])
    response = client.get(url)
    assert response.status_code == 200 and b'name="year"' in response.content
    assert b"q-pain-worst" not in response.content
    # The questionnaire cannot be reached around the check.
    assert client.get(reverse("respond_review", args=[invitation.token()])).status_code == 200
    assert client.post(url, {"page": "1", "action": "next", "q-pain-worst": "3", "shown": "pain-worst"}).url == url
    assert not Response.objects.exists()
    check = reverse("respond_check", args=[invitation.token()])
    wrong = client.post(check, {"year": "1951"})
    assert wrong.status_code == 200 and b"does not match" in wrong.content
    assert_no_patient_data(wrong.content, invitation.patient)
    assert LinkFailure.objects.count() == 1
    assert client.post(check, {"year": "nineteen"}).status_code == 200
    assert client.post(check, {"year": "1950"}).url == url + "?lang=en"
    assert b'name="q-pain-worst"' in client.get(url).content


def test_the_second_check_keeps_the_language_and_links_its_error(client, invitation, checked_site):
    # A Spanish choice survives a wrong year and the check itself; the error is tied to the field (WCAG 1.3.1),
    # focus goes to the error summary, and the patient's own year may be filled in by the browser (WCAG 1.3.5).
    spanish = client.get(reverse("respond", args=[invitation.token()]), {"lang": "es"}).content.decode()
    assert 'lang="es"' in spanish and 'autocomplete="bday-year"' in spanish
    assert f'action="{reverse("respond_check", args=[invitation.token()])}?lang=es"' in spanish
    check = reverse("respond_check", args=[invitation.token()]) + "?lang=es"
    wrong = client.post(check, {"year": "1951"}).content.decode()
    assert 'lang="es"' in wrong and 'id="errors" autofocus' in wrong
    assert 'aria-describedby="id_year_error"' in wrong and 'id="id_year_error"' in wrong
    assert client.post(check, {"year": "1950"}).url == reverse("respond", args=[invitation.token()]) + "?lang=es"


def test_wrong_years_are_rate_limited(client, invitation, checked_site):
    check = reverse("respond_check", args=[invitation.token()])
    statuses = [client.post(check, {"year": str(1900 + i)}).status_code for i in range(linkaccess.FAILURE_LIMIT)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    assert client.post(check, {"year": "1950"}).status_code == 429


def test_a_proxy_passes_the_check_with_the_patients_year(client, ann, checked_site):
    invitation = make_invitation(ann, "palliro-general-proxy", proxy=make_proxy(ann, "en"))
    response = client.get(reverse("respond", args=[invitation.token()]))
    assert b"the person you care for" in response.content and b'autocomplete="off"' in response.content
    assert_no_patient_data(response.content, ann)
    client.post(reverse("respond_check", args=[invitation.token()]), {"year": "1950"})
    assert b'name="q-pain-worst"' in client.get(reverse("respond", args=[invitation.token()])).content


def test_a_link_opens_only_its_own_questionnaire(client, ann, cas):
    mine, other = make_invitation(ann), make_invitation(cas, "palliro-bone")
    client.post(reverse("respond", args=[mine.token()]), {"page": "1", "action": "next", "q-pain-worst": "3", "shown": "pain-worst"})
    assert Response.objects.get().invitation == mine and Response.objects.get().patient == ann
    html = client.get(reverse("respond", args=[other.token()])).content.decode()
    assert other.instrument.questionnaire().title("en") in html


@pytest.mark.parametrize("name", ["respond", "respond_review", "respond_check"])
def test_each_post_with_an_unknown_token_counts_once(client, name):
    response = client.post(reverse(name, args=["c" * 43]), {"submission_id": "x", "year": "1950", "page": "1"})
    assert response.status_code == 404 and LinkFailure.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("lang, title", [("nl", "Probeer die pagina nog eens"), ("fr", "Veuillez réessayer cette page")])
def test_a_patient_form_without_its_csrf_cookie_gets_a_kind_page_in_their_language(lang, title):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=lang)
    response = client.post("/r/some-token/", {"page": "1"})
    assert response.status_code == 403
    assert title in response.content.decode()
    assert "CSRF" not in response.content.decode()


@pytest.mark.django_db
def test_a_staff_form_without_csrf_still_gets_djangos_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403 and "CSRF" in response.content.decode()
