"""Calculator output shared by the web pages and the CLI: tables, warnings, unverified notes, citations.

Turning a core result into rows happens here once, so a page, its CSV download and the matching
``palliro`` command always show the same numbers.  No Django imports.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from palliro.core.analgesics import OmedResult
from palliro.core.cvi import CVIResult
from palliro.core.dose import (
    CombinedDoseResult,
    DoseResult,
    IsoeffectResult,
    RegimenComparison,
    ReirradiationResult,
)
from palliro.core.errors import ClinicalWarning
from palliro.core.pain import FlareResult, PainResponse
from palliro.core.prognosis import PrognosticResult


@dataclass(frozen=True)
class Table:
    """A result table; ``slug`` names it in ``?format=csv&part=<slug>`` and in JSON output."""

    slug: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class CalcOutput:
    """Everything a calculator shows: headline lines, tables, warnings, [U] notes and citations."""

    tables: tuple[Table, ...]
    headline: tuple[str, ...] = ()
    warnings: tuple[ClinicalWarning, ...] = ()
    unverified: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def table(self, slug: str | None) -> Table | None:
        if not slug:
            return self.tables[0] if self.tables else None
        return next((t for t in self.tables if t.slug == slug), None)


def fmt(value: object, digits: int = 2) -> str:
    """Display text of a cell: floats to ``digits`` decimals, infinity as the word, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "infinite" if value > 0 else "-infinite"
        return f"{value:.{digits}f}"
    return str(value)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return "inf" if math.isinf(value) else round(value, 6)
    return value


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def table_text(table: Table) -> str:
    """Plain-text table with aligned columns for the terminal."""
    cells = [list(table.headers)] + [[fmt(v) for v in row] for row in table.rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(table.headers))]
    lines = [table.title]
    for n, row in enumerate(cells):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def output_text(out: CalcOutput) -> str:
    parts = list(out.headline)
    for table in out.tables:
        parts.append("")
        parts.append(table_text(table))
    if out.warnings:
        parts.append("")
        parts.append("Warnings:")
        parts.extend(f"  ! {w.message} ({w.source})" for w in out.warnings)
    if out.unverified:
        parts.append("")
        parts.append("Unverified [U]:")
        parts.extend(f"  - {u}" for u in out.unverified)
    if out.notes:
        parts.append("")
        parts.extend(f"Note: {n}" for n in out.notes)
    if out.citations:
        parts.append("")
        parts.extend(f"Source: {c}" for c in out.citations)
    return "\n".join(parts).strip("\n")


