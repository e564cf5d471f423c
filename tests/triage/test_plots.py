"""The timeline figure's drawing (pure: no database)."""

from datetime import date, timedelta

import pytest

from palliro.triage import plots

DAY = date(2026, 10, 1)


def rows(n, code="palliro-general/pain-worst", respondent="patient", value=lambda i: i % 11):
    return [(code, float(value(i)), DAY + timedelta(days=i), respondent) for i in range(n)]


def test_it_draws_one_figure_with_a_quality_of_life_panel_only_when_there_are_scores():
    symptoms_only = plots.render_timeline(rows(5), []).decode()
    both = plots.render_timeline(rows(5) + rows(3, code="eortc-qlq-c30/QL2", value=lambda i: 50 + i), []).decode()
    assert symptoms_only.count('id="axes_') == 1 and both.count('id="axes_') == 2
    assert "Quality of life scale scores" in both and "Quality of life" not in symptoms_only


def test_it_keeps_text_as_text():
    svg = plots.render_timeline(rows(5), [(DAY + timedelta(days=2), "RT 8 Gy × 1")]).decode()
    assert "Worst pain (0–10)</text>" in svg and "RT 8 Gy × 1</text>" in svg
    assert "<path id=\"DejaVu" not in svg  # no glyph outlines


def test_it_drops_markers_on_long_lines():
    short = plots.render_timeline(rows(plots.MAX_MARKED_POINTS), []).decode()
    long = plots.render_timeline(rows(plots.MAX_MARKED_POINTS + 1), []).decode()
    # Tick marks are <use> elements too: the difference is the line's markers (plus its legend handle).
    assert short.count("<use ") - long.count("<use ") >= plots.MAX_MARKED_POINTS


def test_it_draws_an_empty_figure():
    assert "No answers yet" in plots.render_timeline([], []).decode()


def test_it_is_byte_stable():
    assert plots.render_timeline(rows(8), []) == plots.render_timeline(rows(8), [])


def test_it_renders_each_kind_alone_as_svg_or_png():
    assert plots.render("symptoms", rows(3), [], fmt="png").startswith(b"\x89PNG")
    assert plots.render("qol", rows(3, code="eortc-qlq-c30/QL2"), []).startswith(b"<?xml")
    with pytest.raises(ValueError, match="unknown figure 'pain'"):
        plots.render("pain", [], [])
    with pytest.raises(ValueError, match="unsupported figure format 'pdf'"):
        plots.render("symptoms", [], [], fmt="pdf")


def test_the_fingerprint_follows_every_row_and_treatment():
    base = plots.fingerprint(rows(5), [])
    changed = rows(5)
    changed[1] = (*changed[1][:1], 9.0, *changed[1][2:])  # an earlier answer corrected, count and last kept
    assert plots.fingerprint(changed, []) != base
    assert plots.fingerprint(rows(5), [(DAY, "RT")]) != base
    assert plots.fingerprint(rows(5), []) == base


def test_it_summarises_each_line():
    summary = plots.summarise(rows(3) + rows(2, respondent="proxy", value=lambda i: 7 - i)
                              + rows(1, code="eortc-qlq-c30/QL2", value=lambda i: 58))
    assert [(s.panel, s.label, s.relative, s.count, s.latest, s.lowest, s.highest) for s in summary] == [
        ("symptoms", "Worst pain (0–10)", False, 3, 2.0, 0.0, 2.0),
        ("symptoms", "Worst pain (0–10)", True, 2, 6.0, 6.0, 7.0),
        ("qol", "QLQ-C30 global health status", False, 1, 58.0, 58.0, 58.0),
    ]
    assert summary[0].first == DAY and summary[0].last == DAY + timedelta(days=2)


def test_answers_of_a_single_day_get_a_two_week_axis_not_years():
    # Left to matplotlib, one day's points were drawn on an axis from 2025 to 2029.
    svg = plots.render_timeline(rows(1) + rows(1, code="palliro-general/fatigue"), []).decode()
    assert not any(f">{year}</text>" in svg for year in ("2025", "2027", "2028", "2029"))
    assert plots._date_range({"symptoms": rows(1)}, []) == (DAY - timedelta(days=7), DAY + timedelta(days=7))


def test_a_long_history_keeps_its_own_range_with_a_day_either_side():
    assert plots._date_range({"symptoms": rows(40)}, [(DAY - timedelta(days=3), "RT")]) == (
        DAY - timedelta(days=4), DAY + timedelta(days=40))
