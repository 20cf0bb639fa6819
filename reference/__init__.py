r"""Exact reference values: f-divergences, variational objectives, optimal critics and W1.

Everything here is float64 numpy/scipy/POT and imports neither ``estimators`` nor ``verify``.
Conventions: natural logarithms (nats); :math:`D_f(P\|Q) = E_Q[f(p/q)]` with ``f(1) = 0``;
JS = ½KL(P||M) + ½KL(Q||M) <= log 2; TV = ½∫|p - q| <= 1; ``hellinger`` is ∫(√p - √q)² <= 2.
"""

from divergence_verify.reference import gaussian as _gaussian  # noqa: F401  (registers the Gaussian closed forms)
from divergence_verify.reference.discrete import (
    check_probability_vector,
    discrete_divergence,
    optimal_critic,
    variational_objective,
)
from divergence_verify.reference.dispatch import (
    ExactValue,
    divergence,
    exact_divergence,
    register_divergence,
)
from divergence_verify.reference.distributions import (
    Categorical,
    Distribution,
    Gaussian,
    GaussianMixture,
)
from divergence_verify.reference.fdivergences import DIVERGENCES, FDivergence, get_divergence
from divergence_verify.reference.quadrature import quadrature_divergence, wasserstein1_quadrature
from divergence_verify.reference.wasserstein import (
    W1Dual,
    wasserstein1,
    wasserstein1_1d,
    wasserstein1_dual,
    wasserstein1_translation,
)

__all__ = [
    "DIVERGENCES",
    "Categorical",
    "Distribution",
    "ExactValue",
    "FDivergence",
    "Gaussian",
    "GaussianMixture",
    "W1Dual",
    "check_probability_vector",
    "discrete_divergence",
    "divergence",
    "exact_divergence",
    "get_divergence",
    "optimal_critic",
    "quadrature_divergence",
    "register_divergence",
    "variational_objective",
    "wasserstein1",
    "wasserstein1_1d",
    "wasserstein1_dual",
    "wasserstein1_quadrature",
    "wasserstein1_translation",
]
