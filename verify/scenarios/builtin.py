"""The fixed named scenarios of the reports and the default certificates.

Their samples enter the cache keys through :data:`~.core.SAMPLING_VERSION`: unchanged since 2.
"""

from __future__ import annotations

import math

import numpy as np

from divergence_verify.reference import Categorical, Gaussian, GaussianMixture
from divergence_verify.verify.design import ENVELOPE_DIMS, ENVELOPE_KLS, envelope_name
from divergence_verify.verify.scenarios.core import Scenario, register_scenario

__all__ = ["gaussian_mean_shift"]


def gaussian_mean_shift(dim: int, kl: float) -> tuple[Gaussian, Gaussian]:
    """Return P = N(mu, I), Q = N(0, I) in ``dim`` dimensions with KL(P||Q) = |mu|²/2 = ``kl``."""
    mu = np.full(dim, math.sqrt(2.0 * kl / dim))
    return Gaussian(mu, np.eye(dim)), Gaussian(np.zeros(dim), np.eye(dim))


def _register_defaults() -> None:
    add = register_scenario
    add(Scenario("bernoulli", "Bernoulli(0.7) vs Bernoulli(0.4) (the seed's example)",
                 Categorical([0.3, 0.7]), Categorical([0.6, 0.4]), tags=("discrete",)))
    add(Scenario("categorical-nested", "categorical, supp P ⊂ supp Q (KL finite, reverse KL inf)",
                 Categorical([0.5, 0.3, 0.2, 0.0, 0.0]), Categorical([0.2, 0.2, 0.2, 0.2, 0.2]),
                 tags=("discrete",)))
    add(Scenario("categorical-disjoint", "categorical, disjoint supports (JS = log 2, TV = 1)",
                 Categorical([0.5, 0.5, 0.0, 0.0]), Categorical([0.0, 0.0, 0.25, 0.75]),
                 tags=("discrete",)))
    add(Scenario("gauss1d-shift", "N(1, 1) vs N(0, 1)",
                 Gaussian([1.0], [[1.0]]), Gaussian([0.0], [[1.0]]), shift=np.array([1.0]),
                 tags=("gaussian",)))
    add(Scenario("gauss1d-scale", "N(0.5, 2²) vs N(0, 1): different variances",
                 Gaussian([0.5], [[4.0]]), Gaussian([0.0], [[1.0]]), tags=("gaussian",)))
    p2, q2 = gaussian_mean_shift(2, 0.5)
    add(Scenario("gauss2d-kl0.5", "2-D N(mu, I) vs N(0, I), KL 0.5 (equal covariance)",
                 p2, q2, shift=p2.mean, tags=("gaussian", "default")))
    cov_p = np.array([[1.5, 0.4, 0.0], [0.4, 1.0, 0.2], [0.0, 0.2, 0.8]])
    add(Scenario("gauss3d-cov", "3-D Gaussians with different means and covariances",
                 Gaussian([0.5, -0.3, 0.2], cov_p), Gaussian(np.zeros(3), np.eye(3)),
                 tags=("gaussian",)))
    p10, q10 = gaussian_mean_shift(10, 0.5)
    add(Scenario("gauss10d-kl0.5", "10-D N(mu, I) vs N(0, I), KL 0.5",
                 p10, q10, shift=p10.mean, tags=("gaussian",)))
    add(Scenario("mixture1d", "1-D mixture 0.3 N(-2, 0.5²) + 0.7 N(1, 1) vs N(0, 1.5²)",
                 GaussianMixture([0.3, 0.7], [-2.0, 1.0], [0.25, 1.0]), Gaussian([0.0], [[2.25]]),
                 tags=("mixture",)))
    shift = np.array([2.0, -1.0])
    add(Scenario("translate2d", "2-D N(0, diag(1, 2)) translated by (2, -1): W1 = √5",
                 Gaussian(shift, np.diag([1.0, 2.0])), Gaussian([0.0, 0.0], np.diag([1.0, 2.0])),
                 shift=shift, tags=("w1",)))
    for kl in (0.1, 1.0, 5.0, 10.0, 20.0):
        p, q = gaussian_mean_shift(2, kl)
        add(Scenario(f"ladder-kl{kl:g}", f"2-D N(mu, I) vs N(0, I) with KL {kl:g} (ladder)",
                     p, q, shift=p.mean, tags=("ladder",)))
    for dim in ENVELOPE_DIMS:  # the validity envelope's grid (verify.design.envelope_name)
        for kl in ENVELOPE_KLS:
            p, q = gaussian_mean_shift(dim, kl)
            add(Scenario(envelope_name(dim, kl),
                         f"{dim}-D N(mu, I) vs N(0, I) with KL {kl:g} (validity envelope)",
                         p, q, shift=p.mean, tags=("envelope", "gaussian")))


_register_defaults()
