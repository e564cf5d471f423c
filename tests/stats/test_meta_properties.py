"""Property-based checks of the pooling engine (hypothesis, derandomised)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palliro.stats.meta import escalc, rma

PROFILE = settings(max_examples=60, derandomize=True, deadline=None)

effect = st.floats(min_value=-5, max_value=5, allow_nan=False)
variance = st.floats(min_value=1e-3, max_value=5, allow_nan=False)
studies = st.lists(st.tuples(effect, variance), min_size=2, max_size=12)


@PROFILE
@given(yi=effect, vi=variance, method=st.sampled_from(["EE", "DL", "REML", "ML", "PM", "EB", "HE", "SJ", "HS"]))
def test_single_study_pools_to_itself(yi, vi, method):
    r = rma(escalc("GEN", yi=[yi], vi=[vi]), method)
    assert r.estimate == yi
    assert r.se == pytest.approx(np.sqrt(vi), rel=1e-12)
    assert r.tau2 == 0.0 and r.k == 1


@PROFILE
@given(data=studies)
def test_dl_tau2_non_negative(data):
    yi, vi = zip(*data, strict=True)
    r = rma(escalc("GEN", yi=yi, vi=vi), "DL")
    assert r.tau2 >= 0.0
    assert 0.0 <= r.I2 < 100.0 and r.H2 >= 1.0
    assert r.ci_lb <= r.estimate <= r.ci_ub


@PROFILE
@given(data=studies, seed=st.integers(0, 2**16), method=st.sampled_from(["DL", "REML", "PM", "EE"]))
def test_permuting_studies_changes_nothing(data, seed, method):
    yi, vi = (np.array(x) for x in zip(*data, strict=True))
    perm = np.random.default_rng(seed).permutation(len(yi))
    a = rma(escalc("GEN", yi=yi, vi=vi), method, tau2_ci=False)
    b = rma(escalc("GEN", yi=yi[perm], vi=vi[perm]), method, tau2_ci=False)
    for name in ("estimate", "se", "tau2", "Q", "I2"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-8, abs=1e-10)
    np.testing.assert_allclose(b.weights, a.weights[perm], rtol=1e-8, atol=1e-10)
