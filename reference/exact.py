"""Exact reference values and the registry of the methods that compute them.

An exact method ``fn(name, P, Q) -> ExactValue | None`` is registered per (divergence name, type
of P, type of Q) with :func:`register_divergence`, in the style of
``torch.distributions.kl.register_kl``; :func:`lookup` picks the most specific registered pair
along both types' MROs. This module holds only the record and the registry: the closed forms
(:mod:`reference.gaussian`) and the quadrature (:mod:`reference.quadrature`) build on it, and
:mod:`reference.dispatch` puts them together, so data flows one way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from divergence_verify.reference.fdivergences import DIVERGENCES, get_divergence


@dataclass(frozen=True)
class ExactValue:
    """An exact reference value with its numerical error bound and the method that produced it.

    Attributes
    ----------
    value : float
        The divergence in nats (``inf`` where infinite).
    error : float
        Bound on the absolute numerical error: rounding for closed forms, the quadrature's
        estimate for integrals.
    method : str
        ``"closed form"``, ``"discrete"``, ``"quadrature"``, ...
    """

    value: float
    error: float
    method: str


ExactMethod = Callable[[str, Any, Any], "ExactValue | None"]
_REGISTRY: dict[tuple[str, type, type], ExactMethod] = {}


def closed_form(value: float) -> ExactValue:
    """Wrap a closed-form float64 value: its error is a few ulp of the value."""
    error = 0.0 if math.isinf(value) else 64 * math.ulp(abs(value) + 1.0)
    return ExactValue(float(value), error, "closed form")


def register_divergence(
    names: str | tuple[str, ...], type_p: type, type_q: type
) -> Callable[[ExactMethod], ExactMethod]:
    """Register an exact method ``fn(name, P, Q) -> ExactValue | None`` for a pair of types.

    A later registration for the same (name, type of P, type of Q) replaces the earlier one.

    Parameters
    ----------
    names : str or tuple of str
        Divergence names the method handles (``"*"`` for every name in the table).
    type_p, type_q : type
        Subclasses of :class:`reference.distributions.Distribution`.
    """
    keys = tuple(DIVERGENCES) if names == "*" else ((names,) if isinstance(names, str) else names)
    for key in keys:
        get_divergence(key)

    def decorate(fn: ExactMethod) -> ExactMethod:
        for key in keys:
            _REGISTRY[(key, type_p, type_q)] = fn
        return fn

    return decorate


def lookup(name: str, type_p: type, type_q: type) -> ExactMethod | None:
    """Return the method registered for the most specific pair of bases of the two types."""
    matches = [
        (type_p.__mro__.index(tp), type_q.__mro__.index(tq), fn)
        for (key, tp, tq), fn in _REGISTRY.items()
        if key == name and issubclass(type_p, tp) and issubclass(type_q, tq)
    ]
    return min(matches, key=lambda m: (m[0], m[1]))[2] if matches else None
