r"""Adaptive quadrature for one-dimensional pairs without a closed form (e.g. Gaussian mixtures).

:math:`D_f(P\|Q) = \int q f(p/q)\,dx` is integrated with the table's ``log_perspective``, which
takes :math:`\log p` and :math:`\log q` and never forms :math:`p/q` (it would overflow in the tails
where one density decays faster). The real line is cut at every component's
:math:`\mu + k\sigma` (k up to ±40, beyond which a Gaussian density is below :math:`e^{-800}`) and
each piece is integrated by QUADPACK's adaptive Gauss-Kronrod rule (``scipy.integrate.quad``); the
pieces' error estimates are summed into the reported error. The integrand must have decayed to
(float64) zero at both ends, otherwise an :class:`ArithmeticError` is raised.

The same machinery gives W1 between one-dimensional laws, :math:`\int |F_P - F_Q|\,dx`
(Vallender 1973).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise

import numpy as np

from divergence_verify.reference.distributions import Distribution, Gaussian, GaussianMixture
from divergence_verify.reference.exact import ExactValue
from divergence_verify.reference.fdivergences import get_divergence

EPSREL = 1e-12
"""Relative accuracy requested from each piece."""
EPSABS = 1e-15
"""Absolute accuracy requested from each piece (pieces far in the tails are ~0)."""
_END_TOLERANCE = 1e-250


def _tail_std(dist: Distribution) -> float:
    if isinstance(dist, Gaussian):
        return dist.std
    if isinstance(dist, GaussianMixture):
        return max(c.std for w, c in zip(dist.weights, dist.components, strict=True) if w > 0)
    raise NotImplementedError(f"no tail model for {type(dist).__name__}")


def _integrate(fn: Callable[[float], float], points: list[float]) -> tuple[float, float]:
    from scipy import integrate  # here: importing the reference layer loads no scipy

    values, errors = [], []
    for a, b in pairwise(points):
        value, error = integrate.quad(fn, a, b, epsabs=EPSABS, epsrel=EPSREL, limit=200)
        values.append(value)
        errors.append(error)
    return math.fsum(values), math.fsum(errors)


def _check_decayed(fn: Callable[[float], float], points: list[float], what: str) -> None:
    ends = [abs(fn(points[0])), abs(fn(points[-1]))]
    if max(ends) > _END_TOLERANCE:
        raise ArithmeticError(
            f"the {what} integrand has not decayed at the ends of the integration range "
            f"[{points[0]:.3g}, {points[-1]:.3g}] (values {ends[0]:.3g}, {ends[1]:.3g})"
        )


def quadrature_divergence(name: str, p: Distribution, q: Distribution) -> ExactValue:
    """Integrate :math:`q f(p/q)` over the real line for one-dimensional P and Q.

    Returns
    -------
    ExactValue
        The value and the summed error estimate of the adaptive quadrature.
    """
    div = get_divergence(name)
    if p.dim != 1 or q.dim != 1:
        raise ValueError(f"quadrature needs one-dimensional P and Q, got d = {p.dim}, {q.dim}")
    points = sorted(set(p.breakpoints()) | set(q.breakpoints()))
    if name == "chi2":
        # p^2/q decays like exp(-x^2 k / 2), k = 2/s_p^2 - 1/s_q^2 (widest components): finite
        # iff k > 0, and then negligible beyond 40/sqrt(k) of the origin of the slowest decay.
        k = 2.0 / _tail_std(p) ** 2 - 1.0 / _tail_std(q) ** 2
        if k <= 0:
            return ExactValue(math.inf, 0.0, "quadrature (tail test: infinite)")
        reach = 40.0 / math.sqrt(k)
        points = sorted(set(points) | {points[0] - reach, points[-1] + reach})

    def integrand(x: float) -> float:
        xs = np.array([x])
        return float(div.log_perspective(p.log_prob(xs)[0], q.log_prob(xs)[0]))

    _check_decayed(integrand, points, name)
    value, error = _integrate(integrand, points)
    return ExactValue(value, error, "quadrature")


def wasserstein1_quadrature(p: Distribution, q: Distribution) -> ExactValue:
    r"""Return :math:`W_1(P, Q) = \int |F_P(x) - F_Q(x)|\,dx` for one-dimensional P and Q."""
    if p.dim != 1 or q.dim != 1:
        raise ValueError(f"W1 by quadrature needs one-dimensional P and Q, got {p.dim}, {q.dim}")
    points = sorted(set(p.breakpoints()) | set(q.breakpoints()))

    def integrand(x: float) -> float:
        return abs(float(p.cdf(x)) - float(q.cdf(x)))

    _check_decayed(integrand, points, "W1")
    value, error = _integrate(integrand, points)
    return ExactValue(value, error, "quadrature")
