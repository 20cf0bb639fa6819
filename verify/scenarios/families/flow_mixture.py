"""Family ``flow-mixture``: independent 1-D mixture pairs, multiplied, then a random flow.

Each coordinate i has P_i = a two-component Gaussian mixture (random weight, means, widths) and
Q_i = N(0, s_i²) with s_i wider than every component (so chi2 is finite); the product over
``dim`` coordinates is pushed through one frozen random coupling flow. Truths: KL, reverse KL
and Jeffreys (sums), squared Hellinger and chi2 (products), each factor by adaptive quadrature
with its error bound propagated; the flow changes none of them. JS, TV, GAN: no exact value.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference import Gaussian, GaussianMixture
from divergence_verify.reference.flows import CouplingFlow
from divergence_verify.verify.scenarios.blocks import product, transformed
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.draws import seed_from
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def _factor(rng: np.random.Generator) -> tuple[GaussianMixture, Gaussian]:
    w = rng.uniform(0.2, 0.8)
    means = rng.uniform(-2.0, 2.0, 2)
    stds = rng.uniform(0.3, 1.0, 2)
    mix = GaussianMixture([w, 1.0 - w], means, stds**2)
    # Q wider than every component by a margin: 2/s_p² - 1/s_q² > 0, chi2 finite.
    width = 1.2 * float(np.max(stds)) + float(np.max(np.abs(means)))
    return mix, Gaussian([0.0], [[width**2]])


def _build(rng: np.random.Generator, dim: int, layers: int) -> Scenario:
    if dim < 2:
        raise ValueError(f"flow-mixture needs dim >= 2 (a product of pairs), got {dim}")
    base = product(*(_factor(rng) for _ in range(dim)))
    flow = CouplingFlow(dim, seed_from(rng), layers=layers)
    return transformed(base, flow, description=f"{dim} independent 1-D mixture-vs-Gaussian "
                                               f"pairs through a random {layers}-layer flow")


FAMILY = register_family(Family(
    "flow-mixture",
    "products of 1-D mixture pairs through a random flow: KL, reverse KL, Jeffreys, H², chi2",
    _build, {"dim": 4, "layers": 4}, tags=("non-gaussian", "mixture")))
