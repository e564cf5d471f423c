"""Figures for survival and agreement analyses (matplotlib, Agg, no pyplot state).

* :func:`km_plot`: Kaplan–Meier step curves for one or more groups, optional pointwise CI bands,
  censoring ticks, and a number-at-risk table aligned under the time axis (the layout recommended
  by Pocock, Clayton & Altman, Lancet 2002;359:1686-1689).
* :func:`bland_altman_plot`: differences against means with bias and limits of agreement
  (Bland & Altman 1986) and, optionally, their confidence intervals.
* :func:`calibration_plot`: observed (KM, with CI) versus published survival per risk group
  with the line of identity.

Every function returns a :class:`matplotlib.figure.Figure`; render with
:func:`palliro.stats.plots.figure_to_bytes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from palliro.stats.agreement import BlandAltmanResult
from palliro.stats.errors import StatsInputError
from palliro.stats.plots import new_figure
from palliro.stats.survival import KaplanMeier
from palliro.stats.validation import CalibrationTable

# Okabe & Ito colour-blind-safe palette; line styles differ too so curves survive greyscale print.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")


def _style(i: int) -> dict:
    return {"color": PALETTE[i % len(PALETTE)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}


def km_plot(
    curves: Sequence[KaplanMeier],
    risk_times: Sequence[float] | None = None,
    *,
    title: str | None = None,
    xlabel: str = "Days",
    ylabel: str = "Survival probability",
    show_ci: bool = True,
    show_censors: bool = True,
    width: float = 7.0,
    height: float = 5.5,
) -> Figure:
    """Kaplan–Meier curves with a number-at-risk table below the plot.

    ``curves`` are fitted :class:`KaplanMeier` objects; their ``label`` names the rows of the
    risk table and the legend. ``risk_times`` default to the x-axis tick positions.
    """
    curves = list(curves)
    if not curves:
        raise StatsInputError("at least one fitted KaplanMeier is required", field="curves")
    for i, km in enumerate(curves):
        if not isinstance(km, KaplanMeier) or not getattr(km, "_fitted", False):
            raise StatsInputError("must be a fitted KaplanMeier", field="curves", row=i)
    fig = new_figure(width, height)
    grid = fig.add_gridspec(2, 1, height_ratios=(4, 0.45 + 0.3 * len(curves)), hspace=0.3)
    ax = fig.add_subplot(grid[0])
    tab = fig.add_subplot(grid[1], sharex=ax)
    t_max = max(float(km.timeline[-1]) for km in curves)
    for i, km in enumerate(curves):
        style = _style(i)
        x = np.r_[0.0, km.timeline]
        y = np.r_[1.0, km.survival]
        label = km.label if km.label is not None else f"group {i + 1}"
        ax.step(x, y, where="post", label=f"{label} (n={km.n})", linewidth=1.6, **style)
        if show_ci:
            lo = np.r_[1.0, np.nan_to_num(km.ci_lower, nan=0.0)]
            hi = np.r_[1.0, np.nan_to_num(km.ci_upper, nan=0.0)]
            ax.fill_between(x, lo, hi, step="post", color=style["color"], alpha=0.15, linewidth=0)
        if show_censors:
            cens = km.n_censor > 0
            ax.plot(
                km.timeline[cens],
                km.survival[cens],
                linestyle="none",
                marker="|",
                markersize=7,
                color=style["color"],
            )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, t_max * 1.02)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True, min_n_ticks=3))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", frameon=False)
    if title:
        ax.set_title(title)
    ax.tick_params(labelbottom=False)
    if risk_times is None:
        ticks = [float(v) for v in ax.get_xticks() if 0 <= v <= t_max]
    else:
        ticks = [float(v) for v in risk_times]
        if any(not np.isfinite(v) or v < 0 for v in ticks):
            raise StatsInputError("risk times must be finite and non-negative", field="risk_times")
    ax.set_xticks(ticks)
    tab.set_xticks(ticks)
    tab.set_ylim(-0.5, len(curves) - 0.5)
    tab.set_yticks(range(len(curves)))
    tab.set_yticklabels(
        [km.label if km.label is not None else f"group {i + 1}" for i, km in enumerate(curves)]
    )
    tab.invert_yaxis()
    for i, km in enumerate(curves):
        for row in km.at_risk(ticks) if ticks else ():
            tab.text(
                row.time,
                i,
                str(row.n_at_risk),
                ha="center",
                va="center",
                fontsize=9,
                color=_style(i)["color"],
                gid="n-at-risk",
            )
    for side in ("top", "right", "left"):
        tab.spines[side].set_visible(False)
    # pad keeps group labels clear of the counts centred on t = 0
    tab.tick_params(axis="y", length=0, pad=16)
    tab.set_xlabel(xlabel)
    tab.set_title("Number at risk", fontsize=9, loc="left")
    return fig


def bland_altman_plot(
    result: BlandAltmanResult,
    *,
    xlabel: str = "Mean of the two methods",
    ylabel: str = "Difference (A − B)",
    title: str | None = None,
    show_ci: bool = True,
    width: float = 6.5,
    height: float = 4.5,
) -> Figure:
    """Bland–Altman plot from a :class:`~palliro.stats.agreement.BlandAltmanResult`."""
    if not isinstance(result, BlandAltmanResult):
        raise StatsInputError("must be a BlandAltmanResult", field="result")
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    ax.scatter(result.means, result.differences, s=18, color=PALETTE[0], alpha=0.8)
    lines = (
        (result.bias, (result.bias_lower, result.bias_upper), "-", f"bias {result.bias:.3g}"),
        (result.loa_lower, result.loa_lower_ci, "--", f"lower LoA {result.loa_lower:.3g}"),
        (result.loa_upper, result.loa_upper_ci, "--", f"upper LoA {result.loa_upper:.3g}"),
    )
    for y, ci, ls, label in lines:
        ax.axhline(y, color=PALETTE[1], linestyle=ls, linewidth=1.2, label=label)
        if show_ci:
            ax.axhspan(ci[0], ci[1], color=PALETTE[1], alpha=0.12, linewidth=0)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", frameon=False, fontsize=8)
    ax.set_title(title or f"n = {result.n}; limits = bias ± {result.z:g} SD")
    ax.grid(True, alpha=0.3)
    return fig


def calibration_plot(
    table: CalibrationTable,
    quantity: Literal["survival", "median"] = "survival",
    *,
    title: str | None = None,
    time_label: str = "days",
    width: float = 5.5,
    height: float = 5.5,
) -> Figure:
    """Observed versus published values per risk group, with observed CIs and the identity line.

    ``quantity="survival"``: survival proportion at ``table.time``; ``"median"``: median survival
    (unit ``time_label``). Groups without a published value or without an observed estimate are
    left out and named in the subtitle; unverified published values are marked "(unverified)".
    """
    if not isinstance(table, CalibrationTable):
        raise StatsInputError("must be a CalibrationTable", field="table")
    if quantity not in ("survival", "median"):
        raise StatsInputError("must be 'survival' or 'median'", field="quantity")
    points, skipped = [], []
    for row in table.rows:
        pub = row.published
        if quantity == "survival":
            pv = pub.survival if pub else None
            obs = row.survival_at_time
            ov, lo, hi = (obs.survival, obs.lower, obs.upper) if obs else (None, None, None)
        else:
            pv = pub.median if pub else None
            med = row.median
            ov, lo, hi = (med.median, med.lower, med.upper) if med else (None, None, None)
        if pv is None or ov is None:
            skipped.append(str(row.group))
            continue
        points.append((row.group, pv, ov, lo, hi, pub.verified))
    if not points:
        raise StatsInputError("no risk group has both a published and an observed value", field="table")
    values = [v for p in points for v in (p[1], p[2], p[3], p[4]) if v is not None]
    upper = 1.0 if quantity == "survival" else max(values) * 1.1
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    for i, (group, pv, ov, lo, hi, verified) in enumerate(points):
        err_lo = ov - lo if lo is not None else 0.0
        # An open-ended CI (limit not reached) is drawn up to the edge of the plot.
        top = hi if hi is not None else upper
        ax.errorbar(
            [pv],
            [ov],
            yerr=[[err_lo], [max(top - ov, 0.0)]],
            fmt="o",
            capsize=4,
            color=_style(i)["color"],
            label=f"{group}" + ("" if verified else " (unverified)"),
        )
    ax.plot([0, upper], [0, upper], color="0.5", linewidth=0.8, linestyle=":", label="identity")
    ax.set_xlim(0, upper)
    ax.set_ylim(0, upper)
    ax.set_aspect("equal")
    if quantity == "survival":
        ax.set_xlabel(f"Published survival at {table.time:g} {time_label}")
        ax.set_ylabel(f"Observed KM survival at {table.time:g} {time_label} (CI)")
    else:
        ax.set_xlabel(f"Published median survival ({time_label})")
        ax.set_ylabel(f"Observed KM median ({time_label}, CI)")
    subtitle = f"not shown: {', '.join(skipped)}" if skipped else None
    if title or subtitle:
        ax.set_title("\n".join(s for s in (title, subtitle) if s), fontsize=10)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig
