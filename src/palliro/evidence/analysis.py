"""One meta-analysis of an outcome: effect sizes, pooled result, subgroups, leave-one-out, cumulative.

Shared by the web pages and ``palliro meta``; numbers come only from :mod:`palliro.stats.meta`
(metafor-compatible). Pure Python, no Django.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from palliro.evidence.tables import INPUT_COLUMNS, StudyInput, rows_csv, safe_cell
from palliro.stats.errors import StatsInputError
from palliro.stats.meta import (
    EffectSizes,
    FixedCountsResult,
    MetaResult,
    SequentialResult,
    StudyTableError,
    SubgroupResult,
    cumulative,
    leave_one_out,
    read_study_table,
    rma,
    rma_mh,
    rma_peto,
    subgroup,
)
from palliro.stats.meta.report import format_p, model_label

COUNT_METHODS = ("MH", "PETO")


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything shown for one outcome. ``notes`` explain what was skipped and why."""

    result: MetaResult | FixedCountsResult
    subgroups: SubgroupResult | None
    leave_one_out: SequentialResult | None
    cumulative: SequentialResult | None
    notes: tuple[str, ...]

    @property
    def is_ratio(self) -> bool:
        return self.result.effects.is_ratio


def effects_for(studies: Sequence[StudyInput], measure: str) -> EffectSizes:
    """Effect sizes of ``studies``; rows with different kinds of input (e.g. HR+CI and log HR+SE) mix."""
    if not studies:
        raise StatsInputError("the outcome has no studies yet", field="studies")
    kinds = {tuple(sorted(s.inputs, key=INPUT_COLUMNS.index)) for s in studies}
    if len(kinds) == 1:
        return read_study_table(rows_csv(studies, next(iter(kinds))), measure).effects
    parts = [read_study_table(rows_csv([s], sorted(s.inputs, key=INPUT_COLUMNS.index)), measure).effects
             for s in studies]
    return EffectSizes(
        measure=measure,
        yi=np.concatenate([p.yi for p in parts]),
        vi=np.concatenate([p.vi for p in parts]),
        labels=tuple(s.label for s in studies),
        corrected=np.concatenate([p.corrected for p in parts]),
    )


def counts_for(studies: Sequence[StudyInput]) -> dict[str, list[float]]:
    """2×2 counts (ai, bi, ci, di) of every study, for Mantel-Haenszel and Peto."""
    out: dict[str, list[float]] = {"ai": [], "bi": [], "ci": [], "di": []}
    for s in studies:
        v = s.inputs
        if {"ai", "bi", "ci", "di"} <= v.keys():
            a, b, c, d = v["ai"], v["bi"], v["ci"], v["di"]
        elif {"ai", "n1i", "ci", "n2i"} <= v.keys():
            a, b, c, d = v["ai"], v["n1i"] - v["ai"], v["ci"], v["n2i"] - v["ci"]
        else:
            raise StatsInputError(f"study {s.label!r} has no 2×2 counts; Mantel-Haenszel and Peto need "
                                  "counts for every study", field="method")
        for key, value in zip(("ai", "bi", "ci", "di"), (a, b, c, d), strict=True):
            out[key].append(value)
    return out


def analyse(studies: Sequence[StudyInput], measure: str, method: str, *, knha: bool = False,
            level: float = 95.0) -> Analysis:
    """Pool ``studies``; raises StatsInputError (or StudyTableError) with a message for the user."""
    notes: list[str] = []
    labels = [s.label for s in studies]
    if method in COUNT_METHODS:
        if not studies:
            raise StatsInputError("the outcome has no studies yet", field="studies")
        counts = counts_for(studies)
        if method == "MH":
            result = rma_mh(measure, labels=labels, level=level, **counts)
        else:
            result = rma_peto(labels=labels, level=level, **counts)
        effects = result.effects
        seq_method = "FE"
        notes.append("Subgroup, leave-one-out and cumulative analyses use the inverse-variance common-effect "
                     "model (the Mantel-Haenszel and Peto methods have no such refits).")
    else:
        effects = effects_for(studies, measure)
        result = rma(effects, method, knha, level)
        seq_method = method
    sub = loo = cum = None
    kept = [s for s in studies if s.label not in effects.dropped]
    groups = [s.subgroup for s in kept]
    if any(groups):
        if not all(groups):
            notes.append("Subgroup analysis skipped: some studies have no subgroup.")
        elif len(set(groups)) < 2:
            notes.append("Subgroup analysis skipped: all studies are in the same subgroup.")
        else:
            sub = subgroup(effects, groups, seq_method, knha, level)
    if effects.k >= 2:
        loo = leave_one_out(effects, seq_method, knha, level)
        years = [s.year for s in kept]
        order = years if all(y is not None for y in years) else None
        cum = cumulative(effects, order, seq_method, knha, level)
        if order is None:
            notes.append("Cumulative analysis in table order (not every study has a year).")
    return Analysis(result, sub, loo, cum, tuple(notes))


