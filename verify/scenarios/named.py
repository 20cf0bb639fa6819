"""Fixed named instances of the families, for reproducible reports and ``--scenario NAME``.

Each is ``get_family(family).instance(seed, **params)`` renamed; some are default scenarios
(:data:`~divergence_verify.verify.design.DEFAULT_SCENARIOS` decides which). Every truth here is
a closed form, an invariance of one, or a few one-dimensional integrals, so listing them stays
cheap.
"""

from __future__ import annotations

import dataclasses

from divergence_verify.verify.scenarios.core import register_scenario
from divergence_verify.verify.scenarios.families import get_family

__all__ = ["NAMED"]

NAMED: dict[str, tuple[str, str, dict]] = {
    "flow8d-kl1": ("flow-gaussian", "8-D mean-shift Gaussians (KL 1) through a random flow",
                   {"dim": 8, "kl": 1.0}),
    "flow8d-w1": ("translated-flow", "8-D flow-transformed Gaussian translated by 1: W1 = 1",
                  {"dim": 8, "distance": 1.0}),
    "gauss64d-cov": ("gaussian-covariance", "64-D Gaussians, different random covariances",
                     {"dim": 64}),
    "gauss128d-shift": ("gaussian-mean-shift", "128-D N(mu, S) vs N(0, S), random S, KL 1",
                        {"dim": 128, "kl": 1.0}),
    "manifold3d-in-32d": ("embedded-gaussian", "3-D mean-shift Gaussians (KL 1) on a curved "
                          "3-manifold in 32 dims", {"dim": 3, "ambient": 32, "kl": 1.0}),
    "mi-gauss-5+5": ("gaussian-mi", "Gaussian (X, Y), 5+5 dims, dense, MI 1",
                     {"dim_x": 5, "dim_y": 5, "mi": 1.0}),
    "mi-gauss-sparse-25+25": ("gaussian-mi", "Gaussian (X, Y), 25+25 dims, 2 interacting "
                              "pairs, MI 5", {"dim_x": 25, "dim_y": 25, "mi": 5.0,
                                              "interactions": 2}),
    "mi-student-t2-2+2": ("student-t-mi", "Student-t (X, Y), dof 2, 2+2 dims, MI 1",
                          {"dof": 2.0, "mi": 1.0}),
    "mi-halfcube-3+3": ("transformed-mi", "half-cube of a Gaussian (X, Y), 3+3 dims, MI 1",
                        {"map": "half-cube"}),
    "mi-asinh-t3-4+4": ("transformed-mi", "asinh of a Student-t (X, Y), dof 3, 4+4 dims, MI 1",
                        {"dim_x": 4, "dim_y": 4, "base": "student-t", "dof": 3.0,
                         "map": "asinh"}),
}
"""Scenario name -> (family, description, parameters); every one is drawn with seed 0."""


def _register() -> None:
    for name, (family, description, params) in NAMED.items():
        scen = get_family(family).instance(0, **params)
        register_scenario(dataclasses.replace(scen, name=name, description=description,
                                              _cache={}))


_register()
