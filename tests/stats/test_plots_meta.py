"""Structure of the forest and funnel plots (SVG ids, PNG signature), not pixels."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import escalc, rma, rma_mh
from palliro.stats.plots_meta import figure_to_bytes, forest_plot, funnel_plot

DATA = Path(__file__).resolve().parents[1] / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bcg_rr():
    d = pd.read_csv(DATA / "dat_bcg.csv")
    return escalc("RR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg, labels=d.author)


def _ids(svg: bytes, prefix: str) -> set[str]:
    return set(re.findall(rf'id="({prefix}[^"]*)"', svg.decode()))


def test_forest_plot_random_effects_svg_structure(bcg_rr):
    res = rma(bcg_rr, "REML")
    fig = forest_plot(res, title="BCG vaccine")
    svg = figure_to_bytes(fig, "svg")
    assert svg.lstrip().startswith(b"<?xml")
    assert len(_ids(svg, "study-row-")) == 13
    assert len(_ids(svg, "study-label-")) == 13
    assert len(_ids(svg, "study-weight-")) == 13
    for gid in ("pooled-diamond", "prediction-interval", "heterogeneity", "reference-line", "pooled-estimate"):
        assert f'id="{gid}"' in svg.decode()
    # matplotlib writes each text string as an SVG comment beside its glyph paths.
    text = svg.decode()
    assert "<!-- Aronson -->" in text
    assert "Heterogeneity: tau² = 0.3132; I² = 92.2%; Q = 152.23 (df = 12, p &lt; 0.0001)" in text
    assert "0.49 [0.34; 0.70]" in text  # metadat dat.bcg.html (2 dp)
    assert "Risk ratio (log scale)" in text
    # Log axis for ratio measures: the reference line sits at RR = 1.
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"


def test_forest_plot_common_effect_and_mh_have_no_prediction_interval(bcg_rr):
    for res in (rma(bcg_rr, "EE"), rma_mh("RR", ai=[4, 6, 3], bi=[119, 300, 228], ci=[11, 29, 11],
                                          di=[128, 274, 209])):
        svg = figure_to_bytes(forest_plot(res), "svg").decode()
        assert 'id="prediction-interval"' not in svg
        assert 'id="pooled-diamond"' in svg and "tau²" not in svg


def test_forest_plot_additive_measure_linear_axis():
    es = escalc("MD", m1i=[1.0, 2.0, 0.5], sd1i=[1, 1, 1], n1i=[10, 12, 20], m2i=[0.5, 0.0, 0.7],
                sd2i=[1, 1, 1], n2i=[10, 12, 20], labels=["A", "B", "C"])
    fig = forest_plot(rma(es, "DL"))
    assert fig.axes[0].get_xscale() == "linear"
    png = figure_to_bytes(fig, "png")
    assert png.startswith(PNG_SIGNATURE)


def test_funnel_plot(bcg_rr):
    fig = funnel_plot(rma(bcg_rr))
    svg = figure_to_bytes(fig, "svg")
    assert len(_ids(svg, "funnel-point-")) == 13
    assert 'id="pooled-line"' in svg.decode()
    assert figure_to_bytes(fig, "png").startswith(PNG_SIGNATURE)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # standard error axis inverted


def test_bad_arguments(bcg_rr):
    with pytest.raises(StatsInputError) as err:
        forest_plot("nope")
    assert err.value.field == "result"
    with pytest.raises(StatsInputError) as err:
        figure_to_bytes(forest_plot(rma(bcg_rr)), "gif")
    assert err.value.field == "fmt"
    with pytest.raises(StatsInputError):
        forest_plot(rma(bcg_rr), digits=9)
