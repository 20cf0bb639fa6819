"""Tests for reference.wasserstein: exact W1 by LP, by 1-D CDFs, its dual, and input checks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import divergence_verify.reference.wasserstein as w1mod
from divergence_verify.reference.wasserstein import (
    WEIGHT_SUM_TOL,
    W1Dual,
    wasserstein1,
    wasserstein1_1d,
    wasserstein1_dual,
    wasserstein1_translation,
)
from divergence_verify.verify.strategies import (
    point_clouds,
    probability_vectors,
    weighted_point_clouds,
)

# LP optima from the network simplex are exact up to float64 rounding of a few hundred terms
# (relative error ~1e-14); 1e-9 leaves a wide margin yet catches any wrong factor or sign.
RTOL = 1e-9


def close(actual: float, expected: float, scale: float = 1.0) -> bool:
    """|actual - expected| <= RTOL * max(1, |expected|, scale) (absolute near zero)."""
    return abs(actual - expected) <= RTOL * max(1.0, abs(expected), scale)


# --- strategies -------------------------------------------------------------------------------
#
# The public strategies of verify.strategies: weighted clouds with repeated points, zero weights,
# tiny weights (down to ~1e-300) and coordinates up to 1e3 in magnitude.

Cloud = tuple[np.ndarray, np.ndarray]  # points [n, d], weights [n]


def cloud_tuples(k: int, max_d: int = 4) -> st.SearchStrategy[tuple[Cloud, ...]]:
    """``k`` weighted clouds sharing one random dimension d in 1..max_d."""
    return st.integers(1, max_d).flatmap(
        lambda d: st.tuples(
            *[weighted_point_clouds(1, 8, min_dim=d, max_dim=d, allow_zero_weights=True)] * k
        )
    )


def masses(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The measure in canonical form: its distinct support points and the mass on each."""
    distinct, inverse = np.unique(points, axis=0, return_inverse=True)
    return distinct, np.bincount(inverse.reshape(-1), weights=weights, minlength=len(distinct))


def diameter(*clouds: Cloud) -> float:
    """Largest coordinate magnitude in the clouds, the scale of every cost in the LP."""
    return max(float(np.abs(points).max()) for points, _ in clouds)


# --- exact values on hand-computed examples ---------------------------------------------------


