r"""Exact f-divergences, variational objectives and optimal critics for discrete distributions.

For probability vectors ``p`` and ``q`` on a common finite support,

.. math::
    D_f(P\|Q) = \sum_{i:\,q_i>0} q_i f(p_i/q_i) + f'(\infty) \sum_{i:\,q_i=0} p_i ,

evaluated term by term with the table's ``perspective`` (``rel_entr`` style: no ``0 log 0`` NaN,
``inf`` where the divergence is infinite). The variational objective of a critic ``t`` (its values
on the support) is :math:`J(t) = \sum_i p_i t_i - \sum_{i:\,q_i>0} q_i f^*(t_i)`, and
:math:`J \le D_f` for every ``t`` with equality at :math:`t^* = f'(p/q)` (Nguyen, Wainwright &
Jordan 2010, Lemma 1; Nowozin, Cseke & Tomioka 2016, Sec. 2.2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reference.fdivergences import get_divergence

SUM_TOLERANCE = 1e-9
"""Absolute tolerance on ``|sum(p) - 1|`` (plus 4 ulp per entry for rounding in the sum)."""


def check_probability_vector(p: Any, label: str = "p") -> np.ndarray:
    """Validate a probability vector and return it as a 1-D float64 array.

    Raises
    ------
    TypeError
        If ``p`` is not a real numeric array.
    ValueError
        If it is not 1-D, is empty, holds NaN, infinite or negative entries, or does not sum to 1
        within :data:`SUM_TOLERANCE`.
    """
    try:
        arr = np.asarray(p)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{label} must be array-like, got {type(p).__name__}") from exc
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{label} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{label} must be a 1-D probability vector, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{label} is empty: expected at least one probability")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{label} holds NaN or infinite entries: probabilities must be finite")
    if np.any(arr < 0):
        raise ValueError(f"{label} has negative entries (min {arr.min():.3g}): expected >= 0")
    total = math.fsum(arr)
    if abs(total - 1.0) > SUM_TOLERANCE + 4 * arr.size * np.finfo(float).eps:
        raise ValueError(
            f"{label} sums to {total!r}, expected 1 within {SUM_TOLERANCE:g}; normalise it first"
        )
    return arr


def check_pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate two probability vectors on a common support (same length)."""
    p_arr = check_probability_vector(p, "p")
    q_arr = check_probability_vector(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(
            f"p and q must be on a common support (same length), got {p_arr.size} and {q_arr.size}"
        )
    return p_arr, q_arr


def discrete_divergence(name: str, p: Any, q: Any) -> float:
    r"""Return :math:`D_f(P\|Q)` for probability vectors ``p``, ``q`` on a common support.

    Parameters
    ----------
    name : str
        A key of :data:`reference.DIVERGENCES`.
    p, q : array_like, shape [K]
        Probability vectors (non-negative, summing to 1); exact zeros are allowed.

    Returns
    -------
    float
        The divergence in nats; ``inf`` where it is infinite (e.g. KL with :math:`q_i = 0 < p_i`).
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    terms = div.perspective(p_arr, q_arr)
    if np.any(np.isinf(terms)):
        return math.inf
    # fsum: terms of opposite sign cancel between nearly equal vectors. No clamping at 0: a
    # negative total would reveal a broken formula, beyond rounding of a few ulp.
    return math.fsum(terms)


def likelihood_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Return ``p / q`` with ``inf`` where ``q = 0 < p`` and ``1`` where both are 0."""
    safe_q = np.where(q > 0, q, 1.0)
    ratio = np.where(q > 0, p / safe_q, np.inf)
    return np.where((p == 0) & (q == 0), 1.0, ratio)


def optimal_critic(name: str, p: Any, q: Any) -> np.ndarray:
    r"""Return the optimal critic :math:`t^*_i = f'(p_i/q_i)` on the support.

    Where :math:`q_i = 0 < p_i` the value is :math:`f'(\infty)` (``inf`` for KL, chi² and
    Jeffreys, whose divergence is then infinite); where :math:`p_i = 0 < q_i` it is
    :math:`f'(0^+)` (possibly ``-inf``); where both vanish the cell carries no mass and the critic
    is set to :math:`f'(1)`.
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    with np.errstate(divide="ignore"):  # f'(0) = -inf is the intended limit, not an accident
        return np.asarray(div.f_prime(likelihood_ratio(p_arr, q_arr)), dtype=np.float64)


def variational_objective(name: str, p: Any, q: Any, t: Any) -> float:
    r"""Return :math:`J(t) = \mathbb{E}_P[t] - \mathbb{E}_Q[f^*(t)]` for a critic on the support.

    The critic must map into the effective domain of :math:`f^*` (Nowozin et al. 2016, eq. 4): a
    value outside it where :math:`q_i > 0` has :math:`f^* = +\infty`, and one beyond the closure
    of the domain where :math:`q_i = 0 < p_i` is not an admissible critic either; both give
    :math:`J = -\infty`. (Without the second rule J could exceed D_f on cells Q does not see; on
    them the best admissible value is the domain's upper end, :math:`f'(\infty)`.) Cells with
    :math:`p_i = 0` do not enter :math:`\mathbb{E}_P` and cells with :math:`q_i = 0` do not enter
    :math:`\mathbb{E}_Q`. At extreme ratios (beyond ~1e16 for JS) the optimal critic rounds onto
    an open end of the domain in float64, and J is then :math:`-\infty` although D_f is finite.

    Parameters
    ----------
    name : str
        A key of :data:`reference.DIVERGENCES`.
    p, q : array_like, shape [K]
        Probability vectors on a common support.
    t : array_like, shape [K]
        The critic's values (may hold :math:`\pm\infty`, not NaN).
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    t_arr = np.asarray(t, dtype=np.float64)
    if t_arr.shape != p_arr.shape:
        raise ValueError(f"critic t must have shape {p_arr.shape} like p, got {t_arr.shape}")
    if np.any(np.isnan(t_arr)):
        raise ValueError("critic t holds NaN values")
    on_p = p_arr > 0
    on_q = q_arr > 0
    low, high = div.domain
    if np.any(on_p & ~on_q & ((t_arr > high) | (t_arr < low))):
        return -math.inf
    with np.errstate(over="ignore"):  # exp overflow -> inf is the right limit of f*
        conj = np.asarray(div.conjugate(np.where(on_q, t_arr, 0.0)), dtype=np.float64)
    gain = p_arr[on_p] * t_arr[on_p]
    cost = q_arr[on_q] * conj[on_q]
    if np.any(np.isposinf(cost)) or np.any(np.isneginf(gain)):
        return -math.inf
    if np.any(np.isposinf(gain)) or np.any(np.isneginf(cost)):
        return math.inf
    return math.fsum(gain) - math.fsum(cost)
