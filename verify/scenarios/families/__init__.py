"""Families of scenarios with randomised instances (one family per module), and their registry.

``get_family(name).instance(seed, **params)`` returns a :class:`~..core.Scenario` drawn from
the seed with its exact truths. Families: ``gaussian-mean-shift``, ``gaussian-covariance``,
``flow-gaussian``, ``flow-mixture``, ``embedded-gaussian``, ``gaussian-mi``, ``student-t-mi``,
``transformed-mi``, ``translated-flow``.
"""

from __future__ import annotations

# Each family module registers its family when imported.
from divergence_verify.verify.scenarios.families import (  # noqa: F401
    embedded_gaussian,
    flow_gaussian,
    flow_mixture,
    gaussian_covariance,
    gaussian_mean_shift,
    gaussian_mi,
    student_t_mi,
    transformed_mi,
    translated_flow,
)
from divergence_verify.verify.scenarios.families.registry import (
    FAMILIES,
    Family,
    get_family,
    register_family,
)

__all__ = ["FAMILIES", "Family", "get_family", "register_family"]
