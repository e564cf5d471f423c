"""Plain-text rendering of meta-analysis results (CLI output; also the forest-plot captions)."""

from __future__ import annotations

import math

from palliro.stats.errors import StatsInputError
from palliro.stats.meta.effects import MEASURE_LABELS
from palliro.stats.meta.mh import FixedCountsResult
from palliro.stats.meta.pooling import MetaResult

Result = MetaResult | FixedCountsResult


def format_p(p: float) -> str:
    """``p < 0.0001`` or ``p = 0.0123`` (4 decimals, as metafor prints)."""
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}"


def display_scale(result: Result, value: float) -> float:
    """Value on the scale readers expect: exp() for ratio measures, unchanged otherwise."""
    return math.exp(value) if result.effects.is_ratio else value


def model_label(result: Result) -> str:
    if isinstance(result, FixedCountsResult):
        return "Mantel-Haenszel" if result.method == "MH" else "Peto"
    if result.is_random:
        return f"Random-effects ({result.method}{', Knapp-Hartung' if result.test == 't' else ''})"
    return "Common-effect (inverse variance)"


def heterogeneity_text(result: Result) -> str:
    """``Heterogeneity: tau² = …; I² = …%; Q = … (df = …, p = …)``."""
    parts = [f"tau² = {result.tau2:.4f}"] if isinstance(result, MetaResult) and result.is_random else []
    parts.append(f"I² = {result.I2:.1f}%")
    parts.append(f"Q = {result.Q:.2f} (df = {result.Q_df}, {format_p(result.Q_p)})")
    return "Heterogeneity: " + "; ".join(parts)


def format_result_table(result: Result, *, digits: int = 2) -> str:
    """Per-study estimates with CI and weight, the pooled estimate, PI, test and heterogeneity."""
    if not isinstance(result, MetaResult | FixedCountsResult):
        raise StatsInputError("expected a result of rma(), rma_mh() or rma_peto()", field="result")
    eff = result.effects
    measure = "OR" if result.measure == "PETO" else result.measure
    lo, hi = eff.ci(result.level)
    lvl = f"{result.level:g}% CI"
    name_w = max(12, *(len(s) for s in eff.labels), len("Prediction interval")) + 2
    fmt = f"{{:.{digits}f}}"

    def row(label: str, est: float | None, lb: float, ub: float, weight: str) -> str:
        e = "" if est is None else fmt.format(display_scale(result, est))
        ci = f"[{fmt.format(display_scale(result, lb))}; {fmt.format(display_scale(result, ub))}]"
        return f"{label:<{name_w}}{e:>10}  {ci:<22}{weight:>8}"

    scale_note = " (pooled on the log scale)" if eff.is_ratio else ""
    lines = [
        f"{model_label(result)} meta-analysis, k = {result.k}",
        f"Measure: {MEASURE_LABELS.get(result.measure, result.measure)}{scale_note}",
        "",
        f"{'Study':<{name_w}}{measure:>10}  {lvl:<22}{'Weight':>8}",
    ]
    for i, label in enumerate(eff.labels):
        lines.append(row(label, eff.yi[i], lo[i], hi[i], f"{result.weights[i]:.1f}%"))
    lines.append("-" * len(lines[-1]))
    lines.append(row("Pooled estimate", result.estimate, result.ci_lb, result.ci_ub, "100.0%"))
    if result.pi_lb is not None:
        lines.append(row("Prediction interval", None, result.pi_lb, result.pi_ub, ""))
    lines.append("")
    stat = "z" if result.test == "z" else f"t({result.df})"
    lines.append(f"Test of overall effect: {stat} = {result.statistic:.2f}, {format_p(result.pval)}")
    lines.append(heterogeneity_text(result))
    if isinstance(result, MetaResult) and result.tau2_ci is not None:
        (t_lo, t_hi), (i_lo, i_hi) = result.tau2_ci, result.I2_ci
        interval = (
            "tau² and I² [null set: both bounds fall below 0, Q being unusually small at tau² = 0]"
            if result.tau2_ci_null_set else f"tau² [{t_lo:.4f}; {t_hi:.4f}], I² [{i_lo:.1f}%; {i_hi:.1f}%]"
        )
        lines.append(
            f"Q-profile {lvl}: {interval}"
            + (f"; SE(tau²) = {result.tau2_se:.4f}" if result.tau2_se is not None else "")
        )
    if isinstance(result, FixedCountsResult) and result.cmh is not None:
        lines.append(f"Cochran-Mantel-Haenszel test: {result.cmh:.2f} (df = 1, {format_p(result.cmh_p)})")
    if eff.corrected.any():
        lines.append(f"Continuity correction added to {int(eff.corrected.sum())} table(s) with a zero cell.")
    if eff.dropped:
        lines.append(f"Excluded (no events in either arm): {', '.join(eff.dropped)}")
    return "\n".join(lines) + "\n"
