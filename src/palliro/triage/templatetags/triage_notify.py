"""Template tags of the triage pages."""

from django import template

from palliro.accounts.checks import sites_without_alert_address

register = template.Library()


@register.simple_tag
def unalertable_sites(staff) -> list[str]:
    """Names of the staff member's care sites whose urgent alerts would be emailed to nobody (one query)."""
    site_ids = getattr(staff, "care_site_ids", None)
    if not site_ids:
        return []
    return list(sites_without_alert_address().filter(pk__in=site_ids).values_list("name", flat=True))
