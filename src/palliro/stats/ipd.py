"""Individual-patient-data (IPD) meta-analysis: one-stage and two-stage pooling of trials.

* One-stage Cox: proportional hazards model with a separate baseline hazard per trial
  (stratified Cox, lifelines ``CoxPHFitter(strata=...)``, Efron ties).
* One-stage logistic: logistic regression with trial as a fixed effect (one intercept per trial),
  statsmodels ``Logit``.
* Two-stage: the same model fitted within each trial, giving a log HR / log OR and its SE per trial,
  then pooled with :func:`palliro.stats.meta.rma` (Riley, Lambert & Abo-Zaid 2010 *BMJ* 340:c221;
  Burke, Ensor & Riley 2017 *Stat Med* 36:855). With a common-effect model the two approaches agree
  closely when trials are large.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import EffectSizes, MetaResult, escalc, rma
from palliro.stats.meta._validate import check_level
from palliro.stats.survival import fit_lifelines_cox


@dataclass(frozen=True)
class IPDEstimate:
    """Treatment effect on the log scale (log HR for Cox, log OR for logistic) with Wald inference."""

    model: str
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    level: float
    n: int
    n_events: int
    n_trials: int

    def exp(self) -> tuple[float, float, float]:
        """(ratio, lower, upper) on the HR / OR scale."""
        return math.exp(self.estimate), math.exp(self.ci_lb), math.exp(self.ci_ub)


@dataclass(frozen=True)
class TwoStageResult:
    """Per-trial estimates (``effects``, measure HR or OR) and their meta-analysis (``meta``)."""

    model: str
    effects: EffectSizes
    meta: MetaResult
    n_per_trial: tuple[int, ...]
    events_per_trial: tuple[int, ...]


def _wald(model: str, est: float, se: float, level: float, n: int, events: int, trials: int) -> IPDEstimate:
    z = est / se
    crit = float(stats.norm.isf((1 - level / 100) / 2))
    return IPDEstimate(model, est, se, z, float(2 * stats.norm.sf(abs(z))), est - crit * se, est + crit * se,
                       level, n, events, trials)


def _prepare(data: pd.DataFrame, numeric: Sequence[str], trial: str, binary: Sequence[str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError("expected a pandas DataFrame with one row per patient", field="data")
    for col in [*numeric, trial]:
        if col not in data.columns:
            raise StatsInputError("column not found in the data", field=col)
    df = data[[*dict.fromkeys([*numeric, trial])]].copy()
    for col in numeric:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise StatsInputError("missing or non-numeric value", field=col, row=int(bad[0]))
        df[col] = values.astype(float)
    missing = np.flatnonzero(df[trial].isna().to_numpy())
    if missing.size:
        raise StatsInputError("trial identifier is missing", field=trial, row=int(missing[0]))
    for col in binary:
        bad = np.flatnonzero(~df[col].isin([0.0, 1.0]).to_numpy())
        if bad.size:
            raise StatsInputError("must be coded 0/1", field=col, row=int(bad[0]))
    if df[trial].nunique() < 2:
        raise StatsInputError("IPD meta-analysis needs at least two trials", field=trial)
    return df


def _check_arms(df: pd.DataFrame, treatment: str, trial: str) -> None:
    arms = df.groupby(trial, sort=False)[treatment].nunique()
    single = [str(t) for t, n in arms.items() if n < 2]
    if single:
        raise StatsInputError(f"trial(s) {', '.join(single)} have only one treatment value", field=treatment)


def _fit_cox(df: pd.DataFrame, time: str, event: str, treatment: str, strata: str | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_lifelines_cox(df, time, event, [treatment], strata=strata)


def one_stage_cox(
    data: pd.DataFrame, *, time: str, event: str, treatment: str, trial: str,
    covariates: Sequence[str] = (), level: float = 95.0,
) -> IPDEstimate:
    """Stratified Cox model (baseline hazard per trial); returns the treatment log HR."""
    level = check_level(level)
    df = _prepare(data, [time, event, treatment, *covariates], trial, [event])
    if (df[time] <= 0).any():
        raise StatsInputError("follow-up times must be positive", field=time, row=int(np.argmax(df[time] <= 0)))
    _check_arms(df, treatment, trial)
    df[trial] = df[trial].astype(str)
    cph = _fit_cox(df[[time, event, treatment, *covariates, trial]], time, event, treatment, trial)
    row = cph.summary.loc[treatment]
    return _wald("cox", float(row["coef"]), float(row["se(coef)"]), level, len(df), int(df[event].sum()),
                 df[trial].nunique())


def _logit(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100)
    if not fit.mle_retvals.get("converged", True):
        raise StatsInputError("logistic regression did not converge (separation?)", field="outcome")
    if not np.isfinite(np.asarray(fit.bse)).all():
        # A singular information matrix: a covariate is collinear with the treatment or the trials.
        raise StatsInputError("the odds ratio is not estimable (a covariate collinear with the treatment or "
                              "the trials?)", field="covariates")
    return np.asarray(fit.params), np.asarray(fit.bse)


def one_stage_logistic(
    data: pd.DataFrame, *, outcome: str, treatment: str, trial: str,
    covariates: Sequence[str] = (), level: float = 95.0,
) -> IPDEstimate:
    """Logistic regression with one intercept per trial; returns the treatment log OR."""
    level = check_level(level)
    df = _prepare(data, [outcome, treatment, *covariates], trial, [outcome])
    _check_arms(df, treatment, trial)
    dummies = pd.get_dummies(df[trial].astype(str), dtype=float)  # one intercept per trial, no constant
    X = np.column_stack([df[[treatment, *covariates]].to_numpy(float), dummies.to_numpy()])
    params, bse = _logit(df[outcome].to_numpy(float), X)
    return _wald("logistic", float(params[0]), float(bse[0]), level, len(df), int(df[outcome].sum()),
                 dummies.shape[1])


def _two_stage(model: str, df: pd.DataFrame, trial: str, fit_one, method: str, knha, level: float,
               event: str) -> TwoStageResult:
    labels, yi, sei, ns, events, failed = [], [], [], [], [], []
    for name, sub in df.groupby(trial, sort=False):
        if sub[event].sum() == 0 or (model == "logistic" and sub[event].sum() == len(sub)):
            failed.append(str(name))
            continue
        try:
            est, se = fit_one(sub)
        except (StatsInputError, np.linalg.LinAlgError, ValueError):
            failed.append(str(name))
            continue
        if not (math.isfinite(est) and math.isfinite(se) and se > 0):
            failed.append(str(name))
            continue
        labels.append(str(name))
        yi.append(est)
        sei.append(se)
        ns.append(len(sub))
        events.append(int(sub[event].sum()))
    if failed:
        raise StatsInputError(f"no estimable treatment effect in trial(s) {', '.join(failed)} "
                              "(no events, all events, or the model did not converge)", field=trial)
    effects = escalc("HR" if model == "cox" else "OR", yi=yi, sei=sei, labels=labels)
    return TwoStageResult(model, effects, rma(effects, method, knha, level), tuple(ns), tuple(events))


def two_stage_cox(
    data: pd.DataFrame, *, time: str, event: str, treatment: str, trial: str,
    covariates: Sequence[str] = (), method: str = "REML", knha: bool | str = False, level: float = 95.0,
) -> TwoStageResult:
    """Cox model within each trial, then pool the log HRs with ``rma(method, knha)``."""
    level = check_level(level)
    df = _prepare(data, [time, event, treatment, *covariates], trial, [event])
    _check_arms(df, treatment, trial)
    cols = [time, event, treatment, *covariates]

    def fit_one(sub: pd.DataFrame) -> tuple[float, float]:
        row = _fit_cox(sub[cols], time, event, treatment, None).summary.loc[treatment]
        return float(row["coef"]), float(row["se(coef)"])

    return _two_stage("cox", df, trial, fit_one, method, knha, level, event)


def two_stage_logistic(
    data: pd.DataFrame, *, outcome: str, treatment: str, trial: str,
    covariates: Sequence[str] = (), method: str = "REML", knha: bool | str = False, level: float = 95.0,
) -> TwoStageResult:
    """Logistic regression within each trial, then pool the log ORs with ``rma(method, knha)``."""
    level = check_level(level)
    df = _prepare(data, [outcome, treatment, *covariates], trial, [outcome])
    _check_arms(df, treatment, trial)

    def fit_one(sub: pd.DataFrame) -> tuple[float, float]:
        X = np.column_stack([np.ones(len(sub)), sub[[treatment, *covariates]].to_numpy(float)])
        params, bse = _logit(sub[outcome].to_numpy(float), X)
        return float(params[1]), float(bse[1])

    return _two_stage("logistic", df, trial, fit_one, method, knha, level, outcome)