def _json_cell(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def output_json(out: CalcOutput) -> str:
    data = {
        "headline": list(out.headline),
        "tables": {
            t.slug: [
                {h: _json_cell(v) for h, v in zip(t.headers, row, strict=True)} for row in t.rows
            ]
            for t in out.tables
        },
        "warnings": [{"code": w.code, "message": w.message, "source": w.source} for w in out.warnings],
        "unverified": list(out.unverified),
        "notes": list(out.notes),
        "citations": list(out.citations),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _unique_warnings(items: Sequence[ClinicalWarning]) -> tuple[ClinicalWarning, ...]:
    return tuple(dict.fromkeys(items))


LQ_CITATION = "Fowler JF, Br J Radiol 1989;62:679; Bentzen SM et al., Radiother Oncol 2012;105:266"


# ----------------------------------------------------------------------------------- dose


def dose_output(results: Sequence[DoseResult], eqdx: float | None = None) -> CalcOutput:
    """One regimen at several alpha/beta values (BED, EQD2, optional EQDX and time correction)."""
    first = results[0]
    timed = first.time_correction is not None
    headers = ["alpha/beta (Gy)", "BED (Gy)", "EQD2 (Gy)"]
    if eqdx is not None:
        headers.append(f"EQD{eqdx:g} (Gy)")
    if timed:
        headers += ["BED without time correction (Gy)", "T (days)", "Tk (days)", "Dprolif (Gy/day)"]
    rows = []
    for r in results:
        row: list[object] = [f"{r.alpha_beta:g}", r.bed, r.eqd2]
        if eqdx is not None:
            row.append(r.bed / (1.0 + eqdx / r.alpha_beta))
        if timed:
            tc = r.time_correction
            assert tc is not None
            row += [r.bed_uncorrected, r.overall_time_days, tc.tk_days, tc.dprolif_gy_per_day]
        rows.append(tuple(row))
    reg = first.regimen
    headline = (
        f"Regimen: {reg.label}, {reg.fractions} fraction(s) of {reg.dose_per_fraction:g} Gy, {reg.schedule}",
    ) + tuple(f"BED{r.alpha_beta:g} = {r.bed:.2f} Gy, EQD2({r.alpha_beta:g}) = {r.eqd2:.2f} Gy" for r in results)
    return CalcOutput(
        tables=(Table("dose", "BED and EQD2", tuple(headers), tuple(rows)),),
        headline=headline,
        warnings=_unique_warnings([w for r in results for w in r.warnings]),
        unverified=_unique([u for r in results for u in r.unverified]),
        citations=(LQ_CITATION,),
    )


def comparison_output(comparison: RegimenComparison) -> CalcOutput:
    records = comparison.to_records()
    headers = tuple(k for k in records[0] if k != "warnings") + ("warnings",)
    rows = tuple(tuple(rec[h] for h in headers) for rec in records)
    results = [res for row in comparison.rows for res in row.results]
    return CalcOutput(
        tables=(Table("comparison", "Regimen comparison", headers, rows),),
        warnings=_unique_warnings([w for r in results for w in r.warnings]),
        unverified=_unique([u for r in results for u in r.unverified]),
        citations=(LQ_CITATION,),
    )


def isoeffect_output(res: IsoeffectResult) -> CalcOutput:
    headers = (
        "original regimen",
        "alpha/beta (Gy)",
        "new dose per fraction (Gy)",
        "isoeffective total dose (Gy)",
        "number of fractions",
    )
    row = (res.original.label, f"{res.alpha_beta:g}", res.new_dose_per_fraction, res.new_total_dose, res.new_fractions)
    return CalcOutput(
        tables=(Table("isoeffect", "Isoeffective conversion", headers, (row,)),),
        headline=(
            f"{res.original.label} = {res.new_total_dose:.2f} Gy in {res.new_dose_per_fraction:g} Gy fractions "
            f"({res.new_fractions:.2f} fractions) at alpha/beta {res.alpha_beta:g}",
        ),
        warnings=res.warnings,
        unverified=res.unverified,
        citations=(LQ_CITATION, "SFRO isoeffect calculator (d 1-6 Gy)"),
    )


def brachy_output(res: CombinedDoseResult, ebrt_label: str, brachy_label: str) -> CalcOutput:
    headers = ("component", "EQD2 (Gy)")
    rows = (
        (f"EBRT {ebrt_label}", res.ebrt_eqd2),
        (f"Brachytherapy {brachy_label}", res.brachy_eqd2),
        ("Total", res.total_eqd2),
    )
    return CalcOutput(
        tables=(Table("brachy", f"EBRT + brachytherapy at alpha/beta {res.alpha_beta:g}", headers, rows),),
        headline=(
            f"Total EQD2({res.alpha_beta:g}) = {res.total_eqd2:.2f} Gy (BED {res.total_bed:.2f} Gy)",
        ),
        warnings=res.warnings,
        unverified=res.unverified,
        citations=(LQ_CITATION, "GEC-ESTRO EQD2 summation convention (full repair between HDR fractions)"),
    )


def reirradiation_output(res: ReirradiationResult) -> CalcOutput:
    ab = f"{res.alpha_beta:g}"
    headers = (
        "course",
        "technique",
        f"BED{ab} (Gy)",
        f"EQD2({ab}) (Gy)",
        "recovery discount",
        f"effective BED{ab} (Gy)",
        f"effective EQD2({ab}) (Gy)",
    )
    rows = [
        (
            c.course.label or c.course.regimen.label,
            c.course.technique,
            c.bed,
            c.eqd2,
            f"{100 * c.recovery_fraction:.0f} %",
            c.effective_bed,
            c.effective_eqd2,
        )
        for c in res.courses
    ]
    rows.append(
        ("Cumulative", "", res.cumulative_bed, res.cumulative_eqd2, "", res.effective_bed, res.effective_eqd2)
    )
    headline = [
        f"Cumulative BED{ab} = {res.cumulative_bed:.2f} Gy (EQD2 {res.cumulative_eqd2:.2f} Gy); "
        f"after recovery discount BED{ab} = {res.effective_bed:.2f} Gy (EQD2 {res.effective_eqd2:.2f} Gy)"
    ]
    if res.guidance is not None:
        verdict = {True: "met", False: "NOT met", None: "cannot be judged (interval unknown)"}[res.guidance_met]
        headline.append(f"Guidance {res.guidance}: {verdict}")
    citations = [LQ_CITATION]
    if res.recovery != "none":
        citations.append("Simple recovery method cited in Doi H, Nieder C et al., Strahlenther Onkol 2021;197:463")
    if res.guidance == "nieder2006_cord":
        citations.append("Nieder C et al., Int J Radiat Oncol Biol Phys 2006;66:1446 (PMID 17084560)")
    if res.guidance == "sahgal2012_cord_sbrt":
        citations.append("Sahgal A et al., Int J Radiat Oncol Biol Phys 2012;82:107-116")
    return CalcOutput(
        tables=(Table("reirradiation", "Cumulative dose", headers, tuple(rows)),),
        headline=tuple(headline),
        warnings=res.warnings,
        unverified=res.unverified,
        citations=tuple(citations),
    )


# ----------------------------------------------------------------------------------- pain


def omed_output(res: OmedResult) -> CalcOutput:
    headers = ("drug", "dose", "unit", "route", "frequency", "daily amount", "basis", "factor", "OMED (mg/day)")
    rows = tuple(
        (
            i.record.drug,
            i.record.dose,
            i.record.unit,
            i.record.route,
            "" if i.record.frequency is None else i.record.frequency,
            i.daily_amount,
            i.amount_basis,
            i.factor.factor,
            i.omed_mg_per_day,
        )
        for i in res.items
    ) + (("Total", "", "", "", "", "", "", "", res.omed_mg_per_day),)
    notes = tuple(i.factor.note for i in res.items if i.factor.note)
    return CalcOutput(
        tables=(Table("omed", f"Oral morphine equivalent ({res.table})", headers, rows),),
        headline=(f"Daily oral morphine equivalent: {res.omed_mg_per_day:.1f} mg/day ({res.table} table)",),
        unverified=res.unverified,
        citations=(res.citation,),
        notes=(
            *notes,
            "Conversion factors tally total opioid exposure; they are not for switching a patient between opioids.",
        ),
    )


def pain_response_output(res: PainResponse, p0: float, o0: float, pt: float, ot: float) -> CalcOutput:
    headers = ("baseline pain", "baseline OMED", "follow-up pain", "follow-up OMED", "pain change",
               "OMED change (%)", "category", "reason")
    omed_pct = None if res.omed_change is None else 100 * res.omed_change
    row = (p0, o0, pt, ot, res.pain_change, omed_pct, str(res.category), res.reason)
    return CalcOutput(
        tables=(Table("pain_response", "ICE pain response", headers, (row,)),),
        headline=(f"Response: {res.category} ({res.reason})",),
        unverified=res.unverified,
        citations=(
            "Chow E et al., Radiother Oncol 2002;64:275; Chow E, Hoskin P, Mitera G et al., IJROBP 2012;82:1730",
        ),
    )


def flare_output(res: FlareResult) -> CalcOutput:
    headers = ("flare", "pattern", "first day", "last day", "duration (days)", "returned to baseline",
               "return day", "days meeting criteria")
    row = (res.flare, res.pattern, res.first_day, res.last_day, res.duration_days, res.returned_to_baseline,
           res.return_day, " ".join(str(d) for d in res.criteria_days))
    label = {"flare": "pain flare", "no_return": "increase without return to baseline (progression pattern)",
             "none": "no flare"}[res.pattern]
    return CalcOutput(
        tables=(Table("flare", "Pain flare", headers, (row,)),),
        headline=(f"Result: {label}",),
        unverified=res.unverified,
        citations=(res.source,),
    )


# ------------------------------------------------------------------------------- prognosis


def prognosis_output(res: PrognosticResult, title: str) -> CalcOutput:
    points = Table(
        "points",
        f"{title}: points",
        ("factor", "points"),
        tuple((name, f"{p:g}") for name, p in res.components)
        + (("Total", f"{res.points:g}"), ("Maximum", f"{res.max_points:g}")),
    )
    outcomes = Table(
        "outcomes",
        f"Published outcome for group {res.group}" if res.group else "Published outcome",
        ("measure", "value", "unit", "low", "high", "interval", "cohort", "evidence"),
        tuple((o.measure, o.value, o.unit, o.low, o.high, o.interval, o.cohort, o.tag) for o in res.outcomes),
    )
    headline = (f"{title}: {res.points:g} points"
                + (f", group {res.group}" if res.group else ""),)
    tags = [f"{o.cohort or o.measure}: figure tagged [{o.tag}]" for o in res.outcomes if o.tag != "V"]
    return CalcOutput(
        tables=(points, outcomes) if res.outcomes else (points,),
        headline=headline,
        unverified=_unique([*res.unverified, *tags]),
        citations=(res.citation,),
        notes=res.notes,
    )


# ------------------------------------------------------------------------------------- CVI


def cvi_output(res: CVIResult) -> CalcOutput:
    items = Table(
        "items",
        "Item-level content validity",
        ("item", "experts", "rating 3-4", "I-CVI", "pc", "modified kappa", "interpretation", "acceptable"),
        tuple(
            (i.name, i.n_experts, i.n_relevant, i.i_cvi, i.pc, i.kappa, i.kappa_label, i.acceptable)
            for i in res.items
        ),
    )
    scale = Table(
        "scale",
        "Scale-level content validity",
        ("measure", "value"),
        (
            ("experts", res.n_experts),
            ("items", len(res.items)),
            ("S-CVI/Ave", res.s_cvi_ave),
            ("S-CVI/UA", res.s_cvi_ua),
            ("I-CVI rule", res.icvi_rule),
            ("I-CVI cut-off", res.icvi_cutoff),
            ("S-CVI/Ave >= 0.90", res.s_cvi_ave_acceptable),
        ),
    )
    return CalcOutput(
        tables=(items, scale),
        headline=(f"S-CVI/Ave = {res.s_cvi_ave:.2f}, S-CVI/UA = {res.s_cvi_ua:.2f} ({res.n_experts} experts)",),
        unverified=res.unverified,
        citations=(res.citation,),
        notes=("Modified kappa: > 0.74 excellent, 0.60-0.74 good, 0.40-0.59 fair, < 0.40 poor (Polit 2007).",),
    )
