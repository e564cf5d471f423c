"""Reading a study table (CSV) for a meta-analysis, with row-level validation.

Used by the web upload and by ``palliro meta FILE.csv``. Every problem in the file is reported at
once (line number as a spreadsheet shows it, column, message) rather than stopping at the first.

Columns (names as in metafor; ``study`` gives the label, optional ``group`` a subgroup):

=========================  ==============================================================
measure                    required columns
=========================  ==============================================================
RR, OR, RD, PETO           ``ai, bi, ci, di`` (events / non-events, treatment then control)
                           or ``ai, n1i, ci, n2i`` (events / totals); RR, OR, RD also
                           ``yi, sei`` or ``yi, vi`` (log ratio or difference, e.g. adjusted)
HR                         ``hr, hr_lb, hr_ub`` (95 % CI) or ``yi, sei`` (log HR and its SE)
MD, SMD                    ``m1i, sd1i, n1i, m2i, sd2i, n2i``
GEN                        ``yi`` with ``vi`` or ``sei``
=========================  ==============================================================
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from typing import IO

import pandas as pd

from palliro.stats.errors import StatsInputError
from palliro.stats.meta._validate import check_choice
from palliro.stats.meta.effects import MEASURES, EffectSizes, escalc

_ALTERNATIVES: dict[str, tuple[tuple[str, ...], ...]] = {
    "RR": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i"), ("yi", "sei"), ("yi", "vi")),
    "OR": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i"), ("yi", "sei"), ("yi", "vi")),
    "RD": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i"), ("yi", "sei"), ("yi", "vi")),
    "PETO": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i")),
    "HR": (("hr", "hr_lb", "hr_ub"), ("yi", "sei")),
    "MD": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),),
    "SMD": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),),
    "GEN": (("yi", "vi"), ("yi", "sei")),
}
_COUNTS = {"ai", "bi", "ci", "di", "n1i", "n2i"}
_POSITIVE = {"sd1i", "sd2i", "sei", "vi", "hr", "hr_lb", "hr_ub"}
_MAX_LISTED = 30


@dataclass(frozen=True)
class RowError:
    """One problem in the table; ``line`` is the file line (header = line 1), None for file-level."""

    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}column {self.column!r}: {self.message}"


class StudyTableError(StatsInputError):
    """The study table has one or more problems; all of them are in ``errors``."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:_MAX_LISTED])
        more = f" (and {len(self.errors) - _MAX_LISTED} more)" if len(self.errors) > _MAX_LISTED else ""
        first = self.errors[0]
        # ``row`` stays None: line numbers (1-based, header = line 1) are in ``errors``.
        super().__init__(f"{len(self.errors)} problem(s) in the study table: {shown}{more}", field=first.column)


@dataclass(frozen=True, eq=False)
class StudyTable:
    """Effect sizes read from a table, with subgroup labels if a ``group`` column was present."""

    effects: EffectSizes
    groups: tuple[str, ...] | None
    columns: tuple[str, ...]


