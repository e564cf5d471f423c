"""Meta-analysis engine (pure Python; results match R's metafor, see tests/stats/test_meta_*.py).

Two explicit steps, as in metafor::

    from palliro.stats.meta import escalc, rma
    es = escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, labels=authors)   # step 1: yi, vi
    res = rma(es, method="REML", knha=False)                                  # step 2: pooling
    res.exp()                                                                 # RR scale
"""

from palliro.stats.meta.effects import MEASURES, RATIO_MEASURES, EffectSizes, escalc
from palliro.stats.meta.io import RowError, StudyTable, StudyTableError, read_study_table
from palliro.stats.meta.mh import FixedCountsResult, rma_mh, rma_peto
from palliro.stats.meta.pooling import (
    MetaRegressionResult,
    MetaResult,
    Transformed,
    meta_regression,
    rma,
)
from palliro.stats.meta.report import format_result_table, heterogeneity_text
from palliro.stats.meta.sensitivity import (
    SequentialResult,
    SubgroupResult,
    cumulative,
    leave_one_out,
    subgroup,
)
from palliro.stats.meta.tau2 import METHODS

__all__ = [
    "MEASURES",
    "METHODS",
    "RATIO_MEASURES",
    "EffectSizes",
    "FixedCountsResult",
    "MetaRegressionResult",
    "MetaResult",
    "RowError",
    "SequentialResult",
    "StudyTable",
    "StudyTableError",
    "SubgroupResult",
    "Transformed",
    "cumulative",
    "escalc",
    "format_result_table",
    "heterogeneity_text",
    "leave_one_out",
    "meta_regression",
    "read_study_table",
    "rma",
    "rma_mh",
    "rma_peto",
    "subgroup",
]
