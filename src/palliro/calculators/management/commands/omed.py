"""``palliro omed``: daily oral morphine equivalent from analgesic lines or a CSV file."""

from __future__ import annotations

import csv
import io

from palliro.calculators import inputs, output
from palliro.calculators.management.commands._base import CalculatorCommand, read_text_file
from palliro.core import analgesics
from palliro.core.errors import PalliroValueError

COLUMNS = ("drug", "dose", "unit", "route", "frequency")


def records_from_csv(text: str) -> list[analgesics.AnalgesicRecord]:
    """CSV with a header naming the columns drug, dose, unit, route and (optional) frequency."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS[:4] if c not in header]
    if missing:
        raise PalliroValueError(f"the CSV header lacks column(s) {', '.join(missing)}", field="file")
    reader.fieldnames = header
    records = []
    for line_no, row in enumerate(reader, start=2):
        where = f"line {line_no}"
        freq_text = (row.get("frequency") or "").strip()
        freq: float | str | None = None
        if freq_text:
            try:
                freq = float(freq_text)
            except ValueError:
                freq = freq_text
        try:
            dose = inputs.parse_number(row.get("dose") or "", "dose")
        except PalliroValueError as error:
            raise PalliroValueError(f"{where}: {str(error).split(': ', 1)[-1]}", field="file") from None
        records.append(analgesics.AnalgesicRecord((row["drug"] or "").strip(), dose, (row["unit"] or "").strip(),
                                                  (row["route"] or "").strip(), freq))
    if not records:
        raise PalliroValueError("the CSV file has no rows", field="file")
    return records


class Command(CalculatorCommand):
    help = ('Daily oral morphine equivalent. Example: palliro omed "oxycodone 20 mg oral bid" '
            '"fentanyl 25 mcg/h transdermal" --table CDC2022, or palliro omed --file analgesics.csv')

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("lines", nargs="*", metavar="ANALGESIC",
                            help='"DRUG DOSE UNIT ROUTE [FREQUENCY]", e.g. "morphine 10 mg oral q4h"')
        parser.add_argument("--file", help="CSV with columns drug,dose,unit,route,frequency")
        parser.add_argument("--table", choices=list(analgesics.TABLES), default="CDC2022",
                            help="conversion table (default CDC2022)")

    def calculate(self, **o):
        if bool(o["lines"]) == bool(o["file"]):
            raise PalliroValueError("give analgesic lines or --file, not both and not neither", field="records")
        if o["file"]:
            records = records_from_csv(read_text_file(o["file"], "file"))
        else:
            records = []
            for n, line in enumerate(o["lines"], start=1):
                try:
                    records.append(inputs.parse_omed_line(line))
                except PalliroValueError as error:
                    raise PalliroValueError(f"analgesic {n}: {str(error).split(': ', 1)[-1]}",
                                            field="records") from None
        return output.omed_output(analgesics.daily_omed(records, o["table"]))
