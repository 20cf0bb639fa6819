"""Time per training of each estimator kind, and an ensemble of critics versus sequential fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify.scenarios import get_scenario

N = 1000
"""Sample size per side for the timing benchmarks (a modest size, as in the default sweeps)."""

CLASSICAL = [
    ("knn", "kl", "gauss2d-kl0.5"),
    ("classifier", "kl", "gauss2d-kl0.5"),
    ("empirical_w1", "w1", "translate2d"),
]
NEURAL = [
    ("fgan", "kl", "gauss2d-kl0.5"),
    ("dv", "kl", "gauss2d-kl0.5"),
    ("w1_critic", "w1", "translate2d"),
]


def _case_info(estimator: Any, scenario_name: str, n: int, estimate: float) -> dict[str, Any]:
    scenario = get_scenario(scenario_name)
    exact = scenario.truth(estimator.divergence).value
    return {
        "kind": estimator.kind,
        "divergence": estimator.divergence,
        "scenario": scenario_name,
        "n": n,
        "settings": estimator.config(),
        "estimate": estimate,
        "exact": exact,
        "error": estimate - exact,
    }


@pytest.mark.benchmark(group=f"estimators: one estimate, n={N}")
@pytest.mark.parametrize(("kind", "divergence", "scenario_name"), CLASSICAL)
def test_estimate_classical(benchmark, kind, divergence, scenario_name):
    x_p, x_q = get_scenario(scenario_name).sample(N, seed=0)
    estimator = make_estimator(kind, divergence=divergence)
    estimate = benchmark(estimator.estimate, x_p, x_q)
    benchmark.extra_info.update(_case_info(estimator, scenario_name, N, estimate))


@pytest.mark.benchmark(group=f"estimators: one estimate, n={N}")
@pytest.mark.parametrize(("kind", "divergence", "scenario_name"), NEURAL)
def test_estimate_neural(benchmark, run_timed, torch_warm, kind, divergence, scenario_name):
    x_p, x_q = get_scenario(scenario_name).sample(N, seed=0)
    estimator = make_estimator(kind, divergence=divergence)
    # Each round trains a fresh critic with the same seed: same steps, same estimate.
    estimate, seconds = run_timed(lambda: estimator.estimate(x_p, x_q), rounds=2)
    details = estimator.last_details
    benchmark.extra_info.update(
        _case_info(estimator, scenario_name, N, estimate),
        device=details["device"],
        steps_run=details["steps_run"][0],
        best_step=details["best_step"][0],
        seconds=seconds,
        seconds_per_step=seconds / details["steps_run"][0],
    )


E = 16
"""Ensemble members (and sequential fits) in the ensemble comparison."""

ENSEMBLE_SETTINGS = {
    # A fixed step count (no early stopping) so both sides do the same number of optimiser
    # steps per member: the ratio is then throughput alone. 300 steps keep the 16 sequential
    # default-size fits near 15 s on a 2-core CPU (one torch thread).
    "default-critic-batch512": {"steps": 300, "patience": None},
    # A small critic, where per-step overhead (Python, kernel launches) rather than arithmetic
    # dominates: the regime in which batching members pays off even on a CPU.
    "mlp32x32-batch128": {
        "steps": 300,
        "patience": None,
        "hidden": (32, 32),
        "batch_size": 128,
    },
}


@dataclass
class _Pair:
    """Both sides of one ensemble comparison, filled in by whichever test runs first."""

    seconds: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, np.ndarray] = field(default_factory=dict)
    infos: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def ensemble_pairs() -> dict[str, _Pair]:
    return {}


@pytest.mark.parametrize("mode", ["sequential", "ensemble"])
@pytest.mark.parametrize("label", list(ENSEMBLE_SETTINGS))
def test_ensemble_vs_sequential(benchmark, run_timed, torch_warm, ensemble_pairs, label, mode):
    benchmark.group = f"estimators: fgan[kl] E={E} ensemble vs sequential, {label}, n={N}"
    settings = ENSEMBLE_SETTINGS[label]
    scenario = get_scenario("gauss2d-kl0.5")
    x_p, x_q = scenario.sample(N, seed=0, members=E)
    seeds = list(range(E))
    estimator = make_estimator("fgan", divergence="kl", **settings)
    if mode == "ensemble":

        def fit() -> np.ndarray:
            return estimator.estimate_many(x_p, x_q, seeds=seeds)

    else:
        members = [make_estimator("fgan", divergence="kl", seed=s, **settings) for s in seeds]

        def fit() -> np.ndarray:
            return np.array([m.estimate(x_p[e], x_q[e]) for e, m in enumerate(members)])

    estimates, seconds = run_timed(fit)
    info = benchmark.extra_info
    info.update(
        mode=mode,
        members=E,
        n=N,
        settings={**estimator.config(), "seeds": seeds},
        seconds=seconds,
        members_per_second=E / seconds,
        estimates=estimates.tolist(),
        exact=scenario.truth("kl").value,
    )
    # The comparison needs both sides; whichever runs second writes it into both records
    # (extra_info dicts are serialised only at the end of the session).
    pair = ensemble_pairs.setdefault(label, _Pair())
    pair.seconds[mode] = seconds
    pair.estimates[mode] = estimates
    pair.infos.append(info)
    if len(pair.seconds) == 2:
        comparison = {
            "sequential_seconds": pair.seconds["sequential"],
            "ensemble_seconds": pair.seconds["ensemble"],
            "speedup": pair.seconds["sequential"] / pair.seconds["ensemble"],
            "mean_abs_difference": float(
                np.mean(np.abs(pair.estimates["ensemble"] - pair.estimates["sequential"]))
            ),
        }
        for record in pair.infos:
            record.update(comparison)
