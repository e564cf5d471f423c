"""Small shared helpers for statistics figures (matplotlib, Agg backend, no pyplot state).

Figures are created with :class:`matplotlib.figure.Figure` directly rather than through
``pyplot`` so that rendering in a web worker never touches a global figure registry or a GUI
backend, and figures are garbage-collected like ordinary objects.
"""

from __future__ import annotations

import io

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
