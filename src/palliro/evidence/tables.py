"""Reading and writing study tables for the review workspace and ``palliro meta`` (no Django).

Uploads go through :func:`palliro.stats.meta.read_study_table`, so the web page, the study-row form
and the command line apply exactly the same row rules. On top of it this module accepts the column
names of metafor's ``dat.bcg`` (``tpos, tneg, cpos, cneg``) as aliases of ``ai, bi, ci, di``, takes the
study label from the first of ``study``, ``author``, ``trial``, ``label`` that is present, and reads the
optional ``year`` and ``source`` columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import RowError, StudyTableError, read_study_table

#: metafor ``dat.bcg`` column names → the engine's names (treatment events / non-events, control …).
COLUMN_ALIASES = {"tpos": "ai", "tneg": "bi", "cpos": "ci", "cneg": "di"}
LABEL_COLUMNS = ("study", "author", "trial", "label")
INPUT_COLUMNS = ("ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "hr", "hr_lb", "hr_ub",
                 "yi", "sei")
MAX_UPLOAD_BYTES = 2_000_000


@dataclass(frozen=True)
class StudyInput:
    """One study as entered: label, optional year/subgroup/source and the numeric inputs by column."""

    label: str
    inputs: dict[str, float]
    subgroup: str = ""
    year: int | None = None
    source: str = ""
    is_own_cohort: bool = False


@dataclass(frozen=True)
class ParsedTable:
    """A validated upload: the studies in file order and the input columns used."""

    studies: tuple[StudyInput, ...]
    columns: tuple[str, ...]
    subgroup_column: str | None = None
    notes: tuple[str, ...] = field(default=())


def _file_error(message: str) -> StudyTableError:
    return StudyTableError([RowError(None, "file", message)])


def _decode(data: bytes) -> str:
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error(f"the file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("the file is not UTF-8 text (save it as 'CSV UTF-8')") from None


def _rename_header(text: str) -> tuple[str, list[str]]:
    """Rename alias columns in the header line only, so line numbers in error messages stay true."""
    first, sep, rest = text.partition("\n")
    try:
        header = next(csv.reader([first.rstrip("\r")]))
    except (csv.Error, StopIteration):
        raise _file_error("the first line is not a CSV header") from None
    header = [h.strip() for h in header]
    present = set(header)
    renamed = [COLUMN_ALIASES[h] if h in COLUMN_ALIASES and COLUMN_ALIASES[h] not in present else h
               for h in header]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(renamed)
    return out.getvalue() + sep + rest, renamed


def _frame(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame):
        frame = frame[~frame.apply(lambda r: all(str(x).strip() == "" for x in r), axis=1)]
    return frame


def _year_errors(frame: pd.DataFrame) -> list[RowError]:
    errors = []
    if "year" not in frame.columns:
        return errors
    for index, value in frame["year"].items():
        text = str(value).strip()
        if text and not (text.isdigit() and 1000 <= int(text) <= 2200):
            errors.append(RowError(int(index) + 2, "year", f"{text!r} is not a year"))
    return errors


def read_upload(data: bytes, measure: str, *, subgroup_column: str | None = None) -> ParsedTable:
    """Validate an uploaded CSV for ``measure``; every problem is raised at once as StudyTableError."""
    text, header = _rename_header(_decode(data))
    if subgroup_column and subgroup_column not in header:
        raise StudyTableError([RowError(None, subgroup_column, "subgroup column not found in the file")])
    label_column = next((c for c in LABEL_COLUMNS if c in header), "study")
    group_column = subgroup_column or "group"
    errors: list[RowError] = []
    columns: tuple[str, ...] = ()
    try:
        table = read_study_table(text.encode(), measure, study_column=label_column, group_column=group_column)
        columns = table.columns
    except StudyTableError as exc:
        errors.extend(exc.errors)
    except StatsInputError as exc:
        raise _file_error(str(exc).split(": ", 1)[-1]) from exc
    frame = _frame(text)
    errors.extend(_year_errors(frame))
    if errors:
        raise StudyTableError(sorted(errors, key=lambda e: (e.line or 0, e.column)))
    studies = []
    for i, (_, row) in enumerate(frame.iterrows()):
        year = str(row.get("year", "")).strip()
        studies.append(StudyInput(
            label=str(row[label_column]).strip() if label_column in frame.columns else f"Study {i + 1}",
            inputs={c: float(row[c]) for c in columns},
            subgroup=str(row[group_column]).strip() if group_column in frame.columns else "",
            year=int(year) if year else None,
            source=str(row.get("source", "")).strip()[:300],
        ))
    return ParsedTable(tuple(studies), columns, group_column if group_column in frame.columns else None)


def validate_study(study: StudyInput, measure: str) -> list[RowError]:
    """Row rules of the upload applied to one study entered by form (line numbers are dropped)."""
    if not study.inputs:
        return [RowError(None, "inputs", "enter the study's numbers")]
    try:
        read_study_table(one_row_csv(study), measure)
    except StudyTableError as exc:
        return [RowError(None, e.column, e.message) for e in exc.errors]
    return []


def one_row_csv(study: StudyInput) -> bytes:
    return rows_csv([study], sorted(study.inputs, key=INPUT_COLUMNS.index))


def rows_csv(studies: Sequence[StudyInput], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["study", *columns])
    for s in studies:
        writer.writerow([s.label, *(_num(s.inputs[c]) for c in columns)])
    return out.getvalue().encode()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas in exported text cells (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_studies(studies: Iterable[StudyInput]) -> str:
    """The study table as CSV that :func:`read_upload` reads back (columns used by any study)."""
    studies = list(studies)
    used = [c for c in INPUT_COLUMNS if any(c in s.inputs for s in studies)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["study", "year", "group", *used, "source", "own_cohort"])
    for s in studies:
        writer.writerow([safe_cell(s.label), s.year or "", safe_cell(s.subgroup),
                         *(_num(s.inputs[c]) if c in s.inputs else "" for c in used),
                         safe_cell(s.source), "yes" if s.is_own_cohort else ""])
    return out.getvalue()
