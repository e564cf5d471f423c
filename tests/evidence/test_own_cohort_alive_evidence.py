"""The department's own cohort in a review follows living patients up to the date last known alive as the
research cohort report does (:mod:`palliro.research.alive`): by default the later of the recorded date and the
day of the patient's own latest answer; relatives' answers never count.

In the shared clinic (tests/evidence/test_own_cohort.py) Eve (group A, 8 Gy / 1) is recorded alive on day 20
only, so she is left out of death within 30 days as incomplete.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from palliro.clinic.models import Patient
from palliro.evidence import cohort
from palliro.evidence.models import StudyRow
from palliro.stats.errors import StatsInputError
from tests.evidence.test_own_cohort import GROUPS, clinic, spec  # noqa: F401  (clinic: fixture)
from tests.research.test_endpoint_sql import _instrument, _store

from .conftest import START

pytestmark = pytest.mark.django_db


def answers_on_day(respondent, day):
    eve = Patient.objects.get(hospital_number="A-4")
    code = "palliro-general-proxy" if respondent == "proxy" else "palliro-general"
    at = datetime.combine(START + timedelta(days=day), datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
    _store(eve, _instrument(code), respondent, at, {f"{code}/pain-worst": 4.0})


def counts(site_a, **extra):
    return cohort.death_within(cohort.cohort_patients(replace(spec({site_a.pk}), **extra)), 30)


def test_eves_own_answer_after_day_30_makes_her_follow_up_complete(clinic, site_a):  # noqa: F811
    answers_on_day("patient", 35)
    got = counts(site_a)
    assert (got.events_a, got.total_a, got.incomplete) == (1, 3, 0)
    recorded = counts(site_a, alive_evidence="recorded")
    assert (recorded.events_a, recorded.total_a, recorded.incomplete) == (1, 2, 1)


def test_a_relatives_answer_does_not(clinic, site_a):  # noqa: F811
    answers_on_day("proxy", 35)
    got = counts(site_a)
    assert (got.total_a, got.incomplete) == (2, 1)
    answers_on_day("patient", 31)
    got = counts(site_a)
    assert (got.total_a, got.incomplete) == (3, 0)


def test_an_unknown_definition_is_refused(site_a):
    with pytest.raises(StatsInputError, match="last known alive"):
        counts(site_a, alive_evidence="relatives_too")


def test_the_study_row_says_which_definition_it_used(login, nurse_a, clinic, outcome_rr):  # noqa: F811
    answers_on_day("patient", 35)
    url = reverse("evidence:own_cohort", args=[outcome_rr.pk])
    login(nurse_a).post(url, GROUPS)
    row = StudyRow.objects.get(outcome=outcome_rr)
    assert (row.ai, row.bi, row.ci, row.di) == (1, 2, 0, 2)
    assert row.source.endswith("last known alive: recorded date or own later answer")
    row.delete()
    login(nurse_a).post(url, GROUPS | {"alive_evidence": "recorded"})
    row = StudyRow.objects.get(outcome=outcome_rr)
    assert (row.ai, row.bi, row.ci, row.di) == (1, 1, 0, 2)
    assert row.source.endswith("last known alive: recorded date only")
    response = login(nurse_a).post(url, GROUPS | {"alive_evidence": "relatives_too"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
