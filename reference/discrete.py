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

from divergence_verify.reference.fdivergences import FDivergence, get_divergence
from divergence_verify.reference.ranges import clamp_rounding
from divergence_verify.reference.validation import (  # re-exported: their first home
    SUM_TOLERANCE,
    check_critic,
    check_pair,
    check_probability_vector,
)

__all__ = [
    "SUM_TOLERANCE",
    "check_pair",
    "check_probability_vector",
    "discrete_divergence",
    "log_likelihood_ratio",
    "optimal_critic",
    "variational_objective",
]

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
        The divergence in nats; ``inf`` where it is infinite (e.g. KL with :math:`q_i = 0 < p_i`),
        and also where it is finite but beyond the float64 range (~1.8e308; chi² grows like
        :math:`p_i^2/q_i`, e.g. 9e308 for :math:`p_i = 0.3`, :math:`q_i = 10^{-310}`).
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    with np.errstate(over="ignore"):  # a term beyond float64's range rounds to inf, its value
        terms = div.perspective(p_arr, q_arr)
    if np.any(np.isinf(terms)):
        return math.inf
    # fsum: terms of opposite sign cancel between nearly equal vectors. Clamped into
    # [0, upper bound] only for an excess of rounding size (reference.ranges); a larger one
    # would reveal a broken formula and is left visible.
    return clamp_rounding(math.fsum(terms), div.upper_bound)


def log_likelihood_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    r"""Return the log likelihood ratio :math:`s_i = \log p_i - \log q_i` on the support.

    It is ``inf`` where :math:`q_i = 0 < p_i`, ``-inf`` where :math:`p_i = 0 < q_i`, and 0
    (ratio 1) where both vanish.

    The logs of the two masses are exact to an ulp even for subnormal masses, whereas the ratio
    ``p / q`` overflows when ``q`` is subnormal and keeps few digits when it is subnormal itself.
    """
    pos_p, pos_q = p > 0, q > 0
    log_p = np.log(np.where(pos_p, p, 1.0))
    log_q = np.log(np.where(pos_q, q, 1.0))
    s = np.where(pos_q, log_p - log_q, np.inf)
    return np.where(pos_p, s, np.where(pos_q, -np.inf, 0.0))


