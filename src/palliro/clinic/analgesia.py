"""Bridge between stored analgesic records and the cited conversion tables in ``palliro.core.analgesics``."""

from dataclasses import dataclass
from decimal import Decimal

from palliro.core import analgesics
from palliro.core.errors import PalliroValueError

NON_OPIOIDS = {
    "paracetamol": "Paracetamol",
    "nsaid": "NSAID",
    "metamizole": "Metamizole",
    "gabapentinoid": "Gabapentin / pregabalin",
    "dexamethasone": "Dexamethasone",
}
OPIOIDS = sorted({drug for table in analgesics.TABLES.values() for drug, _route in table.factors})
DRUG_CHOICES = [(drug, drug.capitalize()) for drug in OPIOIDS] + sorted(NON_OPIOIDS.items(), key=lambda kv: kv[1])
TABLE_CHOICES = [(name, name) for name in analgesics.TABLES]
DEFAULT_TABLE = "CDC2022"


@dataclass(frozen=True)
class RecordOmed:
    mg_per_day: float | None
    table: str
    problem: str = ""
    #: The part of the record the problem is about ("dose", "unit", "route", "drug", "frequency").
    problem_part: str = ""


def record_omed(drug: str, dose: Decimal | float, unit: str, route: str, doses_per_day, table: str) -> RecordOmed:
    """Daily oral morphine equivalent of one record: 0 for a non-opioid, None with the reason if the table
    cannot convert it (never a silent 0)."""
    if drug in NON_OPIOIDS:
        return RecordOmed(0.0, table)
    frequency = None if unit == "mcg/h" else float(doses_per_day)
    record = analgesics.AnalgesicRecord(drug=drug, dose=float(dose), unit=unit, route=route, frequency=frequency)
    try:
        return RecordOmed(analgesics.daily_omed([record], table=table).omed_mg_per_day, table)
    except PalliroValueError as error:
        part = error.field.rsplit(".", 1)[-1]
        return RecordOmed(None, table, str(error).removeprefix(f"{error.field}: "), part)
