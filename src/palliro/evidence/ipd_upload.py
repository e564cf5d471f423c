"""Individual-patient-data files: one row per patient, validated row by row (no Django).

Columns: ``trial`` (identifier), ``arm`` (1 = treatment, 0 = control), ``time`` (follow-up, > 0; needed
for the Cox models), ``event`` (1 = event, 0 = censored / no event) and optional numeric covariates.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from palliro.evidence.tables import MAX_UPLOAD_BYTES
from palliro.stats.errors import StatsInputError
from palliro.stats.ipd import (
    IPDEstimate,
    TwoStageResult,
    one_stage_cox,
    one_stage_logistic,
    two_stage_cox,
    two_stage_logistic,
)
from palliro.stats.meta import RowError, StudyTableError

MODELS = ("cox", "logistic")


def _err(message: str, column: str = "file") -> StudyTableError:
    return StudyTableError([RowError(None, column, message)])


def read_ipd(data: bytes, *, model: str = "cox", covariates: Sequence[str] = ()) -> pd.DataFrame:
    """Validated patient rows; every problem raised at once as StudyTableError (line, column, message)."""
    if model not in MODELS:
        raise _err(f"unknown model {model!r}; use cox or logistic", "model")
    if len(data) > MAX_UPLOAD_BYTES * 10:
        raise _err("the file is larger than 20 MB")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _err(f"not a readable UTF-8 CSV file ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    required = ["trial", "arm", "event"] + (["time"] if model == "cox" else [])
    missing = [c for c in [*required, *covariates] if c not in frame.columns]
    if missing:
        raise StudyTableError([RowError(None, c, "column not found in the file") for c in missing])
    if len(frame) == 0:
        raise _err("the file has no patient rows")
    errors: list[RowError] = []
    out = {c: [] for c in [*required, *covariates]}
    for index, row in frame.iterrows():
        line = int(index) + 2
        trial = str(row["trial"]).strip()
        if not trial:
            errors.append(RowError(line, "trial", "trial identifier is missing"))
        out["trial"].append(trial)
        for col in [c for c in required if c != "trial"] + list(covariates):
            text = str(row[col]).strip()
            try:
                value = float(text)
            except ValueError:
                errors.append(RowError(line, col, "value is missing" if not text else f"{text!r} is not a number"))
                out[col].append(math.nan)
                continue
            if not math.isfinite(value):
                errors.append(RowError(line, col, f"{text!r} is not a finite number"))
            elif col in ("arm", "event") and value not in (0.0, 1.0):
                errors.append(RowError(line, col, f"{text!r} must be 0 or 1"))
            elif col == "time" and value <= 0:
                errors.append(RowError(line, col, f"{text!r} must be greater than 0"))
            out[col].append(value)
    if errors:
        raise StudyTableError(errors)
    return pd.DataFrame(out)


@dataclass(frozen=True, eq=False)
class IPDAnalysis:
    one_stage: IPDEstimate
    two_stage: TwoStageResult
    n_patients: int
    trials: tuple[str, ...]


def analyse_ipd(frame: pd.DataFrame, *, model: str = "cox", covariates: Sequence[str] = (),
                method: str = "REML", knha: bool = False, level: float = 95.0) -> IPDAnalysis:
    """One-stage (stratified Cox / logistic with trial intercepts) and two-stage pooling."""
    common = {"treatment": "arm", "trial": "trial", "covariates": list(covariates), "level": level}
    if model == "cox":
        one = one_stage_cox(frame, time="time", event="event", **common)
        two = two_stage_cox(frame, time="time", event="event", method=method, knha=knha, **common)
    elif model == "logistic":
        one = one_stage_logistic(frame, outcome="event", **common)
        two = two_stage_logistic(frame, outcome="event", method=method, knha=knha, **common)
    else:
        raise StatsInputError("use cox or logistic", field="model")
    return IPDAnalysis(one, two, len(frame), tuple(dict.fromkeys(frame["trial"].astype(str))))


def format_ipd(analysis: IPDAnalysis) -> str:
    ratio = "HR" if analysis.one_stage.model == "cox" else "OR"
    one, two = analysis.one_stage, analysis.two_stage.meta
    r, lo, hi = one.exp()
    t = two.exp()
    lines = [
        f"IPD meta-analysis: {analysis.n_patients} patients, {len(analysis.trials)} trials",
        f"One-stage ({'Cox stratified by trial' if ratio == 'HR' else 'logistic, trial as fixed effect'}): "
        f"{ratio} {r:.4f} [{lo:.4f}; {hi:.4f}], z = {one.zval:.2f}, p = {one.pval:.4g}, events {one.n_events}",
        f"Two-stage ({two.method}{', Knapp-Hartung' if two.test == 't' else ''}): {ratio} {t.estimate:.4f} "
        f"[{t.ci_lb:.4f}; {t.ci_ub:.4f}], tau² = {two.tau2:.4f}, I² = {two.I2:.1f}%",
    ]
    return "\n".join(lines) + "\n"