def _optimal_critic(div: FDivergence, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    # |t*| exceeds the float64 range for reverse KL and Jeffreys at p/q < ~5e-309 (t* ~ -q/p):
    # exp overflows to -inf there, which is that number rounded to float64.
    with np.errstate(over="ignore"):
        return np.asarray(div.f_prime_of_log(log_likelihood_ratio(p, q)), dtype=np.float64)


def optimal_critic(name: str, p: Any, q: Any) -> np.ndarray:
    r"""Return the optimal critic :math:`t^*_i = f'(p_i/q_i)` on the support.

    It is evaluated from :math:`\log p_i - \log q_i` (see :attr:`FDivergence.f_prime_of_log`), so
    it is accurate to a few ulp at every ratio float64 masses can form, including those whose
    quotient ``p / q`` overflows. Where :math:`|t^*_i|` itself exceeds the float64 range (reverse
    KL and Jeffreys, :math:`t^* \approx -q/p` for :math:`p/q \lesssim 5\cdot10^{-309}`) the value
    is ``-inf``, its rounding. Where :math:`q_i = 0 < p_i` the value is :math:`f'(\infty)`
    (``inf`` for KL, chi² and Jeffreys, whose divergence is then infinite); where
    :math:`p_i = 0 < q_i` it is :math:`f'(0^+)` (possibly ``-inf``); where both vanish the cell
    carries no mass and the critic is set to :math:`f'(1)`.
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    return _optimal_critic(div, p_arr, q_arr)


def variational_objective(name: str, p: Any, q: Any, t: Any) -> float:
    r"""Return :math:`J(t) = \mathbb{E}_P[t] - \mathbb{E}_Q[f^*(t)]` for a critic on the support.

    Each cell contributes :math:`p_i t_i - q_i f^*(t_i)` (Nowozin et al. 2016, eq. 4); cells with
    :math:`p_i = 0` do not enter :math:`\mathbb{E}_P` and cells with :math:`q_i = 0` do not enter
    :math:`\mathbb{E}_Q`. The critic must map into the effective domain of :math:`f^*`: a value
    outside it where :math:`q_i > 0` has :math:`f^* = +\infty`, and one beyond the closure of the
    domain where :math:`q_i = 0 < p_i` is not an admissible critic either; both give
    :math:`J = -\infty`. (Without the second rule J could exceed D_f on cells Q does not see; on
    them the best admissible value is the domain's upper end, :math:`f'(\infty)`.)

    **Optimal cells that float64 cannot evaluate.** At extreme ratios the optimal value
    :math:`t^*_i = f'(p_i/q_i)` is not an admissible float, or its cell cannot be evaluated in
    float64, although the cell's supremum :math:`q_i f(p_i/q_i)` is finite: :math:`t^*` rounds onto
    an open end of the domain (JS beyond :math:`p/q \approx 2\cdot10^{16}`, squared Hellinger
    beyond ~1e32, GAN beyond ~1e323), overflows to ``-inf`` (reverse KL, Jeffreys below
    :math:`p/q \approx 5\cdot10^{-309}`), or :math:`f^*(t^*)` overflows (chi² beyond
    :math:`p/q \approx 7\cdot10^{153}`, KL and Jeffreys beyond ~1.8e308). A cell with
    :math:`p_i, q_i > 0` whose contribution evaluates to a non-finite value *and* whose critic value
    equals :func:`optimal_critic`'s for that cell (:math:`t^*_i` as float64 holds it) is read as
    :math:`t^*_i` itself, and contributes the exact value :math:`q_i f(p_i/q_i)` (Fenchel-Young
    equality at :math:`t^*`; Nguyen, Wainwright & Jordan 2010, Lemma 1). No other cell is changed:
    any other value on or beyond an open end still gives :math:`-\infty`, and every cell that
    evaluates to a finite number is summed as evaluated. Hence :math:`J(t^*) = D_f` at every
    ratio, and :math:`J(t) \le D_f` for every ``t``.

    Parameters
    ----------
    name : str
        A key of :data:`reference.DIVERGENCES`.
    p, q : array_like, shape [K]
        Probability vectors on a common support.
    t : array_like, shape [K]
        The critic's values: real numbers, may hold :math:`\pm\infty`, not NaN.

    Raises
    ------
    TypeError
        If ``t`` does not hold real numbers.
    ValueError
        If ``t`` has another shape than ``p`` or holds NaN (and for bad ``name``, ``p``, ``q``).
    """
    div = get_divergence(name)
    p_arr, q_arr = check_pair(p, q)
    t_arr = check_critic(t, p_arr.shape)
    on_p = p_arr > 0
    on_q = q_arr > 0
    low, high = div.domain
    if np.any(on_p & ~on_q & ((t_arr > high) | (t_arr < low))):
        return -math.inf
    # exp overflow -> inf is the right limit of f*; inf - inf (a critic at +-inf where both
    # masses are positive) is resolved below, never summed.
    with np.errstate(over="ignore", invalid="ignore"):
        conj = np.asarray(div.conjugate(np.where(on_q, t_arr, 0.0)), dtype=np.float64)
        gain = np.where(on_p, p_arr * np.where(on_p, t_arr, 0.0), 0.0)
        cost = np.where(on_q, q_arr * conj, 0.0)
        unevaluable = on_p & on_q & ~np.isfinite(gain - cost)
    if np.any(unevaluable):
        optimal = unevaluable & (t_arr == _optimal_critic(div, p_arr, q_arr))
        if np.any(optimal):
            with np.errstate(over="ignore"):  # as in discrete_divergence: inf beyond the range
                exact = np.asarray(div.perspective(p_arr[optimal], q_arr[optimal]), np.float64)
            gain[optimal], cost[optimal] = exact, 0.0
    if np.any(np.isposinf(cost)) or np.any(np.isneginf(gain)):
        return -math.inf
    if np.any(np.isposinf(gain)) or np.any(np.isneginf(cost)):
        return math.inf
    # One exactly rounded sum of every term: gains and costs of nearly equal size cancel.
    return math.fsum(np.concatenate([gain, -cost]))
