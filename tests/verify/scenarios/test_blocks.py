"""Scenario blocks: truths of transformed, product, translated, Gaussian and MI scenarios.

W1 rules are checked against an independent computation: the exact LP between the pushed
samples equals the one between the originals under an isometry (distances are kept), and
differs under a spiral. f-divergence and MI truths are checked by Monte Carlo of exact
log-density ratios within 4 standard errors (sample sizes stated per test, fixed seeds).
"""

import json
import math

import numpy as np
import pytest
import torch

from divergence_verify import reference
from divergence_verify.reference import Gaussian, GaussianMixture
from divergence_verify.reference.mutual_information import gaussian_mutual_information
from divergence_verify.reference.transforms import (
    Asinh,
    Blockwise,
    Embedding,
    HalfCube,
    Rotation,
    Spiral,
)
from divergence_verify.verify.scenarios import (
    MI,
    W1,
    gaussian_pair,
    get_scenario,
    mutual_information,
    product,
    transformed,
    translated,
)
from tests.verify.scenarios._montecarlo import mc_kl


def test_isometries_keep_w1_and_carry_the_translation():
    base = get_scenario("translate2d")
    rotated = transformed(base, Rotation(2, seed=3))
    assert rotated.truth(W1).value == pytest.approx(math.sqrt(5), abs=1e-12)
    assert np.allclose(rotated.shift, Rotation(2, seed=3).matrix @ base.shift)
    embedded = transformed(get_scenario("gauss1d-scale"), Embedding(1, 6, seed=0))
    truth = embedded.truth(W1)
    assert truth.value == get_scenario("gauss1d-scale").truth(W1).value
    assert "invariant under Embedding" in truth.method
    # Independent: the exact LP between pushed samples equals the LP between the originals.
    x_p, x_q = get_scenario("gauss1d-scale").sample(300, 1)
    t = Embedding(1, 6, seed=0)
    assert reference.wasserstein1(t.forward(x_p), t.forward(x_q)) == pytest.approx(
        reference.wasserstein1_1d(x_p[:, 0], x_q[:, 0]), rel=1e-9)


def test_other_maps_keep_f_divergences_but_offer_no_w1():
    base = get_scenario("gauss2d-kl0.5")
    for t in (Spiral(2), Asinh(2), Embedding(2, 5, seed=1, curvature=0.5)):
        scen = transformed(base, t)
        assert scen.shift is None
        assert not scen.supports(W1)
        for name in ("kl", "js", "tv", "hellinger"):
            assert scen.truth(name).value == base.truth(name).value
    # The spiral changes W1 (so claiming the base's would be wrong): the LP between pushed
    # samples moves away from the LP between the originals.
    x_p, x_q = base.sample(300, 2)
    s = Spiral(2, speed=1.0)
    assert abs(reference.wasserstein1(s.forward(x_p), s.forward(x_q))
               - reference.wasserstein1(x_p, x_q)) > 0.05


def test_products_compose_truths_and_translations():
    a, b = get_scenario("gauss2d-kl0.5"), get_scenario("translate2d")
    both = product(a, b)
    assert both.dim == 4
    assert both.truth("kl").value == pytest.approx(a.truth("kl").value + b.truth("kl").value)
    assert both.truth(W1).value == pytest.approx(math.hypot(1.0, math.sqrt(5)))
    assert not both.supports("js")
    mixed = product(get_scenario("mixture1d"), a)
    assert mixed.shift is None and not mixed.supports(W1)
    mean, se = mc_kl(mixed, 100_000, 3)  # n = 100,000, seed 3
    assert abs(mean - mixed.truth("kl").value) < 4 * se
    with pytest.raises(ValueError):
        product(a)


