"""Report sections for patient-reported endpoints (pain response, flare, QoL, adherence, proxy agreement)."""

from __future__ import annotations

import pandas as pd

from palliro.research.analyses import ReportFigure, ReportTable, _groups, _r, _section
from palliro.research.cohort import per_patient
from palliro.research.endpoints import (
    OMED_RULE,
    EndpointOptions,
    adherence_frame,
    flare_frame,
    pain_response_frame,
    pool_cells,
    proxy_pairs,
    qol_sums,
)
from palliro.stats.errors import StatsInputError
from palliro.stats.report import endpoint_rates, share
from palliro.stats.summaries import natural_key

OUTCOMES = {"complete": ["CR"], "partial": ["PR"], "overall": ["CR", "PR"]}


def pain_section(frame, data, opt):
    eo = EndpointOptions()
    # The endpoints read these three columns only: copying the other fifty of 100 000 rows costs 0.1 s.
    treated = per_patient(frame, ["patient_id", "first_fraction_date", "last_fraction_date"])
    treated = treated[treated["first_fraction_date"].notna()]
    resp = pain_response_frame(treated, data, eo)
    order = [f"week {w}" for w in eo.weeks]
    rates = endpoint_rates(resp["time_point"].to_numpy(), resp["category"].to_numpy(), len(treated), OUTCOMES,
                           not_evaluable=("NE", "not_evaluable", "NOT_EVALUABLE"), order=order, method=opt.ci_method)
    rows = [{"time_point": r.time_point, "response": r.outcome, "responders": r.responders,
             "assessable": r.assessable, "rate_assessable": _r(r.proportion_assessable),
             "lower_95": _r(r.lower_assessable), "upper_95": _r(r.upper_assessable), "treated": r.treated,
             "rate_treated": _r(r.proportion_treated), "lower_95_treated": _r(r.lower_treated),
             "upper_95_treated": _r(r.upper_treated)} for r in rates]
    notes = [f"ICE 2012 categories (palliro.core.pain.classify_response, default ICEParameters; unverified parts "
             f"as listed there). OMED: {OMED_RULE}. Assessable = evaluable answer at the time point "
             f"(±{eo.window_days} days); treated = all patients with a first fraction."]
    flares = flare_frame(treated, data, eo)
    tables = [ReportTable("pain_response", "Pain response (complete, partial, overall) by time point", pd.DataFrame(rows))]
    if len(flares):
        s = share(flares["flare"], method=opt.ci_method)
        tables.append(ReportTable("pain_flare", "Pain flare incidence", pd.DataFrame([{
            "patients_with_diary": s.n, "flares": s.events, "incidence": _r(s.proportion),
            "lower_95": _r(s.lower), "upper_95": _r(s.upper)}]), "Chow 2005 / Hird 2009 definition, "
            "palliro.core.pain.detect_flare defaults."))
    else:
        notes.append("Pain flare: no patient has a baseline, a baseline OMED and diary entries.")
    return tables, [], notes


