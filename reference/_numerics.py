"""Float64 helpers that neither overflow nor underflow at any finite scale."""

from __future__ import annotations

import math

import numpy as np


def scaled_sq_norm(v: np.ndarray) -> float:
    r"""Return :math:`\|v\|_2^2` as :math:`m^2 \sum_i (v_i/m)^2`, :math:`m = \max_i |v_i|`.

    Exact where the squares are (``[1, 1]`` gives 2, not ``sqrt(2)**2``); beyond float64 it is
    ``inf`` (a Python float product overflows to inf, without raising).
    """
    arr = np.asarray(v, dtype=np.float64).ravel()
    if arr.size == 0:
        return 0.0
    m = float(np.max(np.abs(arr)))
    if m == 0.0 or not math.isfinite(m):
        return m
    u = arr / m
    return m * m * math.fsum(u * u)


def scaled_norm(v: np.ndarray) -> float:
    r"""Return :math:`\|v\|_2` computed as :math:`m \|v / m\|_2` with :math:`m = \max_i |v_i|`.

    The plain ``sqrt(v @ v)`` overflows for entries beyond ~1.3e154 and underflows below
    ~1.5e-154 (``[1e300, 1e300]`` gave ``inf``); dividing by the largest entry first keeps every
    square in [0, 1], so the result is finite whenever the norm is.
    """
    arr = np.asarray(v, dtype=np.float64).ravel()
    if arr.size == 0:
        return 0.0
    m = float(np.max(np.abs(arr)))
    if m == 0.0 or not math.isfinite(m):
        return m
    u = arr / m
    return m * math.sqrt(math.fsum(u * u))
