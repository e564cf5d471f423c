from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.evidence import cohort
from palliro.evidence.models import Outcome, StudyRow
from palliro.stats.errors import StatsInputError
from tests.conftest import make_patient

from .conftest import START, add_course

GROUPS = {"a_dose": "8", "a_fractions": "1", "b_dose": "20", "b_fractions": "5", "indication": "pain",
          "date_from": "2025-01-01", "date_to": "2025-12-31", "days": "30", "label": "Own cohort 2025"}


@pytest.fixture
def clinic(site_a, site_b, ann, cas, bob):
    add_course(ann, 8, 1, START, death=10)                       # A: death on day 10 → event
    add_course(make_patient(site_a, "A-3", "Dee", "Dekker"), 8, 1, START, alive=40)   # A: complete, no event
    add_course(make_patient(site_a, "A-4", "Eve", "Evers"), 8, 1, START, alive=20)    # A: incomplete
    add_course(make_patient(site_a, "A-5", "Fay", "Faas"), 20, 5, START, death=100)   # B: complete, no event
    add_course(make_patient(site_a, "A-6", "Gus", "Gans"), 20, 5, START, alive=60)    # B: complete, no event
    add_course(make_patient(site_a, "A-7", "Hal", "Hop"), 20, 5, START, death=25, indication="brain")  # other
    add_course(cas, 8, 1, START, death=5)                        # no research consent → never counted
    add_course(bob, 20, 5, START, death=3)                       # site B
    return ann


