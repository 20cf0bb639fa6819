"""Regression tests for the wrong numbers of issue 15: extreme scales, rounding at the range ends.

Expected values come from independent formulas (one-dimensional closed forms, mpmath at 50
digits, scipy), never from the code under test.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special

from divergence_verify import reference
from divergence_verify.reference._backend import rel_entr
from divergence_verify.reference.distributions import Gaussian
from divergence_verify.reference.ranges import RANGE_ULPS, clamp_rounding, rounding_budget
from divergence_verify.reference.wasserstein import (
    wasserstein1,
    wasserstein1_dual,
    wasserstein1_translation,
)

BOUNDS = {name: reference.get_divergence(name).upper_bound for name in reference.DIVERGENCES}


def _hellinger_1d(var_p: float, var_q: float) -> float:
    """Squared Hellinger between centred 1-D Gaussians: 2 - 2 sqrt(2 s_p s_q / (s_p^2 + s_q^2))."""
    sp, sq = mpmath.sqrt(mpmath.mpf(var_p)), mpmath.sqrt(mpmath.mpf(var_q))
    return float(2 - 2 * mpmath.sqrt(2 * sp * sq / (sp**2 + sq**2)))


@pytest.mark.parametrize("variance", [1e-300, 1e-100, 1e-20, 1e-12, 1e-6, 0.01, 100.0, 1e20])
def test_gaussian_hellinger_with_a_tiny_or_huge_variance_is_right(variance: float) -> None:
    """Was 1.999755859375 at variance 1e-20 (true 1.99997171573): a clamp at nextafter(1, 0)."""
    mpmath.mp.dps = 50
    expected = _hellinger_1d(variance, 1.0)
    for p, q in ((Gaussian([0.0], [[variance]]), Gaussian([0.0], [[1.0]])),
                 (Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[variance]]))):
        assert reference.divergence("hellinger", p, q) == pytest.approx(expected, rel=1e-13)


def test_gaussian_hellinger_in_two_dimensions_with_one_degenerate_direction() -> None:
    """Independent coordinates: BC factorises, so 1 - H^2/2 is the product of the 1-D ones."""
    mpmath.mp.dps = 50
    p = Gaussian([0.0, 0.0], np.diag([1e-20, 2.0]))
    q = Gaussian([0.0, 0.0], np.diag([1.0, 1.0]))
    bc = (1 - _hellinger_1d(1e-20, 1.0) / 2) * (1 - _hellinger_1d(2.0, 1.0) / 2)
    assert reference.divergence("hellinger", p, q) == pytest.approx(2 - 2 * bc, rel=1e-13)


def test_clamp_takes_rounding_and_leaves_real_errors() -> None:
    budget = rounding_budget(1.0)
    assert budget == RANGE_ULPS * math.ulp(1.0)
    assert clamp_rounding(1.0000000000000044, 1.0) == 1.0  # the audit's TV
    assert clamp_rounding(math.log(2) + 4e-15, math.log(2)) == math.log(2)  # the audit's JS
    assert clamp_rounding(-2.2e-16, math.log(4)) == 0.0  # the audit's GAN and Jeffreys
    assert clamp_rounding(1.0 + 10 * budget, 1.0) == 1.0 + 10 * budget  # not rounding: visible
    assert clamp_rounding(-1e-10, math.inf) == -1e-10
    assert math.isnan(clamp_rounding(math.nan, 1.0))


@pytest.mark.parametrize("name", sorted(reference.DIVERGENCES))
def test_identical_gaussians_are_never_below_zero(name: str) -> None:
    """GAN by quadrature came out at -4e-17 between identical laws: now 0 <= D <= rounding."""
    g = Gaussian([0.3], [[2.0]])
    assert 0.0 <= reference.divergence(name, g, g) <= rounding_budget(1.0)


@pytest.mark.parametrize("name", sorted(reference.DIVERGENCES))
@pytest.mark.parametrize("mean", [40.0, 1e3, 1e150, 1e300])
def test_far_apart_gaussians_are_at_the_bound_in_range(name: str, mean: float) -> None:
    """Mean 1e300 gave 'mean and cov must be finite' or NaN; the values are the bounds."""
    for p, q in ((Gaussian([mean], [[1.0]]), Gaussian([0.0], [[2.0]])),
                 (Gaussian([mean, 0.0], np.eye(2)), Gaussian([0.0, 0.0], np.eye(2)))):
        value = reference.divergence(name, p, q)
        assert 0.0 <= value <= BOUNDS[name]
        if math.isfinite(BOUNDS[name]):
            assert value == BOUNDS[name]


def test_quadrature_at_extreme_location_and_scale_matches_unit_scale() -> None:
    """f-divergences are affine invariant: the same pair at 1e300 or at scale 1e-150."""
    for name in ("js", "tv", "gan"):
        unit = reference.divergence(name, Gaussian([1.0], [[1.0]]), Gaussian([0.0], [[2.0]]))
        centred = reference.divergence(name, Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[2.0]]))
        far = reference.divergence(name, Gaussian([1e300], [[1.0]]), Gaussian([1e300], [[2.0]]))
        huge = reference.divergence(name, Gaussian([1e150], [[1e300]]),
                                    Gaussian([0.0], [[2e300]]))
        tiny = reference.divergence(name, Gaussian([1e-150], [[1e-300]]),
                                    Gaussian([0.0], [[2e-300]]))
        assert far == pytest.approx(centred, rel=1e-9)
        assert huge == pytest.approx(unit, rel=1e-9)
        assert tiny == pytest.approx(unit, rel=1e-9)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (1.0, 1.0 + 1e-11),
        (1.0 + 1e-12, 1.0),
        (0.3, 0.3 * (1 + 2**-40)),
        (2.0, 1.1),
        (1e-300, 1e300),
    ],
)
def test_rel_entr_matches_high_precision_for_nearly_equal_inputs(x: float, y: float) -> None:
    """scipy gh-20710: rel_entr(1, 1 + 1e-11) within 1e-13 relative (was ~1e-3 off)."""
    mpmath.mp.dps = 50
    expected = float(mpmath.mpf(x) * mpmath.log(mpmath.mpf(x) / mpmath.mpf(y)))
    got = float(rel_entr(np.array([x]), np.array([y]))[0])
    assert got == pytest.approx(expected, rel=1e-13)
    assert got == pytest.approx(float(scipy.special.rel_entr(x, y)), rel=1e-13)


def test_rel_entr_keeps_its_conventions_and_torch_gradients() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 0.0, 0.5, 1e308])
    y = np.array([0.0, 1.0, 0.0, 1e-308])
    with np.errstate(over="ignore"):
        got = rel_entr(x, y)
    np.testing.assert_array_equal(got, scipy.special.rel_entr(x, y))
    t = torch.tensor([0.0, 0.4, 1.0], dtype=torch.float64, requires_grad=True)
    rel_entr(t, torch.tensor([1.0, 0.0, 0.9], dtype=torch.float64))[[0, 2]].sum().backward()
    assert torch.all(torch.isfinite(t.grad))


def _clouds(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(7, 2)), rng.normal(size=(5, 2)) + 1.0


@pytest.mark.parametrize("scale", [1e-300, 1e-170, 1e-10, 1e10, 1e200, 1e300])
def test_w1_in_two_dimensions_is_scale_equivariant_and_symmetric(scale: float) -> None:
    """Points at +-1e200 gave inf (POT: infeasible), distinct points 1e-170 apart gave 0."""
    x, y = _clouds()
    unit = wasserstein1(x, y)
    scaled = wasserstein1(x * scale, y * scale)
    assert scaled == pytest.approx(unit * scale, rel=1e-12)
    assert wasserstein1(y * scale, x * scale) == scaled
    assert wasserstein1_dual(x * scale, y * scale).value == pytest.approx(scaled, rel=1e-12)


def test_w1_far_points_and_tiny_gaps() -> None:
    far = wasserstein1([[1e200, 1e200]], [[-1e200, -1e200]])
    assert far == pytest.approx(2 * math.sqrt(2) * 1e200, rel=1e-15)
    assert wasserstein1([[0.0, 0.0], [1e-170, 0.0]], [[0.0, 0.0], [0.0, 0.0]]) == pytest.approx(
        0.5e-170, rel=1e-15
    )
    assert wasserstein1([[5.0, 1.0]] * 3, [[5.0, 1.0]] * 2) == 0.0  # coincident: spread 0


def test_w1_is_exactly_symmetric_with_weights() -> None:
    x, y = _clouds(3)
    a = np.arange(1, 8) / 28.0
    b = np.arange(5, 0, -1) / 15.0
    for method in ("lp", "auto"):
        assert wasserstein1(x, y, a, b, method=method) == wasserstein1(y, x, b, a, method=method)
    assert wasserstein1(x[:, 0], y[:, 0], a, b) == wasserstein1(y[:, 0], x[:, 0], b, a)


def test_w1_translation_does_not_overflow() -> None:
    assert wasserstein1_translation([1e300, 1e300]) == pytest.approx(math.sqrt(2) * 1e300)
    assert wasserstein1_translation([3e-200, 4e-200]) == pytest.approx(5e-200, rel=1e-15)


def _refuse_to_allocate(*args: object, **kwargs: object) -> None:
    raise AssertionError("the cost matrix was allocated before the memory check")


@pytest.mark.parametrize("solver", [wasserstein1, wasserstein1_dual])
def test_exact_w1_too_large_is_refused_up_front(
    monkeypatch: pytest.MonkeyPatch, solver: object
) -> None:
    """n = 30,000 reached numpy's raw MemoryError (6.7 GiB cost matrix); now refused first."""
    import scipy.spatial.distance

    from divergence_verify.reference import memory

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 4 * 2**30)
    monkeypatch.setattr(scipy.spatial.distance, "cdist", _refuse_to_allocate)
    x = np.zeros((30_000, 2))
    with pytest.raises(MemoryError, match=r"n = 30000, m = 30000 needs about \d+\.\d GiB, but "
                       r"only 4\.0 GiB is available"):
        solver(x, x + 1.0)  # type: ignore[operator]


def test_memory_figures() -> None:
    from divergence_verify.reference import memory

    assert memory.lp_bytes(30_000, 30_000) >= 2 * 8 * 30_000**2  # at least cost + plan
    available = memory.available_memory_bytes()
    assert available is None or available > 0
    memory.check_memory(1.0, "one byte")  # fits anywhere
