"""Family ``student-t-mi``: mutual information of a multivariate Student-t (X, Y).

The scale matrix is a random ``gaussian-mi`` covariance whose Gaussian MI is ``mi`` minus the
Student-t correction h(d_X) + h(d_Y) - h(d_X + d_Y) (:mod:`reference.mutual_information`, as
in bmi's ``SplitStudentT``), so the total I(X; Y) is ``mi`` for every ``dof``. The correction
is positive: heavy tails alone make X and Y dependent (a common chi-square scale), so ``mi``
must exceed it (for 2+2 dims it is about 0.27 nats at dof 1 and 0.06 at dof 5). Only the MI
(= KL of the pair) has a closed form.
"""

from __future__ import annotations

import numpy as np

from divergence_verify.reference.mutual_information import student_t_mi_correction
from divergence_verify.reference.student_t import MultivariateStudentT
from divergence_verify.verify.scenarios.blocks import mutual_information
from divergence_verify.verify.scenarios.core import Scenario
from divergence_verify.verify.scenarios.families.gaussian_mi import correlated_covariance
from divergence_verify.verify.scenarios.families.registry import Family, register_family


def student_t_joint(rng: np.random.Generator, dim_x: int, dim_y: int, mi: float, dof: float,
                    interactions: int = 0, condition: float = 4.0) -> MultivariateStudentT:
    """Return a random Student-t law of (X, Y) with I(X; Y) = ``mi``."""
    correction = student_t_mi_correction(dof, dim_x, dim_y)
    if mi <= correction:
        raise ValueError(f"a Student-t with dof {dof:g} in {dim_x}+{dim_y} dims has MI at least "
                         f"{correction:.4g} nats (uncorrelated scale); got mi={mi:g}")
    scale = correlated_covariance(rng, dim_x, dim_y, mi - correction, interactions, condition)
    return MultivariateStudentT(np.zeros(dim_x + dim_y), scale, dof)


def _build(rng: np.random.Generator, dim_x: int, dim_y: int, mi: float, dof: float,
           interactions: int) -> Scenario:
    joint = student_t_joint(rng, dim_x, dim_y, mi, dof, interactions)
    return mutual_information(joint, dim_x, description=f"Student-t (X, Y), dof {dof:g}, "
                                                        f"{dim_x}+{dim_y} dims, MI {mi:g}")


FAMILY = register_family(Family(
    "student-t-mi",
    "multivariate Student-t (X, Y) (dof 1..5, heavy tails) vs the product of its marginals: MI",
    _build, {"dim_x": 2, "dim_y": 2, "mi": 1.0, "dof": 3.0, "interactions": 0},
    tags=("heavy-tailed", "non-gaussian")))
