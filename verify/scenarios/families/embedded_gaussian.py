"""Family ``embedded-gaussian``: a mean-shift Gaussian pair in d dims embedded in D > d dims.

The base pair is an instance of ``gaussian-mean-shift`` in ``dim`` dimensions; both laws are
embedded into ``ambient`` dimensions by one random :class:`reference.transforms.Embedding` (data
on a d-dimensional manifold: no density in the ambient space). Every f-divergence is the base
pair's. With ``curvature = 0`` the embedding is an orthonormal frame, an isometry, and W1 = |F mu|
= |mu|; a curved embedding keeps only the f-divergences.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference.transforms import Embedding
from divergence_verify.verify.scenarios.blocks import gaussian_pair, transformed
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import seed_from
from divergence_verify.verify.scenarios.families.gaussian_mean_shift import mean_shift_pair
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def _build(rng: np.random.Generator, dim: int, ambient: int, kl: float,
           curvature: float) -> Scenario:
    mu, cov = mean_shift_pair(rng, dim, kl, 4.0)
    base = gaussian_pair(mu, cov, np.zeros(dim), cov)
    shape = "curved" if curvature else "flat"
    return transformed(base, Embedding(dim, ambient, seed_from(rng), curvature),
                       description=f"{dim}-D mean-shift Gaussians (KL {kl:g}) on a {shape} "
                                   f"{dim}-manifold in {ambient} dims")


FAMILY = register_family(Family(
    "embedded-gaussian",
    "mean-shift Gaussians on a d-manifold in D dims: f-divergences; W1 too when flat",
    _build, {"dim": 3, "ambient": 32, "kl": 1.0, "curvature": 1.0}, tags=("manifold",)))
