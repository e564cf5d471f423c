"""Daily oral morphine equivalent dose (OMED / MME) from analgesic records.

Two fixed, cited conversion tables (reference ``clinical.md`` §1.5):

- ``"CDC2022"`` (default): CDC clinical MME conversion factors as encoded in
  ``cqframework/opioid-mme-r4``, code system ``CDCMMEClinicalConversionFactors`` v3.0.0 [V].  Oral
  factors per mg/day; transdermal fentanyl 2.4 mg OMED per mcg/h.
- ``"BNF"``: UK BNF palliative-care equivalences to 10 mg oral morphine, including SC/IV morphine,
  diamorphine and SC oxycodone [S, quoted in public code].  Results computed with it are marked
  unverified.

A caller may also pass its own :class:`ConversionTable` (e.g. the table a trial protocol fixes).

Unverified [U] parts:

- No conversion table specific to the Chow/NCIC ICE trials was checked; the table used must be
  fixed and cited per study (``OmedResult.table`` and ``citation`` record it).
- The BNF table is from a secondary source [S].
- CDC 2016 factors (hydromorphone 4, tramadol 0.1, dose-tiered methadone) are not provided: the
  reference does not give the full table (methadone tiers missing).

The CDC states these factors are for tallying total opioid exposure, not for switching a patient
from one opioid to another.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from palliro.core.errors import PalliroValueError, require_non_negative, require_positive

__all__ = [
    "AnalgesicRecord",
    "ConversionFactor",
    "ConversionTable",
    "OmedItem",
    "OmedResult",
    "TABLES",
    "daily_omed",
    "doses_per_day",
]

Route = Literal["oral", "transdermal", "sc", "iv"]
Unit = Literal["mg", "mcg", "mcg/h"]
ROUTES: tuple[str, ...] = ("oral", "transdermal", "sc", "iv")
UNITS: tuple[str, ...] = ("mg", "mcg", "mcg/h")

_ROUTE_ALIASES = {
    "po": "oral",
    "per os": "oral",
    "oral": "oral",
    "td": "transdermal",
    "patch": "transdermal",
    "transdermal": "transdermal",
    "sc": "sc",
    "s.c.": "sc",
    "subcut": "sc",
    "subcutaneous": "sc",
    "iv": "iv",
    "i.v.": "iv",
    "intravenous": "iv",
}

# Named frequencies -> administrations per day.
_FREQUENCIES = {
    "daily": 1.0,
    "once daily": 1.0,
    "od": 1.0,
    "qd": 1.0,
    "q24h": 1.0,
    "bid": 2.0,
    "bd": 2.0,
    "twice daily": 2.0,
    "q12h": 2.0,
    "tid": 3.0,
    "tds": 3.0,
    "q8h": 3.0,
    "qid": 4.0,
    "qds": 4.0,
    "q6h": 4.0,
    "q4h": 6.0,
    "q3h": 8.0,
    "q2h": 12.0,
}


@dataclass(frozen=True)
class ConversionFactor:
    """Oral morphine mg/day per unit of drug.

    ``basis`` is ``"mg/day"`` (multiply the daily dose in mg) or ``"mcg/h"`` (multiply a continuous
    delivery rate, e.g. a fentanyl patch).
    """

    factor: float
    basis: Literal["mg/day", "mcg/h"] = "mg/day"
    note: str = ""


@dataclass(frozen=True)
class ConversionTable:
    """A named, cited conversion table keyed by ``(drug, route)``."""

    name: str
    citation: str
    factors: Mapping[tuple[str, str], ConversionFactor]
    unverified: tuple[str, ...] = ()

    def lookup(self, drug: str, route: str) -> ConversionFactor:
        """Factor for ``drug`` by ``route``; raises naming the drug and the table when absent."""
        try:
            return self.factors[(drug, route)]
        except KeyError:
            known = sorted({f"{d} ({r})" for d, r in self.factors})
            raise PalliroValueError(
                f"no {self.name} conversion factor for {drug} by route {route}; "
                f"the table covers: {', '.join(known)}",
                field="drug",
            ) from None


_CDC2022 = ConversionTable(
    name="CDC2022",
    citation=(
        "CDC clinical MME conversion factors 2022, as encoded in cqframework/opioid-mme-r4 "
        "CodeSystem CDCMMEClinicalConversionFactors v3.0.0"
    ),
    factors={
        ("morphine", "oral"): ConversionFactor(1.0),
        ("codeine", "oral"): ConversionFactor(0.15),
        ("hydrocodone", "oral"): ConversionFactor(1.0),
        ("hydromorphone", "oral"): ConversionFactor(5.0, note="CDC 2016 used 4"),
        ("methadone", "oral"): ConversionFactor(4.7, note="CDC 2016 used dose-tiered factors"),
        ("oxycodone", "oral"): ConversionFactor(1.5),
        ("oxymorphone", "oral"): ConversionFactor(3.0),
        ("tapentadol", "oral"): ConversionFactor(0.4),
        ("tramadol", "oral"): ConversionFactor(0.2, note="CDC 2016 used 0.1"),
        # Encoded as 7200 x (1/3) per mg/h, i.e. 2.4 per mcg/h.
        ("fentanyl", "transdermal"): ConversionFactor(2.4, basis="mcg/h"),
    },
)

_BNF = ConversionTable(
    name="BNF",
    citation=(
        "BNF palliative-care opioid equivalences to 10 mg oral morphine (secondary source, quoted in "
        "public code)"
    ),
    factors={
        ("morphine", "oral"): ConversionFactor(1.0),
        ("codeine", "oral"): ConversionFactor(0.1, note="100 mg = 10 mg oral morphine"),
        ("dihydrocodeine", "oral"): ConversionFactor(0.1, note="100 mg = 10 mg oral morphine"),
        ("tramadol", "oral"): ConversionFactor(0.1, note="100 mg = 10 mg oral morphine"),
        ("hydromorphone", "oral"): ConversionFactor(5.0, note="2 mg = 10 mg oral morphine"),
        ("oxycodone", "oral"): ConversionFactor(1.5, note="6.6 mg ~ 10 mg oral morphine (factor ~1.5)"),
        ("tapentadol", "oral"): ConversionFactor(0.4, note="25 mg = 10 mg oral morphine"),
        ("morphine", "sc"): ConversionFactor(2.0, note="5 mg SC/IV = 10 mg oral morphine"),
        ("morphine", "iv"): ConversionFactor(2.0, note="5 mg SC/IV = 10 mg oral morphine"),
        ("diamorphine", "sc"): ConversionFactor(3.0, note="3.3 mg SC/IV ~ 10 mg oral morphine"),
        ("diamorphine", "iv"): ConversionFactor(3.0, note="3.3 mg SC/IV ~ 10 mg oral morphine"),
        ("oxycodone", "sc"): ConversionFactor(2.0, note="5 mg SC = 10 mg oral morphine"),
    },
    unverified=("BNF equivalences taken from a secondary source [S]; check against the current BNF",),
)

#: An input check, not a clinical limit: the highest daily doses reported in palliative care are in the tens of
#: thousands of mg oral morphine equivalent; a record above this is a typing error (a unit or a few zeros).
MAX_PLAUSIBLE_OMED = 100_000.0

#: Built-in tables by name.
TABLES: Mapping[str, ConversionTable] = {"CDC2022": _CDC2022, "BNF": _BNF}


@dataclass(frozen=True)
class AnalgesicRecord:
    """One analgesic prescription or administration pattern.

    Attributes:
        drug: generic name, e.g. ``"oxycodone"`` (case-insensitive).
        dose: amount per administration (``mg``/``mcg``) or delivery rate (``mcg/h``).
        unit: ``"mg"``, ``"mcg"`` or ``"mcg/h"``.
        route: ``"oral"``, ``"transdermal"``, ``"sc"`` or ``"iv"`` (aliases like ``"po"`` accepted).
        frequency: administrations per day (number) or text (``"bid"``, ``"q4h"``, ``"daily"`` ...);
            must be ``None`` for a ``mcg/h`` rate, which already is per unit time.
    """

    drug: str
    dose: float
    unit: Unit
    route: Route
    frequency: float | str | None = None


def doses_per_day(frequency: float | str, field: str = "frequency") -> float:
    """Administrations per day from a number or text such as ``"tid"``, ``"q6h"`` or ``"3x daily"``."""
    if isinstance(frequency, bool):
        raise PalliroValueError(f"must be a number or text like 'bid', got {frequency!r}", field=field)
    if isinstance(frequency, int | float):
        return require_positive(frequency, field)
    if not isinstance(frequency, str):
        raise PalliroValueError(f"must be a number or text like 'bid', got {frequency!r}", field=field)
    text = re.sub(r"\s+", " ", frequency.strip().lower())
    if text in _FREQUENCIES:
        return _FREQUENCIES[text]
    match = re.fullmatch(r"q\s*(\d+(?:\.\d+)?)\s*h", text)
    if match and float(match.group(1)) > 0:
        return 24.0 / float(match.group(1))
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:x|times)\s*(?:/\s*day|daily|a day|per day)", text)
    if match and float(match.group(1)) > 0:
        return float(match.group(1))
    raise PalliroValueError(
        f"cannot read frequency {frequency!r}; use a number per day or daily, bid, tid, qid, q4h, q6h, q8h, q12h",
        field=field,
    )


@dataclass(frozen=True)
class OmedItem:
    """One record converted: daily amount (mg/day, or mcg/h for rates), factor and OMED (mg/day)."""

    record: AnalgesicRecord
    daily_amount: float
    amount_basis: str
    factor: ConversionFactor
    omed_mg_per_day: float


@dataclass(frozen=True)
class OmedResult:
    """Total daily oral morphine equivalent and its per-record breakdown."""

    omed_mg_per_day: float
    items: tuple[OmedItem, ...]
    table: str
    citation: str
    unverified: tuple[str, ...]

    @property
    def verified(self) -> bool:
        """False when the table (or a [U] rule) is not verified against its primary source."""
        return not self.unverified


def _normalise_record(record: AnalgesicRecord, index: int) -> tuple[str, str, str]:
    where = f"records[{index}]"
    if not isinstance(record, AnalgesicRecord):
        raise PalliroValueError(f"expected an AnalgesicRecord, got {record!r}", field=where)
    if not isinstance(record.drug, str) or not record.drug.strip():
        raise PalliroValueError("drug name is empty", field=f"{where}.drug")
    drug = re.sub(r"\s+", " ", record.drug.strip().lower())
    route = _ROUTE_ALIASES.get(str(record.route).strip().lower()) if isinstance(record.route, str) else None
    if route is None:
        raise PalliroValueError(
            f"must be one of {', '.join(ROUTES)}; got {record.route!r}", field=f"{where}.route"
        )
    unit = record.unit.strip().lower() if isinstance(record.unit, str) else None
    if unit not in UNITS:
        raise PalliroValueError(
            f"must be one of {', '.join(UNITS)}; got {record.unit!r}", field=f"{where}.unit"
        )
    return drug, route, unit


def daily_omed(records: Sequence[AnalgesicRecord], table: str | ConversionTable = "CDC2022") -> OmedResult:
    """Total daily oral morphine equivalent dose (mg/day) of ``records`` using ``table``.

    OMED of a record = daily dose (mg) x factor, or rate (mcg/h) x factor for transdermal fentanyl
    (CDC 2022: 25 mcg/h -> 60 mg).  An empty list gives 0 (no opioid).  A drug/route the table does
    not cover raises :class:`PalliroValueError` naming the drug and the table: never a silent 0.
    Source: reference §1.5 and the table's own citation.
    """
    if isinstance(table, str):
        if table not in TABLES:
            raise PalliroValueError(
                f"unknown table {table!r}; choose one of {', '.join(TABLES)}", field="table"
            )
        conv = TABLES[table]
    elif isinstance(table, ConversionTable):
        conv = table
    else:
        raise PalliroValueError("must be a table name or a ConversionTable", field="table")
    if isinstance(records, AnalgesicRecord | str):
        raise PalliroValueError("give a list of AnalgesicRecord", field="records")
    items: list[OmedItem] = []
    for i, record in enumerate(records):
        drug, route, unit = _normalise_record(record, i)
        factor = conv.lookup(drug, route)
        dose = require_non_negative(record.dose, f"records[{i}].dose")
        if factor.basis == "mcg/h":
            if unit != "mcg/h":
                raise PalliroValueError(
                    f"{drug} ({route}) is converted per mcg/h in {conv.name}; give the rate in mcg/h",
                    field=f"records[{i}].unit",
                )
            if record.frequency not in (None, "continuous"):
                raise PalliroValueError(
                    "a mcg/h rate is already per unit time; leave frequency empty",
                    field=f"records[{i}].frequency",
                )
            amount, basis = dose, "mcg/h"
        else:
            if unit == "mcg/h":
                raise PalliroValueError(
                    f"{drug} ({route}) is converted per mg/day in {conv.name}; give mg or mcg per dose",
                    field=f"records[{i}].unit",
                )
            if record.frequency is None:
                raise PalliroValueError(
                    "frequency is required for mg/mcg doses", field=f"records[{i}].frequency"
                )
            per_day = doses_per_day(record.frequency, f"records[{i}].frequency")
            amount = (dose / 1000.0 if unit == "mcg" else dose) * per_day
            basis = "mg/day"
        omed = amount * factor.factor
        if not math.isfinite(omed) or omed > MAX_PLAUSIBLE_OMED:
            raise PalliroValueError(
                f"{drug} {dose:g} {unit} gives {omed:.3g} mg/day oral morphine equivalent, above the "
                f"{MAX_PLAUSIBLE_OMED:,.0f} mg/day taken as plausible: check the dose and its unit",
                field=f"records[{i}].dose",
            )
        items.append(OmedItem(record, amount, basis, factor, omed))
    unverified = list(conv.unverified)
    return OmedResult(
        omed_mg_per_day=sum(item.omed_mg_per_day for item in items),
        items=tuple(items),
        table=conv.name,
        citation=conv.citation,
        unverified=tuple(unverified),
    )
