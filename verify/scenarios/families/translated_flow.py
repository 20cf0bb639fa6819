"""Family ``translated-flow``: a random non-Gaussian law against itself moved by a translation.

The law is a random Gaussian N(0, S) pushed through a frozen random coupling flow (skewed,
non-elliptical); P is that law moved by s, a random direction of length ``distance``, and Q the
law itself. W1(P, Q) = |s| exactly in any dimension (a coupling moving every point by s costs
|s|, and |E_P[X] - E_Q[X]| = |s| bounds every coupling's cost from below); no f-divergence is
known.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference import Gaussian
from divergence_verify.reference.composite import Transformed
from divergence_verify.reference.flows import CouplingFlow
from divergence_verify.verify.scenarios.blocks import translated
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import random_covariance, seed_from
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def _build(rng: np.random.Generator, dim: int, distance: float, layers: int) -> Scenario:
    if not distance > 0:
        raise ValueError(f"distance must be positive, got {distance}")
    law = Transformed(Gaussian(np.zeros(dim), random_covariance(rng, dim, 4.0)),
                      CouplingFlow(dim, seed_from(rng), layers=layers))
    u = rng.standard_normal(dim)
    return translated(law, distance * u / np.linalg.norm(u),
                      description=f"{dim}-D flow-transformed Gaussian translated by "
                                  f"{distance:g}: W1 = {distance:g}")


FAMILY = register_family(Family(
    "translated-flow",
    "a random flow-transformed law against itself translated: W1 = the distance",
    _build, {"dim": 8, "distance": 1.0, "layers": 4}, tags=("non-gaussian", "w1")))
