"""Agreement statistics: intraclass correlation, weighted kappa, Bland–Altman limits of agreement.

Sources:

* ICC from the two-way ANOVA of an n targets × k raters table, single measures:
  ICC(A,1) "absolute agreement" and ICC(C,1) "consistency" with confidence intervals and F test as
  McGraw KO, Wong SP. Psychol Methods 1996;1:30-46 (Table 7/8; A,1 CI with Satterthwaite df).
  These equal Shrout PE, Fleiss JL. Psychol Bull 1979;86:420-428 ICC(2,1) and ICC(3,1).
* Weighted kappa: Cohen J. Psychol Bull 1968;70:213-220 with agreement weights
  linear 1 − |i−j|/(K−1) or quadratic 1 − ((i−j)/(K−1))²; large-sample variances (non-null, for the
  CI, and null, for the z test) of Fleiss JL, Cohen J, Everitt BS. Psychol Bull 1969;72:323-327.
* Bland–Altman: Bland JM, Altman DG. Lancet 1986;i:307-310 (bias, SD, limits bias ± z·SD, CIs with
  SE(limit) ≈ sqrt(3 s²/n)); Bland & Altman. Stat Methods Med Res 1999;8:135-160 (SE(limit) =
  s·sqrt(1/n + z²/(2(n−1))), the default here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from palliro.stats.errors import StatsInputError


def _confidence(confidence: float) -> float:
    if not isinstance(confidence, int | float) or isinstance(confidence, bool) or not 0 < confidence < 1:
        raise StatsInputError(f"must be in (0, 1), got {confidence!r}", field="confidence")
    return float(confidence)


def _finite_vector(values, field: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise StatsInputError(f"must be one-dimensional, got shape {arr.shape}", field=field)
    try:
        f = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must be numeric", field=field) from exc
    bad = np.flatnonzero(~np.isfinite(f))
    if bad.size:
        raise StatsInputError("missing or non-finite value", field=field, row=int(bad[0]))
    return f


# --------------------------------------------------------------------------------------------------
# ICC
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ICCResult:
    """Single-measure intraclass correlation with CI and the F test of ICC = 0."""

    kind: str  # "agreement" = ICC(A,1) = SF ICC(2,1); "consistency" = ICC(C,1) = SF ICC(3,1)
    icc: float
    lower: float
    upper: float
    confidence: float
    f_value: float
    df1: int
    df2: int
    p_value: float
    n_targets: int
    n_raters: int
    ms_rows: float
    ms_columns: float
    ms_error: float


def icc(
    ratings, kind: Literal["agreement", "consistency"] = "agreement", confidence: float = 0.95
) -> ICCResult:
    """Two-way single-measure ICC from an (n targets × k raters) array without missing values.

    ``kind="agreement"``: ICC(A,1), raters a random sample (Shrout–Fleiss ICC(2,1)); the usual
    choice when any rater could score a patient. ``kind="consistency"``: ICC(C,1), rater offsets
    ignored (Shrout–Fleiss ICC(3,1)). CIs per McGraw & Wong (1996).
    """
    x = np.asarray(ratings)
    if x.ndim != 2:
        raise StatsInputError(f"must be a 2-D array (targets x raters), got shape {x.shape}", field="ratings")
    try:
        x = x.astype(float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError("must be numeric", field="ratings") from exc
    n, k = x.shape
    if n < 2 or k < 2:
        raise StatsInputError(f"need at least 2 targets and 2 raters, got {n} x {k}", field="ratings")
    bad = np.argwhere(~np.isfinite(x))
    if bad.size:
        raise StatsInputError(
            f"missing or non-finite rating (rater column {int(bad[0][1])}); ICC needs complete rows",
            field="ratings",
            row=int(bad[0][0]),
        )
    if kind not in ("agreement", "consistency"):
        raise StatsInputError("must be 'agreement' or 'consistency'", field="kind")
    conf = _confidence(confidence)
    grand = x.mean()
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_tot = float(((x - grand) ** 2).sum())
    ss_err = ss_tot - ss_rows - ss_cols
    if ss_err < 1e-12 * ss_tot:  # rounding noise when raters differ only by constant offsets
        ss_err = 0.0
    df_r, df_c, df_e = n - 1, k - 1, (n - 1) * (k - 1)
    msr, msc, mse = ss_rows / df_r, ss_cols / df_c, ss_err / df_e
    if msr == 0 and mse == 0:
        raise StatsInputError("all targets received identical ratings; ICC undefined", field="ratings")
    f_obs = msr / mse if mse > 0 else math.inf
    p = float(sps.f.sf(f_obs, df_r, df_e))
    q = 1 - (1 - conf) / 2
    if mse == 0 and (kind == "consistency" or msc == 0):
        # No residual variation: the ICC is exactly 1 and its interval degenerates to a point.
        value, lower, upper = 1.0, 1.0, 1.0
    elif kind == "consistency":
        value = (msr - mse) / (msr + (k - 1) * mse)
        f_l = f_obs / sps.f.ppf(q, df_r, df_e)
        f_u = f_obs * sps.f.ppf(q, df_e, df_r)
        lower = (f_l - 1) / (f_l + k - 1)
        upper = (f_u - 1) / (f_u + k - 1)
    else:
        value = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        # McGraw & Wong (1996) Table 7, case 2A: Satterthwaite df for the denominator.
        a = k * value / (n * (1 - value))
        b = 1 + k * value * (n - 1) / (n * (1 - value))
        v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / df_c + (b * mse) ** 2 / df_e)
        f_star_l = sps.f.ppf(q, df_r, v)
        f_star_u = sps.f.ppf(q, v, df_r)
        c = k * msc + (k * n - k - n) * mse
        lower = n * (msr - f_star_l * mse) / (f_star_l * c + n * msr)
        upper = n * (f_star_u * msr - mse) / (c + n * f_star_u * msr)
    return ICCResult(
        kind=kind,
        icc=float(value),
        lower=float(lower),
        upper=float(upper),
        confidence=conf,
        f_value=float(f_obs),
        df1=df_r,
        df2=df_e,
        p_value=p,
        n_targets=n,
        n_raters=k,
        ms_rows=msr,
        ms_columns=msc,
        ms_error=mse,
    )


# --------------------------------------------------------------------------------------------------
# Weighted kappa
# --------------------------------------------------------------------------------------------------

KappaWeights = Literal["linear", "quadratic", "unweighted"]


@dataclass(frozen=True)
class KappaResult:
    """Cohen's (weighted) kappa with large-sample SE, CI and z test of kappa = 0.

    ``lower``/``upper``: the large-sample (Wald) limits kappa ± z·SE, truncated to kappa's range [−1, 1]
    (with few pairs the untruncated limit can pass 1, a value kappa cannot take); ``truncated`` says whether
    either limit was cut.
    """

    kappa: float
    se: float
    lower: float
    upper: float
    confidence: float
    se_null: float
    z: float
    p_value: float
    n: int
    weights: str
    categories: tuple
    observed_agreement: float
    expected_agreement: float
    truncated: bool = False


def agreement_weights(k: int, weights: KappaWeights) -> np.ndarray:
    """K×K agreement-weight matrix (1 on the diagonal) as Cohen (1968)."""
    i, j = np.indices((k, k))
    if weights == "linear":
        return 1 - np.abs(i - j) / (k - 1)
    if weights == "quadratic":
        return 1 - ((i - j) / (k - 1)) ** 2
    if weights == "unweighted":
        return (i == j).astype(float)
    raise StatsInputError("must be 'linear', 'quadratic' or 'unweighted'", field="weights")


def kappa_from_table(
    table, weights: KappaWeights = "linear", confidence: float = 0.95, categories: Sequence | None = None
) -> KappaResult:
    """Weighted kappa from a K×K table of counts (rows rater 1, columns rater 2, ordered categories)."""
    t = np.asarray(table)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise StatsInputError(
            f"must be a square table with at least 2 categories, got {t.shape}", field="table"
        )
    t = t.astype(float)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise StatsInputError("must contain non-negative counts", field="table")
    n = t.sum()
    if n <= 0:
        raise StatsInputError("table is empty", field="table")
    conf = _confidence(confidence)
    k = t.shape[0]
    w = agreement_weights(k, weights)
    p = t / n
    pr, pc = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(pr, pc)).sum())
    if pe >= 1:
        raise StatsInputError(
            "expected agreement is 1 (a single category used); kappa undefined", field="table"
        )
    kappa = (po - pe) / (1 - pe)
    w_row = w @ pc  # mean weight of row category i over rater-2 margins
    w_col = pr @ w  # mean weight of column category j over rater-1 margins
    s = w_row[:, None] + w_col[None, :]
    var = ((p * (w - s * (1 - kappa)) ** 2).sum() - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    var0 = ((np.outer(pr, pc) * (w - s) ** 2).sum() - pe**2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(float(var), 0.0))
    se0 = math.sqrt(max(float(var0), 0.0))
    zc = float(sps.norm.ppf(1 - (1 - conf) / 2))
    z = kappa / se0 if se0 > 0 else math.nan
    cats = tuple(categories) if categories is not None else tuple(range(k))
    wald_lower, wald_upper = float(kappa - zc * se), float(kappa + zc * se)
    return KappaResult(
        kappa=float(kappa),
        se=se,
        lower=max(wald_lower, -1.0),
        upper=min(wald_upper, 1.0),
        confidence=conf,
        se_null=se0,
        z=float(z),
        p_value=float(2 * sps.norm.sf(abs(z))) if se0 > 0 else math.nan,
        n=int(round(n)),
        weights=weights,
        categories=cats,
        observed_agreement=po,
        expected_agreement=pe,
        truncated=wald_lower < -1.0 or wald_upper > 1.0,
    )


def weighted_kappa(
    rater1,
    rater2,
    categories: Sequence | None = None,
    weights: KappaWeights = "linear",
    confidence: float = 0.95,
) -> KappaResult:
    """Weighted kappa for two raters' ordinal ratings of the same subjects.

    ``categories`` gives the ordered scale (e.g. ``[0, 1, 2, 3]``). Pass it explicitly: with
    ``None`` the sorted set of observed values is used, so a scale point nobody used changes the
    weights' spacing.
    """
    a = np.asarray(rater1, dtype=object)
    b = np.asarray(rater2, dtype=object)
    if a.ndim != 1 or b.ndim != 1:
        raise StatsInputError("must be one-dimensional", field="rater1" if a.ndim != 1 else "rater2")
    if len(a) != len(b):
        raise StatsInputError(f"length {len(b)} does not match rater1 length {len(a)}", field="rater2")
    for name, arr in (("rater1", a), ("rater2", b)):
        miss = pd.isna(arr)
        if miss.any():
            raise StatsInputError("missing rating", field=name, row=int(np.flatnonzero(miss)[0]))
    if categories is None:
        cats = sorted(set(a.tolist()) | set(b.tolist()))
    else:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise StatsInputError("categories must be distinct", field="categories")
    if len(cats) < 2:
        raise StatsInputError("need at least two categories", field="categories")
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for row, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if x not in index:
            raise StatsInputError(f"rating {x!r} not in categories", field="rater1", row=row)
        if y not in index:
            raise StatsInputError(f"rating {y!r} not in categories", field="rater2", row=row)
        table[index[x], index[y]] += 1
    return kappa_from_table(table, weights=weights, confidence=confidence, categories=cats)


# --------------------------------------------------------------------------------------------------
# Bland–Altman
# --------------------------------------------------------------------------------------------------

LoaCIMethod = Literal["bland-altman-1999", "bland-altman-1986"]


@dataclass(frozen=True)
class BlandAltmanResult:
    """Bias (mean of a − b), SD of differences, limits of agreement and their CIs."""

    n: int
    bias: float
    sd: float
    bias_lower: float
    bias_upper: float
    loa_lower: float
    loa_upper: float
    loa_lower_ci: tuple[float, float]
    loa_upper_ci: tuple[float, float]
    z: float
    confidence: float
    loa_ci_method: str
    means: tuple[float, ...]
    differences: tuple[float, ...]


def bland_altman(
    method_a,
    method_b,
    z: float = 1.96,
    confidence: float = 0.95,
    loa_ci_method: LoaCIMethod = "bland-altman-1999",
) -> BlandAltmanResult:
    """Bland–Altman analysis of paired measurements; differences are ``method_a − method_b``.

    ``z`` is the multiplier of the SD for the limits (1.96; the 1986 paper used 2). CIs use
    t(n−1): bias ± t·s/√n; limit ± t·SE(limit) with SE(limit) = s·sqrt(1/n + z²/(2(n−1)))
    ("bland-altman-1999") or sqrt(3s²/n) ("bland-altman-1986").
    """
    a = _finite_vector(method_a, "method_a")
    b = _finite_vector(method_b, "method_b")
    if len(a) != len(b):
        raise StatsInputError(f"length {len(b)} does not match method_a length {len(a)}", field="method_b")
    n = len(a)
    if n < 3:
        raise StatsInputError(f"need at least 3 pairs, got {n}", field="method_a")
    if not isinstance(z, int | float) or isinstance(z, bool) or not z > 0:
        raise StatsInputError(f"must be positive, got {z!r}", field="z")
    if loa_ci_method not in ("bland-altman-1999", "bland-altman-1986"):
        raise StatsInputError("must be 'bland-altman-1999' or 'bland-altman-1986'", field="loa_ci_method")
    conf = _confidence(confidence)
    d = a - b
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    t = float(sps.t.ppf(1 - (1 - conf) / 2, n - 1))
    se_bias = sd / math.sqrt(n)
    if loa_ci_method == "bland-altman-1999":
        se_loa = sd * math.sqrt(1 / n + z * z / (2 * (n - 1)))
    else:
        se_loa = math.sqrt(3 * sd * sd / n)
    lo, hi = bias - z * sd, bias + z * sd
    return BlandAltmanResult(
        n=n,
        bias=bias,
        sd=sd,
        bias_lower=bias - t * se_bias,
        bias_upper=bias + t * se_bias,
        loa_lower=lo,
        loa_upper=hi,
        loa_lower_ci=(lo - t * se_loa, lo + t * se_loa),
        loa_upper_ci=(hi - t * se_loa, hi + t * se_loa),
        z=float(z),
        confidence=conf,
        loa_ci_method=loa_ci_method,
        means=tuple(((a + b) / 2).tolist()),
        differences=tuple(d.tolist()),
    )
