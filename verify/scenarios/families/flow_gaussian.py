"""Family ``flow-gaussian``: a random mean-shift Gaussian pair pushed through a random flow.

The base pair is an instance of ``gaussian-mean-shift``; both laws go through one frozen random
coupling flow (:class:`reference.flows.CouplingFlow`, weights from the instance's seed). The
laws are non-Gaussian and every f-divergence is the base pair's (invariance under one bijection);
W1 is not known (the flow is no isometry).
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference.flows import CouplingFlow
from divergence_verify.verify.scenarios.blocks import gaussian_pair, transformed
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import seed_from
from divergence_verify.verify.scenarios.families.gaussian_mean_shift import mean_shift_pair
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def _build(rng: np.random.Generator, dim: int, kl: float, condition: float,
           layers: int) -> Scenario:
    mu, cov = mean_shift_pair(rng, dim, kl, condition)
    base = gaussian_pair(mu, cov, np.zeros(dim), cov)
    flow = CouplingFlow(dim, seed_from(rng), layers=layers)
    return transformed(base, flow, description=f"{dim}-D mean-shift Gaussians (KL {kl:g}) "
                                               f"through a random {layers}-layer coupling flow")


FAMILY = register_family(Family(
    "flow-gaussian",
    "mean-shift Gaussians through a random coupling flow: every f-divergence (invariance)",
    _build, {"dim": 8, "kl": 1.0, "condition": 4.0, "layers": 4}, tags=("non-gaussian",)))
