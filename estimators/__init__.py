"""Estimators of divergences from samples: neural critics (torch) and classical baselines."""

from divergence_verify.estimators.base import (
    BaseEstimator,
    CallableEstimator,
    Estimator,
    TrainingDivergedError,
    as_estimator,
    check_sample,
    check_samples,
)
from divergence_verify.estimators.registry import (
    ESTIMATORS,
    list_estimators,
    make_estimator,
    register_estimator,
)

# Importing the modules registers their kinds.
from divergence_verify.estimators import (  # noqa: F401  isort: skip
    classifier,
    empirical_w1,
    knn,
    plugin,
    variational,
    wasserstein_critic,
)

__all__ = [
    "ESTIMATORS",
    "BaseEstimator",
    "CallableEstimator",
    "Estimator",
    "TrainingDivergedError",
    "as_estimator",
    "check_sample",
    "check_samples",
    "list_estimators",
    "make_estimator",
    "register_estimator",
]
