"""Accuracy versus sample size: bias, spread and RMSE over seeds, timed, at a ladder of n."""

from __future__ import annotations

import numpy as np
import pytest

from divergence_verify.estimators import ESTIMATORS, make_estimator
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.stats import size_stats

SIZES = (250, 1000, 4000)

CASES = [
    # (kind, divergence, scenario, seeds): the seeds are independent sample pairs (and
    # estimator seeds) per size, and the timed call runs all of them. The cheap estimators get
    # 20 so that bias and the RMSE slope are resolved; the critic and the exact LP (about 5 s
    # per seed at n = 4000) get 5 to keep the whole run within minutes.
    ("knn", "kl", "gauss2d-kl0.5", 20),
    ("classifier", "kl", "gauss2d-kl0.5", 20),
    ("plugin", "kl", "bernoulli", 20),
    ("fgan", "kl", "gauss2d-kl0.5", 5),
    ("empirical_w1", "w1", "translate2d", 5),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(("kind", "divergence", "scenario_name", "seeds"), CASES)
def test_accuracy(
    benchmark, run_timed, request, accuracy_records, kind, divergence, scenario_name, seeds, n
):
    label = f"{kind}[{divergence}] on {scenario_name}"
    benchmark.group = f"accuracy: {label}, {seeds} seeds"
    if ESTIMATORS[kind].neural:
        request.getfixturevalue("torch_warm")
    scenario = get_scenario(scenario_name)
    exact = scenario.truth(divergence).value
    x_p, x_q = scenario.sample(n, seed=0, members=seeds)
    estimator = make_estimator(kind, divergence=divergence)
    # One call for all seeds: neural kinds train their critics as one batched model, the
    # others loop; member e sees sample pair e and estimator seed e either way.
    estimates, seconds = run_timed(lambda: estimator.estimate_many(x_p, x_q))
    finite = estimates[np.isfinite(estimates)]
    stats = size_stats(
        n, finite, exact, [seconds / seeds], failures=int(estimates.size - finite.size)
    )
    record = {
        "label": label,
        "kind": kind,
        "divergence": divergence,
        "scenario": scenario_name,
        "seeds": seeds,
        "exact": exact,
        "estimates": estimates.tolist(),
        "settings": estimator.config(),
        "seconds_all_seeds": seconds,
        **stats.to_dict(),
    }
    benchmark.extra_info.update(record)
    accuracy_records.append(record)
