"""Transformed and product laws: invariance and composition rules against independent values.

Independent computations: the Gaussian closed forms of the joint (block-diagonal) law for
products of Gaussians; two-dimensional quadrature of q f(p/q) for a product of mixtures;
Monte Carlo of the log-density ratio (exact log-densities, the Jacobian included) within 4
standard errors at a stated sample size and seed.
"""

import math

import numpy as np
import pytest

from divergence_verify import reference
from divergence_verify.reference import Gaussian, GaussianMixture, exact_divergence
from divergence_verify.reference.composite import Product, Transformed, Translated
from divergence_verify.reference.flows import CouplingFlow
from divergence_verify.reference.transforms import (
    Asinh,
    HalfCube,
    NormalCDF,
    Rotation,
    Spiral,
    Transform,
)

COMPOSED = ("kl", "reverse_kl", "jeffreys", "hellinger", "chi2")


def _mc_kl(p, q, n, seed):
    """Monte Carlo KL(P||Q) from P's samples and exact log-densities, with its standard error."""
    x = p.sample(n, seed)
    ratio = p.log_prob(x) - q.log_prob(x)
    return ratio.mean(), ratio.std() / math.sqrt(n)


def _block(*covs):
    d = sum(c.shape[0] for c in covs)
    out, at = np.zeros((d, d)), 0
    for c in covs:
        out[at:at + c.shape[0], at:at + c.shape[0]] = c
        at += c.shape[0]
    return out


def test_products_of_gaussians_agree_with_the_joint_closed_forms():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 2)), rng.standard_normal((1, 1))
    cp = [a @ a.T + np.eye(2), b @ b.T + 0.5]
    cq = [np.diag([1.5, 0.8]), np.array([[1.2]])]
    mp = [np.array([0.3, -0.2]), np.array([0.5])]
    p = Product((Gaussian(mp[0], cp[0]), Gaussian(mp[1], cp[1])))
    q = Product((Gaussian(np.zeros(2), cq[0]), Gaussian(np.zeros(1), cq[1])))
    joint_p = Gaussian(np.concatenate(mp), _block(*cp))
    joint_q = Gaussian(np.zeros(3), _block(*cq))
    for name in COMPOSED:
        composed = exact_divergence(name, p, q)
        direct = exact_divergence(name, joint_p, joint_q)
        assert composed.value == pytest.approx(direct.value, rel=1e-12, abs=1e-14), name
        assert composed.error >= 0


