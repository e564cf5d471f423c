"""Benchmark: cohort statistics on 100 000 synthetic patients (fixed seed).

Times Kaplan–Meier (overall and per risk group, with median and survival at the default times),
the 3-group log-rank test, Wilson rates by group and 30-day mortality, Cox with 2 covariates
(lifelines fit + Harrell's C of the linear predictor) and Harrell's C on its own.
Run: PYTHONPATH=src python bench/bench_cohort_stats.py [n]
Target (DESIGN.md §7): cohort report for 100 000 patients <= 3 s.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from palliro.stats.proportions import mortality_within, rates_by_group
from palliro.stats.survival import CoxPH, KaplanMeier, harrell_c, logrank_test


def synthetic_cohort(n: int, seed: int = 20261121) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(68, 11, n).round()
    kps_low = rng.integers(0, 2, n)
    group = rng.choice(np.array(["I", "II", "III"]), n, p=[0.3, 0.45, 0.25])
    base = {"I": 400.0, "II": 180.0, "III": 70.0}
    scale = np.array([base[g] for g in group]) * np.exp(-0.01 * (age - 68) - 0.4 * kps_low)
    death = rng.exponential(scale)
    censor = rng.uniform(0, 730, n)
    days = np.ceil(np.minimum(death, censor))
    died = (death <= censor).astype(int)
    return pd.DataFrame({"days": days, "died": died, "age": age, "kps_low": kps_low, "group": group})


def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    return out


def main(n: int = 100_000) -> None:
    df = synthetic_cohort(n)
    results: dict[str, float] = {}

    def km_all():
        fits = [KaplanMeier().fit(df.days, df.died, label="all")]
        for g, d in df.groupby("group"):
            fits.append(KaplanMeier().fit(d.days, d.died, label=g))
        return [(k.median, k.survival_at(), k.at_risk()) for k in fits]

    km = timed("Kaplan-Meier (all + 3 groups, median, S(t), at-risk)", km_all, results)
    lr = timed("log-rank (3 groups)", lambda: logrank_test(df.days, df.died, df.group), results)
    d30 = (df.died == 1) & (df.days <= 30)
    timed("Wilson rates by group", lambda: rates_by_group(df.group, d30.astype(int)), results)
    m30 = timed("30-day mortality", lambda: mortality_within(df.days, df.died, 30), results)
    cox = timed(
        "Cox PH, 2 covariates (incl. Harrell's C)",
        lambda: CoxPH().fit(df, "days", "died", ["age", "kps_low"]),
        results,
    )
    timed("Harrell's C alone", lambda: harrell_c(df.days, df.died, df.age), results)

    print(f"n = {n:,} patients, {int(df.died.sum()):,} deaths")
    for label, secs in results.items():
        print(f"  {label:<55s} {secs * 1000:9.1f} ms")
    print(f"  {'total':<55s} {sum(results.values()) * 1000:9.1f} ms")
    print(
        f"  overall median {km[0][0].median} d; log-rank chisq {lr.chisq:.1f} (df {lr.df}); "
        f"30-day mortality {m30.proportion:.3f} ({m30.n_excluded_censored_before_horizon} excluded); "
        f"Cox HR kps_low {cox.coefficient('kps_low').hazard_ratio:.3f}; C {cox.concordance.c_index:.3f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
