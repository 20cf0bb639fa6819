"""Float64 helpers that neither overflow nor underflow at any finite scale."""

from __future__ import annotations

import math

import numpy as np


def _scale_and_sum(v: np.ndarray) -> tuple[float, float]:
    r"""Return :math:`(m, \sum_i (v_i/m)^2)` with :math:`m = \max_i |v_i|` (sum 0 when m is 0).

    Dividing by the largest entry first keeps every square in [0, 1]: the plain ``v @ v``
    overflows for entries beyond ~1.3e154 and underflows below ~1.5e-154 (``[1e300, 1e300]``
    gave ``inf``). For a zero or non-finite ``m`` the sum is 0: the callers then return ``m``.
    """
    arr = np.asarray(v, dtype=np.float64).ravel()
    if arr.size == 0:
        return 0.0, 0.0
    m = float(np.max(np.abs(arr)))
    if m == 0.0 or not math.isfinite(m):
        return m, 0.0
    u = arr / m
    return m, math.fsum(u * u)


def scaled_sq_norm(v: np.ndarray) -> float:
    r"""Return :math:`\|v\|_2^2` as :math:`m^2 \sum_i (v_i/m)^2`, :math:`m = \max_i |v_i|`.

    Exact where the squares are (``[1, 1]`` gives 2, not ``sqrt(2)**2``); beyond float64 it is
    ``inf`` (a Python float product overflows to inf, without raising).
    """
    m, total = _scale_and_sum(v)
    return m * m * total if math.isfinite(m) else m


def scaled_norm(v: np.ndarray) -> float:
    r"""Return :math:`\|v\|_2` computed as :math:`m \|v / m\|_2` with :math:`m = \max_i |v_i|`.

    The result is finite whenever the norm is (see :func:`_scale_and_sum`).
    """
    m, total = _scale_and_sum(v)
    return m * math.sqrt(total) if math.isfinite(m) else m