def _grid_integral(fn_log_perspective, p, q, half_width=14.0, panels=40, nodes=20):
    """Tensor-product Gauss-Legendre rule on [-w, w]², panels of width 0.7 (smooth integrand)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(-half_width, half_width, panels + 1)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    pts = (mid[:, None] + half[:, None] * x).ravel()
    wts = (half[:, None] * w).ravel()
    gx, gy = np.meshgrid(pts, pts, indexing="ij")
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    values = fn_log_perspective(p.log_prob(grid), q.log_prob(grid))
    return float(np.sum(values * np.outer(wts, wts).ravel()))


def test_products_of_mixtures_agree_with_two_dimensional_quadrature():
    # Q wide enough that p²/q decays (chi2 finite); the 2-D integral of q f(p/q) uses only the
    # product's log-density, not the composition rules. The narrowest component (SD 0.45) spans
    # many nodes of the 800 x 800 Gauss-Legendre grid; beyond ±14 the widest law (SD 1.41) has
    # mass below 1e-22.
    m1 = GaussianMixture([0.4, 0.6], [-1.0, 1.0], [0.3, 0.5])
    m2 = GaussianMixture([0.7, 0.3], [0.0, 1.5], [0.6, 0.2])
    p = Product((m1, m2))
    q = Product((Gaussian([0.0], [[2.0]]), Gaussian([0.3], [[1.5]])))
    for name in ("hellinger", "chi2", "kl"):
        value = _grid_integral(reference.get_divergence(name).log_perspective, p, q)
        composed = exact_divergence(name, p, q)
        assert composed.value == pytest.approx(value, rel=1e-9), name
        assert composed.method != "quadrature" and composed.error < 1e-8


def test_error_bounds_propagate_through_products():
    m = GaussianMixture([0.3, 0.7], [-2.0, 1.0], [0.25, 1.0])
    g = Gaussian([0.0], [[2.25]])
    factor = {n: exact_divergence(n, m, g) for n in ("kl", "hellinger", "chi2")}
    p, q = Product((m, m, m)), Product((g, g, g))
    for name in ("kl",):
        assert exact_divergence(name, p, q).value == pytest.approx(3 * factor[name].value)
        assert exact_divergence(name, p, q).error >= 3 * factor[name].error
    bc = 1 - factor["hellinger"].value / 2
    hel = exact_divergence("hellinger", p, q)
    assert hel.value == pytest.approx(2 * (1 - bc**3), rel=1e-12)
    # the bound is at least the first-order propagation 2 * 3 bc² * (e/2)
    assert hel.error >= 3 * bc**2 * factor["hellinger"].error
    chi = exact_divergence("chi2", p, q)
    assert chi.value == pytest.approx((1 + factor["chi2"].value) ** 3 - 1, rel=1e-12)
    assert chi.error >= 3 * (1 + factor["chi2"].value) ** 2 * factor["chi2"].error


@pytest.mark.parametrize("name", ["js", "tv", "gan"])
def test_divergences_without_a_product_rule_have_no_exact_value(name):
    p = Product((Gaussian([1.0], [[1.0]]), Gaussian([0.0], [[1.0]])))
    q = Product((Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[1.0]])))
    with pytest.raises(NotImplementedError):
        exact_divergence(name, p, q)


FLOW_PAIRS = [
    (CouplingFlow(4, seed=7), Gaussian([1.0, 0.0, -0.5, 0.2], np.eye(4)),
     Gaussian(np.zeros(4), np.diag([1.0, 2.0, 0.5, 1.0]))),
    (HalfCube(2), Gaussian([0.5, 0.0], [[1.0, 0.3], [0.3, 1.0]]), Gaussian(np.zeros(2), np.eye(2))),
    (Spiral(2, speed=0.8), Gaussian([0.5, 0.5], np.eye(2)), Gaussian(np.zeros(2), np.eye(2))),
    (NormalCDF(2), Gaussian([0.4, -0.3], 0.7 * np.eye(2)), Gaussian(np.zeros(2), np.eye(2))),
    (Asinh(3), Gaussian([0.5, 0.0, 1.0], np.eye(3)), Gaussian(np.zeros(3), 1.5 * np.eye(3))),
]


@pytest.mark.parametrize(("t", "p", "q"), FLOW_PAIRS, ids=lambda v: type(v).__name__)
def test_invariance_the_jacobian_log_ratio_averages_to_the_base_kl(t, p, q):
    # The transformed log-densities (change of variables) on transformed samples: their ratio
    # averages to the base KL; n = 100,000, seed 11, within 4 standard errors.
    tp, tq = Transformed(p, t), Transformed(q, t)
    truth = exact_divergence("kl", tp, tq)
    assert truth.value == exact_divergence("kl", p, q).value
    assert "invariant under" in truth.method
    mean, se = _mc_kl(tp, tq, 100_000, 11)
    assert abs(mean - truth.value) < 4 * se


def test_different_maps_on_the_two_sides_have_no_exact_value():
    p, q = Gaussian([1.0, 0.0], np.eye(2)), Gaussian(np.zeros(2), np.eye(2))
    with pytest.raises(NotImplementedError):
        exact_divergence("kl", Transformed(p, Rotation(2, seed=0)),
                         Transformed(q, Rotation(2, seed=1)))
    same = exact_divergence("kl", Transformed(p, Rotation(2, seed=0)),
                            Transformed(q, Rotation(2, seed=0)))  # equal recipes, two objects
    assert same.value == pytest.approx(0.5)


def test_translated_laws_sample_and_evaluate_the_moved_law():
    base = GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]],
                           [np.eye(2) * 0.2, np.eye(2) * 0.2])
    shift = np.array([3.0, -4.0])
    moved = Translated(base, shift)
    x = base.sample(10, 0)
    assert np.allclose(moved.sample(10, 0), x + shift)
    assert np.allclose(moved.log_prob(x + shift), base.log_prob(x))
    with pytest.raises(ValueError):
        Translated(base, [1.0])


def test_maps_that_do_not_describe_their_parameters_match_only_themselves():
    class Scale(Asinh):
        def __init__(self, factor):
            super().__init__(1)
            self.factor = factor

        def forward(self, x):
            return self.factor * x

        def inverse(self, y):
            return y / self.factor

        def log_abs_det_jacobian(self, x):
            return np.full(x.shape[0], math.log(abs(self.factor)))

    Scale.describe = Transform.describe  # a user's map that forgot to describe itself
    p, q = Gaussian([1.0], [[1.0]]), Gaussian([0.0], [[1.0]])
    one = Scale(2.0)
    assert exact_divergence("kl", Transformed(p, one), Transformed(q, one)).value == 0.5
    with pytest.raises(NotImplementedError):
        exact_divergence("kl", Transformed(p, Scale(2.0)), Transformed(q, Scale(3.0)))
