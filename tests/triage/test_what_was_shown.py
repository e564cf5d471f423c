"""The alert page states exactly what the respondent was shown, from the function that draws their page."""

from django.urls import reverse

from palliro.followup.shown import what_was_shown
from palliro.triage.models import Alert
from tests.followup.test_patient_support import make_invitation, make_proxy

from .helpers import submit

SITE_PHONE = "+31 20 000 0000"


def answered(patient, code="palliro-general", proxy=None, **given):
    invitation = make_invitation(patient, code, proxy=proxy)
    return invitation, submit(patient, code, invitation=invitation, proxy=proxy, **given)


def shown_on_alert_page(client, alert) -> str:
    body = client.get(f"/triage/alert/{alert.pk}/").content.decode()
    return body.split('id="alert-shown">', 1)[1].split("</dd>", 1)[0]


def test_an_attention_alert_whose_answer_said_call_now_says_call_now_as_the_patient_saw(client, login, nurse_a, ann):
    invitation, response = answered(ann, pain_worst="8")  # pain-worst-high (attention); the advice band says call
    alert = Alert.objects.get(patient=ann)
    assert alert.severity == "attention" and alert.response == response
    thank_you = client.get(reverse("respond_done", args=[invitation.token()])).content.decode()
    assert "Call your care team now" in thank_you and f"tel:{SITE_PHONE}" in thank_you
    shown = shown_on_alert_page(login(nurse_a), alert)
    assert '"Call your care team now"' in shown and SITE_PHONE in shown
    assert "has been told" not in shown and "112" not in shown


def test_an_attention_alert_below_the_call_threshold_says_the_team_was_told(client, login, nurse_a, ann):
    invitation, _response = answered(ann, pain_worst="7")
    thank_you = client.get(reverse("respond_done", args=[invitation.token()])).content.decode()
    assert "has been told about some of your answers" in thank_you and "Call your care team now" not in thank_you
    shown = shown_on_alert_page(login(nurse_a), Alert.objects.get(patient=ann))
    assert "has been told about some of your answers" in shown and "Call your care team now" not in shown


def test_a_red_flag_alert_page_gives_the_emergency_line_the_patient_saw(client, login, nurse_a, ann):
    invitation, _response = answered(ann, "palliro-mscc", limb_weakness="yes")
    thank_you = client.get(reverse("respond_done", args=[invitation.token()])).content.decode()
    assert "112" in thank_you
    shown = shown_on_alert_page(login(nurse_a), Alert.objects.get(patient=ann, rule__code="mscc-red-flag"))
    assert "emergency number 112" in shown and '"Call your care team now"' in shown and SITE_PHONE in shown


def test_a_relatives_page_is_stated_as_the_relative_saw_it(login, nurse_a, ann):
    proxy = make_proxy(ann, language="nl")
    _invitation, response = answered(ann, "palliro-general-proxy", proxy=proxy, pain_worst="7")
    response.language = "nl"
    response.save(update_fields=["language"])
    body = login(nurse_a).get(f"/triage/alert/{Alert.objects.get(patient=ann).pk}/").content.decode()
    assert "Shown to the relative" in body and "some of these answers" in body and "(in nl)" in body


def test_the_rules_advice_is_labelled_staff_guidance_not_as_shown(login, nurse_a, ann):
    answered(ann, pain_worst="8")
    body = login(nurse_a).get(f"/triage/alert/{Alert.objects.get(patient=ann).pk}/").content.decode()
    assert "staff guidance only; never shown to the patient" in body
    assert "The rule's advice for the patient" not in body
    rule_advice = body.split('id="alert-rule-advice">', 1)[1].split("</dd>", 1)[0]
    assert "A nurse will call you" in rule_advice
    assert "A nurse will call you" not in shown_on_alert_page(login(nurse_a), Alert.objects.get(patient=ann))


def test_one_function_decides_for_both_pages(ann):
    _invitation, response = answered(ann, pain_worst="8", vomiting="a-lot")
    shown = what_was_shown(response)
    assert shown.contact_now and shown.team_told and not shown.red_flag and shown.phone == SITE_PHONE
    assert {a["band"] for a in shown.advice if a["contact_now"]}
    assert what_was_shown(response, "fr").language == "fr"
    # The alerts counted are this response's own: a later response's alert does not change what this one showed.
    _later_invitation, _later = answered(ann, "palliro-mscc", limb_weakness="yes")
    assert what_was_shown(response) == shown


def test_a_staff_interview_showed_the_patient_nothing(ann, nurse_a):
    from palliro.followup.models import Response

    _invitation, response = answered(ann, pain_worst="8")
    Response.objects.filter(pk=response.pk).update(entered_by=nurse_a, respondent="staff")
    response.refresh_from_db()
    assert what_was_shown(response) is None


def test_the_alert_page_links_to_every_answer_of_the_response(client, login, nurse_a, ann):
    _invitation, response = answered(ann, pain_worst="8", anything_else="Ik kan mijn benen slecht bewegen")
    alert = Alert.objects.get(patient=ann, rule__code="pain-worst-high")  # the comment raises its own alert
    body = login(nurse_a).get(f"/triage/alert/{alert.pk}/").content.decode()
    link = reverse("response_detail", args=[response.pk])
    assert f'id="alert-answers" href="{link}"' in body
    assert "Ik kan mijn benen slecht bewegen" in login(nurse_a).get(link).content.decode()
