"""Type-dispatched exact divergences between distribution objects, and the public ``divergence``.

Exact methods are registered per (divergence name, type of P, type of Q) with
:func:`register_divergence` (the registry lives in :mod:`reference.exact`), in the style of
``torch.distributions.kl.register_kl``; lookup picks the most specific registered pair along both
types' MROs. A method may decline a pair (return ``None``, e.g. a closed form that needs equal
covariances); then one-dimensional pairs fall back to adaptive quadrature, and any other pair
raises :class:`NotImplementedError` naming it. No Monte Carlo value is ever returned. Importing
this module registers the built-in methods: the Gaussian closed forms and the categorical one.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

# The Gaussian closed forms register themselves with the registry when imported: importing them
# here makes every public entry point (this module, ``reference.divergence``) see them.
from divergence_verify.reference import gaussian as _gaussian  # noqa: F401
from divergence_verify.reference.discrete import discrete_divergence
from divergence_verify.reference.distributions import Categorical, Distribution
from divergence_verify.reference.exact import (
    ExactMethod,
    ExactValue,
    closed_form,
    lookup,
    register_divergence,
)
from divergence_verify.reference.fdivergences import get_divergence
from divergence_verify.reference.quadrature import quadrature_divergence
from divergence_verify.reference.ranges import clamp_rounding

__all__ = [
    "QUADRATURE_MAX_RELATIVE_ERROR",
    "ExactMethod",
    "ExactValue",
    "closed_form",
    "divergence",
    "exact_divergence",
    "register_divergence",
]

QUADRATURE_MAX_RELATIVE_ERROR = 1e-7
"""``divergence`` raises if the error estimate exceeds this fraction of the value (plus 1e-12)."""


def exact_divergence(name: str, p: Distribution, q: Distribution) -> ExactValue:
    """Return the exact ``name`` divergence between two distribution objects, with its error.

    Raises
    ------
    ValueError
        Unknown name, or the distributions have different dimensions.
    TypeError
        If ``p`` or ``q`` is not a :class:`~reference.distributions.Distribution`.
    NotImplementedError
        If no exact method exists for the pair.
    """
    get_divergence(name)
    for label, dist in (("P", p), ("Q", q)):
        if not isinstance(dist, Distribution):
            raise TypeError(f"{label} must be a reference Distribution, got {type(dist).__name__}")
    if p.dim != q.dim:
        raise ValueError(f"P and Q must have the same dimension, got {p.dim} and {q.dim}")
    method = lookup(name, type(p), type(q))
    result = method(name, p, q) if method is not None else None
    if result is None and p.dim == 1 and hasattr(p, "breakpoints") and hasattr(q, "breakpoints"):
        result = quadrature_divergence(name, p, q)
    if result is not None:
        # Rounding can put a value a few ulps outside [0, bound]: clamp that, and only that.
        value = clamp_rounding(result.value, get_divergence(name).upper_bound)
        return result if value == result.value else replace(result, value=value)
    raise NotImplementedError(
        f"no exact method for {name!r} between {type(p).__name__} (d={p.dim}) and "
        f"{type(q).__name__} (d={q.dim}); closed forms cover KL, reverse KL, Jeffreys, squared "
        "Hellinger and chi2 between Gaussians and every divergence between equal-covariance "
        "Gaussians, and quadrature covers one-dimensional pairs"
    )


def divergence(name: str, p: Any, q: Any) -> float:
    r"""Return the exact divergence :math:`D(P\|Q)` in nats.

    Parameters
    ----------
    name : str
        A key of :data:`reference.DIVERGENCES` (``kl``, ``reverse_kl``, ``js``, ``tv``, ``chi2``,
        ``hellinger``, ``jeffreys``, ``gan``).
    p, q : array_like or Distribution
        Either two probability vectors on a common support (see
        :func:`reference.discrete.discrete_divergence`), or two distribution objects, dispatched
        on their types (see :func:`exact_divergence`).

    Raises
    ------
    ArithmeticError
        If the method's error estimate (:attr:`ExactValue.error`, the summed QUADPACK estimates
        for quadrature) exceeds :data:`QUADRATURE_MAX_RELATIVE_ERROR` of the value plus 1e-12,
        or if a quadrature integrand has not decayed at the ends of its integration range.
    """
    if isinstance(p, Distribution) or isinstance(q, Distribution):
        result = exact_divergence(name, p, q)
        tolerance = QUADRATURE_MAX_RELATIVE_ERROR * abs(result.value) + 1e-12
        if result.error > tolerance:
            # A reference value is only as good as its error bound: refuse rather than return a
            # number that may be off in its leading digits.
            raise ArithmeticError(
                f"{result.method} for {name!r} between {type(p).__name__} and "
                f"{type(q).__name__} did not reach the requested accuracy: value "
                f"{result.value:.12g} with error estimate {result.error:.3g} exceeds the "
                f"tolerance {tolerance:.3g} ({QUADRATURE_MAX_RELATIVE_ERROR:g} of the value + "
                "1e-12); exact_divergence returns the value with its error estimate"
            )
        return result.value
    return discrete_divergence(name, p, q)


@register_divergence("*", Categorical, Categorical)
def _categorical(name: str, p: Categorical, q: Categorical) -> ExactValue:
    # Categoricals live on {0, ..., K-1}: pad the shorter with zero mass to a common support.
    size = max(p.probs.size, q.probs.size)
    pp = np.pad(p.probs, (0, size - p.probs.size))
    qq = np.pad(q.probs, (0, size - q.probs.size))
    value = discrete_divergence(name, pp, qq)
    error = 0.0 if math.isinf(value) else 16 * size * math.ulp(abs(value) + 1.0)
    return ExactValue(value, error, "discrete")
