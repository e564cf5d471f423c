"""Symptom and quality-of-life trajectories for the patient timeline (matplotlib SVG, safe under CSP).

Each figure comes from rows already fetched in one indexed query per figure; rendering does not touch
the database. Rendered SVG is cached under a key that changes whenever the data behind it changes.
"""

import hashlib
from datetime import date

from django.core.cache import cache

from palliro.stats.plots import figure_to_bytes, new_figure

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

def _series(rows, label_of):
    series: dict[str, dict[str, list]] = {}
    for code, value, day, respondent in rows:
        label = label_of(code)
        if label is None:
            continue
        line = series.setdefault(label, {"self": ([], []), "proxy": ([], [])})
        key = "proxy" if respondent == "proxy" else "self"
        line[key][0].append(day)
        line[key][1].append(value)
    return series


def _draw(rows, label_of, treatments, ylabel, ylim, title, fmt="svg"):
    fig = new_figure(7.5, 3.2)
    ax = fig.add_subplot()
    series = _series(rows, label_of)
    for i, (label, parts) in enumerate(sorted(series.items())):
        colour = f"C{i % 10}"
        xs, ys = parts["self"]
        if xs:
            ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, color=colour, label=label)
        xs, ys = parts["proxy"]
        if xs:
            # Relatives' answers: same colour, open markers and a dashed line.
            ax.plot(xs, ys, marker="s", markersize=3, linewidth=1, linestyle="--", color=colour,
                    markerfacecolor="white", label=f"{label} (relative)")
    for when, what in treatments:
        ax.axvline(when, color="0.45", linewidth=0.8, linestyle=":")
        ax.annotate(what, (when, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                    va="top", ha="right", color="0.3")
    ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left")
    if series:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    else:
        ax.text(0.5, 0.5, "No answers yet", transform=ax.transAxes, ha="center", va="center", color="0.4")
    fig.autofmt_xdate()
    return figure_to_bytes(fig, fmt)


def _key(kind: str, patient_id: int, rows, treatments) -> str:
    digest = hashlib.sha256(repr((rows[-1] if rows else None, len(rows), treatments)).encode()).hexdigest()[:24]
    return f"triage-plot:{kind}:{patient_id}:{digest}"


_FIGURES = {
    "symptoms": (lambda code: SYMPTOMS.get(code.split("/", 1)[1]), "Score", (-0.3, 10.3),
                 "Symptoms (relative's answers dashed; dotted lines: treatment)"),
    "qol": (QOL_CODES.get, "Scale score (0–100)", (-2, 102), "Quality of life scale scores"),
}


def render(kind: str, rows: list, treatments: list[tuple[date, str]], fmt: str = "svg") -> bytes:
    """rows: (code, value, date, respondent), oldest first; treatments: (date, label) marks."""
    label_of, ylabel, ylim, title = _FIGURES[kind]
    return _draw(rows, label_of, treatments, ylabel, ylim, title, fmt=fmt)


def symptom_svg(patient_id: int, rows: list, treatments: list[tuple[date, str]]) -> bytes:
    return _cached("symptoms", patient_id, rows, treatments, lambda: render("symptoms", rows, treatments))


def qol_svg(patient_id: int, rows: list, treatments: list[tuple[date, str]]) -> bytes:
    return _cached("qol", patient_id, rows, treatments, lambda: render("qol", rows, treatments))


def _cached(kind, patient_id, rows, treatments, render) -> bytes:
    key = _key(kind, patient_id, rows, treatments)
    svg = cache.get(key)
    if svg is None:
        svg = render()
        cache.set(key, svg, 24 * 3600)
    return svg
