"""The strategies of verify.strategies produce what their docstrings promise."""

import math
import random

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from divergence_verify.reference.fdivergences import DIVERGENCES
from divergence_verify.verify.strategies import (
    CI_MAX_EXAMPLES,
    ILL_CONDITION_MIN,
    SUM_TOLERANCE,
    WELL_CONDITION_MAX,
    critic_values,
    distribution_pairs,
    gaussian_params,
    point_clouds,
    probability_vectors,
    register_profiles,
    spd_matrices,
    weighted_point_clouds,
)

# `find` explores until it meets the condition; a fixed Random keeps it reproducible, and skipping
# the shrink phase keeps it fast (the test needs an example, not the simplest one).
FIND_SETTINGS = settings(database=None, max_examples=2000, phases=[Phase.generate])


def find_example(strategy, condition):
    return find(strategy, condition, settings=FIND_SETTINGS, random=random.Random(0))


def assert_probability_vector(p, min_size=1, max_size=10_000):
    assert isinstance(p, np.ndarray)
    assert p.dtype == np.float64
    assert p.ndim == 1
    assert min_size <= p.size <= max_size
    assert np.all(p >= 0)
    assert np.all(np.isfinite(p))
    assert abs(math.fsum(p) - 1.0) <= SUM_TOLERANCE
    assert abs(float(np.sum(p)) - 1.0) <= SUM_TOLERANCE


def support_relation(p, q):
    sp, sq = p > 0, q > 0
    if np.array_equal(sp, sq):
        return "equal"
    if not np.any(sp & sq):
        return "disjoint"
    if np.all(sq[sp]):
        return "nested"
    if np.all(sp[sq]):
        return "reverse nested"
    return "overlapping"


@given(probability_vectors(2, 7))
def test_probability_vectors_are_normalised(p):
    assert_probability_vector(p, 2, 7)


@given(probability_vectors(allow_zeros=False, allow_tiny=False))
def test_probability_vectors_without_zeros_or_tiny_masses(p):
    assert_probability_vector(p)
    # Unnormalised weights lie in [1e-12, 1], so every entry is >= 1e-12 / size.
    assert np.all(p >= 1e-12 / p.size)


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("an exact zero", lambda p: np.any(p == 0)),
        ("a tiny mass below 1e-200", lambda p: np.any((p > 0) & (p < 1e-200))),
        ("a ratio above 1e250", lambda p: p.max() / p[p > 0].min() > 1e250),
        ("a mass between 1e-12 and 1e-3", lambda p: np.any((p > 1e-12) & (p < 1e-3))),
    ],
)
def test_probability_vectors_reach_the_edge_cases(what, condition):
    p = find_example(probability_vectors(), condition)
    assert_probability_vector(p)


@pytest.mark.parametrize("relation", ["equal", "nested", "disjoint", "overlapping"])
@given(data=st.data())
def test_distribution_pairs_respect_the_relation(relation, data):
    p, q = data.draw(distribution_pairs(relation, max_size=6))
    assert p.shape == q.shape
    assert_probability_vector(p)
    assert_probability_vector(q)
    assert support_relation(p, q) == relation


@given(distribution_pairs("equal", allow_common_zeros=False, allow_tiny=False))
def test_distribution_pairs_without_common_zeros(pair):
    p, q = pair
    assert np.all(p > 0)
    assert np.all(q > 0)


@pytest.mark.parametrize(
    "relation", ["equal", "nested", "reverse nested", "disjoint", "overlapping"]
)
def test_any_pairs_cover_every_relation(relation):
    find_example(distribution_pairs("any"), lambda pq: support_relation(*pq) == relation)


def test_pairs_reach_extreme_ratios():
    def extreme(pq):
        p, q = pq
        both = (p > 0) & (q > 0)
        return np.any(p[both] / q[both] > 1e250)

    find_example(distribution_pairs("equal"), extreme)