def test_known_values() -> None:
    # Two Diracs at distance 5 (3-4-5 triangle).
    assert wasserstein1([[0.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(5.0, rel=1e-15)
    # Unit-square corners to the centre: every unit of mass moves sqrt(2)/2.
    corners = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert wasserstein1(corners, [[0.5, 0.5]]) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    # Half the mass moves by 1: 0.5, by the LP and by the CDF formula.
    for method in ("lp", "1d"):
        assert wasserstein1([0.0, 1.0], [0.0], method=method) == pytest.approx(0.5, rel=1e-15)
    # Weighted 1-D: |F - G| = 0.25 on [0, 1) and 0.75 on [1, 3) -> 0.25 + 1.5.
    assert wasserstein1_1d([0.0, 3.0], [1.0], a=[0.25, 0.75]) == pytest.approx(1.75, rel=1e-15)


def test_weights_are_used_not_ignored() -> None:
    x, y = [[0.0, 0.0], [2.0, 0.0]], [[0.0, 0.0]]
    assert wasserstein1(x, y, a=[0.9, 0.1]) == pytest.approx(0.2, rel=1e-12)
    assert wasserstein1(x, y, a=[0.1, 0.9]) == pytest.approx(1.8, rel=1e-12)


# --- LP duality ---------------------------------------------------------------------------------


@given(cloud_tuples(2))
def test_dual_matches_primal_and_is_feasible(pair: tuple[Cloud, Cloud]) -> None:
    (x, a), (y, b) = pair
    sol = wasserstein1_dual(x, y, a, b)
    assert isinstance(sol, W1Dual)
    cost = cdist(x, y)
    primal = wasserstein1(x, y, a, b, method="lp")
    scale = diameter(*pair)
    assert close(sol.value, primal, scale)
    # The plan is a coupling of a and b whose cost is the optimum (marginals are sums of at most
    # 8 rounded floats below 1: 1e-12 is ~1e4 ulps of margin).
    np.testing.assert_allclose(sol.plan.sum(axis=1), a, atol=1e-12)
    np.testing.assert_allclose(sol.plan.sum(axis=0), b, atol=1e-12)
    assert np.all(sol.plan >= 0)
    assert close(float(np.sum(sol.plan * cost)), primal, scale)
    # Dual feasibility f_i + g_j <= c_ij; 1e-9 covers rounding of potentials of size ~scale.
    assert np.all(sol.f[:, None] + sol.g[None, :] <= cost + RTOL * max(1.0, scale))
    # The value is the dual objective of the returned potentials, not a copy of the primal.
    assert close(sol.value, float(a @ sol.f + b @ sol.g), scale)


@given(cloud_tuples(2))
def test_critic_is_1_lipschitz_and_attains_w1(pair: tuple[Cloud, Cloud]) -> None:
    (x, a), (y, b) = pair
    sol = wasserstein1_dual(x, y, a, b)
    scale = diameter(*pair)
    support = np.concatenate([x, y])
    h = np.concatenate([sol.critic_x, sol.critic_y])
    # 1e-9 absorbs the rounding of a min over costs of size ~scale (exact up to ~1e-14).
    slack = np.abs(h[:, None] - h[None, :]) - cdist(support, support)
    assert slack.max() <= RTOL * max(1.0, scale)
    # Kantorovich-Rubinstein form: E_P h - E_Q h equals W1 (the critic is optimal).
    kr = float(a @ sol.critic_x - b @ sol.critic_y)
    assert close(kr, sol.value, scale)


def test_dual_result_is_read_only() -> None:
    sol = wasserstein1_dual([[0.0], [1.0]], [[2.0]])
    with pytest.raises(ValueError, match="read-only"):
        sol.f[0] = 1.0


# --- metric axioms ------------------------------------------------------------------------------


@given(cloud_tuples(3))
def test_symmetry_and_triangle_inequality(triple: tuple[Cloud, Cloud, Cloud]) -> None:
    (x, a), (y, b), (z, c) = triple
    scale = diameter(*triple)
    pq = wasserstein1(x, y, a, b)
    qp = wasserstein1(y, x, b, a)
    qr = wasserstein1(y, z, b, c)
    pr = wasserstein1(x, z, a, c)
    assert close(pq, qp, scale)
    # 1e-9 relative: the three optima each carry ~1e-14 relative rounding.
    assert pr <= pq + qr + RTOL * max(1.0, scale)
    assert min(pq, qr, pr) >= 0.0


@given(cloud_tuples(1), st.randoms(use_true_random=False))
def test_zero_on_the_same_measure(single: tuple[Cloud], rnd: random.Random) -> None:
    ((x, a),) = single
    # Zero cost up to rounding of the weights (~1e-16) times distances (up to ~4e3 here): the
    # former bound 1e-12 for coordinates up to 10, scaled with the coordinates.
    tol = 1e-13 * max(1.0, diameter(*single))
    assert wasserstein1(x, x, a, a) == pytest.approx(0.0, abs=tol)
    # The same measure written differently: shuffled and with one point split into two copies.
    perm = np.array(rnd.sample(range(len(a)), len(a)))
    points = np.concatenate([x[perm], x[perm[:1]]])
    weights = np.concatenate([a[perm], [0.0]])
    weights[0], weights[-1] = weights[0] / 2, weights[0] / 2
    for method in ("lp", "auto"):
        value = wasserstein1(x, points, a, weights, method=method)
        assert value == pytest.approx(0.0, abs=tol)


def common_support_measures() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One cloud (repeated points included) carrying two weight vectors: two measures that share
    support points, differing by amounts from ~1 down to tiny masses."""
    clouds = st.integers(1, 3).flatmap(lambda d: point_clouds(1, 8, min_dim=d, max_dim=d))
    return clouds.flatmap(
        lambda x: st.tuples(
            st.just(x),
            probability_vectors(len(x), len(x)),
            probability_vectors(len(x), len(x)),
        )
    )


@given(common_support_measures())
def test_w1_is_bracketed_by_total_variation(
    case: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # On a finite support with smallest gap d_min and diameter D between distinct points,
    # d_min TV <= W1 <= D TV: the mass that must move (TV) travels between distinct points.
    # So W1 > 0 exactly when the measures differ, and = 0 when they agree.
    x, a, b = case
    support, mass_a = masses(x, a)
    _, mass_b = masses(x, b)
    tv = 0.5 * math.fsum(np.abs(mass_a - mass_b))
    value = wasserstein1(x, x, a, b)
    tol = RTOL * max(1.0, diameter((x, a)))
    if len(support) == 1:
        assert value == pytest.approx(0.0, abs=tol)
        return
    gaps = cdist(support, support)[np.triu_indices(len(support), k=1)]
    assert gaps.min() * tv - tol <= value <= gaps.max() * tv + tol


# --- one dimension --------------------------------------------------------------------------


@given(cloud_tuples(2, max_d=1))
def test_1d_agrees_with_lp_scipy_and_pot(pair: tuple[Cloud, Cloud]) -> None:
    (x2, a), (y2, b) = pair
    x, y = x2[:, 0], y2[:, 0]
    exact = wasserstein1_1d(x, y, a, b)
    scale = diameter(*pair)
    assert close(wasserstein1(x, y, a, b, method="lp"), exact, scale)
    assert close(wasserstein1(x, y, a, b), exact, scale)
    assert close(scipy.stats.wasserstein_distance(x, y, a, b), exact, scale)
    # POT's ot.wasserstein_1d returns W_p^p; with p=1 that is W1 itself.
    pot = float(ot.wasserstein_1d(x, y, a, b, p=1))
    assert close(pot, exact, scale)


def test_1d_accepts_column_vectors_and_rejects_higher_dimension() -> None:
    assert wasserstein1_1d([[0.0], [2.0]], [[1.0]]) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="one-dimensional"):
        wasserstein1_1d([[0.0, 0.0]], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="one-dimensional"):
        wasserstein1([[0.0, 0.0]], [[1.0, 0.0]], method="1d")


# --- translation --------------------------------------------------------------------------------


@given(
    st.integers(1, 4).flatmap(
        lambda d: st.tuples(
            weighted_point_clouds(1, 8, min_dim=d, max_dim=d, allow_zero_weights=True),
            st.lists(st.floats(-5, 5, allow_nan=False), min_size=d, max_size=d),
        )
    )
)
def test_translation_distance_is_norm_of_shift(case: tuple[Cloud, list[float]]) -> None:
    (x, a), shift = case
    s = np.array(shift)
    expected = wasserstein1_translation(s)
    assert expected == pytest.approx(math.sqrt(sum(v * v for v in shift)), rel=1e-15)
    moved = x + s
    # (x + s) - x rounds with error ~1e-16 * |x|, so tolerance is relative to the coordinates.
    scale = diameter((x, a)) + float(np.abs(s).max())
    for method in ("lp", "auto"):
        value = wasserstein1(x, moved, a, a, method=method)
        assert close(value, expected, scale)


def test_translation_scalar_and_vector() -> None:
    assert wasserstein1_translation(-2.5) == 2.5
    assert wasserstein1_translation([3.0, 4.0]) == 5.0
    assert wasserstein1_translation([1, 2, 2]) == 3.0


# --- iteration limit of the network simplex ---------------------------------------------------

RNG_CLOUDS = (
    np.random.default_rng(0).normal(size=(40, 3)),
    np.random.default_rng(1).normal(size=(50, 3)),
)


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple[int, int]]:
    """Wrap ot.<name> to record (numItermax, result_code) of every call."""
    calls: list[tuple[int, int]] = []
    solver = getattr(ot, name)

    def spy(*args: object, **kwargs: object) -> object:
        result, log = solver(*args, **kwargs)
        calls.append((kwargs["numItermax"], log["result_code"]))
        return result, log

    monkeypatch.setattr(ot, name, spy)
    return calls


def test_iteration_limit_is_retried_to_the_exact_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = RNG_CLOUDS
    exact = wasserstein1(x, y)
    calls = _spy(monkeypatch, "emd2")
    value = wasserstein1(x, y, num_iter_max=2)
    # The first attempt must really have stopped early, else this test would prove nothing.
    assert calls[0] == (2, 3)
    assert [limit for limit, _ in calls] == [2 * 10**k for k in range(len(calls))]
    assert calls[-1][1] == 1
    assert value == pytest.approx(exact, rel=1e-12)


def test_dual_iteration_limit_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = RNG_CLOUDS
    calls = _spy(monkeypatch, "emd")
    sol = wasserstein1_dual(x, y, num_iter_max=2)
    assert calls[0] == (2, 3)
    assert sol.value == pytest.approx(wasserstein1(x, y), rel=1e-12)


@pytest.mark.parametrize("fn", [wasserstein1, wasserstein1_dual])
def test_exhausted_retries_raise(
    monkeypatch: pytest.MonkeyPatch, fn: Callable[..., object]
) -> None:
    monkeypatch.setattr(w1mod, "LP_RETRIES", 1)
    x, y = RNG_CLOUDS
    with pytest.raises(RuntimeError, match="did not reach optimality"):
        fn(x, y, num_iter_max=1)


def test_other_solver_failures_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def infeasible(*args: object, **kwargs: object) -> tuple[float, dict[str, object]]:
        return 0.0, {"result_code": 0, "warning": "Problem infeasible"}

    monkeypatch.setattr(ot, "emd2", infeasible)
    with pytest.raises(RuntimeError, match="result_code=0"):
        wasserstein1([[0.0, 0.0]], [[1.0, 1.0]])


def test_num_iter_max_must_be_positive() -> None:
    with pytest.raises(ValueError, match="num_iter_max must be a positive integer"):
        wasserstein1([[0.0, 0.0]], [[1.0, 1.0]], num_iter_max=0)


# --- input validation ---------------------------------------------------------------------------

X = [[0.0], [1.0], [2.0]]
Y = [[0.5], [1.5]]
ALL_FNS = [wasserstein1, wasserstein1_1d, wasserstein1_dual]


@pytest.mark.parametrize("fn", ALL_FNS)
@pytest.mark.parametrize(
    ("x", "y", "a", "b", "exc", "match"),
    [
        (np.zeros((2, 1, 1)), Y, None, None, ValueError, r"x must be 1-D \[n\] or 2-D.*ndim=3"),
        (X, np.zeros((0, 1)), None, None, ValueError, "y is empty"),
        (X, np.zeros(0), None, None, ValueError, "y is empty"),
        (np.zeros((3, 0)), Y, None, None, ValueError, "dimension d=0"),
        ([[0.0], [np.nan], [1.0]], Y, None, None, ValueError, "x contains NaN or inf"),
        (X, [[0.0], [np.inf]], None, None, ValueError, "y contains NaN or inf"),
        (X, [[0.0, 1.0]], None, None, ValueError, "same dimension, got d=1 and d=2"),
        (["a", "b"], Y, None, None, TypeError, "x must be a real numeric array"),
        (X, [1j, 2j], None, None, TypeError, "y must be a real numeric array"),
        (X, Y, [0.5, 0.6, -0.1], None, ValueError, "a has negative entries"),
        (X, Y, None, [np.nan, 1.0], ValueError, "b contains NaN or inf"),
        (X, Y, [0.5, 0.5, 0.5], None, ValueError, "a sums to 1.5, expected 1 within 1e-09"),
        (X, Y, None, [0.5, 0.5 + 1e-8], ValueError, "b sums to .*expected 1 within"),
        (X, Y, [0.5, 0.5], None, ValueError, "a has length 2, expected 3"),
        (X, Y, [[1 / 3, 1 / 3, 1 / 3]], None, ValueError, "a must be 1-D, got ndim=2"),
        (X, Y, None, ["x", "y"], TypeError, "b must be a real numeric array"),
    ],
)
def test_bad_input(
    fn: Callable[..., object], x: object, y: object, a: object, b: object, exc: type, match: str
) -> None:
    with pytest.raises(exc, match=match):
        fn(x, y, a, b)


def test_weight_sum_tolerance_boundary() -> None:
    # Within WEIGHT_SUM_TOL is accepted (and renormalised); ten times beyond it is rejected.
    off = WEIGHT_SUM_TOL / 10
    assert wasserstein1([0.0, 2.0], [0.0], a=[0.5, 0.5 + off]) == pytest.approx(1.0, rel=1e-9)
    with pytest.raises(ValueError, match="sums to"):
        wasserstein1([0.0, 2.0], [0.0], a=[0.5, 0.5 + 10 * WEIGHT_SUM_TOL])


def test_bad_method() -> None:
    with pytest.raises(ValueError, match="method must be 'auto', 'lp' or '1d'"):
        wasserstein1(X, Y, method="exact")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("shift", "exc", "match"),
    [
        ([[1.0, 2.0]], ValueError, "scalar or a 1-D vector"),
        ([], ValueError, "shift is empty"),
        ([1.0, np.nan], ValueError, "NaN or inf"),
        (["a"], TypeError, "real numeric vector"),
    ],
)
def test_translation_bad_input(shift: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        wasserstein1_translation(shift)  # type: ignore[arg-type]
