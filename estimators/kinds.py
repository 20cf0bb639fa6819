"""The estimator kinds of the suite, declared as data.

Each built-in kind is declared here by its registry key, one-line description, the quantities it
estimates, whether it trains a torch critic, and where its factory lives (``"module:attr"``). The
registry (:data:`estimators.ESTIMATORS`) is built from this table, so listing the kinds and
checking a configuration against them imports neither torch nor scipy: a kind's module is
imported when its factory is first used (:attr:`EstimatorKind.factory`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from divergence_verify.reference.fdivergences import DIVERGENCES
from divergence_verify.reference.quantities import W1


@dataclass(frozen=True)
class EstimatorKind:
    """A registered estimator kind.

    Attributes
    ----------
    kind : str
        Registry key, as passed to :func:`make_estimator`.
    description : str
        One line for listings.
    divergences : tuple of str
        Quantities it can estimate.
    target : str or callable
        The factory itself, or where it lives as ``"module:attr"`` (imported on first use).
    neural : bool
        Whether it trains a torch critic (and accepts ``device``).
    """

    kind: str
    description: str
    divergences: tuple[str, ...]
    target: str | Callable[..., Any]
    neural: bool = False

    @property
    def factory(self) -> Callable[..., Any]:
        """The callable that builds the estimator (``divergence=...`` and the settings).

        A ``"module:attr"`` target is imported here, the first time it is needed.
        """
        if callable(self.target):
            return self.target
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


_PACKAGE = __name__.rpartition(".")[0]  # divergence_verify.estimators

# The kNN estimator's quantities: its KL forms and its power-integral forms (estimators.knn).
_KNN = ("kl", "reverse_kl", "jeffreys", "hellinger", "chi2")

BUILTIN_KINDS: tuple[EstimatorKind, ...] = (
    EstimatorKind(
        "classifier",
        "logistic-regression density ratio (linear or quadratic features) plugged into f",
        tuple(DIVERGENCES),
        f"{_PACKAGE}.classifier:ClassifierEstimator",
    ),
    EstimatorKind(
        "empirical_w1",
        "exact W1 between the empirical measures (network-simplex LP; CDF formula in 1-D)",
        (W1,),
        f"{_PACKAGE}.empirical_w1:EmpiricalW1Estimator",
    ),
    EstimatorKind(
        "knn",
        "k-nearest-neighbour distances (Wang-Kulkarni-Verdú 2009 for KL; Póczos-Schneider 2011)",
        _KNN,
        f"{_PACKAGE}.knn:KNNEstimator",
    ),
    EstimatorKind(
        "plugin",
        "plug-in of empirical frequencies for discrete samples (optional smoothing or "
        "Miller-Madow)",
        tuple(DIVERGENCES),
        f"{_PACKAGE}.plugin:PluginEstimator",
    ),
    EstimatorKind(
        "fgan",
        "f-GAN variational bound with a neural critic (any table f-divergence; DV bound for KL)",
        tuple(DIVERGENCES),
        f"{_PACKAGE}.variational:FGANEstimator",
        neural=True,
    ),
    EstimatorKind(
        "dv",
        "Donsker-Varadhan (MINE) bound of KL with a neural critic, optional moving-average "
        "gradient",
        ("kl",),
        f"{_PACKAGE}.variational:DVEstimator",
        neural=True,
    ),
    EstimatorKind(
        "nwj",
        "Nguyen-Wainwright-Jordan bound of KL, E_P[T] - E_Q[exp(T - 1)], with a neural critic",
        ("kl",),
        f"{_PACKAGE}.variational:NWJEstimator",
        neural=True,
    ),
    EstimatorKind(
        "ratio_critic",
        "neural classifier: log-ratio critic trained with the logistic loss, plugged into f "
        "(or its variational bound)",
        tuple(DIVERGENCES),
        f"{_PACKAGE}.ratio_critic:RatioCriticEstimator",
        neural=True,
    ),
    EstimatorKind(
        "w1_critic",
        "Wasserstein-1 by a Kantorovich-Rubinstein neural critic (gradient penalty / SN / "
        "clipping)",
        (W1,),
        f"{_PACKAGE}.wasserstein_critic:W1CriticEstimator",
        neural=True,
    ),
)
"""Every built-in kind (listings sort them by key)."""
