"""Prognostic-model validation on the cohort: Harrell's C per score and observed versus published
survival per risk group (calibration table and plot).

Each model in :data:`palliro.core.prognosis.MODELS` is evaluated with
:func:`palliro.core.prognosis.evaluate` on each patient's record when every input it needs is present
in the record (see :func:`model_inputs`); the others are listed with the inputs Palliro does not record.
Because the inputs are categorical, the model is evaluated once per distinct input combination, which
keeps 100 000 patients fast.

Published group values: the first "median survival" figure of the group in the model's result (weeks
and months converted to days with 7 and 365.25/12). A figure is "verified" only when its evidence tag is
V and the model result lists nothing unverified; otherwise the reason is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from palliro.core.errors import PalliroValueError
from palliro.core.prognosis import MODELS, evaluate, missing_inputs
from palliro.stats.survival import DAYS_PER_MONTH
from palliro.stats.validation import PublishedGroupValue, calibration_table, concordance_by_score

#: Months after the first fraction at which observed survival is shown in the calibration table.
CALIBRATION_MONTHS = 6
_PRIMARY = {"breast": "breast", "prostate": "prostate", "lung": "lung", "myeloma": "myeloma_lymphoma",
            "bladder": "bladder"}
_TO_DAYS = {"weeks": 7.0, "months": DAYS_PER_MONTH, "days": 1.0}


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The prognostic inputs Palliro records, one row per frame row (None where not recorded)."""
    out = pd.DataFrame(index=frame.index)
    out["primary"] = frame["primary_tumour"].map(lambda t: _PRIMARY.get(t, "other"))
    out["kps"] = frame["kps"].astype(object).where(frame["kps"].notna(), None)
    out["ecog"] = frame["ecog"].astype(object).where(frame["ecog"].notna(), None)
    out["age"] = frame["age"].astype(object).where(frame["age"].notna(), None)
    for col in ("bone_only_metastases", "liver_metastases", "visceral_metastases"):
        out[col] = frame[col]
    return out


def _published(result) -> PublishedGroupValue | None:
    medians = [o for o in result.outcomes if o.measure == "median survival" and o.unit in _TO_DAYS]
    if not medians:
        return None
    o = next((m for m in medians if m.value is not None), medians[0])
    f = _TO_DAYS[o.unit]
    reasons = list(result.unverified)
    if o.tag != "V":
        reasons.insert(0, f"published figure tagged [{o.tag}] in the reference")
    value = None if o.value is None else o.value * f
    lo = None if o.low is None else o.low * f
    hi = None if o.high is None else o.high * f
    label = f"{o.value if o.value is not None else f'{o.low}–{o.high}'} {o.unit} ({o.cohort or result.citation})"
    return PublishedGroupValue(
        median=value, median_lower=lo if o.interval == "95% CI" else None,
        median_upper=hi if o.interval == "95% CI" else None, source=label,
        verified=not reasons, unverified_reason="; ".join(reasons) if reasons else None,
    )


def validation_section(frame: pd.DataFrame, opt):
    from palliro.research.analyses import ReportFigure, ReportTable
    from palliro.stats.plots_survival import calibration_plot

    inputs = model_inputs(frame)
    ok = frame["os_days"].notna()
    tables, figures, notes, c_rows = [], [], [], []
    for name, spec in MODELS.items():
        cols = [c for c in spec.inputs]
        absent = [c for c in cols if c not in inputs.columns]
        if absent:
            notes.append(f"{name}: needs {', '.join(absent)}, which Palliro does not record.")
            continue
        sub = inputs.loc[ok, cols]
        complete = sub.notna().all(axis=1)
        sub = sub[complete]
        if sub.empty:
            notes.append(f"{name}: no patient with all inputs ({', '.join(cols)}) and follow-up.")
            continue
        # Inputs are categorical: evaluate each distinct combination once, in order of first appearance
        # (so each group's published figure comes from its first scored patient), then spread by index.
        combo = sub.groupby(cols, sort=False).ngroup().to_numpy()
        first_rows = np.sort(np.unique(combo, return_index=True)[1])
        n_combos = len(first_rows)
        combo_points = np.full(n_combos, np.nan)
        combo_groups = np.full(n_combos, None, dtype=object)
        published = {}
        values = sub.to_numpy()  # .tolist() below gives plain Python values, as evaluate() expects
        for row in first_rows:
            key = tuple(values[row].tolist())
            try:
                res = evaluate(name, dict(zip(cols, key, strict=True)))
            except PalliroValueError:
                continue
            combo_points[combo[row]] = res.points
            combo_groups[combo[row]] = res.group
            if res.group not in published:
                published[res.group] = _published(res)
        groups = combo_groups[combo]
        scored = np.array([g is not None for g in groups], dtype=bool)
        idx = sub.index[scored]
        t = frame.loc[idx, "os_days"].to_numpy()
        e = frame.loc[idx, "os_event"].to_numpy()
        g = groups[scored].tolist()
        pts = combo_points[combo][scored].tolist()
        if len(idx) < 2:
            notes.append(f"{name}: fewer than two patients could be scored.")
            continue
        direction = spec.direction
        c = concordance_by_score(t, e, {name: pts}, direction=direction)[0]
        c_rows.append({"model": name, "n": c.n, "not_scored": int(len(sub) - len(idx)) + int((~complete).sum()),
                       "harrell_c": round(c.result.c_index, 4), "comparable_pairs": c.result.comparable_pairs,
                       "direction": direction, "citation": spec.citation})
        order = sorted(published, key=str)
        pub = {k: v for k, v in published.items() if v is not None}
        table = calibration_table(t, e, g, time=CALIBRATION_MONTHS * DAYS_PER_MONTH, published=pub or None,
                                  group_order=order)
        rows = []
        for r in table.rows:
            rows.append({
                "group": r.group, "n": r.n, "events": r.events,
                "observed_median_days": None if r.median is None or r.median.median is None else round(r.median.median, 1),
                "lower_95": None if r.median is None or r.median.lower is None else round(r.median.lower, 1),
                "upper_95": None if r.median is None or r.median.upper is None else round(r.median.upper, 1),
                f"survival_{CALIBRATION_MONTHS}m": None if r.survival_at_time is None or r.survival_at_time.survival is None
                else round(r.survival_at_time.survival, 3),
                "published_median_days": None if r.published is None or r.published.median is None
                else round(r.published.median, 1),
                "published": r.published.source if r.published else "",
                "published_in_observed_ci": r.published_median_in_ci,
                "verified": bool(r.published and r.published.verified),
                "unverified_reason": (r.published.unverified_reason or "") if r.published else "",
            })
        lr = table.logrank
        title = f"{name}: observed versus published median survival by risk group"
        if lr is not None:
            title += f" (log-rank chi-square {lr.chisq:.2f} on {lr.df} df, p = {lr.p_value:.4g})"
        tables.append(ReportTable(f"calibration_{name}", title, pd.DataFrame(rows)))
        if any(r.published is not None and r.published.median is not None and r.median is not None
               and r.median.median is not None for r in table.rows):
            figures.append(ReportFigure(f"calibration_{name}", f"{name}: calibration (median survival, days)",
                                        lambda table=table: calibration_plot(table, "median", title=None)))
    if c_rows:
        tables.insert(0, ReportTable("validation_c", "Harrell's C of each prognostic score", pd.DataFrame(c_rows)))
    return tables, figures, notes


__all__ = ["CALIBRATION_MONTHS", "model_inputs", "missing_inputs", "validation_section"]
