"""Small shared helpers for statistics figures (matplotlib, Agg backend, no pyplot state).

Figures are created with :class:`matplotlib.figure.Figure` directly rather than through
``pyplot`` so that rendering in a web worker never touches a global figure registry or a GUI
backend, and figures are garbage-collected like ordinary objects.
"""

from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from palliro.stats.errors import StatsInputError

_FORMATS = {"svg": "svg", "png": "png"}


def new_figure(width: float = 7.0, height: float = 5.0, dpi: int = 100) -> Figure:
    """Return an empty figure attached to an Agg canvas (no pyplot involved)."""
    if width <= 0 or height <= 0:
        raise StatsInputError("figure size must be positive", field="width/height")
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def figure_to_bytes(fig: Figure, fmt: str = "svg") -> bytes:
    """Render ``fig`` to bytes in ``fmt`` ("svg" or "png")."""
    if fmt not in _FORMATS:
        raise StatsInputError(f"unsupported format {fmt!r}; use 'svg' or 'png'", field="fmt")
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # No date and a fixed id salt keep SVG output byte-stable for identical figures (cacheable).
    metadata = {"Date": None} if fmt == "svg" else None
    with matplotlib.rc_context({"svg.hashsalt": "palliro"}):
        fig.savefig(buf, format=_FORMATS[fmt], bbox_inches="tight", metadata=metadata)
    return buf.getvalue()


_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_PROPERTY = re.compile(r"^[a-z-]+$")


def _attributes(match: re.Match) -> str:
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip().replace('"', "&quot;")
        if name and value and _PROPERTY.match(name):
            out.append(f' {name}="{value}"')
    return "".join(out)


def inline_svg(svg: bytes | str) -> str:
    """SVG text ready to inline in HTML under a CSP that forbids inline styles.

    CSP (``style-src 'self'``) blocks ``style=""`` attributes and ``<style>`` elements, which matplotlib
    uses for every fill and stroke. Each declaration becomes the SVG presentation attribute of the same
    name (SVG 1.1 §6.4), so the figure looks the same; the XML prologue and DOCTYPE are dropped.
    """
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = _PROLOGUE.sub("", text)
    text = _STYLE_ELEMENT.sub("", text)
    return _STYLE_ATTR.sub(_attributes, text)