@pytest.mark.parametrize("condition", ["well", "ill", "any"])
@given(data=st.data())
def test_spd_matrices_are_spd_with_the_promised_conditioning(condition, data):
    dim = data.draw(st.integers(2, 5), label="dim")
    cov = data.draw(spd_matrices(dim, condition=condition))
    assert cov.shape == (dim, dim)
    assert np.array_equal(cov, cov.T)
    np.linalg.cholesky(cov)
    eig = np.linalg.eigvalsh(cov)
    assert eig.min() > 0
    kappa = eig.max() / eig.min()
    # eigvalsh is backward stable: the smallest eigenvalue moves by ~ eps * largest, i.e. kappa
    # by a relative ~ kappa * eps <= 1e6 * 2.2e-16; 1e-6 covers it with a wide margin.
    slack = 1e-6
    if condition == "well":
        assert kappa <= WELL_CONDITION_MAX * (1 + slack)
    elif condition == "ill":
        assert ILL_CONDITION_MIN * (1 - slack) <= kappa <= 1e6 * (1 + slack)
    else:
        assert kappa <= 1e6 * (1 + slack)


def test_spd_matrices_reach_the_condition_limit():
    def near_limit(cov):
        eig = np.linalg.eigvalsh(cov)
        return eig.max() / eig.min() > 5e5

    find_example(spd_matrices(3, condition="ill"), near_limit)


@given(gaussian_params(1, 4))
def test_gaussian_params_shapes(params):
    mean, cov = params
    dim = mean.shape[0]
    assert 1 <= dim <= 4
    assert mean.shape == (dim,)
    assert cov.shape == (dim, dim)
    assert np.all(np.abs(mean) <= 10.0)
    np.linalg.cholesky(cov)


@given(point_clouds(1, 12, min_dim=2, max_dim=2))
def test_point_clouds_shape(points):
    assert points.ndim == 2
    assert 1 <= points.shape[0] <= 12
    assert points.shape[1] == 2
    assert np.all(np.isfinite(points))
    assert np.all(np.abs(points) <= 1e3)


def test_point_clouds_contain_duplicates():
    def has_duplicate(points):
        return np.unique(points, axis=0).shape[0] < points.shape[0]

    find_example(point_clouds(2, 8), has_duplicate)


@given(point_clouds(1, 12, duplicates=False))
def test_point_clouds_without_duplicates_are_distinct(points):
    assert np.unique(points, axis=0).shape[0] == points.shape[0]


@given(weighted_point_clouds(1, 10))
def test_weighted_point_clouds(cloud):
    points, weights = cloud
    assert weights.shape == (points.shape[0],)
    assert_probability_vector(weights)
    assert np.all(weights > 0)


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
@given(data=st.data())
def test_critic_values_lie_in_the_domain(name, data):
    t = data.draw(critic_values(name, 5))
    assert t.shape == (5,)
    assert t.dtype == np.float64
    assert np.all(DIVERGENCES[name].in_domain(t))
    assert np.all(np.isfinite(DIVERGENCES[name].conjugate(t)))


@pytest.mark.parametrize(
    "name", sorted(n for n, d in DIVERGENCES.items() if math.isfinite(d.domain[1]))
)
def test_critic_values_approach_the_upper_end(name):
    high = DIVERGENCES[name].domain[1]
    find_example(critic_values(name, 1), lambda t: high - 1e-9 <= t[0] <= high)


@pytest.mark.parametrize(
    ("factory", "kwargs"),
    [
        (probability_vectors, {"min_size": 0}),
        (probability_vectors, {"min_size": 3, "max_size": 2}),
        (distribution_pairs, {"relation": "same"}),
        (distribution_pairs, {"relation": "disjoint", "max_size": 1}),
        (spd_matrices, {"dim": 1, "condition": "ill"}),
        (spd_matrices, {"dim": 2, "condition": "bad"}),
        (gaussian_params, {"min_dim": 1, "max_dim": 1, "condition": "ill"}),
        (point_clouds, {"max_abs": math.inf}),
        (critic_values, {"name": "kl2", "size": 3}),
        (critic_values, {"name": "kl", "size": -1}),
    ],
)
def test_invalid_arguments_raise_eagerly(factory, kwargs):
    with pytest.raises(InvalidArgument):
        factory(**kwargs)


def test_profiles_are_registered():
    register_profiles()
    ci = settings.get_profile("ci")
    assert ci.derandomize
    assert ci.max_examples == CI_MAX_EXAMPLES
    assert ci.deadline is None
    assert ci.print_blob
    dev = settings.get_profile("dev")
    assert not dev.derandomize
    assert dev.database is not None
    assert dev.deadline is None
