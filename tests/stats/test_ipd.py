"""IPD meta-analysis on simulated trials with fixed seeds (no published reference exists)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.ipd import one_stage_cox, one_stage_logistic, two_stage_cox, two_stage_logistic

TRUE_LOG_HR = math.log(0.6)
TRUE_LOG_OR = math.log(2.0)


def simulate_survival(seed: int, trials: int = 6, n: int = 400) -> pd.DataFrame:
    """Exponential survival, trial-specific baseline hazards, common HR 0.6, uniform censoring."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(trials):
        base = rng.uniform(0.05, 0.3)
        treat = rng.integers(0, 2, n)
        age = rng.normal(0, 1, n)
        rate = base * np.exp(TRUE_LOG_HR * treat + 0.2 * age)
        event_time = rng.exponential(1 / rate)
        censor = rng.uniform(2, 15, n)
        rows.append(pd.DataFrame({
            "trial": f"T{t + 1}", "treat": treat, "age": age,
            "time": np.minimum(event_time, censor), "event": (event_time <= censor).astype(int),
        }))
    return pd.concat(rows, ignore_index=True)


def simulate_binary(seed: int, trials: int = 6, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(trials):
        intercept = rng.uniform(-1.5, 0.0)
        treat = rng.integers(0, 2, n)
        p = 1 / (1 + np.exp(-(intercept + TRUE_LOG_OR * treat)))
        rows.append(pd.DataFrame({"trial": t + 1, "treat": treat, "response": rng.binomial(1, p)}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def surv():
    return simulate_survival(20241121)


@pytest.fixture(scope="module")
def binary():
    return simulate_binary(7)


def test_cox_one_stage_recovers_true_hr_and_agrees_with_two_stage(surv):
    one = one_stage_cox(surv, time="time", event="event", treatment="treat", trial="trial", covariates=["age"])
    assert one.n == 2400 and one.n_trials == 6 and one.model == "cox"
    # ~1,300 events: SE of log HR about 0.06; 0.15 is 2.5 SE.
    assert one.estimate == pytest.approx(TRUE_LOG_HR, abs=0.15)
    assert one.ci_lb < TRUE_LOG_HR < one.ci_ub
    two = two_stage_cox(surv, time="time", event="event", treatment="treat", trial="trial",
                        covariates=["age"], method="EE")
    assert two.effects.k == 6 and two.effects.measure == "HR"
    # Two-stage common-effect and one-stage stratified Cox estimate the same parameter:
    # with ~200 events per trial they agree to within a small fraction of one SE.
    assert two.meta.estimate == pytest.approx(one.estimate, abs=0.02)
    assert two.meta.se == pytest.approx(one.se, rel=0.05)
    hr, lo, hi = one.exp()
    assert lo < hr < hi


def test_two_stage_random_effects_on_homogeneous_trials(surv):
    two = two_stage_cox(surv, time="time", event="event", treatment="treat", trial="trial", method="REML")
    assert two.meta.tau2 < 0.05
    assert sum(two.n_per_trial) == 2400


def test_logistic_one_stage_and_two_stage(binary):
    one = one_stage_logistic(binary, outcome="response", treatment="treat", trial="trial")
    assert one.estimate == pytest.approx(TRUE_LOG_OR, abs=0.2)
    two = two_stage_logistic(binary, outcome="response", treatment="treat", trial="trial", method="EE")
    assert two.meta.estimate == pytest.approx(one.estimate, abs=0.03)
    assert two.meta.se == pytest.approx(one.se, rel=0.05)
    assert two.effects.measure == "OR"


def test_ipd_validation(surv):
    with pytest.raises(StatsInputError) as err:
        one_stage_cox(surv, time="nope", event="event", treatment="treat", trial="trial")
    assert err.value.field == "nope"
    bad = surv.copy()
    bad.loc[3, "event"] = 2
    with pytest.raises(StatsInputError) as err:
        one_stage_cox(bad, time="time", event="event", treatment="treat", trial="trial")
    assert err.value.field == "event" and err.value.row == 3
    one_arm = surv.copy()
    one_arm.loc[one_arm.trial == "T1", "treat"] = 1
    with pytest.raises(StatsInputError) as err:
        two_stage_cox(one_arm, time="time", event="event", treatment="treat", trial="trial")
    assert "T1" in str(err.value)
    no_events = surv.copy()
    no_events.loc[no_events.trial == "T2", "event"] = 0
    with pytest.raises(StatsInputError) as err:
        two_stage_cox(no_events, time="time", event="event", treatment="treat", trial="trial")
    assert err.value.field == "trial" and "T2" in str(err.value)
    with pytest.raises(StatsInputError):
        one_stage_logistic(surv[surv.trial == "T1"], outcome="event", treatment="treat", trial="trial")


def _with_collinear_covariate(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["dose"] = 2.0 * out["treat"]  # carries the treatment again
    return out


def test_one_stage_cox_explains_a_covariate_collinear_with_the_treatment(surv):
    with pytest.raises(StatsInputError) as err:
        one_stage_cox(_with_collinear_covariate(surv), time="time", event="event", treatment="treat",
                      trial="trial", covariates=["dose"])
    assert err.value.field == "covariates" and "collinear" in str(err.value)


def test_one_stage_cox_refuses_data_without_events(surv):
    none = surv.assign(event=0)
    with pytest.raises(StatsInputError) as err:
        one_stage_cox(none, time="time", event="event", treatment="treat", trial="trial")
    assert err.value.field == "event"


def test_one_stage_cox_refuses_a_diverging_hazard_ratio(surv):
    # Every treated patient has an event and no control does: the partial likelihood has no maximum.
    separated = surv.assign(event=surv["treat"])
    with pytest.raises(StatsInputError) as err:
        one_stage_cox(separated, time="time", event="event", treatment="treat", trial="trial")
    assert err.value.field == "treat" and "not estimable" in str(err.value)


def test_one_stage_logistic_refuses_a_covariate_collinear_with_the_treatment(binary):
    frame = binary.rename(columns={"response": "outcome"})
    frame["dose"] = 2.0 * frame["treat"]
    with pytest.raises(StatsInputError) as err:
        one_stage_logistic(frame, outcome="outcome", treatment="treat", trial="trial", covariates=["dose"])
    assert err.value.field == "covariates"
