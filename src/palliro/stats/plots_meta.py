"""Forest and funnel plots for meta-analysis results (matplotlib, Agg, no pyplot state).

The forest plot follows the usual layout (metafor ``forest.rma``, RevMan): one row per study with a
square sized by its weight and its CI, the estimate with CI and weight as text on the right, the
pooled estimate as a diamond, the prediction interval as a separate line, a heterogeneity line,
and a reference line at the null. Ratio measures are drawn on a log axis labelled in ratio units.

Artists carry SVG ids (``study-row-<i>``, ``study-label-<i>``, ``pooled-diamond``,
``prediction-interval``, ``heterogeneity``, ``reference-line``, ``funnel-point-<i>``) so the
structure can be checked in the SVG and targeted by the web layer's CSS.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from palliro.stats.errors import StatsInputError
from palliro.stats.meta.effects import MEASURE_LABELS
from palliro.stats.meta.mh import FixedCountsResult
from palliro.stats.meta.pooling import MetaResult
from palliro.stats.meta.report import heterogeneity_text, model_label
from palliro.stats.plots import figure_to_bytes, new_figure

__all__ = ["figure_to_bytes", "forest_plot", "funnel_plot"]

Result = MetaResult | FixedCountsResult


def _check(result: object) -> Result:
    if not isinstance(result, MetaResult | FixedCountsResult):
        raise StatsInputError("expected a result of rma(), rma_mh() or rma_peto()", field="result")
    return result


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def forest_plot(
    result: Result,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    digits: int = 2,
    width: float = 9.0,
    show_prediction: bool = True,
) -> Figure:
    """Forest plot of ``result`` (see module docstring)."""
    res = _check(result)
    if digits < 0 or digits > 6:
        raise StatsInputError("must be between 0 and 6", field="digits")
    eff = res.effects
    ratio = eff.is_ratio
    tf = np.exp if ratio else (lambda x: x)
    lo, hi = eff.ci(res.level)
    k = eff.k
    has_pi = show_prediction and res.pi_lb is not None
    n_rows = k + 2 + (1 if has_pi else 0)
    fig = new_figure(width, 1.6 + 0.28 * n_rows)
    ax = fig.add_axes((0.30, 0.16, 0.40, 0.74))
    # Rows from the top: studies at y = k+2 … 3, pooled diamond at y = 1 (PI below it at y = 0).
    y_study = np.arange(k, 0, -1) + 2.0 - (0 if has_pi else 1)
    y_pool = 1.0 if has_pi else 0.0
    y_pi = 0.0

    weights = np.asarray(res.weights, float)
    sizes = 4 + 10 * np.sqrt(weights / max(weights.max(), 1e-12))
    for i in range(k):
        (line,) = ax.plot([tf(lo[i]), tf(hi[i])], [y_study[i]] * 2, color="black", lw=1)
        line.set_gid(f"study-ci-{i}")
        (sq,) = ax.plot([tf(eff.yi[i])], [y_study[i]], marker="s", ms=sizes[i], color="#3a5a80", ls="none")
        sq.set_gid(f"study-row-{i}")

    est, lb, ub = res.estimate, res.ci_lb, res.ci_ub
    diamond = ax.fill(
        [tf(lb), tf(est), tf(ub), tf(est)],
        [y_pool, y_pool + 0.35, y_pool, y_pool - 0.35],
        color="#1f2f45",
    )[0]
    diamond.set_gid("pooled-diamond")
    if has_pi:
        (pi_line,) = ax.plot([tf(res.pi_lb), tf(res.pi_ub)], [y_pi] * 2, color="#1f2f45", lw=2, ls=(0, (4, 2)))
        pi_line.set_gid("prediction-interval")

    null = 1.0 if ratio else 0.0
    ref = ax.axvline(null, color="grey", lw=0.8, ls="--")
    ref.set_gid("reference-line")
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:g}")
        ax.xaxis.set_minor_formatter(lambda x, _pos: "")
    ax.set_ylim(y_pi - 0.8 if has_pi else y_pool - 0.8, max(y_study) + 0.8 if k else 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    measure = "OR" if res.measure == "PETO" else res.measure
    ax.set_xlabel(xlabel or MEASURE_LABELS.get(res.measure, res.measure) + (" (log scale)" if ratio else ""))

    # Text columns in axes-x / data-y coordinates, so they stay aligned with the rows.
    trans = ax.get_yaxis_transform()
    lvl = f"{res.level:g}% CI"
    ax.text(-0.75, max(y_study) + 0.9, "Study", transform=trans, ha="left", va="bottom", weight="bold")
    ax.text(1.05, max(y_study) + 0.9, f"{measure} [{lvl}]", transform=trans, ha="left", va="bottom",
            weight="bold")
    ax.text(1.70, max(y_study) + 0.9, "Weight", transform=trans, ha="right", va="bottom", weight="bold")
    for i, label in enumerate(eff.labels):
        ax.text(-0.75, y_study[i], label, transform=trans, ha="left", va="center").set_gid(f"study-label-{i}")
        txt = f"{_fmt(tf(eff.yi[i]), digits)} [{_fmt(tf(lo[i]), digits)}; {_fmt(tf(hi[i]), digits)}]"
        ax.text(1.05, y_study[i], txt, transform=trans, ha="left", va="center").set_gid(f"study-estimate-{i}")
        ax.text(1.70, y_study[i], f"{weights[i]:.1f}%", transform=trans, ha="right", va="center").set_gid(
            f"study-weight-{i}"
        )
    pooled_txt = f"{_fmt(tf(est), digits)} [{_fmt(tf(lb), digits)}; {_fmt(tf(ub), digits)}]"
    ax.text(-0.75, y_pool, f"{model_label(res)} model", transform=trans, ha="left", va="center", weight="bold")
    ax.text(1.05, y_pool, pooled_txt, transform=trans, ha="left", va="center", weight="bold").set_gid(
        "pooled-estimate"
    )
    ax.text(1.70, y_pool, "100.0%", transform=trans, ha="right", va="center", weight="bold")
    if has_pi:
        ax.text(-0.75, y_pi, "Prediction interval", transform=trans, ha="left", va="center")
        ax.text(1.05, y_pi, f"[{_fmt(tf(res.pi_lb), digits)}; {_fmt(tf(res.pi_ub), digits)}]", transform=trans,
                ha="left", va="center")
    het = fig.text(0.02, 0.02, heterogeneity_text(res), ha="left", va="bottom", fontsize=9)
    het.set_gid("heterogeneity")
    if title:
        fig.suptitle(title)
    return fig


def funnel_plot(result: Result, *, xlabel: str | None = None, width: float = 6.0, height: float = 5.0) -> Figure:
    """Funnel plot: effect (x) against standard error (y, inverted) with pseudo 95% limits."""
    res = _check(result)
    eff = res.effects
    ratio = eff.is_ratio
    sei = eff.sei
    fig = new_figure(width, height)
    ax = fig.add_subplot(1, 1, 1)
    se_max = float(sei.max()) * 1.05
    z = 1.959963984540054
    grid = np.linspace(0.0, se_max, 50)
    centre = res.estimate
    tf = np.exp if ratio else (lambda x: x)
    ax.fill_betweenx(grid, tf(centre - z * grid), tf(centre + z * grid), color="#e8edf3", zorder=0).set_gid(
        "funnel-region"
    )
    ax.axvline(tf(centre), color="#1f2f45", lw=1).set_gid("pooled-line")
    for i in range(eff.k):
        (pt,) = ax.plot([tf(eff.yi[i])], [sei[i]], "o", color="#3a5a80", ms=5)
        pt.set_gid(f"funnel-point-{i}")
    ax.set_ylim(se_max, 0.0)
    ax.set_ylabel("Standard error")
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:g}")
    ax.set_xlabel(xlabel or MEASURE_LABELS.get(res.measure, res.measure) + (" (log scale)" if ratio else ""))
    if math.isfinite(centre):
        ax.set_title(f"{model_label(res)}, k = {res.k}", fontsize=10)
    return fig