def display(result, value: float | None) -> float | None:
    """A log-scale value on the ratio scale for ratio measures."""
    if value is None:
        return None
    return math.exp(value) if result.effects.is_ratio else value


def summary(result: MetaResult | FixedCountsResult) -> dict[str, object]:
    """The result table: estimate, CI and PI on the reading scale, heterogeneity, test, k."""
    random = isinstance(result, MetaResult) and result.is_random
    out: dict[str, object] = {
        "model": model_label(result),
        "method": result.method,
        "measure": result.measure,
        "k": result.k,
        "level": result.level,
        "estimate": display(result, result.estimate),
        "ci_lb": display(result, result.ci_lb),
        "ci_ub": display(result, result.ci_ub),
        "pi_lb": display(result, result.pi_lb),
        "pi_ub": display(result, result.pi_ub),
        "log_estimate": result.estimate if result.effects.is_ratio else None,
        "log_ci_lb": result.ci_lb if result.effects.is_ratio else None,
        "log_ci_ub": result.ci_ub if result.effects.is_ratio else None,
        "se": result.se,
        "test": result.test,
        "statistic": result.statistic,
        "df": getattr(result, "df", None),
        "pval": result.pval,
        "tau2": result.tau2 if random else None,
        "I2": result.I2,
        "H2": result.H2,
        "Q": result.Q,
        "Q_df": result.Q_df,
        "Q_p": result.Q_p,
    }
    return out


def results_csv(analysis: Analysis) -> str:
    """Per-study and pooled estimates (reading scale) followed by the summary quantities."""
    res = analysis.result
    eff = res.effects
    lo, hi = eff.ci(res.level)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item", "estimate", "ci_lb", "ci_ub", "weight_percent"])
    for i, label in enumerate(eff.labels):
        writer.writerow([safe_cell(label), *(_g(display(res, x)) for x in (eff.yi[i], lo[i], hi[i])),
                         _g(res.weights[i])])
    s = summary(res)
    writer.writerow(["Pooled estimate", _g(s["estimate"]), _g(s["ci_lb"]), _g(s["ci_ub"]), "100"])
    if s["pi_lb"] is not None:
        writer.writerow(["Prediction interval", "", _g(s["pi_lb"]), _g(s["pi_ub"]), ""])
    for key in ("model", "method", "measure", "k", "level", "se", "test", "statistic", "df", "pval", "tau2",
                "I2", "H2", "Q", "Q_df", "Q_p"):
        value = s[key]
        writer.writerow([key, _g(value) if isinstance(value, float) else ("" if value is None else value),
                         "", "", ""])
    return out.getvalue()


def _g(value) -> str:
    return "" if value is None else f"{float(value):.10g}"


def text_report(analysis: Analysis) -> str:
    """Subgroup lines and notes appended to :func:`format_result_table` on the command line."""
    lines = []
    if analysis.subgroups is not None:
        sub = analysis.subgroups
        lines.append("Subgroups:")
        for name, r in zip(sub.groups, sub.results, strict=True):
            lines.append(f"  {name}: k = {r.k}, {display(r, r.estimate):.4f} [{display(r, r.ci_lb):.4f}; "
                         f"{display(r, r.ci_ub):.4f}], tau² = {r.tau2:.4f}, I² = {r.I2:.1f}%")
        lines.append(f"Test for subgroup differences: Q = {sub.Q_between:.2f} (df = {sub.df}, {format_p(sub.p)})")
    lines.extend(analysis.notes)
    return "\n".join(lines) + ("\n" if lines else "")


__all__ = ["Analysis", "StudyTableError", "analyse", "counts_for", "effects_for", "results_csv", "summary",
           "text_report"]
