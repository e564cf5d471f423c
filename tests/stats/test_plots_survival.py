"""Smoke and content tests for palliro.stats.plots_survival (Agg backend, no pyplot)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from palliro.stats.agreement import bland_altman
from palliro.stats.errors import StatsInputError
from palliro.stats.plots import figure_to_bytes, new_figure
from palliro.stats.plots_survival import bland_altman_plot, calibration_plot, km_plot
from palliro.stats.survival import KaplanMeier
from palliro.stats.validation import PublishedGroupValue, calibration_table

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(DATA / "lung_lifelines.csv")


def _risk_texts(fig):
    tab = fig.axes[1]
    return [(t.get_position()[0], t.get_text()) for t in tab.texts if t.get_gid() == "n-at-risk"]


def test_km_plot_with_risk_table(lung):
    curves = [KaplanMeier().fit(d.time, d.status, label=f"sex={s}") for s, d in lung.groupby("sex")]
    fig = km_plot(curves, risk_times=[0, 250, 500, 750, 1000])
    assert len(fig.axes) == 2
    texts = _risk_texts(fig)
    assert len(texts) == 10
    # the table shows n at risk (duration >= t), e.g. all 138 men at t = 0
    expected = [str(r.n_at_risk) for km in curves for r in km.at_risk([0, 250, 500, 750, 1000])]
    assert [t for _, t in texts] == expected and expected[0] == "138"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["sex=1 (n=138)", "sex=2 (n=90)"]
    svg = figure_to_bytes(fig, "svg")
    png = figure_to_bytes(fig, "png")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_km_plot_default_risk_times_are_axis_ticks(lung):
    fig = km_plot([KaplanMeier().fit(lung.time, lung.status)], show_ci=False, show_censors=False)
    ticks = list(fig.axes[0].get_xticks())
    assert [x for x, _ in _risk_texts(fig)] == ticks


def test_km_plot_rejects_unfitted():
    with pytest.raises(StatsInputError) as exc:
        km_plot([KaplanMeier()])
    assert exc.value.field == "curves"
    with pytest.raises(StatsInputError):
        km_plot([])


def test_bland_altman_plot():
    r = bland_altman([1.0, 2.1, 2.9, 4.2, 5.0], [1.1, 2.0, 3.2, 4.0, 5.3])
    fig = bland_altman_plot(r)
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == 5
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("bias")
    assert figure_to_bytes(fig, "png")[:4] == b"\x89PNG"


def test_calibration_plot(lung):
    table = calibration_table(
        lung.time,
        lung.status,
        lung.sex,
        time=180,
        published={
            1: PublishedGroupValue(survival=0.7, verified=True),
            2: PublishedGroupValue(survival=0.8),
            3: PublishedGroupValue(survival=0.9),
        },
    )
    fig = calibration_plot(table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(labels) == ["1", "2 (unverified)", "identity"]
    assert "not shown: 3" in fig.axes[0].get_title()
    figure_to_bytes(fig, "svg")
    fig_m = calibration_plot(
        calibration_table(
            lung.time,
            lung.status,
            lung.sex,
            time=180,
            published={1: PublishedGroupValue(median=300), 2: PublishedGroupValue(median=400)},
        ),
        quantity="median",
    )
    assert len(fig_m.axes[0].get_legend().get_texts()) == 3
    with pytest.raises(StatsInputError):
        calibration_plot(calibration_table(lung.time, lung.status, lung.sex, time=180))


def test_figure_helpers():
    fig = new_figure(3, 2)
    fig.add_subplot().plot([0, 1], [0, 1])
    assert figure_to_bytes(fig, "svg") == figure_to_bytes(fig, "svg")  # stable (no date metadata)
    with pytest.raises(StatsInputError) as exc:
        figure_to_bytes(fig, "pdf")
    assert exc.value.field == "fmt"
