"""Fresh instances (issue 11 item 1): the pair moved by a random map that keeps its truth."""

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.scenarios.instances import SCALE_RANGE, fresh_instance, instance_map
from tests.verify._estimators import gaussian_mle_kl


@pytest.mark.parametrize("name", ["gauss2d-kl0.5", "flow8d-kl1", "mixture1d"])
def test_an_instance_keeps_the_truth_and_moves_the_samples(name):
    scen = get_scenario(name)
    inst = fresh_instance(scen, "kl", 123)
    assert inst.name == scen.name and "fresh-instance" in inst.tags
    assert inst.truth("kl") == scen.truth("kl")
    (x_p, _), (y_p, _) = scen.sample(500, 0), inst.sample(500, 0)
    # The instance's draws are the named scenario's pushed through the map, not the same
    # numbers: an estimator cannot look its samples up.
    np.testing.assert_allclose(y_p, instance_map(scen, "kl", 123).forward(x_p), rtol=1e-12)
    assert not np.allclose(x_p, y_p)


def test_the_same_seed_gives_the_same_instance_and_another_seed_another():
    scen = get_scenario("gauss2d-kl0.5")
    a, b, c = (fresh_instance(scen, "kl", s).sample(100, 3)[0] for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_scenarios_of_one_certificate_get_unrelated_maps():
    # The scenario's name is mixed into the seed: two 2-D scenarios drawn from one seed base
    # do not share a permutation, signs and scales.
    one = instance_map(get_scenario("gauss2d-kl0.5"), "kl", 9)
    two = instance_map(get_scenario("ladder-kl1"), "kl", 9)
    assert not np.allclose(one.scale, two.scale)


def test_scales_span_the_stated_range_and_the_mle_is_invariant():
    scen = get_scenario("flow8d-kl1")
    scales = np.abs(np.concatenate([instance_map(scen, "kl", s).scale for s in range(50)]))
    assert scales.min() >= 1 / SCALE_RANGE and scales.max() <= SCALE_RANGE
    assert scales.max() / scales.min() > SCALE_RANGE  # the range is used, not a token shift
    # The Gaussian MLE's KL is affine-invariant: the same estimate on the moved samples.
    g = get_scenario("gauss2d-kl0.5")
    inst = fresh_instance(g, "kl", 77)
    assert gaussian_mle_kl(*inst.sample(400, 1)) == pytest.approx(
        gaussian_mle_kl(*g.sample(400, 1)), rel=1e-6)


def test_a_w1_instance_is_an_isometry_so_w1_and_its_tolerance_are_kept():
    scen = get_scenario("translate2d")
    t = instance_map(scen, "w1", 4)
    assert t.isometry and t.similarity_ratio == 1.0
    inst = fresh_instance(scen, "w1", 4)
    assert inst.truth("w1") == scen.truth("w1")
    est = make_estimator("empirical_w1", divergence="w1")
    assert est.estimate(*inst.sample(300, 2)) == pytest.approx(
        est.estimate(*scen.sample(300, 2)), rel=1e-9)


def test_mi_instances_keep_x_and_y_apart():
    scen = get_scenario("mi-gauss-5+5")
    t = instance_map(scen, "mi", 8)
    assert sorted(t.perm[:scen.split]) == list(range(scen.split))  # X stays X
    inst = fresh_instance(scen, "mi", 8)
    assert inst.split == scen.split
    assert inst.truth("mi") == scen.truth("mi") and inst.truth("kl") == scen.truth("kl")


def test_discrete_scenarios_are_returned_as_they_are():
    scen = get_scenario("bernoulli")
    assert fresh_instance(scen, "kl", 1) is scen
