"""Family ``gaussian-covariance``: two Gaussians with different random covariances, d up to 256.

Sigma_P and Sigma_Q are drawn independently (Haar rotations, spectra log-uniform with the given
condition number), mu_P small and random. Closed forms (:mod:`reference.gaussian`): KL, reverse
KL, Jeffreys, squared Hellinger and chi2 (infinite where 2 Sigma_Q - Sigma_P is not positive
definite); JS, TV, GAN and W1 have none for unequal covariances in d > 1.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.verify.scenarios.blocks import gaussian_pair
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import random_covariance
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def _build(rng: np.random.Generator, dim: int, condition: float, mean_scale: float) -> Scenario:
    if not 1 <= dim <= 256:
        raise ValueError(f"dim must be in [1, 256], got {dim}")
    cov_p = random_covariance(rng, dim, condition)
    cov_q = random_covariance(rng, dim, condition)
    mean_p = mean_scale * rng.standard_normal(dim) / np.sqrt(dim)
    return gaussian_pair(mean_p, cov_p, np.zeros(dim), cov_q,
                         description=f"{dim}-D Gaussians, independent random covariances "
                                     f"(condition {condition:g})")


FAMILY = register_family(Family(
    "gaussian-covariance",
    "Gaussians with different random covariances: KL, reverse KL, Jeffreys, H², chi2",
    _build, {"dim": 32, "condition": 2.0, "mean_scale": 0.5}, tags=("gaussian",)))