def spec(site_ids):
    return cohort.CohortSpec(frozenset(site_ids), cohort.Regimen(Decimal(8), 1), cohort.Regimen(Decimal(20), 5),
                             "pain", date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.django_db
class TestCohortQuery:
    def test_it_counts_consented_patients_of_the_given_sites(self, clinic, site_a):
        counts = cohort.death_within(cohort.cohort_patients(spec({site_a.pk})), 30)
        assert (counts.events_a, counts.total_a, counts.events_b, counts.total_b, counts.incomplete) == (1, 2, 0, 2, 1)

    def test_it_includes_every_site_given(self, clinic, site_a, site_b):
        counts = cohort.death_within(cohort.cohort_patients(spec({site_a.pk, site_b.pk})), 30)
        assert (counts.events_b, counts.total_b) == (1, 3)

    def test_it_counts_a_patient_once_with_the_earliest_course(self, clinic, site_a, ann):
        add_course(ann, 20, 5, date(2025, 3, 1))
        patients = cohort.cohort_patients(spec({site_a.pk}))
        assert sum(1 for p in patients if p.first_fraction == date(2025, 3, 1)) == 0

    def test_a_course_booked_ahead_is_not_counted(self, clinic, site_a):
        # Ivo's 8 Gy is booked for next week: no treatment yet, so neither a patient of group A nor incomplete.
        booked = add_course(make_patient(site_a, "A-8", "Ivo", "Ilse"), 8, 1, timezone.localdate() + timedelta(days=7),
                            alive=-7)
        patients = cohort.cohort_patients(replace(spec({site_a.pk}), date_to=None))
        assert booked.first_fraction_date not in {p.first_fraction for p in patients}
        counts = cohort.death_within(patients, 30)
        assert (counts.total_a, counts.incomplete) == (2, 1)

    def test_it_refuses_identical_groups(self, site_a):
        with pytest.raises(StatsInputError, match="different regimens"):
            cohort.CohortSpec(frozenset({site_a.pk}), cohort.Regimen(Decimal(8), 1), cohort.Regimen(Decimal(8), 1))

    def test_it_needs_patients_in_both_groups(self, clinic, site_b):
        with pytest.raises(StatsInputError) as exc:
            cohort.death_within(cohort.cohort_patients(spec({site_b.pk})), 30)
        assert exc.value.field == "group_a"


@pytest.mark.django_db
class TestOwnCohortView:
    def url(self, outcome):
        return reverse("evidence:own_cohort", args=[outcome.pk])

    def test_it_adds_a_counts_study_without_identifiers(self, login, researcher, clinic, outcome_rr):
        # The researcher belongs to sites A and B: Bob (site B) counts, Cas (no consent) never does.
        response = login(researcher).post(self.url(outcome_rr), GROUPS, follow=True)
        row = StudyRow.objects.get(outcome=outcome_rr)
        assert row.is_own_cohort and (row.ai, row.bi, row.ci, row.di) == (1, 1, 1, 2)
        body = response.content.decode()
        assert response.status_code == 200 and "Own cohort 2025" in body
        for identifier in ("Andersen", "A-0001", clinic.pseudonym, "Claes", "Bakker", "B-0001"):
            assert identifier not in body

    def test_it_uses_only_the_users_sites(self, login, nurse_a, clinic, outcome_rr):
        login(nurse_a).post(self.url(outcome_rr), GROUPS)
        row = StudyRow.objects.get(outcome=outcome_rr)
        assert (row.ai, row.bi, row.ci, row.di) == (1, 1, 0, 2)

    def test_it_fits_a_cox_model_for_hazard_ratios(self, login, nurse_a, clinic, review_a, site_a):
        outcome = Outcome.objects.create(review=review_a, name="Survival", measure="HR", method="FE")
        add_course(make_patient(site_a, "A-8", "Ivo", "Ivens"), 20, 5, START, death=15)
        add_course(make_patient(site_a, "A-9", "Jan", "Jansen"), 8, 1, START, alive=200)
        add_course(make_patient(site_a, "A-10", "Kim", "Kok"), 8, 1, START, death=150)
        login(nurse_a).post(self.url(outcome), GROUPS | {"days": ""})
        row = StudyRow.objects.get(outcome=outcome)
        expected = cohort.hazard_ratio(cohort.cohort_patients(spec({site_a.pk})))
        assert row.yi == pytest.approx(expected.log_hr) and row.sei == pytest.approx(expected.se)
        assert row.is_own_cohort and 0 < row.sei < 5

    def test_it_explains_a_cox_model_without_estimate(self, login, nurse_a, clinic, review_a):
        outcome = Outcome.objects.create(review=review_a, name="Survival", measure="HR", method="FE")
        response = login(nurse_a).post(self.url(outcome), GROUPS | {"days": ""})
        assert response.status_code == 200 and "no finite estimate" in response.content.decode()

    def test_it_shows_form_errors(self, login, nurse_a, clinic, outcome_rr):
        response = login(nurse_a).post(self.url(outcome_rr), GROUPS | {"b_dose": "8", "b_fractions": "1"})
        assert response.status_code == 200 and "different regimens" in response.content.decode()
        response = login(nurse_a).post(self.url(outcome_rr), GROUPS | {"b_dose": "30", "b_fractions": "10"})
        assert response.status_code == 200 and "no patients with complete follow-up" in response.content.decode()
        assert not StudyRow.objects.exists()

    def test_it_is_not_offered_for_mean_differences(self, login, nurse_a, review_a):
        outcome = Outcome.objects.create(review=review_a, name="Pain score", measure="MD", method="REML")
        response = login(nurse_a).post(self.url(outcome), GROUPS)
        assert response.status_code == 200 and not StudyRow.objects.exists()

    def test_own_cohort_rows_cannot_be_edited_by_form(self, login, nurse_a, clinic, outcome_rr):
        login(nurse_a).post(self.url(outcome_rr), GROUPS)
        row = StudyRow.objects.get()
        assert login(nurse_a).get(reverse("evidence:row_edit", args=[row.pk])).status_code == 302

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, outcome_rr):
        assert login(nurse_b).get(self.url(outcome_rr)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, outcome_rr):
        assert client.get(self.url(outcome_rr)).status_code == 302

    def test_it_refuses_put(self, login, nurse_a, outcome_rr):
        assert login(nurse_a).put(self.url(outcome_rr)).status_code == 405
