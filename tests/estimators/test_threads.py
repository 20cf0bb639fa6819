"""The CPU budget of the estimators' parallel loops: set per unit, restored, results unchanged."""

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.estimators.threads import cpu_threads, query_workers


def test_the_budget_is_scoped_and_restored():
    assert query_workers() == -1  # no budget: every core
    with cpu_threads(1):
        assert query_workers() == 1
        with cpu_threads(None):
            assert query_workers() == -1
        assert query_workers() == 1
    assert query_workers() == -1
    with pytest.raises(ValueError, match="at least 1"), cpu_threads(0):
        pass


def test_knn_gives_the_same_estimate_on_one_thread_and_on_every_core():
    rng = np.random.default_rng(3)
    x_p, x_q = rng.normal(size=(3000, 4)), rng.normal(size=(2500, 4)) + 0.3
    knn = make_estimator("knn", divergence="kl")
    everywhere = knn.estimate(x_p, x_q)
    with cpu_threads(1):
        alone = knn.estimate(x_p, x_q)
    assert alone == everywhere  # bit for bit: each query point is answered on its own
