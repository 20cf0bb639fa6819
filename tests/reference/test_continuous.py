"""Continuous families: closed forms vs torch and vs quadrature, dispatch, and bad input."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats
from torch.distributions import MultivariateNormal, kl_divergence

import reference
from reference import Categorical, Gaussian, GaussianMixture
from verify.strategies import gaussian_params


def gaussian_pairs(max_dim=4, condition="any", max_condition=1e6):
    return st.integers(1, max_dim).flatmap(lambda d: st.tuples(
        gaussian_params(d, d, condition=condition, max_condition=max_condition, max_abs_mean=3.0),
        gaussian_params(d, d, condition=condition, max_condition=max_condition, max_abs_mean=3.0),
    ))


def one_d(mean, var):
    return Gaussian([mean], [[var]])


@given(gaussian_pairs())
def test_gaussian_kl_matches_torch(pair):
    (mp, cp), (mq, cq) = pair
    ours = reference.divergence("kl", Gaussian(mp, cp), Gaussian(mq, cq))
    theirs = float(kl_divergence(MultivariateNormal(torch.tensor(mp), torch.tensor(cp)),
                                 MultivariateNormal(torch.tensor(mq), torch.tensor(cq))))
    # torch inverts by Cholesky too; with condition numbers up to 1e6 float64 agrees to ~1e-7.
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-8)


@given(gaussian_pairs(condition="well"))
def test_gaussian_identities(pair):
    (mp, cp), (mq, cq) = pair
    p, q = Gaussian(mp, cp), Gaussian(mq, cq)
    kl, rkl = reference.divergence("kl", p, q), reference.divergence("reverse_kl", p, q)
    assert rkl == pytest.approx(reference.divergence("kl", q, p), rel=1e-12)
    assert reference.divergence("jeffreys", p, q) == pytest.approx(kl + rkl, rel=1e-12)
    h2 = reference.divergence("hellinger", p, q)
    assert 0.0 <= h2 <= 2.0
    assert h2 == pytest.approx(reference.divergence("hellinger", q, p), rel=1e-9, abs=1e-15)
    # Hellinger vs KL: H^2 <= KL (both in nats, H^2 = ∫(√p-√q)^2) -- Le Cam's inequality.
    assert h2 <= kl + 1e-12
    chi2 = reference.divergence("chi2", p, q)
    assert kl <= math.log1p(chi2) + 1e-9 * max(1.0, kl)  # KL <= log(1 + chi2), Jensen
    for name in ("kl", "hellinger", "chi2"):
        assert reference.divergence(name, p, p) == pytest.approx(0.0, abs=1e-9)


ONE_D_PAIRS = [
    (one_d(1.0, 2.0), one_d(0.0, 1.5)),
    (one_d(-0.5, 0.3), one_d(0.7, 1.0)),
    (one_d(0.0, 1.0), one_d(0.0, 4.0)),
    (one_d(2.0, 0.7), one_d(2.0, 0.7)),
]


@pytest.mark.parametrize("p, q", ONE_D_PAIRS)
@pytest.mark.parametrize("name", ["kl", "reverse_kl", "jeffreys", "hellinger", "chi2"])
def test_closed_forms_agree_with_quadrature_in_one_dimension(p, q, name):
    closed = reference.exact_divergence(name, p, q)
    quad = reference.quadrature_divergence(name, p, q)
    assert closed.method == "closed form"
    assert quad.value == pytest.approx(closed.value, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("delta", [0.0, 0.1, 1.0, 3.0])
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_equal_covariance_tv_is_two_phi_minus_one(delta, scale):
    p, q = one_d(delta * scale, scale**2), one_d(0.0, scale**2)
    tv = reference.divergence("tv", p, q)
    assert tv == pytest.approx(2 * stats.norm.cdf(delta / 2) - 1, abs=1e-14)
    assert reference.quadrature_divergence("tv", p, q).value == pytest.approx(tv, abs=1e-10)


def test_equal_covariance_reduction_in_several_dimensions():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    p, q = Gaussian([1.0, -1.0, 0.5], cov), Gaussian([0.0, 0.0, 0.0], cov)
    z = np.linalg.solve(np.linalg.cholesky(cov), p.mean)
    delta = float(np.sqrt(z @ z))
    assert reference.divergence("kl", p, q) == pytest.approx(delta**2 / 2, rel=1e-12)
    assert reference.divergence("chi2", p, q) == pytest.approx(math.expm1(delta**2), rel=1e-12)
    assert reference.divergence("hellinger", p, q) == pytest.approx(
        2 * (1 - math.exp(-(delta**2) / 8)), rel=1e-12)
    for name in ("js", "gan"):
        reduced = reference.divergence(name, p, q)
        direct = reference.divergence(name, one_d(delta, 1.0), one_d(0.0, 1.0))
        assert reduced == pytest.approx(direct, rel=1e-12)
    assert reference.divergence("gan", p, q) == pytest.approx(
        2 * reference.divergence("js", p, q), rel=1e-9)


def test_chi2_is_infinite_when_q_has_light_tails():
    assert math.isinf(reference.divergence("chi2", one_d(0.0, 2.0), one_d(0.0, 1.0)))
    mix = GaussianMixture([0.5, 0.5], [0.0, 1.0], [2.0, 1.0])
    assert math.isinf(reference.divergence("chi2", mix, one_d(0.0, 1.0)))
    assert math.isfinite(reference.divergence("chi2", one_d(0.0, 1.9), one_d(0.0, 1.0)))


def test_mixture_quadrature_agrees_with_scipy_integration():
    mix = GaussianMixture([0.3, 0.7], [-2.0, 1.0], [0.25, 1.0])
    q = one_d(0.0, 2.25)

    def integrand(x):
        lp, lq = mix.log_prob(np.array([x]))[0], q.log_prob(np.array([x]))[0]
        return math.exp(lp) * (lp - lq)

    independent, _ = integrate.quad(integrand, -np.inf, np.inf, limit=400)
    assert reference.divergence("kl", mix, q) == pytest.approx(independent, rel=1e-8)


def test_wide_p_narrow_q_kl_integrand_does_not_overflow():
    # p/q exceeds 1e308 in the tails; the log-space integrand keeps quadrature exact.
    p, q = one_d(0.0, 100.0), one_d(0.0, 1.0)
    assert reference.quadrature_divergence("kl", p, q).value == pytest.approx(
        reference.divergence("kl", p, q), rel=1e-10)


def test_w1_quadrature_between_gaussians_with_equal_means():
    # Comonotone coupling: W1(N(m, s1^2), N(m, s2^2)) = |s1 - s2| E|Z| = |s1 - s2| sqrt(2/pi).
    value = reference.wasserstein1_quadrature(one_d(0.3, 1.0), one_d(0.3, 4.0)).value
    assert value == pytest.approx(math.sqrt(2 / math.pi), rel=1e-10)


def test_categoricals_of_different_lengths_are_padded():
    assert reference.divergence("kl", Categorical([0.5, 0.5]), Categorical([0.25, 0.25, 0.5])) \
        == pytest.approx(math.log(2), rel=1e-15)


def test_pairs_without_an_exact_method_raise_naming_the_pair():
    p = Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, 2.0]])
    q = Gaussian([1.0, 0.0], np.eye(2))
    with pytest.raises(NotImplementedError, match=r"'tv' between Gaussian \(d=2\)"):
        reference.divergence("tv", p, q)
    mix2 = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])
    with pytest.raises(NotImplementedError, match="GaussianMixture"):
        reference.divergence("kl", mix2, q)


@pytest.mark.parametrize("args, match", [
    (([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
    (([0.0], [[1.0, 0.0], [0.0, 1.0]]), "shape"),
    (([np.nan], [[1.0]]), "finite"),
    (([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
    (([], []), "empty"),
])
def test_gaussian_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        Gaussian(*args)


def test_bad_pairs_and_names():
    with pytest.raises(ValueError, match="same dimension"):
        reference.divergence("kl", one_d(0, 1), Gaussian([0, 0], np.eye(2)))
    with pytest.raises(TypeError, match="Distribution"):
        reference.exact_divergence("kl", one_d(0, 1), [0.5, 0.5])
    with pytest.raises(ValueError, match="unknown divergence 'kll'"):
        reference.divergence("kll", one_d(0, 1), one_d(1, 1))
    with pytest.raises(ValueError, match="same number of components"):
        GaussianMixture([0.5, 0.5], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="sums to"):
        GaussianMixture([0.5, 0.6], [0.0, 1.0], [1.0, 1.0])


@pytest.mark.parametrize("dist", [
    Gaussian([1.0, -2.0], [[2.0, 0.5], [0.5, 1.0]]),
    GaussianMixture([0.3, 0.7], [-2.0, 1.0], [0.25, 1.0]),
])
def test_sampling_moments_and_log_prob_normalisation(dist):
    x = dist.sample(200_000, seed=0)
    if isinstance(dist, Gaussian):
        mean, cov = dist.mean, dist.cov
    else:
        mean = np.array([dist.weights @ dist.means[:, 0]])
        second = dist.weights @ (dist.covs[:, 0, 0] + dist.means[:, 0] ** 2)
        cov = np.array([[second - mean[0] ** 2]])
    # 6 standard errors: the sample mean's SE is sqrt(diag(cov)/n).
    se = np.sqrt(np.diag(cov) / x.shape[0])
    assert np.all(np.abs(x.mean(0) - mean) < 6 * se)
    assert np.array_equal(dist.sample(10, seed=3), dist.sample(10, seed=3))
    if dist.dim == 1:
        total, _ = integrate.quad(lambda t: math.exp(dist.log_prob(np.array([t]))[0]), -30, 30,
                                  points=[-2.0, 0.0, 1.0], limit=200)
        assert total == pytest.approx(1.0, abs=1e-10)
