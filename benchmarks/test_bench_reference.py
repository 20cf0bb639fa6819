"""Speed of the exact reference computations: W1 by LP and by CDFs, closed forms, quadrature."""

from __future__ import annotations

import numpy as np
import pytest

from divergence_verify import reference
from divergence_verify.verify.scenarios import W1, get_scenario

# Rounds per size: the network simplex grows roughly cubically (about 5 s at n = 4000 on a
# 2-core CPU), so the largest sizes are timed once or twice to keep the whole run short.
LP_ROUNDS = {250: 10, 500: 5, 1000: 3, 2000: 2, 4000: 1}


@pytest.mark.benchmark(group="reference: W1 LP (d=2)")
@pytest.mark.parametrize("n", list(LP_ROUNDS))
def test_w1_lp(benchmark, run_timed, n):
    scenario = get_scenario("translate2d")
    x_p, x_q = scenario.sample(n, seed=0)
    value, seconds = run_timed(
        lambda: reference.wasserstein1(x_p, x_q, method="lp"), rounds=LP_ROUNDS[n]
    )
    truth = scenario.truth(W1).value
    benchmark.extra_info.update(
        n=n,
        d=scenario.dim,
        scenario=scenario.name,
        value=value,
        exact=truth,
        sample_minus_exact=value - truth,
        seconds=seconds,
        note="value is the exact W1 of the two samples; exact is the population W1 = |shift|",
    )


@pytest.mark.benchmark(group="reference: W1 1-D (CDF formula)")
@pytest.mark.parametrize("n", [1_000, 100_000])
def test_w1_1d(benchmark, n):
    scenario = get_scenario("gauss1d-shift")
    x_p, x_q = scenario.sample(n, seed=0)
    value = benchmark(reference.wasserstein1_1d, x_p, x_q)
    truth = scenario.truth(W1).value
    benchmark.extra_info.update(
        n=n, scenario=scenario.name, value=value, exact=truth, sample_minus_exact=value - truth
    )


def _gaussian_pair(dim: int) -> tuple[reference.Gaussian, reference.Gaussian]:
    """Two Gaussians with different means and full, different covariances."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((dim, dim))
    b = rng.standard_normal((dim, dim))
    p = reference.Gaussian(rng.standard_normal(dim), a @ a.T / dim + np.eye(dim))
    q = reference.Gaussian(np.zeros(dim), b @ b.T / dim + np.eye(dim))
    return p, q


@pytest.mark.benchmark(group="reference: Gaussian closed form (d=10)")
@pytest.mark.parametrize("name", ["kl", "hellinger"])
def test_gaussian_closed_form(benchmark, name):
    p, q = _gaussian_pair(10)
    result = benchmark(reference.exact_divergence, name, p, q)
    benchmark.extra_info.update(
        divergence=name, d=10, exact=result.value, error=result.error, method=result.method
    )


@pytest.mark.benchmark(group="reference: quadrature (1-D mixture)")
@pytest.mark.parametrize("name", ["tv", "js"])
def test_quadrature(benchmark, run_timed, name):
    scenario = get_scenario("mixture1d")
    result, seconds = run_timed(
        lambda: reference.quadrature_divergence(name, scenario.p, scenario.q), rounds=3
    )
    benchmark.extra_info.update(
        divergence=name,
        scenario=scenario.name,
        exact=result.value,
        error=result.error,
        method=result.method,
        seconds=seconds,
    )
