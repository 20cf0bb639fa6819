r"""Exact Wasserstein-1 distances between weighted point clouds (the reference values).

Convention: the ground cost is the Euclidean distance :math:`c(x, y) = \|x - y\|_2` and

.. math::
    W_1(P, Q) = \min_{\pi \in \Pi(P, Q)} \mathbb{E}_\pi \|X - Y\|
              = \sup_{\operatorname{Lip}(h) \le 1} \mathbb{E}_P h - \mathbb{E}_Q h

(Kantorovich-Rubinstein duality; Villani, *Optimal Transport: Old and New*, 2009, Thm 5.10 and
Particular Case 5.16). For empirical measures :math:`P = \sum_i a_i \delta_{x_i}`,
:math:`Q = \sum_j b_j \delta_{y_j}` the primal is the linear programme

.. math::
    \min_{\pi \ge 0} \sum_{ij} \pi_{ij} c_{ij}
    \quad \text{s.t.} \quad \pi \mathbf 1 = a, \ \pi^\top \mathbf 1 = b,

solved exactly by POT's network simplex (``ot.emd`` / ``ot.emd2``, Bonneel et al. 2011), whose
dual is :math:`\max \sum_i a_i f_i + \sum_j b_j g_j` subject to :math:`f_i + g_j \le c_{ij}`
(Peyré & Cuturi, *Computational Optimal Transport*, 2019, §2.5 and Ch. 6).

Inputs: a cloud is an array ``[n, d]`` (a 1-D array ``[n]`` is read as ``d = 1``), finite, with
``n >= 1``. Weights are non-negative, finite, of length ``n``, and must sum to 1 within
:data:`WEIGHT_SUM_TOL` (absolute, i.e. relative to the total mass 1); ``None`` means uniform.
Everything is computed in float64.

POT's solver does not raise when it stops early: on reaching ``numItermax`` it only warns and
returns the (sub-optimal) cost of the current basis, with ``result_code == 3`` in its log. Every
LP here checks that code, retries with a 10x larger limit up to :data:`LP_RETRIES` times, and
raises :class:`RuntimeError` rather than return a cost that is not the optimum.

Every scale: the clouds are centred and divided by their largest coordinate half-spread before
the costs are formed, and the optimum multiplied back (W1 is translation invariant and
positively homogeneous), so points at +-1e200 or 1e-170 apart give the right value, not ``inf``
(POT: "problem infeasible") or 0. Exactly symmetric: the two weighted clouds are put in a fixed
order first, so ``wasserstein1(x, y) == wasserstein1(y, x)`` bit for bit. Memory: the LP's dense
matrices are sized before anything is allocated (:mod:`reference.memory`); a problem that does
not fit raises :class:`MemoryError` naming n, m, the GiB needed and the GiB available.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from divergence_verify.reference._numerics import scaled_norm
from divergence_verify.reference.memory import check_lp_memory
from divergence_verify.reference.validation import (
    WEIGHT_SUM_TOL,
    check_clouds,
    check_iteration_limit,
    check_shift,
)

__all__ = [
    "LP_RETRIES",
    "WEIGHT_SUM_TOL",
    "W1Dual",
    "wasserstein1",
    "wasserstein1_1d",
    "wasserstein1_dual",
    "wasserstein1_translation",
]

LP_RETRIES = 3
"""How many times an LP that stopped at its iteration limit is re-run with a 10x larger limit."""

# Return codes of POT's network simplex (ot/lp/emd_wrap.pyx, ``check_result``).
_POT_OPTIMAL = 1
_POT_MAX_ITER_REACHED = 3

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class W1Dual:
    r"""Optimal primal and dual solution of the discrete W1 problem.

    Attributes
    ----------
    value : float
        :math:`W_1(P, Q) = \sum_i a_i f_i + \sum_j b_j g_j`, equal to the primal optimum.
    f : ndarray, shape [n]
        Dual potential on ``x`` (POT's ``u``, centred).
    g : ndarray, shape [m]
        Dual potential on ``y`` (POT's ``v``, centred); feasibility: :math:`f_i + g_j \le c_{ij}`.
    critic_x : ndarray, shape [n]
        Values :math:`h(x_i)` of the 1-Lipschitz critic
        :math:`h(z) = \min_j \big(\|z - y_j\| - g_j\big)` (the c-transform of ``g``).
    critic_y : ndarray, shape [m]
        Values :math:`h(y_j) = \min_k \big(\|y_j - y_k\| - g_k\big)` of the same critic, so that
        ``value == a @ critic_x - b @ critic_y`` (Kantorovich-Rubinstein form).
    plan : ndarray, shape [n, m]
        An optimal coupling :math:`\pi` with marginals ``a`` and ``b``.

    Notes
    -----
    Arrays are made read-only so that the instance is frozen in substance, not only in its
    attribute bindings.
    """

    value: float
    f: FloatArray
    g: FloatArray
    critic_x: FloatArray
    critic_y: FloatArray
    plan: FloatArray


def _normalised(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """Return both clouds centred and divided by their largest coordinate spread, and the spread.

    W1 is translation invariant and positively homogeneous (:math:`W_1(sX, sY) = s W_1(X, Y)`),
    so the LP is solved on coordinates in [-1, 1] and its value multiplied back by the spread.
    Without this, costs overflowed to inf for points at +-1e200 (POT: "problem infeasible") and
    underflowed to 0 for distinct points 1e-170 apart. Halves are taken before subtracting, so
    no intermediate overflows at any finite scale; ``spread == 0`` means every point coincides.
    """
    both = np.concatenate([xs, ys])
    lo, hi = both.min(axis=0), both.max(axis=0)
    centre = 0.5 * lo + 0.5 * hi
    half_width = 0.5 * hi - 0.5 * lo  # finite even for coordinates at -+1.7e308
    spread = float(half_width.max())
    if spread == 0.0:
        return np.zeros_like(xs), np.zeros_like(ys), 0.0
    return (
        (0.5 * xs - 0.5 * centre) / spread * 2.0,
        (0.5 * ys - 0.5 * centre) / spread * 2.0,
        spread,
    )


def _canonical(
    xs: FloatArray, ys: FloatArray, wa: FloatArray, wb: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return the two weighted clouds in a fixed order, so that W1(x, y) == W1(y, x) exactly.

    The LP and the CDF sum are symmetric only up to rounding (an ulp apart when swapped); the
    order is by size, then by the bytes of the points and weights, which is total and cheap.
    """
    key_x = (xs.shape[0], xs.tobytes(), wa.tobytes())
    key_y = (ys.shape[0], ys.tobytes(), wb.tobytes())
    return (xs, ys, wa, wb) if key_x <= key_y else (ys, xs, wb, wa)


def _scaled(value: float, spread: float) -> float:
    """Return ``value * spread`` (``inf`` beyond float64, as the distance then is)."""
    with np.errstate(over="ignore"):
        return float(np.float64(value) * np.float64(spread))


def _solve_lp(
    solver: Callable[..., Any],
    a: FloatArray,
    b: FloatArray,
    cost: FloatArray,
    num_iter_max: int,
) -> tuple[Any, dict[str, Any]]:
    """Run a POT network-simplex ``solver`` until it reports optimality.

    Returns ``solver``'s result and its log. On ``numItermax`` exhaustion the limit is multiplied
    by 10 and the solve repeated, at most :data:`LP_RETRIES` times; any other non-optimal status
    (infeasible, unbounded) raises at once.
    """
    limit = check_iteration_limit(num_iter_max)
    for _ in range(LP_RETRIES + 1):
        with warnings.catch_warnings():
            # POT warns on every non-optimal exit (twice in emd2); the status is handled below.
            warnings.filterwarnings("ignore", message="numItermax reached", category=UserWarning)
            result, log = solver(a, b, cost, numItermax=limit, log=True)
        code = log["result_code"]
        if code == _POT_OPTIMAL:
            return result, log
        if code != _POT_MAX_ITER_REACHED:
            raise RuntimeError(f"network simplex failed (result_code={code}): {log['warning']}")
        limit *= 10
    raise RuntimeError(
        f"network simplex did not reach optimality within numItermax={limit // 10} "
        f"after {LP_RETRIES} retries with 10x larger limits (started at {num_iter_max})"
    )


def wasserstein1_1d(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None
) -> float:
    r"""Exact W1 between two weighted samples on the real line, by their CDFs.

    .. math::
        W_1(P, Q) = \int_{\mathbb R} |F_P(t) - F_Q(t)| \, dt
                  = \sum_k |F_P(z_k) - F_Q(z_k)| \, (z_{k+1} - z_k)

    where :math:`z_1 \le \dots \le z_{n+m}` is the merged sorted support and the CDFs are
    right-continuous step functions, constant on :math:`[z_k, z_{k+1})` (Vallender 1973, Theory
    Probab. Appl. 18; the formula used by ``scipy.stats.wasserstein_distance``).

    Parameters
    ----------
    x, y : array_like, shape [n] or [n, 1]; shape [m] or [m, 1]
        Sample locations.
    a, b : array_like, shape [n] and [m], optional
        Non-negative weights summing to 1 (within :data:`WEIGHT_SUM_TOL`); default uniform.

    Returns
    -------
    float
        :math:`W_1(P, Q) \ge 0`.

    Raises
    ------
    ValueError
        On invalid clouds or weights, or if the data are not one-dimensional.
    TypeError
        On non-numeric input.
    """
    xs, ys, wa, wb = check_clouds(x, y, a, b)
    if xs.shape[1] != 1:
        raise ValueError(f"wasserstein1_1d needs one-dimensional data, got d={xs.shape[1]}")
    xs, ys, wa, wb = _canonical(xs, ys, wa, wb)
    xs, ys, spread = _normalised(xs, ys)
    if spread == 0.0:
        return 0.0
    return _scaled(_cdf_distance(xs[:, 0], ys[:, 0], wa, wb), spread)


def _cdf_distance(x: FloatArray, y: FloatArray, wa: FloatArray, wb: FloatArray) -> float:
    """Return the CDF sum of :func:`wasserstein1_1d` for samples on a bounded range."""
    z = np.concatenate([x, y])
    order = np.argsort(z, kind="stable")
    cdf_p = np.cumsum(np.concatenate([wa, np.zeros_like(wb)])[order])
    cdf_q = np.cumsum(np.concatenate([np.zeros_like(wa), wb])[order])
    gaps = np.diff(z[order])
    return float(np.sum(np.abs(cdf_p[:-1] - cdf_q[:-1]) * gaps))


def wasserstein1(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    method: Literal["auto", "lp", "1d"] = "auto",
    num_iter_max: int = 100_000,
) -> float:
    r"""Exact W1 between two weighted point clouds with the Euclidean ground cost.

    .. math::
        W_1(P, Q) = \min_{\pi \in \Pi(a, b)} \sum_{ij} \pi_{ij} \|x_i - y_j\|_2

    solved as a linear programme by POT's network simplex (``ot.emd2``), or, in one dimension,
    by the CDF formula of :func:`wasserstein1_1d`.

    Parameters
    ----------
    x : array_like, shape [n, d] or [n]
        Support of P (a 1-D array means ``d = 1``).
    y : array_like, shape [m, d] or [m]
        Support of Q, same ``d``.
    a, b : array_like, shape [n] and [m], optional
        Non-negative weights summing to 1 (within :data:`WEIGHT_SUM_TOL`); default uniform.
    method : {"auto", "lp", "1d"}
        ``"lp"``: network simplex in any dimension; ``"1d"``: CDF formula (``d = 1`` only);
        ``"auto"``: ``"1d"`` when ``d = 1``, else ``"lp"``.
    num_iter_max : int
        Initial iteration limit of the network simplex; on exhaustion it is raised 10x, up to
        :data:`LP_RETRIES` times.

    Returns
    -------
    float
        :math:`W_1(P, Q) \ge 0`, in the units of the coordinates.

    Raises
    ------
    ValueError
        On invalid clouds, weights, ``method`` or ``num_iter_max``.
    TypeError
        On non-numeric input.
    RuntimeError
        If the LP does not reach optimality within the retries.
    """
    if method not in ("auto", "lp", "1d"):
        raise ValueError(f"method must be 'auto', 'lp' or '1d', got {method!r}")
    check_iteration_limit(num_iter_max)  # up front, also where the 1-D formula needs none
    xs, ys, wa, wb = check_clouds(x, y, a, b)
    if method == "1d" or (method == "auto" and xs.shape[1] == 1):
        return wasserstein1_1d(xs, ys, wa, wb)
    # POT (which imports torch when present) and scipy load only for the LP: the 1-D formula
    # above, and scenarios that use it, need neither.
    import ot
    from scipy.spatial.distance import cdist

    xs, ys, wa, wb = _canonical(xs, ys, wa, wb)
    check_lp_memory(xs.shape[0], ys.shape[0])
    xs, ys, spread = _normalised(xs, ys)
    if spread == 0.0:
        return 0.0
    cost = cdist(xs, ys, metric="euclidean")
    value, _ = _solve_lp(ot.emd2, wa, wb, cost, num_iter_max)
    return _scaled(float(value), spread)


def wasserstein1_dual(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    num_iter_max: int = 100_000,
) -> W1Dual:
    r"""Optimal plan, dual potentials and a 1-Lipschitz critic for the discrete W1 problem.

    The network simplex (``ot.emd`` with ``log=True``) returns an optimal plan :math:`\pi` and
    dual potentials :math:`(f, g)` with :math:`f_i + g_j \le c_{ij}` and
    :math:`\sum_i a_i f_i + \sum_j b_j g_j = \sum_{ij} \pi_{ij} c_{ij}` (strong LP duality).
    The critic is the c-transform :math:`h(z) = \min_j (\|z - y_j\| - g_j)`, a minimum of
    1-Lipschitz functions, hence 1-Lipschitz on all of :math:`\mathbb R^d`. Since
    :math:`h(x_i) \ge f_i` (feasibility) and :math:`h(y_j) \le -g_j` (take :math:`k = j`),
    :math:`\sum_i a_i h(x_i) - \sum_j b_j h(y_j) \ge W_1`, while Kantorovich-Rubinstein gives
    :math:`\le W_1`; so ``h`` attains the supremum (Villani 2009, Thm 5.10 and Particular
    Case 5.16; Peyré & Cuturi 2019, §3.2 on c-transforms).

    Parameters
    ----------
    x : array_like, shape [n, d] or [n]
        Support of P (a 1-D array means ``d = 1``).
    y : array_like, shape [m, d] or [m]
        Support of Q, same ``d``.
    a, b : array_like, shape [n] and [m], optional
        Non-negative weights summing to 1 (within :data:`WEIGHT_SUM_TOL`); default uniform.
    num_iter_max : int
        Initial iteration limit of the network simplex, raised 10x on exhaustion up to
        :data:`LP_RETRIES` times.

    Returns
    -------
    W1Dual
        ``value`` (the dual objective, equal to the primal optimum up to rounding), ``f``, ``g``,
        ``critic_x``, ``critic_y`` and ``plan``.

    Raises
    ------
    ValueError
        On invalid clouds, weights or ``num_iter_max``.
    TypeError
        On non-numeric input.
    RuntimeError
        If the LP does not reach optimality within the retries.
    """
    check_iteration_limit(num_iter_max)
    xs, ys, wa, wb = check_clouds(x, y, a, b)
    check_lp_memory(xs.shape[0], ys.shape[0], extra_matrices=(ys.shape[0], ys.shape[0]))
    import ot
    from scipy.spatial.distance import cdist

    # Solved on normalised coordinates (see _normalised); potentials and critics are lengths,
    # so they scale back by the spread. Coincident clouds (spread 0) keep unit scale.
    xs, ys, spread = _normalised(xs, ys)
    unit = spread if spread > 0.0 else 1.0
    cost = cdist(xs, ys, metric="euclidean")
    plan, log = _solve_lp(ot.emd, wa, wb, cost, num_iter_max)
    g_unit = np.asarray(log["v"], dtype=np.float64)
    critic_x = np.min(cost - g_unit[None, :], axis=1)
    critic_y = np.min(cdist(ys, ys, metric="euclidean") - g_unit[None, :], axis=1)
    f_unit = np.asarray(log["u"], dtype=np.float64)
    value = _scaled(float(wa @ f_unit + wb @ g_unit), unit)
    with np.errstate(over="ignore"):
        f = f_unit * unit
        g, critic_x, critic_y = g_unit * unit, critic_x * unit, critic_y * unit
    arrays = (f, g, critic_x, critic_y, np.asarray(plan, dtype=np.float64))
    for arr in arrays:
        arr.flags.writeable = False
    return W1Dual(value, *arrays)


def wasserstein1_translation(shift: ArrayLike) -> float:
    r"""W1 between a distribution and its translate by ``shift``: the Euclidean norm ``|shift|``.

    For any P with a finite first moment and :math:`Q = P(\cdot - s)` (law of :math:`X + s`),

    .. math:: W_1(P, Q) = \|s\|_2.

    Upper bound: the translation coupling :math:`(X, X + s)` costs exactly :math:`\|s\|`.
    Lower bound, two ways: by Jensen (the norm is convex), every coupling has
    :math:`\mathbb{E}\|Y - X\| \ge \|\mathbb{E}(Y - X)\| = \|s\|`; equivalently, by
    Kantorovich-Rubinstein the 1-Lipschitz potential :math:`h(z) = -\langle z, s\rangle/\|s\|`
    gives :math:`\mathbb{E}_P h - \mathbb{E}_Q h = \|s\|`. So the translation coupling is
    optimal.

    Parameters
    ----------
    shift : array_like, shape [d] or scalar
        Translation vector :math:`s` (a scalar means ``d = 1``).

    Returns
    -------
    float
        :math:`\|s\|_2`.

    Raises
    ------
    ValueError
        If ``shift`` has more than one dimension, is empty, or is not finite.
    TypeError
        On non-numeric input.
    """
    return scaled_norm(check_shift(shift))  # no overflow of the squares: [1e300, 1e300] is finite
