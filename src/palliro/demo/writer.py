"""Store a synthetic department with bulk inserts, and create the demo accounts."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max

from palliro.accounts.models import Membership, Role, Site
from palliro.clinic.models import AnalgesicRecord, Episode, Patient, Procedure, Proxy, RTCourse, new_pseudonym
from palliro.demo.activity import write_activity
from palliro.demo.generator import DEMO_SITES, build_department

BATCH = 2000

DEMO_PASSWORD = "palliro-demo"
DEMO_ACCOUNTS = (
    # username, role, site codes, superuser
    ("nurse-a", Role.NURSE, ("site-a",), False),
    ("clinician-a", Role.CLINICIAN, ("site-a",), False),
    ("nurse-b", Role.NURSE, ("site-b",), False),
    ("researcher", Role.RESEARCHER, ("site-a", "site-b"), False),
    ("admin", Role.ADMIN, ("site-a", "site-b"), True),
)


def demo_team_address(code: str) -> str:
    """The demo site's team address for urgent alerts (the demo prints e-mail on the console)."""
    return f"team-{code}@demo.palliro.invalid"


def ensure_sites(n_sites: int) -> list[Site]:
    sites = []
    for code, name, phone in DEMO_SITES[:n_sites]:
        site, _ = Site.objects.get_or_create(
            code=code, defaults={"name": name, "phone": phone, "email": demo_team_address(code)})
        sites.append(site)
    return sites


def ensure_team_addresses() -> int:
    """Give the demo sites without one a team address, so urgent alerts are emailed (also in a demo database
    made before sites had one); returns how many were set."""
    changed = 0
    for site in Site.objects.filter(code__in=[code for code, _name, _phone in DEMO_SITES], email=""):
        site.email = demo_team_address(site.code)
        site.save(update_fields=["email"])
        changed += 1
    return changed


def ensure_demo_accounts() -> list[tuple[str, str, str]]:
    """Create (or reset) one account per role; returns (username, role, sites) rows to print."""
    User = get_user_model()
    rows = []
    for username, role, site_codes, superuser in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=username)
        user.is_superuser = user.is_staff = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        for site in Site.objects.filter(code__in=site_codes):
            Membership.objects.update_or_create(user=user, site=site, defaults={"role": role})
        rows.append((username, Role(role).label, ", ".join(site_codes)))
    return rows


def _flush(patients, rows_by_model):
    created = Patient.objects.bulk_create(patients, batch_size=BATCH)
    courses, reirradiations = [], []
    for patient, synthetic in zip(created, rows_by_model, strict=True):
        first_courses = []
        for spec in synthetic.courses:
            spec = dict(spec)
            earlier = spec.pop("reirradiates", None)
            course = RTCourse(patient=patient, **spec)
            if earlier is None:
                courses.append(course)
                first_courses.append(course)
            else:
                course.is_reirradiation = True
                reirradiations.append((course, first_courses[earlier]))
    RTCourse.objects.bulk_create(courses, batch_size=BATCH)
    for course, earlier in reirradiations:
        course.previous_course = earlier
    RTCourse.objects.bulk_create([c for c, _ in reirradiations], batch_size=BATCH)
    for model, attribute in (
        (Procedure, "procedures"), (Episode, "episodes"), (AnalgesicRecord, "analgesics"), (Proxy, "proxies")
    ):
        model.objects.bulk_create(
            [model(patient=p, **spec) for p, s in zip(created, rows_by_model, strict=True) for spec in getattr(s, attribute)],
            batch_size=BATCH,
        )


def write_department(
    n_patients: int, seed: int, anchor: date, n_sites: int = 2, progress=None, activity: bool = True
) -> int:
    """Generate and store ``n_patients`` (with follow-up responses, observations and alerts unless
    ``activity`` is False); returns the number stored."""
    first_pk = Patient.objects.aggregate(m=Max("pk"))["m"] or 0
    sites = ensure_sites(n_sites)
    taken = set(Patient.objects.values_list("pseudonym", flat=True))
    numbers = set(Patient.objects.values_list("site_id", "hospital_number"))
    patients, synthetic_rows, stored = [], [], 0
    for synthetic in build_department(n_patients, seed, anchor, n_sites):
        site = sites[synthetic.site_index]
        # A second run into the same database must not collide with the first.
        while synthetic.pseudonym in taken:
            synthetic.pseudonym = new_pseudonym()
        taken.add(synthetic.pseudonym)
        number = synthetic.hospital_number
        while (site.id, number) in numbers:
            number = f"{number}X"
        numbers.add((site.id, number))
        fields = {k: v for k, v in vars(synthetic).items() if k not in {
            "site_index", "courses", "procedures", "episodes", "analgesics", "proxies", "hospital_number"}}
        patients.append(Patient(site=site, hospital_number=number, **fields))
        synthetic_rows.append(synthetic)
        if len(patients) >= BATCH:
            with transaction.atomic():
                _flush(patients, synthetic_rows)
            stored += len(patients)
            patients, synthetic_rows = [], []
            if progress:
                progress(stored)
    if patients:
        with transaction.atomic():
            _flush(patients, synthetic_rows)
        stored += len(patients)
    if activity:
        write_activity(Patient.objects.filter(pk__gt=first_pk), seed, anchor)
    return stored


DEMO_COHORTS = (
    ("All palliative RT courses, both sites", []),
    ("Whole-brain RT", ["brain"]),
    ("Bone metastases (pain)", ["pain"]),
)


def ensure_demo_cohorts() -> None:
    """Saved cohorts for the researcher, so the research pages show results at once."""
    from palliro.research.models import Cohort

    owner = get_user_model().objects.get(username="researcher")
    sites = list(Site.objects.filter(code__in=["site-a", "site-b"]))
    for name, indications in DEMO_COHORTS:
        cohort, created = Cohort.objects.get_or_create(name=name, owner=owner, defaults={"indications": indications})
        if created:
            cohort.sites.set(sites)
