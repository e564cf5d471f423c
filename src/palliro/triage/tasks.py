"""Background tasks: email the team about a new urgent alert; look for patients who stopped answering.

The email carries the pseudonym and a link only: names and answers stay behind the login.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from palliro.accounts.models import CARE_ROLES, Membership
from palliro.triage.models import Alert


def team_addresses(site) -> list[str]:
    """The site's team address if it has one, else the care staff of the site who gave an email address."""
    if site.email:
        return [site.email]
    return sorted(
        set(
            Membership.objects.filter(site=site, role__in=CARE_ROLES, user__is_active=True)
            .exclude(user__email="").values_list("user__email", flat=True)
        )
    )


@task
def notify_urgent_alert(alert_id: int) -> int:
    """Email the responsible team once; returns the number of recipients (0 if already sent or nobody)."""
    alert = Alert.objects.select_related("patient__site", "rule").filter(pk=alert_id).first()
    if alert is None or alert.notified_at is not None or not alert.is_open:
        return 0
    recipients = team_addresses(alert.patient.site)
    if not recipients:
        return 0
    link = settings.SITE_ROOT + reverse("triage:alert", args=[alert.pk])
    send_mail(
        subject=f"[Palliro] Urgent alert for patient {alert.patient.pseudonym}",
        message=(
            f"An urgent alert was raised at {timezone.localtime(alert.created):%Y-%m-%d %H:%M}.\n\n"
            f"Reason: {alert.reason}\n\nOpen the worklist to acknowledge it: {link}\n\n"
            "Palliro supports, and never replaces, clinical judgement."
        ),
        from_email=None,
        recipient_list=recipients,
    )
    Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    return len(recipients)


@task
def check_non_response() -> int:
    """Open non-response alerts; returns how many were opened. Schedule it daily (cron or the task worker)."""
    from palliro.triage.services import check_non_response as check

    return len(check())
