"""Families: seeded instances, their target truths, and Monte Carlo checks of those truths.

Every Monte Carlo check averages the exact log-density ratio log p - log q over samples of P
(for the embedded family, whose laws have no density in the ambient space, over the preimages
F^T y) and requires it within 4 standard errors of the truth, at the stated n and seed.
"""

import json
import math

import numpy as np
import pytest

from divergence_verify.reference import DIVERGENCES
from divergence_verify.verify.scenarios import (
    DEFAULT_SCENARIOS,
    FAMILIES,
    MI,
    NAMED,
    SCENARIOS,
    W1,
    get_family,
    get_scenario,
)
from tests.verify.scenarios._montecarlo import mc_kl


def test_every_family_is_registered_and_draws_reproducible_distinct_instances():
    assert set(FAMILIES) == {"gaussian-mean-shift", "gaussian-covariance", "flow-gaussian",
                             "flow-mixture", "embedded-gaussian", "gaussian-mi", "student-t-mi",
                             "transformed-mi", "translated-flow"}
    for name, family in FAMILIES.items():
        one, again, other = family.instance(0), family.instance(0), family.instance(1)
        assert one.name == f"{name}@0" and "family" in one.tags
        a, b, c = one.sample(20, 5)[0], again.sample(20, 5)[0], other.sample(20, 5)[0]
        assert np.array_equal(a, b) and not np.allclose(a, c), name
        assert json.dumps(one.describe()) == json.dumps(again.describe())
        assert json.dumps(one.describe()) != json.dumps(other.describe())


def test_parameters_name_the_instance_and_unknown_ones_are_refused():
    scen = get_family("gaussian-mean-shift").instance(3, dim=64)
    assert scen.name == "gaussian-mean-shift@3,dim=64" and scen.dim == 64
    with pytest.raises(ValueError, match="no parameter"):
        get_family("gaussian-mean-shift").instance(0, dims=3)
    with pytest.raises(ValueError, match="gaussian-mi"):
        get_family("nope")


@pytest.mark.parametrize("dim", [1, 16, 256])
def test_mean_shift_instances_have_their_kl_and_w1(dim):
    scen = get_family("gaussian-mean-shift").instance(dim, dim=dim, kl=2.0)
    assert scen.truth("kl").value == pytest.approx(2.0, rel=1e-10)
    assert scen.truth(W1).value == pytest.approx(np.linalg.norm(scen.p.mean - scen.q.mean))
    assert all(scen.supports(name) for name in DIVERGENCES)
    mean, se = mc_kl(scen, 20_000, 1)  # n = 20,000, seed 1
    assert abs(mean - 2.0) < 4 * se


def test_covariance_instances_reach_256_dimensions_and_agree_with_monte_carlo():
    scen = get_family("gaussian-covariance").instance(0, dim=256)
    for name in ("kl", "reverse_kl", "jeffreys", "hellinger"):
        assert scen.supports(name)
    assert not scen.supports("js") and not scen.supports(W1)
    mean, se = mc_kl(scen, 20_000, 2)  # n = 20,000, seed 2
    assert abs(mean - scen.truth("kl").value) < 4 * se


@pytest.mark.parametrize(("family", "params", "n"), [
    ("flow-gaussian", {"dim": 8}, 50_000),
    ("flow-gaussian", {"dim": 1, "kl": 0.3}, 50_000),
    ("flow-mixture", {"dim": 3}, 50_000),
])
def test_flow_instances_keep_the_base_truths_by_monte_carlo(family, params, n):
    scen = get_family(family).instance(4, **params)
    assert not scen.supports(W1)
    mean, se = mc_kl(scen, n, 3)  # seed 3
    assert abs(mean - scen.truth("kl").value) < 4 * se
    if family == "flow-gaussian":
        assert scen.truth("kl").value == pytest.approx(params.get("kl", 1.0), rel=1e-10)


@pytest.mark.parametrize("curvature", [0.0, 1.0])
def test_embedded_instances_live_on_a_manifold_with_the_base_truths(curvature):
    scen = get_family("embedded-gaussian").instance(5, curvature=curvature)
    assert scen.dim == 32 and scen.truth("kl").value == pytest.approx(1.0)
    assert scen.supports(W1) == (curvature == 0.0)
    x_p, _ = scen.sample(20_000, 4)  # n = 20,000, seed 4
    t = scen.p.transform
    assert np.allclose(t.forward(t.inverse(x_p)), x_p, atol=1e-10)  # on the image
    pre = t.inverse(x_p)
    ratio = scen.p.base.log_prob(pre) - scen.q.base.log_prob(pre)
    assert abs(ratio.mean() - 1.0) < 4 * ratio.std() / math.sqrt(pre.shape[0])
    if curvature == 0.0:
        assert scen.truth(W1).value == pytest.approx(
            np.linalg.norm(scen.p.base.mean - scen.q.base.mean))


