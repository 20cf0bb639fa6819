"""A tiny array-backend shim so each formula is written once for numpy and torch.

Formulas in :mod:`reference.fdivergences` call :func:`namespace` on their input and use only
array-API functions (``exp``, ``log``, ``log1p``, ``where``, ``logaddexp``, ...) from the namespace
it returns, plus the few helpers below that the array-API standard lacks. ``array_api_compat``
maps ``numpy.ndarray`` and ``torch.Tensor`` to standard-conforming namespaces, so torch is never
imported here: a torch tensor brings its own namespace.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

Array = Any  # numpy.ndarray or torch.Tensor (kept loose: torch is an optional import here)


def namespace(*arrays: Array) -> Any:
    """Return the array-API namespace shared by ``arrays`` (numpy or torch)."""
    return array_api_compat.array_namespace(*arrays)


def xlogy(x: Array, y: Array) -> Array:
    """Return ``x * log(y)`` with the convention ``0 * log(y) = 0`` for every ``y`` (also 0)."""
    xp = namespace(x, y)
    # log is taken only where it is finite, so numpy raises no divide-by-zero warning; the
    # limits are filled in afterwards: 0 where x = 0, -inf where x > 0 = y.
    safe_y = xp.where((x == 0) | (y == 0), xp.ones_like(y), y)
    value = xp.where(x == 0, xp.zeros_like(x), x * xp.log(safe_y))
    return xp.where((x != 0) & (y == 0), xp.full_like(x, -float("inf")), value)


def rel_entr(x: Array, y: Array) -> Array:
    """Return ``x log(x / y)`` elementwise: 0 where ``x = 0``, ``+inf`` where ``x > 0 = y``.

    Same convention as :func:`scipy.special.rel_entr`, written for any backend.
    """
    xp = namespace(x, y)
    inf = xp.full_like(x, float("inf"))
    return xp.where((x > 0) & (y == 0), inf, xlogy(x, x) - xlogy(x, y))


def softplus(x: Array) -> Array:
    """Return ``log(1 + exp(x))`` without overflow."""
    xp = namespace(x)
    return xp.logaddexp(xp.zeros_like(x), x)


def stop_gradient(x: Array) -> Array:
    """Return ``x`` cut from autograd (a torch tensor is detached; numpy arrays pass through)."""
    detach = getattr(x, "detach", None)
    return detach() if callable(detach) else x
