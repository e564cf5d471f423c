"""A stored alert's detail reads as the question and the answer in English, for a first finding and a repeat."""

from palliro.triage.models import Alert

from .helpers import submit


def test_a_red_flag_alert_says_what_was_asked_and_answered(ann):
    submit(ann, "palliro-mscc", limb_weakness="yes")
    alert = Alert.objects.get(patient=ann, rule__code="mscc-red-flag")
    assert alert.detail == 'New or worse weakness or numbness in arms or legs: "Yes" (limb-weakness = 1; rule: = 1)'


def test_a_relatives_pain_score_reads_out_of_ten(ann):
    submit(ann, "palliro-general-proxy", pain_worst="9")
    alert = Alert.objects.get(patient=ann, rule__code="pain-worst-high")
    assert alert.detail.endswith(": 9 of 10 (rule: 7 or more)")
    assert "pain-worst >=" not in alert.detail


def test_a_repeat_appends_the_same_kind_of_line(ann):
    submit(ann, "palliro-general", pain_worst="8")
    submit(ann, "palliro-general", pain_worst="10")
    first, again = Alert.objects.get(patient=ann, rule__code="pain-worst-high").detail.splitlines()
    assert first == "Worst pain at treated site: 8 of 10 (rule: 7 or more)"
    assert again.startswith("Again ") and again.endswith(
        ': Worst pain at treated site: 10 of 10 ("The worst pain you can imagine") (rule: 7 or more)')


def test_the_alert_page_shows_the_worded_detail(login, nurse_a, ann):
    submit(ann, "palliro-mscc", bladder_bowel_control="yes")
    alert = Alert.objects.get(patient=ann, rule__code="mscc-red-flag")
    body = login(nurse_a).get(f"/triage/alert/{alert.pk}/").content.decode()
    assert "New problems with bladder or bowel control: &quot;Yes&quot; (bladder-bowel-control = 1; rule: = 1)" in body
