"""Shared personas: a nurse and a clinician at site A, a nurse at site B, a researcher at both sites, and a
superuser. Patients: Ann at site A (research consent), Bob at site B, and Cas at site A without research
consent."""

from datetime import date

import pytest

# Django models are imported inside the fixtures so that the pure core and stats tests can run with
# ``-p no:django``.

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _forget_analysis_stores():
    """Each test starts without the analysis store's copies of an earlier test's database."""
    yield
    from django.conf import settings

    if settings.configured and "palliro.research" in settings.INSTALLED_APPS:
        from django.apps import apps

        if apps.ready:
            from palliro.research.store import reset_stores

            reset_stores()


def make_user(username, *memberships, superuser=False):
    from django.contrib.auth import get_user_model

    from palliro.accounts.models import Membership
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    for site, role in memberships:
        Membership.objects.create(user=user, site=site, role=role)
    return user


def make_site(code, name, phone):
    from palliro.accounts.models import Site

    return Site.objects.create(code=code, name=name, phone=phone)


@pytest.fixture
def site_a(db):
    return make_site(code="site-a", name="Site A", phone="+31 20 000 0000")


@pytest.fixture
def site_b(db):
    return make_site("site-b", "Site B", "+31 30 000 0000")


@pytest.fixture
def nurse_a(site_a):
    return make_user("nurse-a", (site_a, "nurse"))


@pytest.fixture
def clinician_a(site_a):
    return make_user("clinician-a", (site_a, "clinician"))


@pytest.fixture
def nurse_b(site_b):
    return make_user("nurse-b", (site_b, "nurse"))


@pytest.fixture
def researcher(site_a, site_b):
    return make_user("researcher", (site_a, "researcher"), (site_b, "researcher"))


@pytest.fixture
def superuser(db):
    return make_user("root", superuser=True)


def make_patient(site, hospital_number, given, family, **extra):
    from palliro.clinic.models import Patient
    values = dict(
        site=site, hospital_number=hospital_number, given_name=given, family_name=family,
        birth_date=date(1950, 5, 17), sex="female", primary_tumour="breast", language="en",
        followup_consent=True, research_consent=True, phone="+31 6 1234 5678", email=f"{given.lower()}@example.org",
    )
    values.update(extra)
    return Patient.objects.create(**values)


@pytest.fixture
def ann(site_a):
    return make_patient(site_a, "A-0001", "Ann", "Andersen")


@pytest.fixture
def cas(site_a):
    return make_patient(site_a, "A-0002", "Cas", "Claes", research_consent=False)


@pytest.fixture
def bob(site_b):
    return make_patient(site_b, "B-0001", "Bob", "Bakker", sex="male", primary_tumour="prostate")


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
