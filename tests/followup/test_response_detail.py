"""The staff page of one response: every answer as the respondent gave it, who answered, access and audit."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import AuditEvent
from tests.followup.staff_fixtures import make_invitation
from tests.triage.helpers import answers_for, instrument, submit

WORRY = "Ik kan sinds gisteren mijn benen slecht bewegen en ik ben bang"


def store(patient, code="palliro-general", *, language="en", respondent=None, proxy=None, entered_by=None,
          **given):
    """A completed response with ``given`` answers (linkIds with '_' for '-') and the lowest option elsewhere."""
    from palliro.followup.submission import submit as save

    inst = instrument(code)
    return save(
        instrument=inst, patient=patient, answers=answers_for(inst, **given), submission_id=uuid.uuid4(),
        respondent=respondent or ("proxy" if code.endswith("-proxy") else "patient"), language=language,
        proxy=proxy, entered_by=entered_by,
    ).response


def page_of(client, response):
    return client.get(reverse("response_detail", args=[response.pk]))


def test_it_shows_a_dutch_free_text_answer_verbatim_and_escaped(login, nurse_a, ann):
    text = f"{WORRY}\n<script>alert('x')</script> & meer"
    response = store(ann, language="nl", anything_else=text)
    page = page_of(login(nurse_a), response)
    assert page.status_code == 200
    body = page.content.decode()
    assert WORRY in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; meer" in body
    assert "<script>alert" not in body
    assert 'class="free-texts"' in body  # the free text stands out in its own section above the table
    assert "Ann Andersen" in body and "A-0001" in body
    assert "Dutch" in body


def test_it_shows_option_answers_in_the_response_language_with_english_beside(login, nurse_a, ann):
    response = store(ann, language="nl", walking="few-steps")
    item = instrument("palliro-general").questionnaire().item("walking")
    option = item.option("few-steps")
    body = page_of(login(nurse_a), response).content.decode()
    dutch, english = option.display("nl"), option.display("en")
    assert dutch != english
    assert f'<span lang="nl">{dutch}</span><span class="english" lang="en">{english}</span>' in body
    assert item.text("nl") in body and item.text("en") in body


def test_it_shows_unanswered_and_unasked_questions_as_such(login, nurse_a, ann):
    response = store(ann, analgesic_use="none")
    body = page_of(login(nurse_a), response).content.decode()
    assert "Not answered" in body  # e.g. the free-text item
    assert "Not asked (skipped by an earlier answer)" in body  # breakthrough doses only follow analgesic use


def test_it_shows_the_scores_and_the_advice_the_respondent_was_shown(login, nurse_a, ann):
    from palliro.core.questionnaire import advice_for

    response = store(ann, pain_worst="8")
    advice = advice_for(instrument("palliro-general").questionnaire(), response.answers, "en")
    body = page_of(login(nurse_a), response).content.decode()
    assert "palliro-general/pain-worst" in body
    assert advice and all(a.text in body for a in advice)
    assert "contact the team now" in body


def test_it_names_the_relative_who_answered(login, nurse_a, ann, ann_proxy):
    response = store(ann, "palliro-general-proxy", proxy=ann_proxy, language="nl", pain_worst="5",
                     patient_involved="yes")
    body = page_of(login(nurse_a), response).content.decode()
    assert "Relative" in body and "Piet Andersen (Partner)" in body


def test_it_names_the_staff_member_of_a_phone_interview(login, nurse_a, clinician_a, ann):
    clinician_a.first_name, clinician_a.last_name = "Clara", "Visser"
    clinician_a.save()
    response = store(ann, respondent="staff", entered_by=clinician_a)
    body = page_of(login(nurse_a), response).content.decode()
    assert "Staff interview" in body and "entered by Clara Visser" in body


def test_it_marks_a_draft_as_not_sent(login, nurse_a, ann, ann_invitation):
    from palliro.followup.submission import save_draft

    draft = save_draft(ann_invitation, {"pain-worst": "9", "anything-else": WORRY}, 2, "nl")
    page = page_of(login(nurse_a), draft)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Not sent — draft" in body and WORRY in body
    assert "None: alerts are raised when the answers are sent." in body


def test_it_gives_404_for_another_sites_patient(login, nurse_b, ann):
    response = store(ann)
    assert page_of(login(nurse_b), response).status_code == 404


def test_it_gives_404_for_a_missing_response(login, nurse_a):
    assert login(nurse_a).get(reverse("response_detail", args=[999999])).status_code == 404


def test_it_refuses_researchers(login, researcher, ann):
    response = store(ann)
    assert page_of(login(researcher), response).status_code == 403
    assert not AuditEvent.objects.filter(action="response_view").exists()


def test_it_sends_anonymous_visitors_to_the_login_page(client, ann):
    response = store(ann)
    page = page_of(client, response)
    assert page.status_code == 302 and reverse("login") in page["Location"]


def test_it_writes_an_audit_row(login, nurse_a, ann):
    response = store(ann)
    page_of(login(nurse_a), response)
    event = AuditEvent.objects.get(action="response_view")
    assert event.user == nurse_a and event.patient == ann
    assert (event.object_type, event.object_id) == ("Response", str(response.pk))


def test_it_links_the_alerts_the_response_raised(login, nurse_a, ann):
    response = store(ann, pain_worst="9")
    alerts = list(response.alerts.all())
    assert alerts, "worst pain 9 raises an alert"
    body = page_of(login(nurse_a), response).content.decode()
    assert all(reverse("triage:alert", args=[a.pk]) in body for a in alerts)


def test_it_shows_an_amendment_and_what_it_replaced(login, nurse_a, ann):
    from palliro.followup.submission import submit as save

    first = store(ann, pain_worst="3")
    inst = instrument("palliro-general")
    amended = save(instrument=inst, patient=ann, respondent="patient", answers=first.answers | {"pain-worst": "4"},
                   submission_id=uuid.uuid4(), language="en", replaces=first).response
    client = login(nurse_a)
    assert reverse("response_detail", args=[first.pk]) in page_of(client, amended).content.decode()
    assert "were replaced by" in page_of(client, first).content.decode()


def test_the_timeline_links_to_it(login, nurse_a, ann):
    response = submit(ann, "palliro-general", pain_worst="3")
    body = login(nurse_a).get(f"/triage/patient/{ann.pk}/").content.decode()
    assert reverse("response_detail", args=[response.pk]) in body


def test_the_follow_up_page_links_to_answers_and_drafts(login, nurse_a, ann):
    from palliro.followup.submission import save_draft

    answered = make_invitation(ann, timezone.now() - timedelta(days=2), step_label="week 1")
    response = submit(ann, "palliro-general", invitation=answered, pain_worst="3")
    open_one = make_invitation(ann, timezone.now() - timedelta(hours=1), step_label="week 2")
    draft = save_draft(open_one, {"pain-worst": "9"}, 1, "en")
    body = login(nurse_a).get(reverse("followup_patient", args=[ann.pk])).content.decode()
    assert reverse("response_detail", args=[response.pk]) in body
    assert reverse("response_detail", args=[draft.pk]) in body and "Draft: not sent" in body


@pytest.mark.parametrize("user", ["nurse_a", "clinician_a"])
def test_every_care_role_at_the_site_may_read_it(request, login, user, ann):
    response = store(ann)
    assert page_of(login(request.getfixturevalue(user)), response).status_code == 200


def test_it_lists_an_alert_the_response_fired_again_as_a_repeat(login, nurse_a, ann):
    from palliro.triage.models import Alert

    first = store(ann, pain_worst="9")
    alert = first.alerts.first()
    second = store(ann, pain_worst="3")
    # What triage stores for a repeat: the alert's last firing at the repeating response's own time.
    Alert.objects.filter(pk=alert.pk).update(last_fired=second.submitted_at)
    body = page_of(login(nurse_a), second).content.decode()
    assert reverse("triage:alert", args=[alert.pk]) in body and "fired again: first raised earlier" in body
