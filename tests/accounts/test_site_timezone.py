"""A site's time zone is an IANA name Python knows: its days, due times and answer days follow it."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from palliro.accounts.models import Site
from palliro.research.localday import default_zone, site_zones
from tests.conftest import make_site


def test_it_refuses_a_mistyped_time_zone_with_a_message_at_the_field(db):
    site = Site(code="gent", name="Gent", timezone="Europe/Brusels")
    with pytest.raises(ValidationError) as raised:
        site.full_clean()
    assert raised.value.message_dict["timezone"] == [
        "Europe/Brusels is not a known time zone; use an IANA name such as Europe/Amsterdam or America/Montreal."
    ]


def test_the_admin_form_shows_the_error_and_saves_a_known_zone(db):
    form_class = modelform_factory(Site, fields=["code", "name", "timezone", "link_check", "omed_table"])
    data = {"code": "gent", "name": "Gent", "link_check": "none", "omed_table": "CDC2022"}
    bad = form_class({**data, "timezone": "../etc/passwd"})
    assert "is not a known time zone" in bad.errors["timezone"][0]
    good = form_class({**data, "timezone": "Europe/Brussels"})
    assert good.is_valid(), good.errors
    assert good.save().zone.key == "Europe/Brussels"


def test_research_days_fall_back_to_the_default_zone_for_a_zone_written_past_the_validator(db):
    site = make_site("odd", "Odd site", "+31 20 000 0001")
    Site.objects.filter(pk=site.pk).update(timezone="Mars/Olympus_Mons")  # as an old row or raw SQL could hold
    assert site_zones()[site.pk] == default_zone()
    # ... as scheduling and triage already do
    assert Site.objects.get(pk=site.pk).zone.key == default_zone()
