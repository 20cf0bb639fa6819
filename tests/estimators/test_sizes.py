"""Samples of different sizes (n != m) and settings away from the defaults.

Each of these checks catches a fault that tests with n = m and explicit settings let through
(issue 14, item 7): kNN KL without its log(m/(n-1)) term, the classifier without its prior
correction log(n_Q/n_P), ``expectation="auto"`` taking the E_Q form for KL, and the Miller-Madow
terms off by 1/n or with P and Q swapped. Deterministic where the formula can be checked on a
fixed sample; the two accuracy checks accept ``|error| <= |bias| + 3 SE + 4 SD`` with bias and
SD measured once over 200 replicates (sampling seeds 1000-1199) of exactly the test's
configuration (false-alarm rate about 6e-5 each for a Gaussian error), and use seed 0.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.special import digamma

from divergence_verify.estimators import make_estimator

MU = np.array([0.6, 0.8])  # N(MU, I) vs N(0, I): KL = |MU|^2 / 2 = 0.5
KL = 0.5


def _gaussians(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) + MU, rng.normal(size=(m, 2))


def _tolerance(bias: float, sd: float, replicates: int = 200) -> float:
    return abs(bias) + 3 * sd / math.sqrt(replicates) + 4 * sd


@pytest.mark.parametrize(("k", "k_cross"), [(1, 1), (3, 1), (2, 5)])
def test_knn_kl_formula_with_unequal_sizes(k, k_cross):
    # Brute-force distances and Wang-Kulkarni-Verdu's eq. (17) written out, n = 40, m = 90.
    x_p, x_q = _gaussians(5, 40, 90)
    n, m, d = 40, 90, 2
    within = np.linalg.norm(x_p[:, None] - x_p[None], axis=2)
    np.fill_diagonal(within, np.inf)
    rho = np.sort(within, axis=1)[:, k - 1]
    nu = np.sort(np.linalg.norm(x_p[:, None] - x_q[None], axis=2), axis=1)[:, k_cross - 1]
    expected = (
        d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1)) + digamma(k) - digamma(k_cross)
    )
    est = make_estimator("knn", "kl", k=k, k_cross=k_cross, preprocess="none")
    assert est.estimate(x_p, x_q) == pytest.approx(expected, rel=1e-12)


def test_knn_kl_accuracy_with_unequal_sizes():
    # n = 500, m = 4000, default settings (copula map): measured bias +0.0099, SD 0.101.
    # Without the log(m/(n-1)) term the estimate is about 2.08 lower.
    x_p, x_q = _gaussians(0, 500, 4000)
    error = make_estimator("knn", "kl").estimate(x_p, x_q) - KL
    assert abs(error) <= _tolerance(0.0099, 0.101)


def test_classifier_prior_correction_with_unequal_sizes():
    # n = 1000, m = 4000, default settings: measured bias -0.002, SD 0.055 (max |error| 0.16).
    # Without log(n_Q / n_P) the logit is off by log 4 = 1.39 everywhere.
    x_p, x_q = _gaussians(0, 1000, 4000)
    error = make_estimator("classifier", "kl").estimate(x_p, x_q) - KL
    assert abs(error) <= _tolerance(-0.002, 0.055)


def test_classifier_prior_term_is_exact():
    # Q is P's sample repeated four times: every fitted ratio should be 1, whatever the sizes;
    # a missing or inverted prior term moves the KL estimate by log 4.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(400, 2))
    est = make_estimator("classifier", "kl", train_fraction=0.5)
    value = est.estimate(x, np.concatenate([x, x, x, x]))
    assert abs(value) < 0.05


@pytest.mark.parametrize(
    ("divergence", "form"),
    [("kl", "p"), ("reverse_kl", "q"), ("js", "m"), ("tv", "m"), ("chi2", "m")],
)
def test_classifier_auto_expectation(divergence, form):
    x_p, x_q = _gaussians(2, 300, 500)
    auto = make_estimator("classifier", divergence, seed=4)
    explicit = make_estimator("classifier", divergence, seed=4, expectation=form)
    assert auto._expectation() == form
    assert auto.estimate(x_p, x_q) == explicit.estimate(x_p, x_q)


def test_classifier_separable_samples_reach_the_bound():
    # The q = 0 mass enters through the recession slope f'(inf): disjoint supports give the
    # table's upper bound; the E_Q form (before issue 14) gave about half of it.
    rng = np.random.default_rng(3)
    x_p, x_q = rng.normal(size=(300, 1)) + 30, rng.normal(size=(500, 1))
    for divergence, bound in (("js", math.log(2)), ("tv", 1.0), ("hellinger", 2.0)):
        value = make_estimator("classifier", divergence).estimate(x_p, x_q)
        assert value == pytest.approx(bound, rel=0.02), divergence


def test_classifier_two_points_is_not_absurd():
    # With one training point per side it returned KL -378.
    value = make_estimator("classifier", "kl").estimate([[0.0], [1.0]], [[0.5], [3.0]])
    assert np.isfinite(value) and abs(value) < 10


# Miller-Madow on a fixed sample, n = 4 and m = 6 (exact rational arithmetic):
# P counts (2, 1, 1), Q counts (1, 2, 3) on categories 0, 1, 2.
X_P = np.array([[0], [0], [1], [2]])
X_Q = np.array([[0], [1], [1], [2], [2], [2]])
P_HAT = [Fraction(2, 4), Fraction(1, 4), Fraction(1, 4)]
Q_HAT = [Fraction(1, 6), Fraction(2, 6), Fraction(3, 6)]


def _miller_madow(a, b, n_a, n_b) -> float:
    # (K_A - 1) / (2 n_A) + (sum a/b - 1) / (2 n_B), the bias of the plug-in KL(A || B).
    ratio_sum = sum(x / y for x, y in zip(a, b, strict=True))
    return float(Fraction(len(a) - 1, 2 * n_a) + (ratio_sum - 1) / (2 * n_b))


@pytest.mark.parametrize("divergence", ["kl", "reverse_kl", "jeffreys"])
def test_miller_madow_terms_on_a_fixed_sample(divergence):
    plain = make_estimator("plugin", divergence).estimate(X_P, X_Q)
    corrected = make_estimator("plugin", divergence, bias_correction=True).estimate(X_P, X_Q)
    forward = _miller_madow(P_HAT, Q_HAT, 4, 6)  # 2/8 + 3.25/12
    backward = _miller_madow(Q_HAT, P_HAT, 6, 4)  # 2/12 + (8/3)/8
    expected = {"kl": forward, "reverse_kl": backward, "jeffreys": forward + backward}
    assert plain - corrected == pytest.approx(expected[divergence], rel=1e-12)
    assert forward == pytest.approx(2 / 8 + 3.25 / 12)
    assert backward == pytest.approx(2 / 12 + (8 / 3) / 8)
