"""The day of an answer: its calendar date on the wall clock of its patient's site.

Scheduling, the patient pages and triage count days in the site's time zone (``accounts.Site.timezone``; all
patients of a site share it), so research does too: an answer at 00:30 in Amsterdam (23:30 UTC the day
before) belongs to the Amsterdam day, for the pain-response windows, the baseline, the pain-diary day and
the same-day pairing of patient and proxy answers alike. A site without a zone uses the default time zone
(``settings.TIME_ZONE``).

Databases cannot all convert time zones (SQLite cannot), so every path — the queries on SQLite and
PostgreSQL and the analysis store — reads each instant as whole seconds since 1970 (UTC, :class:`EpochSeconds`;
the store from its microseconds) and derives the local day here, with the same rule and the same zone data.
The conversion is vectorised: one pass per distinct zone over that zone's rows (pandas' ``tz_convert``,
DST-correct), never a call per row; there are few sites and fewer zones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Func
from django.utils import timezone

SECONDS_PER_DAY = 86_400
#: No zone's calendar day is longer than this (DST moves clocks by at most two hours): two answers on the same
#: local day are less than this far apart, which bounds the proxy-pair join before the exact day test.
MAX_DAY_SECONDS = 26 * 3600


class EpochSeconds(Func):
    """A datetime column as whole seconds since 1970 (UTC, rounded down): a plain integer for the driver.

    SQLite stores UTC text, which ``strftime('%s')`` reads in C (``%%%%`` survives Django's two rounds of
    %-formatting as one ``%``); PostgreSQL extracts the epoch of its ``timestamptz``.
    """

    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS integer)",
                           **extra)


def epoch_seconds_sql(vendor: str, column: str) -> str:
    """Raw SQL for :class:`EpochSeconds` of ``column`` (for a statement executed with parameters)."""
    if vendor == "sqlite":
        return f"CAST(strftime('%%s', {column}) AS integer)"
    return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"


def default_zone() -> str:
    return timezone.get_default_timezone_name()


def site_zones() -> dict[int, str]:
    """Each site's time zone name; the default zone where a site has none or one Python does not know (a row
    written past the field's validator), as ``Site.zone_named`` falls back for scheduling and triage."""
    from palliro.accounts.models import Site, validate_zone_name

    default = default_zone()
    zones = {}
    for pk, name in Site.objects.values_list("id", "timezone"):
        try:
            validate_zone_name(name)
        except ValidationError:
            name = None
        zones[pk] = name or default
    return zones


def days_in_zone(seconds: np.ndarray, zone: str) -> np.ndarray:
    """Local calendar days (datetime64[ns] midnights) in ``zone`` of instants in whole seconds since 1970 UTC."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if not len(seconds):
        return np.array([], dtype="datetime64[ns]")
    utc = pd.DatetimeIndex(seconds.astype("datetime64[s]").astype("datetime64[ns]")).tz_localize("UTC")
    wall = utc.tz_convert(zone).tz_localize(None).asi8 // 1_000_000_000
    return (wall // SECONDS_PER_DAY).astype("datetime64[D]").astype("datetime64[ns]")


class SiteClock:
    """The local day of answers of given patients, each in the zone of the patient's site.

    ``sites_of_patients`` returns (patient ids, their site ids) for every patient whose answers may be dated; it
    is called (once) only when the sites do not all share one zone. ``zones``: site id → zone name, by default
    read from the sites (:func:`site_zones`).
    """

    def __init__(self, sites_of_patients: Callable[[], tuple[np.ndarray, np.ndarray]],
                 zones: dict[int, str] | None = None):
        self.zones = site_zones() if zones is None else zones
        distinct = set(self.zones.values())
        #: The one zone of every site (None when the sites differ).
        self.zone = (distinct.pop() if distinct else default_zone()) if len(distinct) <= 1 else None
        self._sites_of_patients = sites_of_patients
        self._lookup: tuple[np.ndarray, list[str]] | None = None

    def _zone_lookup(self) -> tuple[np.ndarray, list[str]]:
        """Zone number of each patient id (−1 unknown) and the zone names."""
        if self._lookup is None:
            patients, sites = self._sites_of_patients()
            patients = np.asarray(patients, dtype=np.int64)
            names = sorted(set(self.zones.values()))
            number = {name: i for i, name in enumerate(names)}
            site_ids = np.asarray(sorted(self.zones), dtype=np.int64)
            site_zone = np.array([number[self.zones[s]] for s in site_ids.tolist()], dtype=np.int64)
            sites = np.asarray(sites, dtype=np.int64)
            pos = np.searchsorted(site_ids, sites)
            known = (pos < len(site_ids)) & (site_ids[np.minimum(pos, len(site_ids) - 1)] == sites)
            table = np.full(int(patients.max()) + 1 if len(patients) else 0, -1, dtype=np.int64)
            table[patients[known]] = site_zone[pos[known]]
            self._lookup = (table, names)
        return self._lookup

    def days(self, patients, seconds) -> np.ndarray:
        """The local day (datetime64[ns] midnight) of each answer: ``patients`` ids, ``seconds`` since 1970 UTC."""
        seconds = np.asarray(seconds, dtype=np.int64)
        if self.zone is not None or not len(seconds):
            return days_in_zone(seconds, self.zone or default_zone())
        table, names = self._zone_lookup()
        patients = np.asarray(patients, dtype=np.int64)
        inside = patients < len(table)
        zone = np.full(len(patients), -1, dtype=np.int64)
        zone[inside] = table[patients[inside]]
        if (zone < 0).any():
            missing = sorted(set(patients[zone < 0].tolist()))[:5]
            raise LookupError(f"no site known for patients {missing}")
        out = np.empty(len(seconds), dtype="datetime64[ns]")
        for k, name in enumerate(names):
            rows = zone == k
            if rows.any():
                out[rows] = days_in_zone(seconds[rows], name)
        return out


__all__ = ["MAX_DAY_SECONDS", "EpochSeconds", "SiteClock", "days_in_zone", "epoch_seconds_sql", "site_zones"]