@pytest.mark.parametrize(("dims", "mi", "interactions"), [
    ((1, 1), 0.5, 0), ((5, 5), 1.0, 0), ((25, 25), 5.0, 0), ((25, 25), 5.0, 2), ((3, 7), 2.0, 1),
])
def test_gaussian_mi_instances_have_their_mi(dims, mi, interactions):
    scen = get_family("gaussian-mi").instance(6, dim_x=dims[0], dim_y=dims[1], mi=mi,
                                              interactions=interactions)
    assert scen.split == dims[0]
    assert scen.truth(MI).value == pytest.approx(mi, rel=1e-9)
    mean, se = mc_kl(scen, 20_000, 5)  # n = 20,000, seed 5
    assert abs(mean - mi) < 4 * se


@pytest.mark.parametrize("dof", [1, 2, 3, 4, 5])
def test_student_t_mi_instances_have_their_mi_for_every_dof(dof):
    scen = get_family("student-t-mi").instance(7, dof=float(dof), mi=1.5)
    assert scen.truth(MI).value == pytest.approx(1.5, rel=1e-9)
    assert not scen.supports("reverse_kl")
    mean, se = mc_kl(scen, 50_000, 6)  # n = 50,000, seed 6
    assert abs(mean - 1.5) < 4 * se


def test_student_t_mi_reaches_25_plus_25_dims_and_refuses_an_mi_below_its_floor():
    scen = get_family("student-t-mi").instance(8, dim_x=25, dim_y=25, dof=3.0, mi=5.0)
    assert scen.dim == 50 and scen.truth(MI).value == pytest.approx(5.0, rel=1e-9)
    mean, se = mc_kl(scen, 20_000, 7)  # n = 20,000, seed 7
    assert abs(mean - 5.0) < 4 * se
    with pytest.raises(ValueError, match="at least"):
        get_family("student-t-mi").instance(0, dof=1.0, mi=0.1)


@pytest.mark.parametrize("base", ["gaussian", "student-t"])
@pytest.mark.parametrize("kind", ["half-cube", "asinh", "spiral", "normal-cdf"])
def test_transformed_mi_instances_keep_the_mi(base, kind):
    family = get_family("transformed-mi")
    if kind == "normal-cdf" and base == "student-t":
        with pytest.raises(ValueError, match="Gaussian base"):
            family.instance(0, base=base, map=kind)
        return
    scen = family.instance(9, base=base, map=kind, mi=2.0)
    assert scen.split == 3 and scen.truth(MI).value == pytest.approx(2.0, rel=1e-9)
    mean, se = mc_kl(scen, 50_000, 8)  # n = 50,000, seed 8
    assert abs(mean - 2.0) < 4 * se


def test_transformed_mi_refuses_a_spiral_in_one_dimension_and_unknown_maps():
    with pytest.raises(ValueError, match="spiral"):
        get_family("transformed-mi").instance(0, dim_x=1, map="spiral")
    with pytest.raises(ValueError, match="unknown map"):
        get_family("transformed-mi").instance(0, map="cube")


def test_named_instances_are_registered_with_their_truths():
    for name in NAMED:
        scen = SCENARIOS[name]
        assert scen.name == name
        assert scen.supports("kl") or scen.supports(W1)
        if scen.split is not None:
            assert scen.truth(MI).value == scen.truth("kl").value
    assert max(SCENARIOS[name].dim for name in NAMED) >= 128
    assert SCENARIOS["mi-gauss-sparse-25+25"].truth(MI).value == pytest.approx(5.0)


def test_every_divergence_defaults_to_a_non_gaussian_scenario_of_dimension_8_or_more():
    for divergence, names in DEFAULT_SCENARIOS.items():
        hard = [n for n in names if "non-gaussian" in SCENARIOS[n].tags and SCENARIOS[n].dim >= 8]
        assert hard, divergence
        assert all(SCENARIOS[n].supports(divergence) for n in names)


def test_translated_flow_instances_have_w1_the_distance_and_the_mean_moves_by_it():
    scen = get_family("translated-flow").instance(10, dim=16, distance=2.5)
    assert scen.truth(W1).value == pytest.approx(2.5, rel=1e-12)
    assert not scen.supports("kl")
    x_p, x_q = scen.sample(50_000, 9)  # n = 50,000, seed 9: the means differ by the shift
    gap = np.linalg.norm(x_p.mean(0) - x_q.mean(0) - scen.shift)
    spread = np.sqrt((x_p.var(0) + x_q.var(0)).sum() / 50_000)
    assert gap < 4 * spread


def test_an_instance_is_found_again_by_its_name():
    scen = get_family("flow-gaussian").instance(3, dim=5, kl=0.5)
    again = get_scenario(scen.name)
    assert again.name == "flow-gaussian@3,dim=5,kl=0.5" and get_scenario(scen.name) is again
    assert np.array_equal(again.sample(20, 1)[0], scen.sample(20, 1)[0])
    assert get_scenario("student-t-mi@2").truth(MI).value == pytest.approx(1.0)
    for bad, match in (("flow-gaussian@x", "integer"), ("flow-gaussian@1,dim", "KEY=VALUE"),
                       ("flow-gaussian@1,dim=2.5", "takes a int"),
                       ("flow-gaussian@1,width=2", "no parameter"),
                       ("no-such-family@1", "unknown scenario")):
        with pytest.raises(ValueError, match=match):
            get_scenario(bad)
