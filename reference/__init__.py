r"""Exact reference values: f-divergences, variational objectives, optimal critics and W1.

Everything here is float64 numpy/scipy/POT and imports neither ``estimators`` nor ``verify``.
Conventions: natural logarithms (nats); :math:`D_f(P\|Q) = E_Q[f(p/q)]` with ``f(1) = 0``;
JS = ½KL(P||M) + ½KL(Q||M) <= log 2; TV = ½∫|p - q| <= 1; ``hellinger`` is ∫(√p - √q)² <= 2.

The names below load their module on first use (PEP 562), so importing this package loads
neither scipy nor POT: they come with the first quadrature, W1 or scipy-backed density.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergence_verify._lazy import lazy_module_attributes

# Public name -> the module (under this package) that defines it.
_EXPORTS = {
    "check_probability_vector": "discrete",
    "discrete_divergence": "discrete",
    "optimal_critic": "discrete",
    "variational_objective": "discrete",
    # register_divergence from dispatch, which registers the built-in methods first: a user's
    # registration for the same pair of types then replaces the built-in one, as it always did.
    "ExactValue": "dispatch",
    "divergence": "dispatch",
    "exact_divergence": "dispatch",
    "register_divergence": "dispatch",
    "Categorical": "distributions",
    "Distribution": "distributions",
    "Gaussian": "distributions",
    "GaussianMixture": "distributions",
    "DIVERGENCES": "fdivergences",
    "FDivergence": "fdivergences",
    "get_divergence": "fdivergences",
    "quadrature_divergence": "quadrature",
    "wasserstein1_quadrature": "quadrature",
    "MI": "quantities",
    "W1": "quantities",
    "quantity_label": "quantities",
    "quantity_names": "quantities",
    "W1Dual": "wasserstein",
    "wasserstein1": "wasserstein",
    "wasserstein1_1d": "wasserstein",
    "wasserstein1_dual": "wasserstein",
    "wasserstein1_translation": "wasserstein",
    # Composed laws with exact truths (invariance, products, MI): the scenario blocks use them.
    "Transformed": "composite",
    "Product": "composite",
    "Translated": "composite",
    "MultivariateStudentT": "student_t",
    "CouplingFlow": "flows",
    "Asinh": "transforms",
    "HalfCube": "transforms",
    "NormalCDF": "transforms",
    "Spiral": "transforms",
    "Rotation": "transforms",
    "Embedding": "transforms",
    "Blockwise": "transforms",
    "Transform": "transforms",
    "ProductOfMarginals": "mutual_information",
    "product_of_marginals": "mutual_information",
    "gaussian_mutual_information": "mutual_information",
    "student_t_mutual_information": "mutual_information",
}

__all__ = [
    "DIVERGENCES",
    "MI",
    "W1",
    "Asinh",
    "Blockwise",
    "Categorical",
    "CouplingFlow",
    "Distribution",
    "Embedding",
    "ExactValue",
    "FDivergence",
    "Gaussian",
    "GaussianMixture",
    "HalfCube",
    "MultivariateStudentT",
    "NormalCDF",
    "Product",
    "ProductOfMarginals",
    "Rotation",
    "Spiral",
    "Transform",
    "Transformed",
    "Translated",
    "W1Dual",
    "check_probability_vector",
    "discrete_divergence",
    "divergence",
    "exact_divergence",
    "gaussian_mutual_information",
    "get_divergence",
    "optimal_critic",
    "product_of_marginals",
    "quadrature_divergence",
    "quantity_label",
    "quantity_names",
    "register_divergence",
    "student_t_mutual_information",
    "variational_objective",
    "wasserstein1",
    "wasserstein1_1d",
    "wasserstein1_dual",
    "wasserstein1_quadrature",
    "wasserstein1_translation",
]

# Submodules reachable as attributes of the package without an import statement, as when this
# package imported them all.
_SUBMODULES = frozenset({
    "composite", "discrete", "dispatch", "distributions", "exact", "fdivergences", "flows",
    "gaussian", "mutual_information", "quadrature", "quantities", "student_t", "transforms",
    "wasserstein",
})

if TYPE_CHECKING:
    from divergence_verify.reference.composite import Product, Transformed, Translated
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
    from divergence_verify.reference.flows import CouplingFlow
    from divergence_verify.reference.mutual_information import (
        ProductOfMarginals,
        gaussian_mutual_information,
        product_of_marginals,
        student_t_mutual_information,
    )
    from divergence_verify.reference.quadrature import (
        quadrature_divergence,
        wasserstein1_quadrature,
    )
    from divergence_verify.reference.quantities import MI, W1, quantity_label, quantity_names
    from divergence_verify.reference.student_t import MultivariateStudentT
    from divergence_verify.reference.transforms import (
        Asinh,
        Blockwise,
        Embedding,
        HalfCube,
        NormalCDF,
        Rotation,
        Spiral,
        Transform,
    )
    from divergence_verify.reference.wasserstein import (
        W1Dual,
        wasserstein1,
        wasserstein1_1d,
        wasserstein1_dual,
        wasserstein1_translation,
    )


__getattr__, __dir__ = lazy_module_attributes(__name__, _EXPORTS, _SUBMODULES, __all__)
