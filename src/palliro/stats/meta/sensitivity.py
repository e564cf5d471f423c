"""Subgroup analysis, leave-one-out and cumulative meta-analysis (refits of :func:`rma`).

* Subgroups: a separate model (own τ²) per subgroup, then the test for subgroup differences
  Q_between = Σ_g (θ̂_g − θ̄)²/se_g² on G − 1 df, θ̄ the inverse-variance mean of the subgroup
  estimates (Borenstein et al. 2009, *Introduction to Meta-Analysis* ch. 19, "separate τ²";
  the RevMan "test for subgroup differences"; metafor: ``rma(estimates, sei=se, method="FE")``).
* Leave-one-out: metafor ``leave1out``; cumulative: metafor ``cumul`` (studies added in the
  given order, e.g. by publication year).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from palliro.stats.errors import StatsInputError
from palliro.stats.meta.effects import EffectSizes
from palliro.stats.meta.pooling import MetaResult, rma


@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup fits plus the test for subgroup differences."""

    groups: tuple[str, ...]
    results: tuple[MetaResult, ...]
    overall: MetaResult
    Q_between: float
    df: int
    p: float

    def __getitem__(self, group: str) -> MetaResult:
        try:
            return self.results[self.groups.index(group)]
        except ValueError:
            raise KeyError(group) from None


def subgroup(
    effects: EffectSizes,
    groups: Sequence[object],
    method: str = "REML",
    knha: bool | str = False,
    level: float = 95.0,
    *,
    tol: float | None = None,
) -> SubgroupResult:
    """Fit ``rma`` within each subgroup (in order of first appearance) and test differences."""
    labels = [str(g) for g in groups]
    if len(labels) != effects.k:
        raise StatsInputError(f"has {len(labels)} entries but there are {effects.k} studies", field="groups")
    missing = [i for i, g in enumerate(groups) if g is None or (isinstance(g, float) and np.isnan(g))]
    if missing:
        raise StatsInputError("subgroup label is missing", field="groups", row=missing[0])
    order = tuple(dict.fromkeys(labels))
    if len(order) < 2:
        raise StatsInputError("needs at least two different subgroups", field="groups")
    results = []
    for g in order:
        idx = [i for i, lab in enumerate(labels) if lab == g]
        sub_method = method if len(idx) > 1 else "EE"
        results.append(rma(effects.take(idx), sub_method, knha, level, tol=tol))
    est = np.array([r.estimate for r in results])
    w = 1 / np.array([r.se for r in results]) ** 2
    mean = np.sum(w * est) / np.sum(w)
    q = float(np.sum(w * (est - mean) ** 2))
    df = len(order) - 1
    overall = rma(effects, method, knha, level, tol=tol)
    return SubgroupResult(order, tuple(results), overall, q, df, float(stats.chi2.sf(q, df)))


@dataclass(frozen=True)
class SequentialResult:
    """One fit per step: ``labels[i]`` is the study omitted (leave-one-out) or added (cumulative)."""

    kind: str
    labels: tuple[str, ...]
    results: tuple[MetaResult, ...]

    def column(self, name: str) -> np.ndarray:
        """Collect one attribute across steps, e.g. ``column("estimate")``."""
        return np.array([getattr(r, name) for r in self.results], dtype=float)


def leave_one_out(
    effects: EffectSizes, method: str = "REML", knha: bool | str = False, level: float = 95.0, *,
    tol: float | None = None,
) -> SequentialResult:
    """Refit the model k times, each time omitting one study."""
    if effects.k < 2:
        raise StatsInputError("needs at least two studies", field="effects")
    results = []
    for i in range(effects.k):
        keep = [j for j in range(effects.k) if j != i]
        results.append(rma(effects.take(keep), method if len(keep) > 1 else "EE", knha, level, tol=tol))
    return SequentialResult("leave_one_out", effects.labels, tuple(results))


def cumulative(
    effects: EffectSizes,
    order: Sequence[float] | None = None,
    method: str = "REML",
    knha: bool | str = False,
    level: float = 95.0,
    *,
    tol: float | None = None,
) -> SequentialResult:
    """Add studies one at a time, sorted by ``order`` (stable; default: the given order)."""
    if order is None:
        idx = list(range(effects.k))
    else:
        key = np.asarray(order)
        if key.shape != (effects.k,):
            raise StatsInputError(f"needs one sort key per study ({effects.k})", field="order")
        idx = list(np.argsort(key, kind="stable"))
    results = []
    for n in range(1, effects.k + 1):
        results.append(rma(effects.take(idx[:n]), method if n > 1 else "EE", knha, level, tol=tol,
                           tau2_ci=False))
    return SequentialResult("cumulative", tuple(effects.labels[i] for i in idx), tuple(results))
