"""Symptom and quality-of-life trajectories for the patient timeline (matplotlib SVG, safe under CSP).

Pure drawing: rows come in already fetched (one indexed query), nothing here touches the database, so the
same code serves the page, the downloads and the background task that stores the page figure
(:mod:`palliro.triage.tasks`).

Rendering is kept cheap because the first view after a new answer may have to draw: the page figure is one
matplotlib figure with one panel per kind (not one figure each), the layout is fixed instead of
``bbox_inches="tight"`` (which draws the figure twice), dates use the concise formatter instead of rotated
labels, text stays text in the SVG (``svg.fonttype="none"``: no glyph outlines, a third of the bytes) and
markers are drawn only while a line has few enough points for them to be told apart.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import matplotlib
import matplotlib.dates as mdates

from palliro.stats.plots import new_figure

#: Symptom items drawn on the timeline: observation code → label (self-report and proxy twins share a line).
SYMPTOMS = {
    "pain-worst": "Worst pain (0–10)",
    "pain-average": "Average pain (0–10)",
    "diary-pain-worst": "Diary: worst pain (0–10)",
    "back-pain": "Back pain (0–10)",
    "fatigue": "Tiredness (0–4)",
    "nausea": "Nausea (0–4)",
    "breathlessness": "Breathlessness (0–4)",
}
SYMPTOM_CODES = [
    f"{instrument}/{item}"
    for instrument, items in {
        "palliro-general": ("pain-worst", "pain-average", "fatigue", "nausea", "breathlessness"),
        "palliro-general-proxy": ("pain-worst", "pain-average", "fatigue", "nausea", "breathlessness"),
        "palliro-pain-diary": ("diary-pain-worst",),
        "palliro-pain-diary-proxy": ("diary-pain-worst",),
        "palliro-mscc": ("back-pain",),
        "palliro-mscc-proxy": ("back-pain",),
    }.items()
    for item in items
]
#: Quality-of-life scale scores (0–100) from scored standard instruments.
QOL_CODES = {
    "eortc-qlq-c30/QL2": "QLQ-C30 global health status",
    "eortc-qlq-c30/PF2": "QLQ-C30 physical functioning",
    "eortc-qlq-c15-pal/QL": "C15-PAL overall quality of life",
    "eortc-qlq-c15-pal/PF": "C15-PAL physical functioning",
}
#: Every observation code any figure draws: the page fetches them in one query.
PLOT_CODES = [*SYMPTOM_CODES, *QOL_CODES]
KINDS = ("symptoms", "qol")
#: Bumped whenever the drawing changes, so stored figures drawn by older code count as stale.
STYLE_VERSION = "2"
#: Above this many points a line is drawn without markers (they would merge into a thick line anyway).
MAX_MARKED_POINTS = 40

_WIDTH_IN = 7.5
_PANEL_IN = 2.6
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "palliro",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titlelocation": "left",
    "legend.fontsize": 7,
    "legend.frameon": False,
}


def _symptom_label(code: str) -> str | None:
    return SYMPTOMS.get(code.split("/", 1)[-1])


@dataclass(frozen=True)
class _Panel:
    label_of: object
    ylabel: str
    ylim: tuple[float, float]
    title: str


_PANELS = {
    "symptoms": _Panel(_symptom_label, "Score", (-0.3, 10.3),
                       "Symptoms (relative's answers dashed; dotted lines: treatment)"),
    "qol": _Panel(QOL_CODES.get, "Scale score (0–100)", (-2, 102), "Quality of life scale scores"),
}


def split_rows(rows: list) -> dict[str, list]:
    """Rows of both kinds (as fetched for :data:`PLOT_CODES`) → {"symptoms": [...], "qol": [...]}, order kept."""
    out: dict[str, list] = {"symptoms": [], "qol": []}
    for row in rows:
        out["qol" if row[0] in QOL_CODES else "symptoms"].append(row)
    return out


def fingerprint(rows: list, treatments: list[tuple[date, str]]) -> str:
    """A digest of everything a figure shows (every row, every treatment mark, the drawing version).

    Any new, corrected or removed answer and any new treatment changes it, so a stored figure is used only
    while it still shows exactly the current data.
    """
    digest = hashlib.sha256(STYLE_VERSION.encode())
    digest.update(repr(rows).encode())
    digest.update(repr(treatments).encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class SeriesSummary:
    """One line of the figure in words: the text alternative under the figure."""

    panel: str
    label: str
    relative: bool
    count: int
    first: date
    last: date
    latest: float
    lowest: float
    highest: float


def summarise(rows: list) -> list[SeriesSummary]:
    """A row per line drawn (symptoms first, then quality of life), for the table beside the figure."""
    out = []
    for kind, kind_rows in split_rows(rows).items():
        for label, parts in sorted(_series(kind_rows, _PANELS[kind].label_of).items()):
            for who in ("self", "proxy"):
                days, values = parts[who]
                if days:
                    out.append(SeriesSummary(
                        kind, label, who == "proxy", len(values), days[0], days[-1], values[-1], min(values),
                        max(values),
                    ))
    return out


def _series(rows, label_of):
    series: dict[str, dict[str, tuple[list, list]]] = {}
    for code, value, day, respondent in rows:
        label = label_of(code)
        if label is None:
            continue
        line = series.setdefault(label, {"self": ([], []), "proxy": ([], [])})
        xs, ys = line["proxy" if respondent == "proxy" else "self"]
        xs.append(day)
        ys.append(value)
    return series


def _draw_panel(ax, panel: _Panel, rows, treatments, *, show_marks_text: bool) -> None:
    series = _series(rows, panel.label_of)
    for i, (label, parts) in enumerate(sorted(series.items())):
        colour = f"C{i % 10}"
        xs, ys = parts["self"]
        if xs:
            marker = "o" if len(xs) <= MAX_MARKED_POINTS else None
            ax.plot(xs, ys, marker=marker, markersize=3, linewidth=1.2, color=colour, label=label)
        xs, ys = parts["proxy"]
        if xs:
            # Relatives' answers: same colour, a dashed line and open markers.
            marker = "s" if len(xs) <= MAX_MARKED_POINTS else None
            ax.plot(xs, ys, marker=marker, markersize=3, linewidth=1, linestyle="--", color=colour,
                    markerfacecolor="white", label=f"{label} (relative)")
    for when, what in treatments:
        ax.axvline(when, color="0.45", linewidth=0.8, linestyle=":")
        if show_marks_text:
            ax.annotate(what, (when, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=6.5,
                        va="top", ha="right", color="0.3")
    ax.set_ylim(*panel.ylim)
    ax.set_ylabel(panel.ylabel)
    ax.set_title(panel.title)
    if series:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    else:
        ax.text(0.5, 0.5, "No answers yet", transform=ax.transAxes, ha="center", va="center", color="0.4")


#: The date axis shows at least this many days: matplotlib widens a single day to several years.
MIN_AXIS_DAYS = 14


def _date_range(panels: dict[str, list], treatments: list[tuple[date, str]]) -> tuple[date, date]:
    """The dates drawn, widened evenly to at least MIN_AXIS_DAYS, with a day's margin either side."""
    days = [_as_date(row[2]) for rows in panels.values() for row in rows] + [_as_date(when) for when, _ in treatments]
    first, last = min(days), max(days)
    pad = max(1, (MIN_AXIS_DAYS - (last - first).days + 1) // 2)
    return first - timedelta(days=pad), last + timedelta(days=pad)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def render_panels(panels: dict[str, list], treatments: list[tuple[date, str]], fmt: str = "svg") -> bytes:
    """One figure, one panel per kind in ``panels`` (order: symptoms, qol), sharing the date axis.

    ``panels`` maps a kind to its rows ``(code, value, date, respondent)``, oldest first; ``treatments``
    are ``(date, label)`` marks drawn on every panel (labelled on the first).
    """
    kinds = [kind for kind in KINDS if kind in panels]
    if not kinds:
        raise ValueError("render_panels needs at least one of 'symptoms', 'qol'")
    if fmt not in ("svg", "png"):
        raise ValueError(f"unsupported figure format {fmt!r}; use 'svg' or 'png'")
    with matplotlib.rc_context(_RC):
        height = 0.75 + _PANEL_IN * len(kinds)
        fig = new_figure(_WIDTH_IN, height)
        # Fixed margins (in inches) leave room for the legends on the right and the dates below.
        fig.subplots_adjust(left=0.6 / _WIDTH_IN, right=1 - 2.1 / _WIDTH_IN, top=1 - 0.3 / height,
                            bottom=0.4 / height, hspace=0.22)
        axes = fig.subplots(len(kinds), 1, sharex=True, squeeze=False)[:, 0]
        for i, (ax, kind) in enumerate(zip(axes, kinds, strict=True)):
            _draw_panel(ax, _PANELS[kind], panels[kind], treatments, show_marks_text=i == 0)
        if any(len(rows) for rows in panels.values()) or treatments:
            axes[-1].set_xlim(*_date_range(panels, treatments))
            locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
            axes[-1].xaxis.set_major_locator(locator)
            axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def render(kind: str, rows: list, treatments: list[tuple[date, str]], fmt: str = "svg") -> bytes:
    """One kind alone (the download files): rows ``(code, value, date, respondent)``, oldest first."""
    if kind not in _PANELS:
        raise ValueError(f"unknown figure {kind!r}; use one of {', '.join(KINDS)}")
    return render_panels({kind: rows}, treatments, fmt=fmt)


def render_timeline(rows: list, treatments: list[tuple[date, str]]) -> bytes:
    """The page figure: symptoms, plus quality of life only when the patient has such scores (SVG)."""
    parts = split_rows(rows)
    panels = {"symptoms": parts["symptoms"]}
    if parts["qol"]:
        panels["qol"] = parts["qol"]
    return render_panels(panels, treatments)
