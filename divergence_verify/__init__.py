"""divergence-verify: numerical verification and property testing of divergence estimators.

One import namespace with three layers, data flowing one way
(``reference ← estimators ← verify``):

* :mod:`divergence_verify.reference`: exact values in float64 (f-divergence table, discrete and
  Gaussian closed forms, quadrature, exact W1);
* :mod:`divergence_verify.estimators`: estimators to certify (neural critics, classical
  baselines);
* :mod:`divergence_verify.verify`: scenarios, sweeps, certificates, reports, the command line
  and the pytest plugin.

The main entry points are re-exported here (``divergence_verify.certify``, ``.sweep``,
``.make_estimator``, ``.divergence``, ...). They load on first use: importing this package
loads none of torch, POT, scipy or matplotlib, so the pytest plugin costs unrelated test runs
nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it (imported when the name is first used).
_EXPORTS = {
    "divergence": "divergence_verify.reference",
    "exact_divergence": "divergence_verify.reference",
    "optimal_critic": "divergence_verify.reference",
    "variational_objective": "divergence_verify.reference",
    "wasserstein1": "divergence_verify.reference",
    "DIVERGENCES": "divergence_verify.reference",
    "Gaussian": "divergence_verify.reference",
    "GaussianMixture": "divergence_verify.reference",
    "Categorical": "divergence_verify.reference",
    "make_estimator": "divergence_verify.estimators",
    "list_estimators": "divergence_verify.estimators",
    "register_estimator": "divergence_verify.estimators",
    "as_estimator": "divergence_verify.estimators",
    "certify": "divergence_verify.verify",
    "sweep": "divergence_verify.verify",
    "Rules": "divergence_verify.verify",
    "Certificate": "divergence_verify.verify",
    "SCENARIOS": "divergence_verify.verify",
    "get_scenario": "divergence_verify.verify",
    "register_scenario": "divergence_verify.verify",
}
_SUBPACKAGES = ("reference", "estimators", "verify")

__all__ = [
    "DIVERGENCES",
    "SCENARIOS",
    "Categorical",
    "Certificate",
    "Gaussian",
    "GaussianMixture",
    "Rules",
    "__version__",
    "as_estimator",
    "certify",
    "divergence",
    "estimators",
    "exact_divergence",
    "get_scenario",
    "list_estimators",
    "make_estimator",
    "optimal_critic",
    "reference",
    "register_estimator",
    "register_scenario",
    "sweep",
    "variational_objective",
    "verify",
    "wasserstein1",
]

if TYPE_CHECKING:
    from divergence_verify import estimators, reference, verify
    from divergence_verify.estimators import (
        as_estimator,
        list_estimators,
        make_estimator,
        register_estimator,
    )
    from divergence_verify.reference import (
        DIVERGENCES,
        Categorical,
        Gaussian,
        GaussianMixture,
        divergence,
        exact_divergence,
        optimal_critic,
        variational_objective,
        wasserstein1,
    )
    from divergence_verify.verify import (
        SCENARIOS,
        Certificate,
        Rules,
        certify,
        get_scenario,
        register_scenario,
        sweep,
    )


def __getattr__(name: str) -> Any:
    """Import a re-exported name's module on first use (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
