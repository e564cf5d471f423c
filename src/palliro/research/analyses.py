"""The cohort report: every analysis of the research pages as typed tables and lazily drawn figures.

Glue only: the statistics are in :mod:`palliro.stats` (survival, proportions, agreement, validation,
summaries, report) and the clinical rules in :mod:`palliro.core`. Each section catches
:class:`~palliro.stats.errors.StatsInputError` / :class:`~palliro.core.errors.PalliroValueError` and
shows the message instead of failing the page (e.g. "no events: Cox model not estimable").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from palliro.core.errors import PalliroValueError
from palliro.research.alive import ALIVE_NOTES, DEFAULT_ALIVE_EVIDENCE
from palliro.stats.errors import StatsInputError
from palliro.stats.survival import DEFAULT_TIMES_DAYS, CoxPH, KaplanMeier, logrank_test

GROUP_CHOICES: dict[str, str] = {
    "": "No grouping",
    "indication": "Indication",
    "technique": "Technique",
    "regimen": "Regimen",
    "primary_tumour": "Primary tumour",
    "sex": "Sex",
    "schedule": "Schedule",
    "site_id": "Site",
}
COVARIATE_CHOICES: dict[str, str] = {
    "age": "Age at first fraction (years)",
    "male": "Male sex (0/1)",
    "kps": "Karnofsky performance status",
    "ecog": "ECOG performance status",
    "dose_per_fraction": "Dose per fraction (Gy)",
    "fractions_planned": "Fractions planned",
    "single_fraction": "Single fraction (0/1)",
}
OUTCOME_CHOICES: dict[str, str] = {
    "completed": "Course completed",
    "same_day": "Treated the same day as consultation",
    "is_reirradiation": "Re-irradiation",
    "died_30": "Died within 30 days of the first fraction",
}
ORIGIN_CHOICES: dict[str, str] = {
    "first_fraction": "First fraction",
    "last_fraction": "Last fraction",
    "episode:bowel_obstruction": "First bowel obstruction",
    "episode:bleeding": "First bleeding episode",
    "episode:mscc": "First spinal cord compression",
}


@dataclass(frozen=True)
class ReportOptions:
    """What the user chose on the report page (validated by the form)."""

    origin: str = "first_fraction"
    group_by: str = "indication"
    times: tuple[float, ...] = DEFAULT_TIMES_DAYS
    covariates: tuple[str, ...] = ("age",)
    horizon_days: int = 30
    ci_method: str = "wilson"
    outcome: str = "completed"
    outcome_group: str = "indication"
    qol_codes: tuple[str, ...] = ()
    endpoints: bool = True
    #: What proves a patient without a death date alive (:data:`~palliro.research.alive.ALIVE_EVIDENCE`).
    alive_evidence: str = DEFAULT_ALIVE_EVIDENCE


@dataclass(frozen=True)
class ReportTable:
    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class ReportFigure:
    key: str
    title: str
    build: Callable[[], Figure]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Report:
    n_rows: int
    sections: tuple[Section, ...]
    options: ReportOptions
    unit: str = "patients"
    footnotes: tuple[str, ...] = field(default=())

    def table(self, key: str) -> ReportTable | None:
        return next((t for s in self.sections for t in s.tables if t.key == key), None)

    def figure(self, key: str) -> ReportFigure | None:
        return next((f for s in self.sections for f in s.figures if f.key == key), None)


def _r(x, digits: int = 3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), digits)


def _groups(frame: pd.DataFrame, by: str) -> pd.Series:
    """The group label of each row: the column's value as text, "missing" where it has none; categorical,
    so the per-group loops compare integer codes instead of 100 000 strings."""
    if not by:
        return pd.Series(["all"] * len(frame), index=frame.index, dtype=object)
    # The text of each distinct value once (a few groups over 100 000 rows), not of every row.
    codes, uniques = pd.factorize(frame[by], use_na_sentinel=True)
    texts = [str(u) for u in uniques] + ["missing"]
    categories = sorted(set(texts[:-1] + (["missing"] if (codes < 0).any() else [])))
    position = {text: i for i, text in enumerate(categories)}
    lookup = np.array([position.get(t, -1) for t in texts], dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(lookup[codes], categories=categories), index=frame.index, name=by)


def _section(key: str, title: str, fn, *args) -> Section:
    try:
        tables, figures, notes = fn(*args)
        return Section(key, title, tuple(tables), tuple(figures), tuple(notes))
    except (StatsInputError, PalliroValueError, ValueError) as exc:
        return Section(key, title, error=str(exc))


# ------------------------------------------------------------------------------------------ survival


def survival_section(frame: pd.DataFrame, opt: ReportOptions):
    from palliro.research.cohort import time_from
    from palliro.stats.plots_survival import km_plot

    days, events, origin_label = time_from(frame, opt.origin)
    keep = days.notna() & events.notna()
    data = pd.DataFrame({"t": days[keep], "e": events[keep].astype(int), "g": _groups(frame, opt.group_by)[keep]})
    notes = [f"Time from the {origin_label} to death.", ALIVE_NOTES[opt.alive_evidence],
             f"{int((~keep).sum())} row(s) without follow-up (or without the starting event) left out."]
    if data.empty:
        raise StatsInputError("no rows with follow-up from this starting point", field="origin")
    curves, summary, at_times, risk = [], [], [], []
    labels = ["all"] + (sorted(data["g"].unique()) if opt.group_by else [])
    for label in labels:
        sub = data if label == "all" else data[data["g"] == label]
        km = KaplanMeier().fit(sub["t"].to_numpy(), sub["e"].to_numpy(), label=str(label))
        if label != "all" or not opt.group_by:
            curves.append(km)
        m = km.median
        summary.append({"group": label, "n": km.n, "events": km.n_events, "median_days": _r(m.median, 1),
                        "lower_95": _r(m.lower, 1), "upper_95": _r(m.upper, 1)})
        for s in km.survival_at(opt.times):
            at_times.append({"group": label, "day": _r(s.time, 1), "survival": _r(s.survival),
                             "lower_95": _r(s.lower), "upper_95": _r(s.upper), "at_risk": s.n_at_risk,
                             "estimable": s.estimable})
        risk.append({"group": label, **{f"day {t:g}": a.n_at_risk for t, a in
                                        zip([round(x, 1) for x in opt.times], km.at_risk(opt.times), strict=True)}})
    tables = [
        ReportTable("km_median", "Median survival (days) with 95% CI (log transform, as R survfit)",
                    pd.DataFrame(summary)),
        ReportTable("km_times", "Survival at chosen times", pd.DataFrame(at_times)),
        ReportTable("km_at_risk", "Number at risk", pd.DataFrame(risk)),
    ]
    figures = [ReportFigure("km", f"Kaplan–Meier survival from the {origin_label}",
                            lambda: km_plot(curves, risk_times=list(opt.times), xlabel=f"Days from {origin_label}"))]
    if opt.group_by and data["g"].nunique() >= 2:
        lr = logrank_test(data["t"].to_numpy(), data["e"].to_numpy(), data["g"].to_numpy())
        rows = [{"group": g.group, "n": g.n, "observed": g.observed, "expected": _r(g.expected, 2)} for g in lr.groups]
        tables.append(ReportTable("logrank", f"Log-rank test: chi-square {lr.chisq:.3f} on {lr.df} df, "
                                  f"p = {lr.p_value:.4g}", pd.DataFrame(rows)))
    return tables, figures, notes


def _covariate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["age"] = frame["age"]
    out["male"] = (frame["sex"] == "male").astype(float).where(frame["sex"].isin(["male", "female"]))
    out["kps"] = pd.to_numeric(frame["kps"], errors="coerce")
    out["ecog"] = pd.to_numeric(frame["ecog"], errors="coerce")
    out["dose_per_fraction"] = frame["dose_per_fraction"]
    out["fractions_planned"] = frame["fractions_planned"].astype(float)
    out["single_fraction"] = (frame["fractions_planned"] == 1).astype(float)
    return out


def cox_section(frame: pd.DataFrame, opt: ReportOptions):
    from palliro.research.cohort import time_from

    days, events, origin_label = time_from(frame, opt.origin)
    cov = _covariate_frame(frame)[list(opt.covariates)]
    data = pd.concat([days.rename("t"), events.rename("e"), cov], axis=1)
    complete = data.dropna()
    # The Cox partial likelihood needs positive times: a death on day 0 enters at half a day.
    complete = complete.assign(t=complete["t"].where(complete["t"] > 0, 0.5))
    model = CoxPH().fit(complete, "t", "e", list(opt.covariates))
    rows = [{"covariate": COVARIATE_CHOICES[c.name], "coef": _r(c.coef, 4), "se": _r(c.se, 4),
             "hazard_ratio": _r(c.hazard_ratio, 4), "hr_lower_95": _r(c.hr_lower, 4),
             "hr_upper_95": _r(c.hr_upper, 4), "z": _r(c.z, 3), "p": _r(c.p_value, 5)} for c in model.coefficients]
    title = (f"Cox model (Efron ties), n = {model.n}, events = {model.n_events}; likelihood-ratio "
             f"{model.lr_chisq:.2f} on {model.lr_df} df, p = {model.lr_p:.4g}; "
             f"concordance {model.concordance.c_index:.3f}")
    notes = [f"{len(data) - len(complete)} row(s) with a missing covariate or follow-up left out.",
             ALIVE_NOTES[opt.alive_evidence]]
    return [ReportTable("cox", title, pd.DataFrame(rows))], [], notes


# ---------------------------------------------------------------------------------- regimen and quality


def regimen_section(frame: pd.DataFrame, opt: ReportOptions):
    from palliro.stats.report import crosstab_test, share

    tables, notes = [], []
    by = opt.group_by or "indication"
    if len(frame):
        ct = crosstab_test(_groups(frame, by).to_numpy(), frame["regimen"].to_numpy())
        t = ct.to_frame()
        t.index.name = GROUP_CHOICES[by].lower()
        p = ct.p_value
        title = f"Regimen use by {GROUP_CHOICES[by].lower()}: {ct.reason}" + (f", {ct.p_text}" if p is not None else "")
        if ct.chi_square is not None:
            title += f" (chi-square {ct.chi_square.statistic:.3f} on {ct.chi_square.df} df)"
        tables.append(ReportTable("regimen_use", title, t.reset_index()))
    rows = []
    groups = _groups(frame, opt.group_by)
    for label in ["all"] + (sorted(groups.unique()) if opt.group_by else []):
        sub = frame if label == "all" else frame[groups == label]
        s = share(1 - sub["completed"], method=opt.ci_method)
        rows.append({"group": label, "courses_with_delivery_recorded": s.n, "not_completed": s.events,
                     "share": _r(s.proportion), "lower_95": _r(s.lower), "upper_95": _r(s.upper),
                     "delivery_not_recorded": s.n_missing})
    tables.append(ReportTable("not_completed", f"Courses not completed ({opt.ci_method} 95% CI)", pd.DataFrame(rows)))
    return tables, [], notes


def quality_section(frame: pd.DataFrame, opt: ReportOptions):
    from palliro.stats.proportions import mortality_within
    from palliro.stats.report import distribution_summary, share

    groups = _groups(frame, opt.group_by)
    mort, path = [], []
    for label in ["all"] + (sorted(groups.unique()) if opt.group_by else []):
        sub = frame if label == "all" else frame[groups == label]
        ok = sub["os_days"].notna()
        if ok.any():
            m = mortality_within(sub["os_days"][ok].to_numpy(), sub["os_event"][ok].to_numpy(),
                                 horizon=opt.horizon_days, method=opt.ci_method)
            mort.append({"group": label, "deaths": m.deaths, "denominator": m.n_denominator,
                         "censored_before_horizon": m.n_excluded_censored_before_horizon,
                         "mortality": _r(m.proportion), "lower_95": _r(m.lower), "upper_95": _r(m.upper)})
        d = distribution_summary(sub["referral_to_first_days"])
        v = distribution_summary(sub["visits"])
        s = share(sub["same_day"], method=opt.ci_method)
        path.append({"group": label, "n_referral_dates": d.n, "referral_to_treatment_median_days": _r(d.median, 1),
                     "q1": _r(d.q1, 1), "q3": _r(d.q3, 1), "visits_mean": _r(v.mean, 2),
                     "visits_median": _r(v.median, 1), "treated_same_day": s.events, "same_day_of": s.n,
                     "same_day_share": _r(s.proportion), "same_day_lower_95": _r(s.lower),
                     "same_day_upper_95": _r(s.upper)})
    tables = [
        ReportTable("mortality", f"{opt.horizon_days}-day mortality after the first fraction ({opt.ci_method} 95% CI)",
                    pd.DataFrame(mort), "Patients censored before the horizon are left out of the denominator. "
                    + ALIVE_NOTES[opt.alive_evidence]),
        ReportTable("pathway", "Referral to treatment, visits and same-day treatment", pd.DataFrame(path),
                    "Visits: distinct dates among consultation, simulation and first fraction; same day: "
                    "consultation and first fraction on one date."),
    ]
    return tables, [], []


def proportions_section(frame: pd.DataFrame, opt: ReportOptions):
    from palliro.stats.proportions import rates_by_group
    from palliro.stats.report import crosstab_test

    if opt.outcome == "died_30":
        ok = frame["os_days"].notna() & ((frame["os_event"] == 1) | (frame["os_days"] >= 30))
        y = ((frame["os_event"] == 1) & (frame["os_days"] <= 30)).astype(float).where(ok)
    else:
        y = frame[opt.outcome].astype(float)
    g = _groups(frame, opt.outcome_group)
    keep = y.notna()
    if not keep.any():
        raise StatsInputError("no rows with this outcome recorded", field="outcome")
    rates = rates_by_group(g[keep].to_numpy(), y[keep].to_numpy(), method=opt.ci_method)
    rows = [{"group": r.group, "n": r.n, "events": r.events, "proportion": _r(r.proportion),
             "lower_95": _r(r.lower), "upper_95": _r(r.upper)} for r in rates]
    title = f"{OUTCOME_CHOICES[opt.outcome]} by {GROUP_CHOICES[opt.outcome_group].lower() or 'cohort'}"
    if len(rates) >= 2:
        ct = crosstab_test(g[keep].to_numpy(), y[keep].astype(int).to_numpy())
        if ct.p_value is not None:
            title += f" — {ct.reason}, {ct.p_text}"
    notes = [f"{int((~keep).sum())} row(s) with the outcome not recorded left out; {opt.ci_method} intervals."]
    if opt.outcome == "died_30":
        notes.append(ALIVE_NOTES[opt.alive_evidence])
    return [ReportTable("proportions", title, pd.DataFrame(rows))], [], notes


def build_report(frame: pd.DataFrame, opt: ReportOptions, endpoint_data=None, unit: str = "patients") -> Report:
    """Every section of the cohort report for the (pseudonymised) cohort frame."""
    from palliro.research.validation import validation_section

    sections = [
        _section("survival", "Survival", survival_section, frame, opt),
        _section("cox", "Cox model", cox_section, frame, opt),
        _section("regimen", "Regimen use and completion", regimen_section, frame, opt),
        _section("quality", "Quality metrics", quality_section, frame, opt),
        _section("validation", "Prognostic model validation", validation_section, frame, opt),
        _section("proportions", "Proportions", proportions_section, frame, opt),
    ]
    if opt.endpoints and endpoint_data is not None:
        from palliro.research.endpoint_report import endpoint_sections

        sections.extend(endpoint_sections(frame, endpoint_data, opt))
    return Report(len(frame), tuple(sections), opt, unit)


__all__ = [
    "COVARIATE_CHOICES", "GROUP_CHOICES", "ORIGIN_CHOICES", "OUTCOME_CHOICES", "Report", "ReportFigure",
    "ReportOptions", "ReportTable", "Section", "build_report",
]
