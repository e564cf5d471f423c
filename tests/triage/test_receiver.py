"""Alerts raised on submission, inside the submission transaction, with dedupe and team email."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from palliro.core.pain import UNVERIFIED_ZERO
from palliro.core.rules import UNVERIFIED_FLARE_ALERT
from palliro.followup.models import Response
from palliro.triage.models import Alert, AlertState
from palliro.triage.services import UNVERIFIED_NO_ANALGESIC, resolve, store_findings

from .helpers import answer_invited, backdate, enrol_course, submit


def codes(patient):
    return sorted(Alert.objects.filter(patient=patient).values_list("rule__code", flat=True))


def test_it_raises_an_alert_for_worst_pain_7(ann):
    response = submit(ann, "palliro-general", pain_worst="7")
    alert = Alert.objects.get(patient=ann)
    assert (alert.rule.code, alert.severity, alert.priority, alert.response) == (
        "pain-worst-high", "attention", 1, response)
    assert "Worst pain at treated site: 7 of 10 (rule: 7 or more)" in alert.detail


def test_it_raises_nothing_for_a_quiet_questionnaire(ann):
    submit(ann, "palliro-general", pain_worst="3")
    assert codes(ann) == []


def test_storing_no_findings_costs_no_statement(ann, django_assert_num_queries):
    # Most submissions find nothing; a savepoint around nothing would be two round trips on each of them.
    with django_assert_num_queries(0):
        assert store_findings(ann.pk, [], {}) == []


def test_it_rolls_back_the_response_when_alerting_fails(ann):
    with mock.patch("palliro.triage.services.store_findings", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            submit(ann, "palliro-general", pain_worst="9")
    assert not Response.objects.filter(patient=ann, status="completed").exists()


def test_it_does_not_open_a_second_alert_while_one_is_open(ann):
    submit(ann, "palliro-general", pain_worst="8")
    submit(ann, "palliro-general", pain_worst="9")
    alert = Alert.objects.get(patient=ann, rule__code="pain-worst-high")
    assert alert.repeat_count == 1 and alert.last_fired is not None


def test_it_opens_a_new_alert_after_the_last_was_resolved(ann, nurse_a):
    submit(ann, "palliro-general", pain_worst="8")
    resolve(Alert.objects.get(patient=ann), nurse_a, "phoned")
    submit(ann, "palliro-general", pain_worst="8")
    assert Alert.objects.filter(patient=ann, rule__code="pain-worst-high").count() == 2
    assert Alert.objects.filter(patient=ann, state=AlertState.OPEN).count() == 1


def test_it_compares_with_the_patients_own_baseline(ann):
    enrolment = enrol_course(ann, first_fraction_days_ago=12, enrolled_days_ago=14)
    answer_invited(enrolment, "palliro-general", 14, label="baseline", pain_worst="2")
    answer_invited(enrolment, "palliro-general", 0, pain_worst="4")
    assert codes(ann) == ["pain-worst-rise"]


def test_it_raises_an_urgent_mscc_alert_and_emails_the_team(ann, nurse_a, site_a,
                                                            django_capture_on_commit_callbacks):
    site_a.email = "team-a@example.org"
    site_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(ann, "palliro-mscc", limb_weakness="yes")
    alert = Alert.objects.get(patient=ann)
    assert (alert.rule.code, alert.severity) == ("mscc-red-flag", "urgent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["team-a@example.org"]
    assert ann.pseudonym in message.subject
    assert "Andersen" not in message.subject + message.body  # no names in email
    alert.refresh_from_db()
    assert alert.notified_at is not None


def test_it_does_not_email_about_an_attention_alert(ann, site_a, django_capture_on_commit_callbacks):
    site_a.email = "team-a@example.org"
    site_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(ann, "palliro-general", pain_worst="8")
    assert mail.outbox == []


def test_it_raises_bleeding_restarted_against_the_previous_answer(ann):
    backdate(submit(ann, "palliro-bleeding", bleeding_any="no"), 7)
    submit(ann, "palliro-bleeding", bleeding_any="yes", bleeding_site=["urine"], bleeding_amount="a-little",
           bleeding_stopped="ongoing")
    assert codes(ann) == ["bleeding-restarted"]


def test_it_raises_fever_only_after_a_treatment(ann):
    from palliro.clinic.models import RTCourse

    submit(ann, "palliro-general", flu_like="a-lot")
    # No treatment: not the fever rule; but "a lot" told the patient to call now, so the safety net fires.
    assert codes(ann) == ["advice-contact-now"]
    Alert.objects.all().delete()
    today = timezone.localdate()
    RTCourse.objects.create(patient=ann, indication="pain", target_region="Pelvis", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=today - timedelta(days=3),
                            last_fraction_date=today - timedelta(days=3), fractions_delivered=1)
    submit(ann, "palliro-general", flu_like="a-lot")
    assert codes(ann) == ["fever-after-treatment"]


def test_it_raises_a_death_rattle_alert_from_a_relative(ann):
    submit(ann, "palliro-death-rattle", respondent="proxy", respondent_role="relative", intensity="3",
           family_distress="3")
    assert codes(ann) == ["death-rattle-distress"]


def test_it_detects_a_pain_flare_from_the_diary(ann):
    from palliro.clinic.models import AnalgesicRecord, RTCourse

    today = timezone.localdate()
    first = today - timedelta(days=2)
    RTCourse.objects.create(patient=ann, indication="pain", target_region="Femur", technique="conventional",
                            total_dose_gy=20, fractions_planned=5, first_fraction_date=first)
    AnalgesicRecord.objects.create(patient=ann, recorded_on=first - timedelta(days=5), drug="morphine", dose=15,
                                   unit="mg", route="oral", doses_per_day=2)
    backdate(submit(ann, "palliro-general", pain_worst="5"), 4)  # baseline before the first fraction
    backdate(submit(ann, "palliro-pain-diary", diary_pain_worst="5"), 1)
    assert codes(ann) == []
    submit(ann, "palliro-pain-diary", diary_pain_worst="7")
    alert = Alert.objects.get(patient=ann, rule__code="pain-flare")
    assert "worst pain 7 (baseline 5)" in alert.detail and "30 mg/day" in alert.detail


def test_it_needs_a_pre_treatment_score_for_a_flare(ann):
    from palliro.clinic.models import RTCourse

    RTCourse.objects.create(patient=ann, indication="pain", target_region="Femur", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=date.today())
    submit(ann, "palliro-pain-diary", diary_pain_worst="7")
    assert codes(ann) == []


def flare_without_analgesics(patient):
    from palliro.clinic.models import RTCourse

    RTCourse.objects.create(patient=patient, indication="pain", target_region="L3", technique="conventional",
                            total_dose_gy=20, fractions_planned=5,
                            first_fraction_date=timezone.localdate() - timedelta(days=2))
    backdate(submit(patient, "palliro-general", pain_worst="4"), 5)  # baseline before the first fraction
    submit(patient, "palliro-pain-diary", diary_pain_worst="7")
    return Alert.objects.get(patient=patient, rule__code="pain-flare")


def test_it_keeps_the_unverified_marks_of_a_flare_alert(ann):
    alert = flare_without_analgesics(ann)
    assert alert.unverified == [UNVERIFIED_FLARE_ALERT, UNVERIFIED_ZERO, UNVERIFIED_NO_ANALGESIC]


def test_it_marks_nothing_unverified_on_a_threshold_alert(ann):
    submit(ann, "palliro-general", pain_worst="8")
    assert Alert.objects.get(patient=ann).unverified == []


def test_the_alert_page_says_which_parts_of_a_flare_alert_are_unverified(login, nurse_a, ann):
    alert = flare_without_analgesics(ann)
    client = login(nurse_a)
    body = client.get(f"/triage/alert/{alert.pk}/").content.decode()
    assert 'class="sev sev-attention badge-unverified">unverified</span>' in body
    assert "alert_without_return (rule parameter, default true)" in body and "zero_baseline_omed" in body
    assert "badge-unverified" in client.get("/triage/").content.decode()
    assert "badge-unverified" in client.get(f"/triage/patient/{ann.pk}/").content.decode()


def test_the_alert_page_of_a_verified_rule_has_no_unverified_mark(login, nurse_a, ann):
    submit(ann, "palliro-general", pain_worst="8")
    body = login(nurse_a).get(f"/triage/alert/{Alert.objects.get(patient=ann).pk}/").content.decode()
    assert "badge-unverified" not in body


def test_it_counts_days_after_treatment_in_the_sites_time_zone(ann, site_a):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from palliro.clinic.models import RTCourse

    site_a.timezone = "Asia/Tokyo"
    site_a.save()
    # 23:30 on 3 February in Amsterdam (the server) is already 07:30 on 4 February in Tokyo.
    answered = datetime(2027, 2, 3, 23, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    RTCourse.objects.create(patient=ann, indication="pain", target_region="Pelvis", technique="conventional",
                            total_dose_gy=8, fractions_planned=1, first_fraction_date=date(2027, 2, 4),
                            last_fraction_date=date(2027, 2, 4), fractions_delivered=1)
    with mock.patch("django.utils.timezone.now", return_value=answered):
        submit(ann, "palliro-general", flu_like="a-lot")
    assert codes(ann) == ["fever-after-treatment"]
    assert "0 days after treatment" in Alert.objects.get(patient=ann).detail