def _read_frame(source: str | os.PathLike | IO) -> pd.DataFrame:
    try:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise StatsInputError(f"file not found: {exc.filename}", field="file") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise StatsInputError(f"not a readable CSV file ({exc})", field="file") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_study_table(
    source: str | os.PathLike | IO | bytes,
    measure: str,
    *,
    study_column: str = "study",
    group_column: str = "group",
    add: float = 0.5,
    to: str = "only0",
) -> StudyTable:
    """Read and validate a CSV study table, then compute effect sizes with :func:`escalc`.

    Raises:
        StudyTableError: listing every row-level problem (line, column, message).
        StatsInputError: if the file cannot be read or ``measure`` is unknown.
    """
    check_choice(measure, MEASURES, "measure")
    frame = _read_frame(source)
    frame = frame[~(frame.apply(lambda r: all(str(x).strip() == "" for x in r), axis=1))] if len(frame) else frame
    if len(frame) == 0:
        raise StudyTableError([RowError(None, "file", "the table has no data rows")])
    present = set(frame.columns)
    columns = next((alt for alt in _ALTERNATIVES[measure] if set(alt) <= present), None)
    if columns is None:
        options = " or ".join(", ".join(alt) for alt in _ALTERNATIVES[measure])
        missing = sorted(set(_ALTERNATIVES[measure][0]) - present)
        raise StudyTableError([RowError(None, ", ".join(missing), f"missing column(s); measure {measure} needs {options}")])

    errors: list[RowError] = []
    values: dict[str, list[float]] = {c: [] for c in columns}
    lines = [int(i) + 2 for i in frame.index]
    for line, (_, row) in zip(lines, frame.iterrows(), strict=True):
        parsed: dict[str, float] = {}
        for col in columns:
            text = str(row[col]).strip()
            if text == "" or text.upper() in {"NA", "NAN"}:
                errors.append(RowError(line, col, "value is missing"))
                continue
            try:
                num = float(text)
            except ValueError:
                errors.append(RowError(line, col, f"{text!r} is not a number"))
                continue
            if not math.isfinite(num):
                errors.append(RowError(line, col, f"{text!r} is not a finite number"))
            elif col in _COUNTS and (num < 0 or num != int(num)):
                errors.append(RowError(line, col, f"{text!r} must be a whole number ≥ 0"))
            elif col in _POSITIVE and num <= 0:
                errors.append(RowError(line, col, f"{text!r} must be greater than 0"))
            else:
                parsed[col] = num
            values[col].append(num)
        errors.extend(_row_rules(measure, line, parsed))
    labels = _labels(frame, study_column)
    groups = None
    if group_column in present:
        groups = tuple(str(g).strip() for g in frame[group_column])
        errors.extend(RowError(line, group_column, "subgroup is empty")
                      for line, g in zip(lines, groups, strict=True) if g == "")
    if errors:
        raise StudyTableError(errors)
    kwargs = {c: values[c] for c in columns}
    if measure in ("RR", "OR", "RD", "PETO"):
        kwargs |= {"add": add, "to": to}
    try:
        effects = escalc(measure, labels=labels, **kwargs)
    except StatsInputError as exc:
        line = lines[exc.row] if exc.row is not None else None
        raise StudyTableError([RowError(line, exc.field, str(exc).split(": ", 1)[-1])]) from exc
    return StudyTable(effects, groups, columns)


def _labels(frame: pd.DataFrame, study_column: str) -> list[str]:
    if study_column in frame.columns:
        return [str(s).strip() or f"Study {i + 1}" for i, s in enumerate(frame[study_column])]
    return [f"Study {i + 1}" for i in range(len(frame))]


def _row_rules(measure: str, line: int, v: dict[str, float]) -> list[RowError]:
    out = []
    if {"ai", "n1i"} <= v.keys() and v["ai"] > v["n1i"]:
        out.append(RowError(line, "ai", "more events than patients (n1i)"))
    if {"ci", "n2i"} <= v.keys() and v["ci"] > v["n2i"]:
        out.append(RowError(line, "ci", "more events than patients (n2i)"))
    for n in ("n1i", "n2i"):
        if n in v and measure in ("MD", "SMD") and v[n] < 2:
            out.append(RowError(line, n, "each arm needs at least 2 patients"))
        elif n in v and v[n] == 0:
            out.append(RowError(line, n, "arm has no patients"))
    if {"ai", "bi"} <= v.keys() and v["ai"] + v["bi"] == 0:
        out.append(RowError(line, "bi", "treatment arm has no patients"))
    if {"ci", "di"} <= v.keys() and v["ci"] + v["di"] == 0:
        out.append(RowError(line, "di", "control arm has no patients"))
    if {"hr", "hr_lb", "hr_ub"} <= v.keys() and not (v["hr_lb"] < v["hr"] < v["hr_ub"]):
        out.append(RowError(line, "hr", "must lie strictly between hr_lb and hr_ub"))
    return out
