r"""Results put back into their mathematical range when, and only when, the excess is rounding.

Every f-divergence lies in :math:`[0, f(0) + f'(\infty)]` (0 for identical laws, the upper bound
for disjoint supports: log 2 for JS, 1 for TV, 2 for squared Hellinger, log 4 for GAN). Summed
or integrated in float64, a value at either end can land a few ulps outside (TV
1.0000000000000044, JS above log 2 by 4e-15, GAN -2e-17 between identical laws). Those are
clamped. An excess beyond :data:`RANGE_ULPS` ulps of the scale is not rounding: it is left where
it is (with its error estimate, for :class:`reference.exact.ExactValue`), never hidden.
"""

from __future__ import annotations

import math

__all__ = ["RANGE_ULPS", "clamp_rounding", "rounding_budget"]

RANGE_ULPS = 64
"""Ulp budget for clamping: an excess up to ``RANGE_ULPS * ulp(max(1, bound))`` is rounding.

64 ulp of the scale covers a sum of a few dozen terms each rounded once (the closed forms' own
error bound, :func:`reference.exact.closed_form`, is the same 64 ulp), and is about 1.4e-14 at
scale 1: far below any tolerance the suite judges estimates by."""


def rounding_budget(bound: float) -> float:
    """Return the largest excess over ``[0, bound]`` treated as rounding."""
    scale = 1.0 if math.isinf(bound) else max(1.0, abs(bound))
    return RANGE_ULPS * math.ulp(scale)


def clamp_rounding(value: float, upper: float) -> float:
    """Return ``value`` clamped into ``[0, upper]`` if it lies outside by rounding only.

    Parameters
    ----------
    value : float
        A computed divergence (NaN passes through unchanged: it is the caller's to report).
    upper : float
        The divergence's supremum (``inf`` for unbounded ones such as KL).

    Returns
    -------
    float
        ``0.0`` for ``-budget <= value < 0``, ``upper`` for ``upper < value <= upper + budget``,
        else ``value`` unchanged (a larger excess is a real error and stays visible).
    """
    budget = rounding_budget(upper)
    if -budget <= value < 0.0:
        return 0.0
    if upper < value <= upper + budget:
        return float(upper)
    return float(value)
