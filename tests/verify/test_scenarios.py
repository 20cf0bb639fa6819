"""Scenarios: exact truths from reference (never Monte Carlo), seeded sampling, devices."""

import math

import numpy as np
import pytest
import torch

from divergence_verify import reference
from divergence_verify.verify.scenarios import (
    DEFAULT_SCENARIOS,
    LADDER,
    SCENARIOS,
    W1,
    get_scenario,
)


def test_default_scenarios_have_finite_truths():
    for divergence, names in DEFAULT_SCENARIOS.items():
        for name in names:
            value = get_scenario(name).truth(divergence).value
            assert math.isfinite(value) and value > 0, (divergence, name)


def test_the_designs_names_are_the_registered_scenarios():
    # verify.design names scenarios without importing them (it is read by --help and the report
    # presets): every name must be registered, and the ladder must be every "ladder" scenario.
    assert set(DEFAULT_SCENARIOS) <= set(reference.quantity_names())
    assert all(name in SCENARIOS for names in DEFAULT_SCENARIOS.values() for name in names)
    assert LADDER == tuple(name for name, s in SCENARIOS.items() if "ladder" in s.tags)


def test_known_values():
    assert get_scenario("gauss2d-kl0.5").truth("kl").value == pytest.approx(0.5, abs=1e-13)
    assert get_scenario("gauss2d-kl0.5").truth(W1).value == pytest.approx(1.0, abs=1e-13)
    assert get_scenario("translate2d").truth(W1).value == pytest.approx(math.sqrt(5), abs=1e-13)
    bern = get_scenario("bernoulli")
    assert bern.truth("kl").value == pytest.approx(0.7 * math.log(0.7 / 0.4)
                                                   + 0.3 * math.log(0.3 / 0.6), abs=1e-15)
    disjoint = get_scenario("categorical-disjoint")
    assert disjoint.truth("js").value == pytest.approx(math.log(2), abs=1e-15)
    assert disjoint.truth("tv").value == pytest.approx(1.0, abs=1e-15)
    assert math.isinf(get_scenario("categorical-nested").truth("reverse_kl").value)
    assert [get_scenario(n).truth("kl").value for n in LADDER] == pytest.approx(
        [0.1, 1.0, 5.0, 10.0, 20.0], abs=1e-12)


def test_mixture_truth_agrees_with_monte_carlo_within_its_standard_error():
    # The quadrature value must sit inside the Monte Carlo estimate's 5-SE band (false alarm
    # ~6e-7 for a correct value); a wrong integrand would typically miss by far more.
    scen = get_scenario("mixture1d")
    x = scen.p.sample(400_000, 123)
    log_ratio = scen.p.log_prob(x) - scen.q.log_prob(x)
    se = log_ratio.std() / math.sqrt(x.shape[0])
    assert abs(log_ratio.mean() - scen.truth("kl").value) < 5 * se


def test_w1_of_a_one_dimensional_pair_matches_the_empirical_lp_within_sampling_error():
    scen = get_scenario("gauss1d-scale")
    truth = scen.truth(W1).value
    x_p, x_q = scen.sample(20_000, 5)
    empirical = reference.wasserstein1_1d(x_p[:, 0], x_q[:, 0])
    assert abs(empirical - truth) < 0.05  # O(n^-1/2) sampling error: SD ~0.015 at n = 20,000


def test_sampling_is_seeded_and_independent_across_sides():
    scen = get_scenario("gauss3d-cov")
    a_p, a_q = scen.sample(50, 7)
    b_p, b_q = scen.sample(50, 7)
    c_p, _ = scen.sample(50, 8)
    assert np.array_equal(a_p, b_p) and np.array_equal(a_q, b_q)
    assert not np.array_equal(a_p, c_p)
    assert a_p.shape == (50, 3) and a_q.shape == (50, 3)


def test_members_stack_the_single_seed_draws():
    scen = get_scenario("gauss2d-kl0.5")
    x_p, x_q = scen.sample(40, 3, members=4)
    assert x_p.shape == (4, 40, 2)
    for e in range(4):
        p, q = scen.sample(40, 3 + e)
        assert np.array_equal(x_p[e], p) and np.array_equal(x_q[e], q)


def test_sampling_on_a_torch_device_gives_float32_tensors_there():
    x_p, x_q = get_scenario("gauss2d-kl0.5").sample(10, 0, device="cpu")
    assert isinstance(x_p, torch.Tensor) and x_p.dtype == torch.float32
    assert x_p.device.type == "cpu" and x_q.shape == (10, 2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_sampling_on_cuda():
    x_p, _ = get_scenario("gauss2d-kl0.5").sample(10, 0, device="cuda")
    assert x_p.device.type == "cuda"


def test_every_scenario_describes_itself_as_json():
    import json

    for scen in SCENARIOS.values():
        json.dumps(scen.describe())


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"gauss2d-kl0\.5"):
        get_scenario("nope")


def test_different_sizes_get_independent_samples():
    small, _ = get_scenario("gauss2d-kl0.5").sample(100, 0)
    large, _ = get_scenario("gauss2d-kl0.5").sample(200, 0)
    assert not np.array_equal(small, large[:100])


def test_the_envelope_grid_separates_dimension_from_divergence():
    from divergence_verify.verify.design import (
        DIMENSION_LADDER,
        ENVELOPE_DIMS,
        ENVELOPE_KLS,
        envelope_name,
    )

    for dim in ENVELOPE_DIMS:
        by_kl = [get_scenario(envelope_name(dim, kl)) for kl in ENVELOPE_KLS]
        assert all(s.dim == dim and "envelope" in s.tags for s in by_kl)
        assert [s.truth("kl").value for s in by_kl] == pytest.approx(list(ENVELOPE_KLS), rel=1e-12)
        # |mu| = sqrt(2 KL): P is Q translated by mu, in every dimension.
        assert [s.truth(W1).value for s in by_kl] == pytest.approx(
            [math.sqrt(2 * kl) for kl in ENVELOPE_KLS], rel=1e-12)
    # Equal-covariance Gaussians: every f-divergence depends only on the KL, not the dimension.
    for kl in ENVELOPE_KLS:
        values = [get_scenario(envelope_name(d, kl)).truth("js").value for d in ENVELOPE_DIMS]
        assert values == pytest.approx([values[0]] * len(values), rel=1e-9)
        assert values[0] < math.log(2)
    assert [get_scenario(n).dim for n in DIMENSION_LADDER] == list(ENVELOPE_DIMS)
