"""Family ``gaussian-mi``: mutual information of a correlated Gaussian (X, Y), dense or sparse.

bmi's dense and sparse multinormal tasks (Czyż et al. 2023): "dense" spreads the MI over all
min(d_X, d_Y) canonical correlations equally, "sparse" puts it on ``interactions`` of them. X
and Y are then mixed by random invertible maps (rotation times scales) within each block, which
keeps I(X; Y) = -½ Σ log(1 - ρ_i²) = ``mi``. The pair (P_XY, P_X ⊗ P_Y) is two Gaussians, so
KL (= MI), reverse KL, Jeffreys, squared Hellinger and chi2 are known in closed form too.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference import Gaussian
from divergence_verify.verify.scenarios.blocks import mutual_information
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import canonical_correlations, mi_covariance
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def correlated_covariance(rng: np.random.Generator, dim_x: int, dim_y: int, mi: float,
                          interactions: int, condition: float) -> np.ndarray:
    """Return a random covariance of (X, Y) with Gaussian MI ``mi`` over ``interactions`` pairs.

    ``interactions = 0`` means dense: all min(dim_x, dim_y) canonical pairs.
    """
    count = min(dim_x, dim_y) if interactions == 0 else interactions
    return mi_covariance(rng, dim_x, dim_y, canonical_correlations(mi, count), condition)


def _build(rng: np.random.Generator, dim_x: int, dim_y: int, mi: float, interactions: int,
           condition: float) -> Scenario:
    cov = correlated_covariance(rng, dim_x, dim_y, mi, interactions, condition)
    kind = "dense" if interactions == 0 else f"sparse ({interactions} interacting pairs)"
    return mutual_information(Gaussian(np.zeros(dim_x + dim_y), cov), dim_x,
                              description=f"Gaussian (X, Y), {dim_x}+{dim_y} dims, {kind}, "
                                          f"MI {mi:g}")


FAMILY = register_family(Family(
    "gaussian-mi",
    "correlated Gaussian (X, Y) vs the product of its marginals: MI, KL, reverse KL, H², chi2",
    _build, {"dim_x": 5, "dim_y": 5, "mi": 1.0, "interactions": 0, "condition": 4.0},
    tags=("gaussian",)))
