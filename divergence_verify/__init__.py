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

from typing import TYPE_CHECKING

from divergence_verify._lazy import lazy_module_attributes

__version__ = "0.1.0"

# Public name -> the module that defines it (imported when the name is first used).
_EXPORTS = {
    "divergence": "reference",
    "exact_divergence": "reference",
    "optimal_critic": "reference",
    "variational_objective": "reference",
    "wasserstein1": "reference",
    "DIVERGENCES": "reference",
    "Gaussian": "reference",
    "GaussianMixture": "reference",
    "Categorical": "reference",
    "make_estimator": "estimators",
    "list_estimators": "estimators",
    "register_estimator": "estimators",
    "as_estimator": "estimators",
    "certify": "verify",
    "sweep": "verify",
    "Rules": "verify",
    "Certificate": "verify",
    "SCENARIOS": "verify",
    "get_scenario": "verify",
    "register_scenario": "verify",
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


__getattr__, __dir__ = lazy_module_attributes(__name__, _EXPORTS, _SUBPACKAGES, __all__)
