"""Mutual information closed forms and the Student-t law, against independent computations.

Gaussian MI (canonical correlations) against the KL closed form to the block-diagonal Gaussian;
the Student-t density against scipy's; Student-t MI (bmi's formula) against Monte Carlo of the
exact log-density ratio (joint against the marginals' product) within 4 standard errors, at
n = 200,000 and a fixed seed per dof, and in 1+1 dims against 2-D quadrature.
"""

import math

import numpy as np
import pytest
from scipy import stats

from divergence_verify.reference import Gaussian, exact_divergence
from divergence_verify.reference.mutual_information import (
    ProductOfMarginals,
    gaussian_mutual_information,
    product_of_marginals,
    student_t_mi_correction,
    student_t_mutual_information,
)
from divergence_verify.reference.student_t import MultivariateStudentT


def _scale(d, seed):
    a = np.random.default_rng(seed).standard_normal((d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


def test_gaussian_mi_agrees_with_the_kl_to_the_block_diagonal_gaussian():
    for d, split, seed in ((2, 1, 0), (5, 2, 1), (12, 6, 2)):
        cov = _scale(d, seed)
        joint = Gaussian(np.zeros(d), cov)
        kl = exact_divergence("kl", joint, product_of_marginals(joint, split))
        assert kl.value == pytest.approx(gaussian_mutual_information(cov, split), rel=1e-10)


def test_gaussian_mi_of_one_correlation():
    rho = 0.9
    assert gaussian_mutual_information([[1, rho], [rho, 1]], 1) == pytest.approx(
        -0.5 * math.log(1 - rho**2), rel=1e-14)


def test_student_t_density_matches_scipy():
    scale = _scale(3, 3)
    law = MultivariateStudentT([0.5, -1.0, 0.0], scale, 2.5)
    x = np.random.default_rng(4).standard_normal((20, 3)) * 3
    expected = stats.multivariate_t(loc=law.mean, shape=scale, df=2.5).logpdf(x)
    assert np.allclose(law.log_prob(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dof", [1, 2, 3, 4, 5])
def test_student_t_mi_agrees_with_monte_carlo(dof):
    # Samples of the joint from our sampler, exact log-densities of the joint and of the
    # marginals (Student-t with the same dof): the mean log-ratio estimates I(X; Y).
    scale = _scale(4, 5)
    joint = MultivariateStudentT(np.zeros(4), scale, dof)
    q = product_of_marginals(joint, 2)
    truth = exact_divergence("kl", joint, q)
    assert truth.value == pytest.approx(student_t_mutual_information(scale, 2, dof))
    n = 200_000
    x = joint.sample(n, 100 + dof)
    ratio = joint.log_prob(x) - q.log_prob(x)
    assert abs(ratio.mean() - truth.value) < 4 * ratio.std() / math.sqrt(n)


def test_student_t_mi_in_one_plus_one_dims_agrees_with_quadrature():
    # x = tan(u), y = tan(v) maps the plane onto (-pi/2, pi/2)², where the heavy tails
    # (density ~ r^-4 for dof 2) become a bounded integrand; 80 Gauss-Legendre panels of 16
    # nodes per axis. The rule converges to the closed form from above (10, 20, 40 panels:
    # errors 2.5e-4, 7e-5, 2e-5; 80 panels: 5e-6).
    dof, rho = 2.0, 0.6
    joint = MultivariateStudentT(np.zeros(2), np.array([[1.0, rho], [rho, 1.0]]), dof)
    q = product_of_marginals(joint, 1)
    nodes, weights = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(-np.pi / 2, np.pi / 2, 81)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    u = (mid[:, None] + half[:, None] * nodes).ravel()
    jac = (half[:, None] * weights).ravel() / np.cos(u) ** 2
    gx, gy = np.meshgrid(np.tan(u), np.tan(u), indexing="ij")
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    log_p = joint.log_prob(pts)
    value = float(np.sum(np.exp(log_p) * (log_p - q.log_prob(pts)) * np.outer(jac, jac).ravel()))
    assert student_t_mutual_information(joint.scale, 1, dof) == pytest.approx(value, abs=2e-5)


def test_the_student_t_correction_vanishes_as_the_tails_become_gaussian():
    corrections = [student_t_mi_correction(dof, 2, 3) for dof in (1, 3, 10, 100)]
    assert all(c > 0 for c in corrections)
    assert corrections == sorted(corrections, reverse=True)
    # At dof = 1e6 the correction (about 3e-12) is within the reported rounding bound of 0.
    joint = MultivariateStudentT(np.zeros(5), np.eye(5), 1e6)
    far = exact_divergence("kl", joint, product_of_marginals(joint, 2))
    assert abs(far.value) <= far.error < 1e-7


def test_product_of_marginals_samples_x_and_y_from_independent_joint_draws():
    joint = Gaussian(np.zeros(2), [[1.0, 0.95], [0.95, 1.0]])
    q = product_of_marginals(joint, 1)
    rng_state = np.random.default_rng(7)
    x = q.sample(50_000, rng_state)
    assert abs(np.corrcoef(x.T)[0, 1]) < 4 / math.sqrt(50_000)
    first = joint.sample(50_000, np.random.default_rng(7))
    assert np.array_equal(x[:, 0], first[:, 0])  # X is the first joint draw's X


def test_sampling_the_product_agrees_with_the_reverse_kl():
    # E_Q[log q - log p] is the reverse KL (closed form for a Gaussian joint): a sampler of Q
    # that kept any dependence between X and Y would miss it. n = 200,000, seed 8, 4 SE.
    cov = _scale(4, 9)
    joint = Gaussian(np.zeros(4), cov)
    q = product_of_marginals(joint, 2)
    truth = exact_divergence("reverse_kl", joint, q).value
    x = q.sample(200_000, 8)
    ratio = q.log_prob(x) - joint.log_prob(x)
    assert abs(ratio.mean() - truth) < 4 * ratio.std() / math.sqrt(200_000)


def test_bad_splits_and_laws_are_refused():
    joint = Gaussian(np.zeros(3), np.eye(3))
    for split in (0, 3, 1.5):
        with pytest.raises(ValueError, match="split"):
            product_of_marginals(joint, split)
    with pytest.raises(ValueError, match="dimensions"):
        ProductOfMarginals(joint, 1, Gaussian([0.0], [[1.0]]), Gaussian([0.0], [[1.0]]))
    with pytest.raises(ValueError, match="dof"):
        MultivariateStudentT(np.zeros(2), np.eye(2), 0.0)
    with pytest.raises(ValueError, match="singular"):
        gaussian_mutual_information([[1.0, 1.0], [1.0, 1.0 + 1e-17]], 1)


def test_a_student_t_against_another_laws_marginals_has_no_closed_form():
    joint = MultivariateStudentT(np.zeros(2), np.eye(2), 3.0)
    other = product_of_marginals(MultivariateStudentT(np.zeros(2), np.eye(2), 4.0), 1)
    with pytest.raises(NotImplementedError):
        exact_divergence("kl", joint, other)
