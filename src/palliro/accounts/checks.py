"""System checks that refuse unsafe production settings.

They report *errors* (which stop ``palliro serve`` and ``manage.py check``) only in production mode; in
demo and development mode the same problems are expected and allowed. A site nobody could be alerted at is a
warning at every start and an error only for ``check --deploy`` in production mode.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

#: Host names a patient's phone cannot reach: links built on them are dead outside the server itself.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def site_root_problem(site_root: str) -> str | None:
    """Why ``SITE_ROOT`` cannot be the root of the links in patients' emails, handouts and QR codes, or None."""
    parts = urlsplit(site_root or "")
    if parts.scheme != "https":
        return f"SITE_ROOT={site_root!r} is not an https:// address."
    host = (parts.hostname or "").lower()
    if not host:
        return f"SITE_ROOT={site_root!r} has no host name."
    if host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127."):
        return f"SITE_ROOT={site_root!r} points at this machine ({host}), which patients cannot reach."
    return None


def default_database_engine() -> str:
    return settings.DATABASES["default"]["ENGINE"]


@checks.register(checks.Tags.security, deploy=False)
def check_production_settings(app_configs, **kwargs):
    if settings.RELAXED_MODE:
        return []
    errors = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY or len(settings.SECRET_KEY) < 40:
        errors.append(
            checks.Error(
                "SECRET_KEY is missing, the built-in development key, or shorter than 40 characters.",
                hint="Set SECRET_KEY to a long random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="palliro.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            checks.Error(
                "ALLOWED_HOSTS is empty.",
                hint="Set ALLOWED_HOSTS to the comma-separated host names this server answers to.",
                id="palliro.E002",
            )
        )
    engine = default_database_engine()
    if engine.endswith("sqlite3") and not settings.ALLOW_SQLITE_IN_PRODUCTION:
        errors.append(
            checks.Error(
                "SQLite is used in production mode.",
                hint="Set DATABASE_URL to a PostgreSQL database, or set "
                "PALLIRO_ALLOW_SQLITE_IN_PRODUCTION=1 for a single-machine installation.",
                id="palliro.E003",
            )
        )
    if settings.DEBUG:
        errors.append(
            checks.Error(
                "DEBUG is on in production mode.",
                hint="Unset DEBUG, or set PALLIRO_MODE=development on a developer's machine.",
                id="palliro.E004",
            )
        )
    if settings.PALLIRO_MODE not in {"production", "demo", "development"}:
        errors.append(
            checks.Error(
                f"PALLIRO_MODE={settings.PALLIRO_MODE!r} is not one of production, demo, development.",
                id="palliro.E005",
            )
        )
    if settings.BENCH_ENDPOINTS:
        errors.append(
            checks.Error(
                "PALLIRO_BENCH is on in production mode: it mounts unauthenticated benchmark endpoints that "
                "write responses.",
                hint="Unset PALLIRO_BENCH; it is for bench/bench_submit.py in development mode only.",
                id="palliro.E006",
            )
        )
    problem = site_root_problem(settings.SITE_ROOT)
    if problem:
        errors.append(
            checks.Error(
                problem + " Every patient link (email, SMS, handout, QR code) and alert email is built on it.",
                hint="Set SITE_ROOT to the public https address patients open, e.g. https://palliro.example.org.",
                id="palliro.E007",
            )
        )
    return errors


def sites_without_alert_address():
    """Sites whose urgent alerts would email nobody: no team address and no active care staff with an
    email address (see :func:`palliro.triage.tasks.team_addresses`)."""
    from palliro.accounts.models import CARE_ROLES, Membership, Site

    reachable = Membership.objects.filter(role__in=CARE_ROLES, user__is_active=True).exclude(user__email="")
    return Site.objects.filter(email="").exclude(pk__in=reachable.values("site_id"))


def _unalertable_site_names() -> list[str]:
    try:
        return list(sites_without_alert_address().values_list("name", flat=True))
    except DatabaseError:  # before the first migrate there are no sites to check
        return []


def _unalertable_message(names: list[str]) -> str:
    return (f"Urgent alerts of {', '.join(names)} are emailed to nobody: the site has no team email address and "
            "none of its active nurses or clinicians has one.")


_UNALERTABLE_HINT = "Set the site's team email address in the admin (Sites), or give its care staff email addresses."


@checks.register(checks.Tags.security, deploy=False)
def check_urgent_alert_addresses(app_configs, **kwargs):
    """A warning, in every mode, for each site whose urgent alerts would reach nobody.

    Only a warning here: this check runs at every start (``palliro serve``, ``migrate``), and refusing to
    start would also lock out the administrator who has to fill in the address. ``palliro check --deploy``
    refuses it in production mode (:func:`check_urgent_alert_addresses_for_deploy`); the worklist of the
    site's staff shows a banner meanwhile.
    """
    names = _unalertable_site_names()
    return [checks.Warning(_unalertable_message(names), hint=_UNALERTABLE_HINT, id="palliro.W001")] if names else []


@checks.register(checks.Tags.security, deploy=True)
def check_urgent_alert_addresses_for_deploy(app_configs, **kwargs):
    """``check --deploy`` in production mode: an error for each site whose urgent alerts would reach nobody."""
    if settings.RELAXED_MODE:
        return []
    names = _unalertable_site_names()
    return [checks.Error(_unalertable_message(names), hint=_UNALERTABLE_HINT, id="palliro.E008")] if names else []