def test_translated_laws_have_w1_the_length_of_the_shift():
    mix = GaussianMixture([0.5, 0.5], [[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
                          [np.eye(3) * 0.3, np.eye(3) * 0.3])
    scen = translated(mix, [1.0, 2.0, 2.0])
    assert scen.truth(W1).value == pytest.approx(3.0)
    assert not scen.supports("kl")  # no exact f-divergence for a translated mixture
    x_p, x_q = scen.sample(50_000, 4)
    assert np.allclose(x_p.mean(0) - x_q.mean(0), [1.0, 2.0, 2.0], atol=0.05)
    gauss = translated(Gaussian(np.zeros(2), np.eye(2)), [0.6, 0.8])
    assert gauss.truth("kl").value == pytest.approx(0.5) and gauss.truth(W1).value == 1.0


def test_gaussian_pairs_in_256_dimensions_agree_with_monte_carlo():
    rng = np.random.default_rng(5)
    d = 256
    a = rng.standard_normal((d, d)) / math.sqrt(d)
    cov_p = a @ a.T + 0.5 * np.eye(d)
    scen = gaussian_pair(0.05 * rng.standard_normal(d), cov_p, np.zeros(d), np.eye(d))
    assert scen.shift is None
    mean, se = mc_kl(scen, 20_000, 6)  # n = 20,000, seed 6
    assert abs(mean - scen.truth("kl").value) < 4 * se
    same = gaussian_pair(np.ones(d) * 0.1, cov_p, np.zeros(d), cov_p)
    assert same.truth(W1).value == pytest.approx(math.sqrt(d) * 0.1)
    assert same.supports("tv") and same.supports("js")


def test_mutual_information_scenarios_have_mi_equal_to_kl_and_keep_it_under_separate_maps():
    cov = np.array([[1.0, 0.0, 0.7], [0.0, 1.0, 0.2], [0.7, 0.2, 1.0]])
    scen = mutual_information(Gaussian(np.zeros(3), cov), 2)
    assert scen.split == 2 and "mi" in scen.tags
    assert scen.truth(MI).value == scen.truth("kl").value
    assert scen.truth(MI).value == pytest.approx(
        gaussian_mutual_information(cov, 2))
    separate = transformed(scen, Blockwise(Spiral(2), HalfCube(1)))
    assert separate.split == 2 and separate.truth(MI).value == scen.truth(MI).value
    mean, se = mc_kl(separate, 100_000, 7)  # n = 100,000, seed 7
    assert abs(mean - separate.truth(MI).value) < 4 * se
    mixed = transformed(scen, Rotation(3, seed=0))  # mixes X with Y: no longer an MI scenario
    assert mixed.split is None and not mixed.supports(MI)
    assert mixed.truth("kl").value == scen.truth("kl").value
    assert not get_scenario("gauss2d-kl0.5").supports(MI)


def test_the_product_of_marginals_side_is_sampled_from_independent_joint_draws():
    scen = mutual_information(Gaussian(np.zeros(2), [[1.0, 0.99], [0.99, 1.0]]), 1)
    x_p, x_q = scen.sample(20_000, 8)
    assert np.corrcoef(x_p.T)[0, 1] > 0.98
    assert abs(np.corrcoef(x_q.T)[0, 1]) < 4 / math.sqrt(20_000)


def test_new_scenarios_sample_on_a_torch_device_and_describe_themselves_as_json():
    scen = transformed(get_scenario("gauss2d-kl0.5"), Asinh(2))
    x_p, x_q = scen.sample(10, 0, device="cpu")
    assert isinstance(x_p, torch.Tensor) and x_p.dtype == torch.float32 and x_q.shape == (10, 2)
    stacked, _ = scen.sample(10, 0, members=3)
    assert stacked.shape == (3, 10, 2)
    text = json.dumps(scen.describe())
    assert "Asinh" in text and "split" not in text
    assert json.loads(json.dumps(mutual_information(
        Gaussian(np.zeros(2), np.eye(2)), 1).describe()))["split"] == 1


def test_maps_of_the_wrong_dimension_are_refused():
    with pytest.raises(ValueError, match="dimensions"):
        transformed(get_scenario("gauss2d-kl0.5"), Asinh(3))
