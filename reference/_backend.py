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

    Same convention and formula as :func:`scipy.special.rel_entr` since scipy 1.14 (gh-20710):
    where ``1/2 < x/y < 2`` it is ``x * log1p((x - y) / y)``, relatively accurate to a few ulp
    for nearly equal inputs (``x log x - x log y`` cancelled to ~1e-3 relative there); elsewhere
    ``x * (log x - log y)``, which neither overflows nor underflows in the ratio. Every branch is
    evaluated at safe arguments, so unselected ones feed no NaN into torch gradients.
    """
    xp = namespace(x, y)
    positive = (x > 0) & (y > 0)
    one = xp.ones_like(x)
    safe_x = xp.where(positive, x, one)
    safe_y = xp.where(positive, y, xp.ones_like(y))
    near = positive & (0.5 * safe_x < safe_y) & (0.5 * safe_y < safe_x)  # 1/2 < x/y < 2
    relative_gap = xp.where(near, safe_x - safe_y, xp.zeros_like(x)) / safe_y
    value = xp.where(
        near, safe_x * xp.log1p(relative_gap), safe_x * (xp.log(safe_x) - xp.log(safe_y))
    )
    value = xp.where(positive, value, xp.zeros_like(x))
    return xp.where((x > 0) & (y == 0), xp.full_like(x, float("inf")), value)


def softplus(x: Array) -> Array:
    """Return ``log(1 + exp(x))`` without overflow."""
    xp = namespace(x)
    return xp.logaddexp(xp.zeros_like(x), x)


def stop_gradient(x: Array) -> Array:
    """Return ``x`` cut from autograd (a torch tensor is detached; numpy arrays pass through)."""
    detach = getattr(x, "detach", None)
    return detach() if callable(detach) else x
