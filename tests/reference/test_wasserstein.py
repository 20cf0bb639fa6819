"""Tests for reference.wasserstein: exact W1 by LP, by 1-D CDFs, its dual, and input checks."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import reference.wasserstein as w1mod
from reference.wasserstein import (
    WEIGHT_SUM_TOL,
    W1Dual,
    wasserstein1,
    wasserstein1_1d,
    wasserstein1_dual,
    wasserstein1_translation,
)

# LP optima from the network simplex are exact up to float64 rounding of a few hundred terms
# (relative error ~1e-14); 1e-9 leaves a wide margin yet catches any wrong factor or sign.
RTOL = 1e-9


def close(actual: float, expected: float, scale: float = 1.0) -> bool:
    """|actual - expected| <= RTOL * max(1, |expected|, scale) (absolute near zero)."""
    return abs(actual - expected) <= RTOL * max(1.0, abs(expected), scale)


# --- strategies -------------------------------------------------------------------------------


class Cloud(NamedTuple):
    """A weighted cloud: points [n, d], float weights [n] and the integer weights they came from."""

    points: np.ndarray
    weights: np.ndarray
    counts: tuple[int, ...]


# Half-integers make duplicate points and tied distances common; free floats exercise the rest.
GRID = st.integers(-6, 6).map(lambda k: k / 2)
COORD = st.one_of(GRID, st.floats(-10, 10, allow_nan=False, allow_infinity=False))


@st.composite
def clouds(draw: st.DrawFn, d: int, coord: st.SearchStrategy[float] = COORD) -> Cloud:
    """1-6 distinct base points, then 1-8 points drawn from them with repetition (duplicates).

    Integer weights 0..4 (at least one positive) normalised to sum 1, so zero weights occur.
    """
    n_base = draw(st.integers(1, 6))
    base = np.array([[draw(coord) for _ in range(d)] for _ in range(n_base)])
    idx = draw(st.lists(st.integers(0, n_base - 1), min_size=1, max_size=8))
    counts = draw(st.lists(st.integers(0, 4), min_size=len(idx), max_size=len(idx)))
    if sum(counts) == 0:
        counts[draw(st.integers(0, len(idx) - 1))] = 1
    weights = np.array(counts, dtype=np.float64) / sum(counts)
    return Cloud(base[idx], weights, tuple(counts))


@st.composite
def cloud_tuples(
    draw: st.DrawFn, k: int, coord: st.SearchStrategy[float] = COORD, max_d: int = 4
) -> tuple[Cloud, ...]:
    """``k`` weighted clouds sharing one random dimension d in 1..max_d."""
    d = draw(st.integers(1, max_d))
    return tuple(draw(clouds(d, coord)) for _ in range(k))


def as_measure(c: Cloud) -> dict[tuple[float, ...], Fraction]:
    """Canonical form of the measure: exact mass per distinct support point, zeros dropped."""
    total = sum(c.counts)
    mass: Counter[tuple[float, ...]] = Counter()
    for point, count in zip(c.points, c.counts, strict=True):
        if count:
            mass[tuple(point.tolist())] += count
    return {p: Fraction(m, total) for p, m in mass.items()}


def diameter(*cs: Cloud) -> float:
    """Largest coordinate magnitude in the clouds, the scale of every cost in the LP."""
    return max(float(np.abs(c.points).max()) for c in cs)


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


@settings(max_examples=60, deadline=None)
@given(cloud_tuples(2))
def test_dual_matches_primal_and_is_feasible(pair: tuple[Cloud, Cloud]) -> None:
    p, q = pair
    sol = wasserstein1_dual(p.points, q.points, p.weights, q.weights)
    assert isinstance(sol, W1Dual)
    cost = cdist(p.points, q.points)
    primal = wasserstein1(p.points, q.points, p.weights, q.weights, method="lp")
    scale = diameter(p, q)
    assert close(sol.value, primal, scale)
    # The plan is a coupling of a and b whose cost is the optimum (marginals are sums of at most
    # 8 rounded floats: 1e-12 is ~1e4 ulps of margin and far below any weight, >= 1/32).
    np.testing.assert_allclose(sol.plan.sum(axis=1), p.weights, atol=1e-12)
    np.testing.assert_allclose(sol.plan.sum(axis=0), q.weights, atol=1e-12)
    assert np.all(sol.plan >= 0)
    assert close(float(np.sum(sol.plan * cost)), primal, scale)
    # Dual feasibility f_i + g_j <= c_ij; 1e-9 covers rounding of potentials of size ~scale.
    assert np.all(sol.f[:, None] + sol.g[None, :] <= cost + RTOL * max(1.0, scale))
    # The value is the dual objective of the returned potentials, not a copy of the primal.
    assert close(sol.value, float(p.weights @ sol.f + q.weights @ sol.g), scale)


@settings(max_examples=60, deadline=None)
@given(cloud_tuples(2))
def test_critic_is_1_lipschitz_and_attains_w1(pair: tuple[Cloud, Cloud]) -> None:
    p, q = pair
    sol = wasserstein1_dual(p.points, q.points, p.weights, q.weights)
    scale = diameter(p, q)
    support = np.concatenate([p.points, q.points])
    h = np.concatenate([sol.critic_x, sol.critic_y])
    # 1e-9 absorbs the rounding of a min over costs of size ~scale (exact up to ~1e-14).
    slack = np.abs(h[:, None] - h[None, :]) - cdist(support, support)
    assert slack.max() <= RTOL * max(1.0, scale)
    # Kantorovich-Rubinstein form: E_P h - E_Q h equals W1 (the critic is optimal).
    kr = float(p.weights @ sol.critic_x - q.weights @ sol.critic_y)
    assert close(kr, sol.value, scale)


def test_dual_result_is_read_only() -> None:
    sol = wasserstein1_dual([[0.0], [1.0]], [[2.0]])
    with pytest.raises(ValueError, match="read-only"):
        sol.f[0] = 1.0


# --- metric axioms ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(cloud_tuples(3))
def test_symmetry_and_triangle_inequality(triple: tuple[Cloud, Cloud, Cloud]) -> None:
    p, q, r = triple
    scale = diameter(p, q, r)
    pq = wasserstein1(p.points, q.points, p.weights, q.weights)
    qp = wasserstein1(q.points, p.points, q.weights, p.weights)
    qr = wasserstein1(q.points, r.points, q.weights, r.weights)
    pr = wasserstein1(p.points, r.points, p.weights, r.weights)
    assert close(pq, qp, scale)
    # 1e-9 relative: the three optima each carry ~1e-14 relative rounding.
    assert pr <= pq + qr + RTOL * max(1.0, scale)
    assert min(pq, qr, pr) >= 0.0


@settings(max_examples=40, deadline=None)
@given(cloud_tuples(1), st.randoms(use_true_random=False))
def test_zero_on_the_same_measure(single: tuple[Cloud], rnd: random.Random) -> None:
    (p,) = single
    assert wasserstein1(p.points, p.points, p.weights, p.weights) == pytest.approx(0.0, abs=1e-12)
    # The same measure written differently: shuffled and with one point split into two copies.
    perm = np.array(rnd.sample(range(len(p.counts)), len(p.counts)))
    points = np.concatenate([p.points[perm], p.points[perm[:1]]])
    weights = np.concatenate([p.weights[perm], [0.0]])
    weights[0], weights[-1] = weights[0] / 2, weights[0] / 2
    # Zero cost up to rounding of the weights (~1e-16) times distances (<= 30): 1e-12.
    for method in ("lp", "auto"):
        value = wasserstein1(p.points, points, p.weights, weights, method=method)
        assert value == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(cloud_tuples(2, coord=GRID))
def test_positive_on_distinct_measures(pair: tuple[Cloud, Cloud]) -> None:
    p, q = pair
    value = wasserstein1(p.points, q.points, p.weights, q.weights)
    if as_measure(p) == as_measure(q):
        assert value == pytest.approx(0.0, abs=1e-12)
    else:
        # Some grid point z0 carries masses differing by >= 1/(32*32) (denominators <= 32); the
        # 1-Lipschitz bump max(0, 1/4 - |z - z0|) vanishes on the other grid points (spacing 1/2),
        # so by KR duality W1 >= 1/4 * 1/1024 > 2e-4, far above 1e-9 and rounding (~1e-15).
        assert value > 1e-9


# --- one dimension --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(cloud_tuples(2, max_d=1))
def test_1d_agrees_with_lp_scipy_and_pot(pair: tuple[Cloud, Cloud]) -> None:
    p, q = pair
    x, y = p.points[:, 0], q.points[:, 0]
    exact = wasserstein1_1d(x, y, p.weights, q.weights)
    scale = diameter(p, q)
    assert close(wasserstein1(x, y, p.weights, q.weights, method="lp"), exact, scale)
    assert close(wasserstein1(x, y, p.weights, q.weights), exact, scale)
    assert close(scipy.stats.wasserstein_distance(x, y, p.weights, q.weights), exact, scale)
    # POT's ot.wasserstein_1d returns W_p^p; with p=1 that is W1 itself.
    pot = float(ot.wasserstein_1d(x, y, p.weights, q.weights, p=1))
    assert close(pot, exact, scale)


def test_1d_accepts_column_vectors_and_rejects_higher_dimension() -> None:
    assert wasserstein1_1d([[0.0], [2.0]], [[1.0]]) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="one-dimensional"):
        wasserstein1_1d([[0.0, 0.0]], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="one-dimensional"):
        wasserstein1([[0.0, 0.0]], [[1.0, 0.0]], method="1d")


# --- translation --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda d: st.tuples(
            clouds(d),
            st.lists(st.floats(-5, 5, allow_nan=False), min_size=d, max_size=d),
        )
    )
)
def test_translation_distance_is_norm_of_shift(case: tuple[Cloud, list[float]]) -> None:
    p, shift = case
    s = np.array(shift)
    expected = wasserstein1_translation(s)
    assert expected == pytest.approx(math.sqrt(sum(v * v for v in shift)), rel=1e-15)
    moved = p.points + s
    # (x + s) - x rounds with error ~1e-16 * |x|, so tolerance is relative to the coordinates.
    scale = diameter(p) + float(np.abs(s).max())
    for method in ("lp", "auto"):
        value = wasserstein1(p.points, moved, p.weights, p.weights, method=method)
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
