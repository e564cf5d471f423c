"""The questionnaire screens behind a patient link: paging, drafts, language, review and submission."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.followup.models import Observation, Response
from tests.followup.test_patient_support import (
    assert_no_patient_data,
    make_invitation,
    make_proxy,
    page_fields,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(ann):
    return make_invitation(ann)


def url(invitation, name="respond", **query):
    path = reverse(name, args=[invitation.token()])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def post_page(client, invitation, number, answers, action="next", **extra):
    """Post one screen as the browser would: its answers plus the list of questions the form showed."""
    saved = Response.objects.filter(invitation=invitation, status="in_progress").first()
    shown = dict(page_fields(invitation, saved.answers if saved else {})).get(number, [])
    data = {"page": number, "action": action, "shown": shown, **{f"q-{k}": v for k, v in answers.items()},
            **extra}
    return client.post(url(invitation), data)


def draft(invitation):
    return Response.objects.get(invitation=invitation, status="in_progress")


def test_it_shows_the_first_screen_with_fieldsets_and_progress(client, invitation):
    response = client.get(url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<fieldset" in html and "<legend>" in html and "<progress" in html
    assert 'name="q-pain-worst"' in html and 'type="radio"' in html
    assert "<script" not in html and "style=" not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    assert_no_patient_data(response.content, invitation.patient)


def test_next_saves_the_screen_into_the_draft_and_redirects(client, invitation):
    response = post_page(client, invitation, 1, {"pain-worst": "7"})
    assert response.status_code == 302 and response.url == url(invitation, page=2)
    saved = draft(invitation)
    assert saved.answers == {"pain-worst": "7"} and saved.page == 2 and saved.language == "en"


def test_a_missing_required_answer_gives_an_error_summary(client, invitation):
    response = post_page(client, invitation, 1, {})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#q-pain-worst"' in html
    assert "Please answer this question." in html
    assert not Response.objects.exists()


def test_a_wrong_number_is_explained_and_not_saved(client, invitation):
    pages = page_fields(invitation, {"analgesic-use": "more"})
    number = next(n for n, ids in pages if "breakthrough-doses" in ids)
    post_page(client, invitation, 1, {"pain-worst": "3"})
    for n in range(2, number):
        post_page(client, invitation, n, {"analgesic-use": "more"} if "analgesic-use" in dict(pages)[n] else {})
    response = post_page(client, invitation, number, {"breakthrough-doses": "lots"})
    assert response.status_code == 200 and b"Please enter a whole number." in response.content
    assert "breakthrough-doses" not in draft(invitation).answers
    response = post_page(client, invitation, number, {"breakthrough-doses": "4"})
    assert response.status_code == 302 and draft(invitation).answers["breakthrough-doses"] == 4


def test_reopening_the_link_resumes_where_the_patient_was(client, invitation, django_user_model):
    post_page(client, invitation, 1, {"pain-worst": "7"})
    client.cookies.clear()  # a closed browser
    response = client.get(url(invitation))
    assert response.status_code == 200
    assert b'name="page" value="2"' in response.content


def test_back_saves_without_blocking_and_keeps_answers(client, invitation):
    post_page(client, invitation, 1, {"pain-worst": "7"})
    response = post_page(client, invitation, 2, {"pain-average": "5"}, action="back")
    assert response.status_code == 302 and response.url == url(invitation, page=1)
    assert draft(invitation).answers == {"pain-worst": "7", "pain-average": "5"}
    html = client.get(response.url).content.decode()
    assert 'value="7" checked' in html


def test_a_page_number_out_of_range_falls_back_to_the_saved_screen(client, invitation):
    for bad in ("0", "999", "x", "-1", "%E2%9C%93"):
        response = client.get(url(invitation, page=bad))
        assert response.status_code == 200, bad
    response = client.post(url(invitation), {"page": "999", "action": "next"})
    assert response.status_code == 302


def test_the_language_switch_persists_into_the_draft(client, invitation):
    response = client.get(url(invitation, page=1, lang="nl"))
    assert response.status_code == 302 and response.url == url(invitation, page=1)
    assert draft(invitation).language == "nl"
    page = client.get(response.url)
    assert page["Content-Language"] == "nl" and b'<html lang="nl">' in page.content
    assert b"Volgende" in page.content
    client.get(url(invitation, lang="xx"))  # unknown languages are ignored
    assert draft(invitation).language == "nl"


def test_the_patient_language_is_the_default(client, ann):
    ann.language = "fr"
    ann.save()
    invitation = make_invitation(ann)
    assert client.get(url(invitation))["Content-Language"] == "fr"


def answer_everything(client, invitation, answers):
    """Walk the screens, posting the given answers, until the review page."""
    number = 1
    for _ in range(40):
        pages = page_fields(invitation, draft(invitation).answers if number > 1 else {})
        if number > len(pages):
            return
        ids = dict(pages)[number]
        response = post_page(client, invitation, number, {k: v for k, v in answers.items() if k in ids})
        assert response.status_code == 302, response.content.decode()[:2000]
        number += 1
    raise AssertionError("the walk did not end")


def test_the_review_lists_answers_with_change_links(client, invitation):
    answer_everything(client, invitation, {"pain-worst": "9", "fatigue": "a-lot"})
    response = client.get(url(invitation, "respond_review"))
    html = response.content.decode()
    assert response.status_code == 200 and "A lot" in html and "Not answered" in html
    assert "from=review" in html and 'name="submission_id"' in html
    change = post_page(client, invitation, 1, {"pain-worst": "4"}, **{"from": "review"})
    assert change.url == url(invitation, "respond_review")
    assert draft(invitation).answers["pain-worst"] == "4"


def submit(client, invitation):
    review = client.get(url(invitation, "respond_review"))
    submission_id = review.context["submission_id"]
    return client.post(url(invitation, "respond_review"), {"submission_id": submission_id}), submission_id


def test_submitting_stores_one_response_and_shows_advice_and_the_phone(client, invitation):
    answer_everything(client, invitation, {"pain-worst": "9", "fatigue": "a-lot", "analgesic-use": "none"})
    response, submission_id = submit(client, invitation)
    assert response.status_code == 302 and response.url == url(invitation, "respond_done")
    stored = Response.objects.get(invitation=invitation)
    assert stored.status == "completed" and str(stored.submission_id) == str(submission_id)
    assert Observation.objects.filter(response=stored, code="palliro-general/pain-worst", value=9).exists()
    invitation.refresh_from_db()
    assert invitation.state == "completed"
    done = client.get(response.url)
    html = done.content.decode()
    assert done.status_code == 200 and "Call your care team now" in html
    assert 'href="tel:+31 20 000 0000"' in html
    assert "This may be an emergency" not in html  # pain is not a red-flag item
    assert_no_patient_data(done.content, invitation.patient)
    # A double click or retry posts the same id again: still one response, same thank-you page.
    again = client.post(url(invitation, "respond_review"), {"submission_id": submission_id})
    assert again.status_code == 302 and again.url == url(invitation, "respond_done")
    assert Response.objects.filter(invitation=invitation).count() == 1
    # Reopening the link shows the thank-you page.
    assert client.get(url(invitation)).url == url(invitation, "respond_done")


def test_a_stale_submission_id_stores_nothing(client, invitation):
    answer_everything(client, invitation, {"pain-worst": "2"})
    response = client.post(url(invitation, "respond_review"), {"submission_id": "not-a-uuid"})
    assert response.status_code == 302 and response.url == url(invitation, "respond_review")
    response = client.post(url(invitation, "respond_review"),
                           {"submission_id": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 302
    assert not Response.objects.filter(status="completed").exists()


def test_an_incomplete_submission_lists_what_is_missing(client, invitation):
    post_page(client, invitation, 2, {"pain-average": "2"})
    response, _ = submit(client, invitation)
    assert response.status_code == 200 and b"error-summary" in response.content
    assert b'id="errors" autofocus' in response.content  # focus and screen readers go to the summary
    assert b"Please answer this question." in response.content
    assert not Response.objects.filter(status="completed").exists()


def test_review_without_a_draft_starts_at_the_first_screen(client, invitation):
    assert client.get(url(invitation, "respond_review")).url == url(invitation)


def test_a_red_flag_shows_the_emergency_notice(client, ann):
    invitation = make_invitation(ann, "palliro-mscc")
    answers = {}
    for item in invitation.instrument.questionnaire().questions:
        if item.required or item.red_flag:
            worst = max(item.options, key=lambda o: o.ordinal) if item.options else None
            answers[item.link_id] = worst.code if worst else (item.min_value or 0)
    answer_everything(client, invitation, answers)
    response, _ = submit(client, invitation)
    html = client.get(response.url).content.decode()
    assert "This may be an emergency" in html and "112" in html and "Call your care team now" in html


def test_after_the_window_closes_the_thank_you_page_shows_no_answers(client, invitation):
    answer_everything(client, invitation, {"pain-worst": "9"})
    submit(client, invitation)
    invitation.refresh_from_db()
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    html = client.get(url(invitation, "respond_done")).content.decode()
    assert "Thank you" in html and "Call your care team now" not in html and "What you can do" not in html


def test_proxies_get_proxy_wording_in_their_language(client, ann):
    proxy = make_proxy(ann, language="nl")
    invitation = make_invitation(ann, "palliro-general-proxy", proxy=proxy)
    response = client.get(url(invitation))
    html = response.content.decode()
    assert response["Content-Language"] == "nl"
    assert "naaste" in html.lower() or "zorgt" in html.lower()
    assert_no_patient_data(response.content, ann)


def test_a_page_is_small_and_scriptless(client, invitation):
    from django.contrib.staticfiles import finders

    css = len(open(finders.find("followup/patient.css"), "rb").read())
    post_page(client, invitation, 1, {"pain-worst": "9"})
    for target in (url(invitation, page=1), url(invitation, page=2), url(invitation, "respond_review")):
        content = client.get(target).content
        assert len(content) + css <= 30 * 1024, (target, len(content), css)
        assert b"<script" not in content and b"style=" not in content


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, invitation, method):
    for name in ("respond", "respond_review"):
        assert getattr(client, method)(url(invitation, name)).status_code == 405
    assert client.post(url(invitation, "respond_done")).status_code == 405
    assert client.get(url(invitation, "respond_check")).status_code == 405


def test_control_characters_in_free_text_are_stored_without_nul(client, invitation):
    pages = page_fields(invitation, {"analgesic-use": "none"})
    number = next(n for n, ids in pages if "anything-else" in ids)
    post_page(client, invitation, 1, {"pain-worst": "1"})
    response = post_page(client, invitation, number, {"anything-else": "a\x00b ✓ <b>x</b>"})
    assert response.status_code == 302
    assert draft(invitation).answers["anything-else"] == "ab ✓ <b>x</b>"
    html = client.get(url(invitation, "respond_review")).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_a_question_the_form_did_not_show_keeps_its_answer(client, invitation):
    post_page(client, invitation, 1, {"pain-worst": "7"})
    # A stale tab posts screen 1 without having shown pain-worst (branching moved it): nothing is erased.
    client.post(url(invitation), {"page": 1, "action": "next"})
    assert draft(invitation).answers == {"pain-worst": "7"}


def _answer_directly(client, invitation, **given):
    import uuid

    from palliro.followup.submission import submit as store
    from tests.triage.helpers import answers_for

    instrument = invitation.instrument
    store(instrument=instrument, patient=invitation.patient, respondent="patient",
          answers=answers_for(instrument, **given), submission_id=uuid.uuid4(), language="nl", invitation=invitation)
    return client.get(url(invitation, "respond_done")).content.decode()


def test_an_urgent_alert_below_the_questionnaires_own_threshold_still_says_call_now(client, ann):
    # Bleeding that comes back, even as spots, raises the team's urgent "bleeding-restarted" alert; the
    # questionnaire's own advice bands do not say "call" for spots. The patient must be told to call.
    from palliro.triage.rules_io import sync_shipped_rules
    from tests.triage.helpers import backdate
    from tests.triage.helpers import submit as quick_submit

    sync_shipped_rules()
    backdate(quick_submit(ann, "palliro-bleeding", bleeding_any="no"), 7)
    html = _answer_directly(client, make_invitation(ann, "palliro-bleeding"), bleeding_any="yes",
                            bleeding_amount="spots", bleeding_site=["urine"], bleeding_stopped="stopped")
    assert ann.alerts.get().severity == "urgent"
    assert "Bel nu uw zorgteam" in html and 'href="tel:+31 20 000 0000"' in html


def test_an_attention_alert_tells_the_patient_the_team_was_told(client, ann):
    from palliro.triage.rules_io import sync_shipped_rules

    sync_shipped_rules()
    html = _answer_directly(client, make_invitation(ann), pain_worst="7")
    assert ann.alerts.get().severity == "attention"
    assert "Uw zorgteam is op de hoogte gebracht van enkele van uw antwoorden" in html
    assert "Bel nu uw zorgteam" not in html


def test_no_alert_no_team_message(client, ann):
    from palliro.triage.rules_io import sync_shipped_rules

    sync_shipped_rules()
    html = _answer_directly(client, make_invitation(ann), pain_worst="2")
    assert not ann.alerts.exists() and "op de hoogte gebracht" not in html and "Bel nu" not in html


@pytest.mark.parametrize("code", ["palliro-general", "palliro-bone", "palliro-bleeding",
                                  "palliro-general-proxy"])
def test_an_answer_that_shows_a_question_never_moves_an_answered_one_to_another_step(ann, code):
    # Every conditional question shown: each question stays on the step it had with none shown, only in a later
    # step when a step before it gained a question, never in an earlier one; and no step repeats a question.
    from palliro.instruments.models import Instrument

    questionnaire = Instrument.objects.filter(code=code).order_by("-version").first().questionnaire()
    conditional = [item for item in questionnaire.questions if item.enable_when]
    assert conditional, code
    shown_all = {}
    for item in conditional:
        for cond in item.enable_when:
            options = [o.code for o in questionnaire.item(cond.question).options]
            if cond.operator == "=":
                shown_all[cond.question] = cond.answer
            elif cond.operator == "!=":
                shown_all[cond.question] = next(o for o in options if o != cond.answer)
            elif cond.operator == "exists" and options:
                shown_all[cond.question] = options[-1]
    assert shown_all, code
    invitation = make_invitation(ann, code)
    before = page_fields(invitation, {})
    after = page_fields(invitation, shown_all)
    assert len(sum((links for _, links in after), [])) > len(sum((links for _, links in before), []))
    step_before = {link: n for n, links in before for link in links}
    step_after = {link: n for n, links in after for link in links}
    for link, n in step_before.items():
        if link in step_after:
            assert step_after[link] >= n, (link, n, step_after[link])
    # Same screens: the questions of each screen before are the unconditional part of some screen after.
    after_screens = [set(links) for _, links in after]
    for _, links in before:
        assert any(set(links) <= screen for screen in after_screens), links
    seen = [link for _, links in after for link in links]
    assert len(seen) == len(set(seen))
