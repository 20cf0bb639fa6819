"""Family ``gaussian-mean-shift``: N(mu, Sigma) vs N(0, Sigma), random Sigma and direction of mu.

Sigma = R diag(lambda) R^T (Haar rotation, spectrum log-uniform with the given condition
number); mu = sqrt(2 kl) L u / |u| for a random direction u (Sigma = L L^T), so the Mahalanobis
distance is sqrt(2 kl). Equal covariances: every f-divergence is known (KL = kl exactly; the
others through the one-dimensional reduction), and P is Q translated by mu, so W1 = |mu|.
"""

from __future__ import annotations

import math

import numpy as np

from divergence_verify.verify.scenarios.blocks import gaussian_pair
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import random_covariance
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def mean_shift_pair(rng: np.random.Generator, dim: int, kl: float,
                    condition: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (mu, Sigma) with mu^T Sigma^{-1} mu = 2 kl, Sigma random."""
    if not (dim >= 1 and kl > 0):
        raise ValueError(f"need dim >= 1 and kl > 0, got dim={dim}, kl={kl}")
    cov = random_covariance(rng, dim, condition)
    u = rng.standard_normal(dim)
    mu = math.sqrt(2.0 * kl) * (np.linalg.cholesky(cov) @ (u / np.linalg.norm(u)))
    return mu, cov


def _build(rng: np.random.Generator, dim: int, kl: float, condition: float) -> Scenario:
    mu, cov = mean_shift_pair(rng, dim, kl, condition)
    return gaussian_pair(mu, cov, np.zeros(dim), cov,
                         description=f"{dim}-D N(mu, S) vs N(0, S), random S (condition "
                                     f"{condition:g}) and direction, KL {kl:g}")


FAMILY = register_family(Family(
    "gaussian-mean-shift",
    "N(mu, S) vs N(0, S) with random S and mu direction: every f-divergence and W1 = |mu|",
    _build, {"dim": 16, "kl": 1.0, "condition": 10.0}, tags=("gaussian",)))
