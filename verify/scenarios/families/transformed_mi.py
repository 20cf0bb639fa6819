"""Family ``transformed-mi``: Gaussian or Student-t (X, Y) with X and Y mapped separately.

bmi's transformed tasks (Czyż et al. 2023): the half-cube, asinh, spiral or normal-CDF map is
applied to X and, separately, to Y, so I(T_X(X); T_Y(Y)) = I(X; Y) = ``mi`` while the laws
become non-Gaussian (the normal CDF gives bounded support, the half-cube heavier tails). The
normal CDF is taken only of a Gaussian base with unit-variance coordinates (``condition`` 1):
Phi rounds to 1 in float64 beyond 8.3, where heavy tails would reach. The spiral needs
d_X, d_Y >= 2. Only the MI (= KL of the pair, the base pair's by invariance) is claimed, plus
for a Gaussian base every closed form of the base pair.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference import Gaussian
from divergence_verify.reference.transforms import Asinh, Blockwise, HalfCube, NormalCDF, Spiral
from divergence_verify.verify.scenarios.blocks import mutual_information, transformed
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.gaussian_mi import correlated_covariance
from divergence_verify.verify.scenarios.families.registry import Family, register_family
from divergence_verify.verify.scenarios.families.student_t_mi import student_t_joint

MAPS = {"half-cube": HalfCube, "asinh": Asinh, "spiral": Spiral, "normal-cdf": NormalCDF}
"""The maps by name, each built as ``cls(dim)`` for X and for Y."""


def _build(rng: np.random.Generator, dim_x: int, dim_y: int, mi: float, base: str, map: str,
           dof: float) -> Scenario:
    if map not in MAPS:
        raise ValueError(f"unknown map {map!r}; expected one of: {', '.join(MAPS)}")
    if base not in ("gaussian", "student-t"):
        raise ValueError(f"base must be 'gaussian' or 'student-t', got {base!r}")
    if map == "normal-cdf" and base != "gaussian":
        raise ValueError("the normal CDF is applied to a Gaussian base only (float64 rounds "
                         "Phi to 1 in heavy tails)")
    condition = 1.0 if map == "normal-cdf" else 4.0
    if base == "gaussian":
        cov = correlated_covariance(rng, dim_x, dim_y, mi, 0, condition)
        pair = mutual_information(Gaussian(np.zeros(dim_x + dim_y), cov), dim_x)
    else:
        pair = mutual_information(student_t_joint(rng, dim_x, dim_y, mi, dof), dim_x)
    maps = Blockwise(MAPS[map](dim_x), MAPS[map](dim_y))
    return transformed(pair, maps, description=f"{map} of X and of Y, {base} base, "
                                               f"{dim_x}+{dim_y} dims, MI {mi:g}")


FAMILY = register_family(Family(
    "transformed-mi",
    "Gaussian/Student-t (X, Y) through half-cube, asinh, spiral or normal CDF maps: MI",
    _build, {"dim_x": 3, "dim_y": 3, "mi": 1.0, "base": "gaussian", "map": "half-cube",
             "dof": 3.0}, tags=("non-gaussian",)))
