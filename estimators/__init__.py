"""Estimators of divergences from samples: neural critics (torch) and classical baselines.

Importing this package loads neither torch nor scipy nor POT: the kinds are declared as data
(:mod:`estimators.kinds`), so :data:`ESTIMATORS` and :func:`list_estimators` need none of their
modules, and a kind's module (with torch or scipy) is imported when it is first built
(:func:`make_estimator`). The names re-exported here come from light modules; the estimator
modules themselves (``estimators.knn``, ``estimators.variational``, ...) load on first access
(PEP 562).
"""

from __future__ import annotations

from divergence_verify._lazy import lazy_module_attributes
from divergence_verify.estimators.base import (
    BaseEstimator,
    CallableEstimator,
    Estimator,
    TrainingDivergedError,
    as_estimator,
    check_sample,
    check_samples,
)
from divergence_verify.estimators.devices import resolve_device
from divergence_verify.estimators.hooks import (
    device_of,
    is_builtin,
    sample_device_of,
    unwrap_estimator,
    with_seed,
)
from divergence_verify.estimators.kinds import EstimatorKind
from divergence_verify.estimators.registry import (
    ESTIMATORS,
    list_estimators,
    make_estimator,
    register_estimator,
)

__all__ = [
    "ESTIMATORS",
    "BaseEstimator",
    "CallableEstimator",
    "Estimator",
    "EstimatorKind",
    "TrainingDivergedError",
    "as_estimator",
    "check_sample",
    "check_samples",
    "device_of",
    "is_builtin",
    "list_estimators",
    "make_estimator",
    "register_estimator",
    "resolve_device",
    "sample_device_of",
    "unwrap_estimator",
    "with_seed",
]

# Modules that torch or scipy come with: reachable as attributes, imported on first access.
_LAZY_SUBMODULES = frozenset({
    "classifier", "critic", "empirical_w1", "knn", "neural", "plugin", "preprocessing",
    "ratio_critic", "training", "variational", "wasserstein_critic",
})


__getattr__, __dir__ = lazy_module_attributes(__name__, {}, _LAZY_SUBMODULES, __all__)
