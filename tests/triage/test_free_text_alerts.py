"""A comment written in a questionnaire's free-text answer reaches the team as an alert on the worklist, whoever
answered (patient, relative or a nurse in a phone interview); "nothing to add" does not."""

from django.urls import reverse

from palliro.triage.models import Alert
from tests.followup.staff_fixtures import ann_course, ann_invitation  # noqa: F401, F811

from .helpers import submit

COMMENT = "since yesterday I can hardly move my legs"


def comment_alert(patient):
    return Alert.objects.get(patient=patient, rule__code="free-text-comment")


def test_a_patients_comment_raises_an_attention_alert_on_the_worklist(login, nurse_a, ann):
    response = submit(ann, "palliro-general", anything_else=COMMENT)
    alert = comment_alert(ann)
    assert (alert.severity, alert.state, alert.response) == ("attention", "open", response)
    assert alert.detail == f'Anything else: "{COMMENT}"'
    worklist = login(nurse_a).get("/triage/")
    assert alert.pk in [a.pk for a in worklist.context["page"].object_list]
    page = login(nurse_a).get(f"/triage/alert/{alert.pk}/").content.decode()
    assert COMMENT in page


def test_a_relatives_comment_raises_it_too(ann):
    submit(ann, "palliro-general-proxy", anything_else="She has not eaten for three days.")
    assert comment_alert(ann).detail == 'Anything else: "She has not eaten for three days."'


def test_a_comment_written_in_a_phone_interview_raises_it_too(login, nurse_a, ann, ann_invitation):  # noqa: F811
    client = login(nurse_a)
    url = reverse("followup_staff_entry", args=[ann_invitation.pk])
    form = client.get(url).context["form"]
    data = {"submission_id": str(form.initial["submission_id"]), "language": "en"}
    answers = {"pain-worst": "3", "analgesic-use": "none", "anything-else": "Wife says he fell twice this week."}
    data.update({name: answers[link_id] for name, link_id in form.link_ids.items() if link_id in answers})
    assert client.post(url, data).status_code == 302
    alert = comment_alert(ann)
    assert alert.response.respondent == "staff" and "fell twice this week" in alert.detail


def test_nothing_to_add_raises_nothing(ann):
    submit(ann, "palliro-general", anything_else="No.")
    submit(ann, "palliro-general", anything_else="  ")
    submit(ann, "palliro-general")
    assert not Alert.objects.filter(patient=ann, rule__code="free-text-comment").exists()


def test_a_long_comment_is_trimmed_in_the_alert_and_whole_on_the_response_page(login, nurse_a, ann):
    long = "The pain wakes me every night and " * 30 + "THE END"
    response = submit(ann, "palliro-general", anything_else=long)
    alert = comment_alert(ann)
    assert "THE END" not in alert.detail and alert.detail.endswith('(full text on the response page)"')
    assert "THE END" in login(nurse_a).get(reverse("response_detail", args=[response.pk])).content.decode()


def test_the_comment_is_shown_as_text_never_as_markup(login, nurse_a, ann):
    submit(ann, "palliro-general", anything_else="<script>alert(1)</script> my legs")
    page = login(nurse_a).get(f"/triage/alert/{comment_alert(ann).pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; my legs" in page


def test_a_second_comment_is_added_to_the_open_alert(ann):
    submit(ann, "palliro-general", anything_else="new pain in my hip")
    submit(ann, "palliro-general", anything_else="the hip pain is worse")
    alert = comment_alert(ann)
    first, again = alert.detail.splitlines()
    assert alert.repeat_count == 1 and again.startswith("Again ")
    assert again.endswith('Anything else: "the hip pain is worse"')
