"""A saved answer that says "call your care team now" is said on the very next step, not only after "send"
(a patient who stops half-way must not miss it), and a step with an error still keeps its valid answers."""

import pytest

from tests.followup.test_patient_pages import draft, post_page, url
from tests.followup.test_patient_support import make_invitation, make_proxy, page_fields

pytestmark = pytest.mark.django_db

SITE_PHONE = "+31 20 000 0000"


@pytest.fixture
def invitation(ann):
    return make_invitation(ann)


def test_the_step_after_a_call_now_answer_says_call_now_with_the_number(client, invitation):
    post_page(client, invitation, 1, {"pain-worst": "9"})
    html = client.get(url(invitation, page=2)).content.decode()
    assert 'id="call-now"' in html and "Call your care team now" in html and f'href="tel:{SITE_PHONE}"' in html


def test_it_says_it_in_the_patients_language(client, invitation):
    post_page(client, invitation, 1, {"pain-worst": "9"})
    client.get(url(invitation, page=2, lang="nl"))
    html = client.get(url(invitation, page=2)).content.decode()
    assert 'id="call-now"' in html and "Call your care team now" not in html and 'lang="nl"' in html


def test_a_relative_is_told_about_the_person_they_care_for(client, ann):
    relative = make_proxy(ann, language="en")
    invitation = make_invitation(ann, "palliro-general-proxy", proxy=relative)
    post_page(client, invitation, 1, {"pain-worst": "9"})
    html = client.get(url(invitation, page=2)).content.decode()
    assert "the person you care for needs attention today" in html


def test_a_quiet_answer_adds_nothing(client, invitation):
    post_page(client, invitation, 1, {"pain-worst": "2"})
    assert 'id="call-now"' not in client.get(url(invitation, page=2)).content.decode()


def test_a_step_with_an_error_keeps_its_valid_answers(client, invitation):
    # A number that is not a number beside a valid answer: the valid one is in the draft at once.
    questionnaire = invitation.instrument.questionnaire()
    given = {"pain-worst": "3", "analgesic-use": "more"}
    number, links = next(
        (n, ids) for n, ids in page_fields(invitation, given)
        if len(ids) >= 2 and any(questionnaire.item(link).type == "integer" for link in ids))
    for n in range(1, number):
        post_page(client, invitation, n, {k: v for k, v in given.items() if k in dict(page_fields(invitation, given))[n]})
    wrong = next(link for link in links if questionnaire.item(link).type == "integer")
    other = next(item for item in (questionnaire.item(link) for link in links)
                 if item.link_id != wrong and item.type == "choice" and not item.repeats)
    response = post_page(client, invitation, number, {wrong: "lots", other.link_id: other.options[0].code})
    assert response.status_code == 200 and b"Please enter a whole number." in response.content
    assert draft(invitation).answers[other.link_id] == other.options[0].code
    assert wrong not in draft(invitation).answers
