"""Benchmark: REML random-effects pooling of k = 10 000 simulated studies.

Run: PYTHONPATH=src python bench/bench_meta.py [--k 10000] [--repeats 5]
Prints the best and median wall time of ``rma(..., method="REML")`` (Fisher scoring, metafor's
stopping rule) and of the full fit with the Q-profile τ² interval. Seed fixed for repeatability.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from palliro.stats.meta import escalc, rma


def simulate(k: int, seed: int = 20241121):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(-0.3, np.sqrt(0.1 + vi))  # true tau2 = 0.1
    return escalc("GEN", yi=yi, vi=vi)


def timed(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    es = simulate(args.k)
    res = rma(es, "REML", tau2_ci=False)
    print(f"k = {args.k}: tau2 = {res.tau2:.5f} (true 0.1), estimate = {res.estimate:.5f} (true -0.3), "
          f"Fisher-scoring iterations = {res.iterations}")
    best, med = timed(lambda: rma(es, "REML", tau2_ci=False), args.repeats)
    print(f"rma(method='REML') without tau2 CI: best {best * 1e3:.1f} ms, median {med * 1e3:.1f} ms "
          f"over {args.repeats} runs")
    best, med = timed(lambda: rma(es, "REML"), args.repeats)
    print(f"rma(method='REML') with Q-profile CI: best {best * 1e3:.1f} ms, median {med * 1e3:.1f} ms "
          f"over {args.repeats} runs")


if __name__ == "__main__":
    main()