def report_groups(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """The report group of each patient (from the patient's earliest course), indexed by patient_id."""
    per = per_patient(frame, ["patient_id", group_by] if group_by else ["patient_id"])
    return _groups(per.set_index("patient_id"), group_by)


def qol_section(frame, data, opt):
    from palliro.stats.summaries import mean_ci_from_moments

    if data.qol_pooled is not None and data.qol_group_by == opt.group_by:
        # Already pooled in the database for this grouping (load_qol_pooled).
        pooled = qol_sums(data, opt.qol_codes or None, pooled=True)
        if pooled.empty:
            raise StatsInputError("no questionnaire answers in this cohort", field="observations")
    else:
        cells = qol_sums(data, opt.qol_codes or None)
        if cells.empty:
            raise StatsInputError("no questionnaire answers in this cohort", field="observations")
        group = cells["patient_id"].map(report_groups(frame, opt.group_by)).astype(object)
        if group.isna().any():
            raise StatsInputError("missing label", field="groups")
        # Patient cells pool into one mean and CI per (scale, group, time point).
        pooled = pool_cells(cells.assign(group=group), ["code", "group", "time_point"])
    rows = []
    for code, sub in pooled.groupby("code", sort=True):
        for m in mean_ci_from_moments(sub["group"].to_numpy(), sub["time_point"].to_numpy(), sub["n"].to_numpy(),
                                      sub["mean"].to_numpy(), sub["m2"].to_numpy()):
            rows.append({"scale": code, "group": m.group, "time_point": m.time, "n": m.n, "mean": _r(m.mean, 2),
                         "lower_95": _r(m.lower, 2), "upper_95": _r(m.upper, 2)})
    return [ReportTable("qol", "Questionnaire scale means with 95% CI over time", pd.DataFrame(rows))], [], []


def adherence_section(frame, data, opt):
    a = adherence_frame(data)
    if a.empty:
        raise StatsInputError("no questionnaire invitations due yet for this cohort", field="invitations")
    rows = []
    for label, sub in sorted(a.groupby("step_label"), key=lambda pair: natural_key(pair[0])):
        s = share(sub["completed"], method=opt.ci_method)
        rows.append({"time_point": label, "due": s.n, "completed": s.events, "adherence": _r(s.proportion),
                     "lower_95": _r(s.lower), "upper_95": _r(s.upper)})
    return [ReportTable("adherence", "Questionnaire adherence (completed / due, cancelled excluded)",
                        pd.DataFrame(rows))], [], []


def item_scale(item: str) -> tuple[float, ...] | None:
    """The answer scale of ``instrument/link-id`` in its installed questionnaire: the options' ordinal values
    of a choice item, every whole number from minimum to maximum of an integer item; None when unknown."""
    from palliro.core.errors import PalliroValueError
    from palliro.instruments.models import latest_instrument

    code, _, link_id = item.partition("/")
    instrument = latest_instrument(code)
    if instrument is None:
        return None
    try:
        questions = instrument.questionnaire().questions
    except PalliroValueError:  # a stored resource that no longer loads: the scale is unknown, not an error
        return None
    found = next((q for q in questions if q.link_id == link_id), None)
    if found is None:
        return None
    if found.options:
        return tuple(sorted({float(o.ordinal) for o in found.options}))
    if found.type == "integer" and found.min_value is not None and found.max_value is not None:
        return tuple(float(v) for v in range(int(found.min_value), int(found.max_value) + 1))
    return None


def proxy_section(frame, data, opt):
    from palliro.stats.agreement import bland_altman, icc, weighted_kappa
    from palliro.stats.plots_survival import bland_altman_plot

    pairs = proxy_pairs(data)
    rows, figures, notes = [], [], []
    scale_notes, truncated = [], []
    for item, sub in pairs.groupby("item"):
        if len(sub) < 3:
            notes.append(f"{item}: {len(sub)} same-day pair(s), at least 3 needed.")
            continue
        a, b = sub["patient"].to_numpy(float), sub["proxy"].to_numpy(float)
        row = {"item": item, "pairs": len(sub)}
        try:
            i = icc(pd.DataFrame({"a": a, "b": b}).to_numpy(), kind="agreement")
            row.update(icc=_r(i.icc), icc_lower=_r(i.lower), icc_upper=_r(i.upper))
        except StatsInputError as exc:
            row.update(icc=None, icc_note=str(exc))
        try:
            # Linear weights follow the spacing of the whole answer scale, not of the values that happen to
            # be observed (with 0, 5 and 10 observed, 0 and 5 would otherwise count as neighbours).
            scale = item_scale(item)
            if scale is None:
                scale_notes.append(item)
            cats = sorted(set(a.tolist()) | set(b.tolist()) | set(scale or ()))
            k = weighted_kappa(a.tolist(), b.tolist(), categories=cats, weights="linear")
            row.update(weighted_kappa=_r(k.kappa), kappa_lower=_r(k.lower), kappa_upper=_r(k.upper))
            if k.truncated:
                truncated.append(item)
        except StatsInputError as exc:
            row.update(weighted_kappa=None, kappa_note=str(exc))
        ba = bland_altman(a, b)
        row.update(bias=_r(ba.bias), loa_lower=_r(ba.loa_lower), loa_upper=_r(ba.loa_upper))
        rows.append(row)
        if len(figures) < 6:
            key = "bland_altman_" + item.replace("/", "__")
            figures.append(ReportFigure(key, f"Bland–Altman: {item} (patient − proxy)",
                                        lambda ba=ba, item=item: bland_altman_plot(
                                            ba, title=item, ylabel="Patient − proxy")))
    if not rows:
        raise StatsInputError("no item has 3 or more same-day patient/proxy pairs", field="proxy answers")
    notes.insert(0, "ICC(A,1) absolute agreement; kappa with linear weights over each item's answer scale "
                 "(large-sample limits, kept within −1 to 1); Bland–Altman bias = patient − proxy, limits bias "
                 "± 1.96 SD.")
    if scale_notes:
        notes.append("Answer scale unknown (questionnaire not installed), kappa weights over the observed values: "
                     + ", ".join(scale_notes) + ".")
    if truncated:
        notes.append("Kappa limit cut at −1 or 1 (few pairs): " + ", ".join(truncated) + ".")
    return [ReportTable("proxy_agreement", "Patient–proxy agreement per item (same-day answers)",
                        pd.DataFrame(rows))], figures, notes


def endpoint_sections(frame, data, opt):
    return [
        _section("pain", "Pain response and flare", pain_section, frame, data, opt),
        _section("qol", "Quality of life over time", qol_section, frame, data, opt),
        _section("adherence", "Questionnaire adherence", adherence_section, frame, data, opt),
        _section("proxy", "Proxy agreement", proxy_section, frame, data, opt),
    ]
