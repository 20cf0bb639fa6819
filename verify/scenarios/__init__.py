"""Scenarios: distribution pairs with exact truths, building blocks, families and named ones.

* :mod:`.core`: :class:`Scenario`, the registry (:data:`SCENARIOS`, :func:`register_scenario`,
  :func:`get_scenario`) and :data:`SAMPLING_VERSION`;
* :mod:`.builtin`: the fixed scenarios of the reports and default certificates;
* :mod:`.blocks`: :func:`transformed`, :func:`product`, :func:`translated`,
  :func:`gaussian_pair`, :func:`mutual_information`;
* :mod:`.families`: families with randomised instances (:func:`get_family`);
* :mod:`.named`: fixed named instances of the families (high-dimensional, non-Gaussian,
  heavy-tailed, on manifolds, mutual information);
* :mod:`.user`: :func:`user_scenario`, laws known through your samplers with truths you supply.

The default scenarios of each divergence and the ladder are named in
:mod:`~divergence_verify.verify.design` (re-exported here).
"""

from __future__ import annotations

from divergence_verify.reference import W1
from divergence_verify.verify.design import DEFAULT_SCENARIOS, DIMENSION_LADDER, LADDER
from divergence_verify.verify.scenarios.blocks import (
    gaussian_pair,
    mutual_information,
    product,
    transformed,
    translated,
)
from divergence_verify.verify.scenarios.builtin import gaussian_mean_shift
from divergence_verify.verify.scenarios.core import (
    MI,
    SAMPLING_VERSION,
    SCENARIOS,
    Scenario,
    get_scenario,
    register_scenario,
)
from divergence_verify.verify.scenarios.families import (
    FAMILIES,
    Family,
    get_family,
    register_family,
)
from divergence_verify.verify.scenarios.named import NAMED
from divergence_verify.verify.scenarios.user import USER_SUPPLIED, user_scenario

__all__ = [
    "DEFAULT_SCENARIOS",
    "DIMENSION_LADDER",
    "FAMILIES",
    "LADDER",
    "MI",
    "NAMED",
    "SAMPLING_VERSION",
    "SCENARIOS",
    "USER_SUPPLIED",
    "W1",
    "Family",
    "Scenario",
    "gaussian_mean_shift",
    "gaussian_pair",
    "get_family",
    "get_scenario",
    "mutual_information",
    "product",
    "register_family",
    "register_scenario",
    "transformed",
    "translated",
    "user_scenario",
]
