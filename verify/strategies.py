r"""Composable Hypothesis strategies for testing divergences and their estimators.

Every public function returns a :class:`hypothesis.strategies.SearchStrategy` and validates its
own arguments eagerly (raising :class:`hypothesis.errors.InvalidArgument`), in the style of
:mod:`hypothesis.extra.numpy`. The strategies aim at the inputs that break divergence code:

* probability vectors with exact zeros, tiny masses (down to :data:`TINY_MASS_RANGE` ``[0]``)
  and ratios between entries spanning hundreds of orders of magnitude;
* pairs of vectors on a common support whose supports are equal, nested, disjoint or partially
  overlapping;
* well- and ill-conditioned covariance matrices, Gaussian parameters;
* point clouds (optionally weighted) with repeated points;
* critic values inside the effective domain of the conjugate :math:`f^*` of a table entry.

Arrays are float64 numpy arrays. Probability vectors are normalised in float64 so that their sum
is 1 to within :data:`SUM_TOLERANCE`. :func:`register_profiles` defines the ``"ci"`` and ``"dev"``
settings profiles used by the test suite.

The module depends only on ``hypothesis`` and ``numpy``, plus the project's own table of
f-divergences (:mod:`reference.fdivergences`) for :func:`critic_values`.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from divergence_verify.reference.fdivergences import DIVERGENCES, get_divergence

__all__ = [
    "CI_MAX_EXAMPLES",
    "DEV_MAX_EXAMPLES",
    "ILL_CONDITION_MIN",
    "RELATIONS",
    "SUM_TOLERANCE",
    "TINY_MASS_RANGE",
    "WELL_CONDITION_MAX",
    "critic_values",
    "distribution_pairs",
    "gaussian_params",
    "point_clouds",
    "probability_vectors",
    "register_profiles",
    "spd_matrices",
    "weighted_point_clouds",
]

SUM_TOLERANCE = 1e-12
"""Every probability vector drawn here sums to 1 within this absolute tolerance."""

TINY_MASS_RANGE = (1e-300, 1e-12)
"""Range of the tiny (unnormalised) weights mixed into probability vectors."""

SPREAD_MASS_RANGE = (1e-12, 1.0)
"""Range of the ordinary (unnormalised) weights, drawn log-uniformly: ratios up to 1e12."""

WELL_CONDITION_MAX = 1e2
"""Largest condition number of a ``condition="well"`` SPD matrix."""

ILL_CONDITION_MIN = 1e4
"""Smallest condition number of a ``condition="ill"`` SPD matrix."""

RELATIONS = ("any", "equal", "nested", "disjoint", "overlapping")
"""Support relations understood by :func:`distribution_pairs`."""

CI_MAX_EXAMPLES = 50
"""``max_examples`` of the ``"ci"`` profile."""

DEV_MAX_EXAMPLES = 300
"""``max_examples`` of the ``"dev"`` profile."""

MAX_VECTOR_SIZE = 10_000
"""Upper limit on ``max_size``: keeps tiny masses normal floats after normalisation."""

# Cell labels of a pair of supports, as bit flags: bit 0 = cell in supp p, bit 1 = in supp q.
_NEITHER, _P_ONLY, _Q_ONLY, _BOTH = 0, 1, 2, 3

# For each relation: the labels a cell may take, and the labels that must occur at least once
# (for "any", one of two alternatives, so that both supports are non-empty).
_RELATION_LABELS: dict[str, tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]] = {
    "any": ((_BOTH, _P_ONLY, _Q_ONLY, _NEITHER), ((_BOTH,), (_P_ONLY, _Q_ONLY))),
    "equal": ((_BOTH, _NEITHER), ((_BOTH,),)),
    "nested": ((_BOTH, _Q_ONLY, _NEITHER), ((_BOTH, _Q_ONLY),)),
    "disjoint": ((_P_ONLY, _Q_ONLY, _NEITHER), ((_P_ONLY, _Q_ONLY),)),
    "overlapping": ((_BOTH, _P_ONLY, _Q_ONLY, _NEITHER), ((_BOTH, _P_ONLY, _Q_ONLY),)),
}


def _check_sizes(min_size: int, max_size: int, what: str, *, at_least: int = 1) -> None:
    for label, value in ((f"min_{what}", min_size), (f"max_{what}", max_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgument(f"{label} must be an int, got {value!r}")
    if min_size < at_least:
        raise InvalidArgument(f"min_{what}={min_size} must be at least {at_least}")
    if max_size < min_size:
        raise InvalidArgument(f"max_{what}={max_size} must be >= min_{what}={min_size}")


def _pow10(exponent: float) -> float:
    return 10.0**exponent


def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(_pow10)


# Strategies drawn inside the composites below are built once and cached: building a fresh one
# per draw (and having Hypothesis validate it) would dominate the cost of an example.
_BOOLEANS = st.booleans()


@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def _positive_weights(allow_tiny: bool) -> st.SearchStrategy[float]:
    """Unnormalised positive weights: ordinary, spread over 12 decades, and (optionally) tiny."""
    branches = [st.floats(1e-3, 1.0), _log_uniform(*SPREAD_MASS_RANGE)]
    if allow_tiny:
        branches.append(_log_uniform(*TINY_MASS_RANGE))
    return st.one_of(branches)


def _normalise(weights: np.ndarray) -> np.ndarray:
    """Divide by the correctly rounded sum, twice: the result sums to 1 within a few ulp.

    The weights lie in ``[1e-300, 1]`` and there are at most :data:`MAX_VECTOR_SIZE` of them, so
    no positive weight underflows.
    """
    p = weights / math.fsum(weights)
    return p / math.fsum(p)


@st.composite
def _vector_on_support(draw: st.DrawFn, support: np.ndarray, allow_tiny: bool) -> np.ndarray:
    """A probability vector positive exactly on the boolean mask ``support``."""
    k = int(support.sum())
    weight = _positive_weights(allow_tiny)
    weights = np.zeros(support.size)
    weights[support] = [draw(weight) for _ in range(k)]
    return _normalise(weights)


def probability_vectors(
    min_size: int = 1,
    max_size: int = 8,
    *,
    allow_zeros: bool = True,
    allow_tiny: bool = True,
) -> st.SearchStrategy[np.ndarray]:
    """Return a strategy for 1-D float64 probability vectors of random size.

    Parameters
    ----------
    min_size, max_size : int
        Bounds on the length of the vector (``1 <= min_size <= max_size <= 10_000``); pass equal
        values for a fixed length.
    allow_zeros : bool
        Whether entries may be exactly 0 (at least one entry is always positive).
    allow_tiny : bool
        Whether tiny masses (weights from :data:`TINY_MASS_RANGE`, before normalisation) may
        occur. Ordinary weights are log-uniform over 12 decades, so ratios between entries reach
        1e12 without tiny masses and 1e300 with them.

    Returns
    -------
    SearchStrategy of numpy.ndarray
        Non-negative vectors with ``abs(sum - 1) <= SUM_TOLERANCE``.
    """
    _check_sizes(min_size, max_size, "size")
    if max_size > MAX_VECTOR_SIZE:
        raise InvalidArgument(f"max_size={max_size} exceeds {MAX_VECTOR_SIZE}")
    return _probability_vectors(min_size, max_size, allow_zeros, allow_tiny)


@st.composite
def _probability_vectors(
    draw: st.DrawFn, min_size: int, max_size: int, allow_zeros: bool, allow_tiny: bool
) -> np.ndarray:
    n = draw(_integers(min_size, max_size))
    if allow_zeros:
        support = np.array([draw(_BOOLEANS) for _ in range(n)], dtype=bool)
        support[draw(_integers(0, n - 1))] = True
    else:
        support = np.ones(n, dtype=bool)
    return draw(_vector_on_support(support, allow_tiny))


def distribution_pairs(
    relation: Literal["any", "equal", "nested", "disjoint", "overlapping"] = "any",
    min_size: int = 1,
    max_size: int = 8,
    *,
    allow_common_zeros: bool = True,
    allow_tiny: bool = True,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""Return a strategy for pairs ``(p, q)`` of probability vectors on a common support.

    Parameters
    ----------
    relation : {"any", "equal", "nested", "disjoint", "overlapping"}
        How the supports relate:

        * ``"equal"``: :math:`\operatorname{supp} p = \operatorname{supp} q`;
        * ``"nested"``: :math:`\operatorname{supp} p \subsetneq \operatorname{supp} q` (P is
          absolutely continuous w.r.t. Q, and some cell has :math:`p = 0 < q`);
        * ``"disjoint"``: :math:`\operatorname{supp} p \cap \operatorname{supp} q = \emptyset`;
        * ``"overlapping"``: the supports meet and neither contains the other;
        * ``"any"``: no constraint (every relation above, and its mirror image, can occur).
    min_size, max_size : int
        Bounds on the common length. It is raised to the minimum the relation needs (2 for
        ``"nested"`` and ``"disjoint"``, 3 for ``"overlapping"``).
    allow_common_zeros : bool
        Whether cells where both ``p`` and ``q`` vanish may occur.
    allow_tiny : bool
        Whether tiny masses may occur (see :func:`probability_vectors`).

    Returns
    -------
    SearchStrategy of tuple of numpy.ndarray
        Pairs of equal-length vectors, each summing to 1 within :data:`SUM_TOLERANCE`.
    """
    if relation not in _RELATION_LABELS:
        raise InvalidArgument(f"relation={relation!r} must be one of {RELATIONS}")
    _check_sizes(min_size, max_size, "size")
    allowed, required = _RELATION_LABELS[relation]
    need = min(len(r) for r in required)
    if max_size < need:
        raise InvalidArgument(f"relation={relation!r} needs max_size >= {need}, got {max_size}")
    if max_size > MAX_VECTOR_SIZE:
        raise InvalidArgument(f"max_size={max_size} exceeds {MAX_VECTOR_SIZE}")
    if not allow_common_zeros:
        allowed = tuple(label for label in allowed if label != _NEITHER)
    return _distribution_pairs(max(min_size, need), max_size, allowed, required, allow_tiny)


@st.composite
def _distribution_pairs(
    draw: st.DrawFn,
    min_size: int,
    max_size: int,
    allowed: tuple[int, ...],
    required: tuple[tuple[int, ...], ...],
    allow_tiny: bool,
) -> tuple[np.ndarray, np.ndarray]:
    fits = [r for r in required if len(r) <= max_size]
    must = fits[draw(_integers(0, len(fits) - 1))]
    n = draw(_integers(max(min_size, len(must)), max_size))
    labels = np.array([allowed[draw(_integers(0, len(allowed) - 1))] for _ in range(n)])
    # Each required label overwrites a distinct cell.
    free_cells = list(range(n))
    for label in must:
        labels[free_cells.pop(draw(_integers(0, len(free_cells) - 1)))] = label
    p = draw(_vector_on_support((labels & _P_ONLY) > 0, allow_tiny))
    q = draw(_vector_on_support((labels & _Q_ONLY) > 0, allow_tiny))
    return p, q


def _rotation(angles: list[float], dim: int) -> np.ndarray:
    """Product of Givens rotations, one per coordinate plane: any element of SO(dim)."""
    rot = np.eye(dim)
    planes = [(i, j) for i in range(dim) for j in range(i + 1, dim)]
    for (i, j), theta in zip(planes, angles, strict=True):
        givens = np.eye(dim)
        c, s = math.cos(theta), math.sin(theta)
        givens[i, i] = givens[j, j] = c
        givens[i, j], givens[j, i] = -s, s
        rot = rot @ givens
    return rot


def _condition_exponents(condition: str, max_condition: float) -> tuple[float, float]:
    top = math.log10(max_condition)
    if condition == "well":
        return 0.0, min(math.log10(WELL_CONDITION_MAX), top)
    if condition == "ill":
        return math.log10(ILL_CONDITION_MIN), top
    return 0.0, top


def _check_condition(condition: str, max_condition: float, min_dim: int) -> None:
    if condition not in ("well", "ill", "any"):
        raise InvalidArgument(f"condition={condition!r} must be 'well', 'ill' or 'any'")
    if not max_condition >= 1.0:
        raise InvalidArgument(f"max_condition={max_condition!r} must be >= 1")
    if condition == "ill" and max_condition < ILL_CONDITION_MIN:
        raise InvalidArgument(
            f"condition='ill' needs max_condition >= {ILL_CONDITION_MIN:g}, got {max_condition:g}"
        )
    if condition == "ill" and min_dim < 2:
        raise InvalidArgument("condition='ill' needs dim >= 2 (a 1x1 matrix has condition 1)")


def spd_matrices(
    dim: int,
    *,
    condition: Literal["well", "ill", "any"] = "any",
    max_condition: float = 1e6,
    eigenvalue_scale: tuple[float, float] = (1e-2, 1e2),
) -> st.SearchStrategy[np.ndarray]:
    r"""Return a strategy for symmetric positive-definite ``dim x dim`` float64 matrices.

    Each matrix is :math:`R \Lambda R^\top` with :math:`R` a product of Givens rotations at drawn
    angles and :math:`\Lambda` diagonal. The smallest eigenvalue is drawn log-uniformly from
    ``eigenvalue_scale``, the condition number :math:`\kappa` log-uniformly from the range of
    ``condition``, the largest eigenvalue is the smallest times :math:`\kappa` and the others lie
    log-uniformly between them. The result is symmetrised exactly.

    Parameters
    ----------
    dim : int
        Size of the matrix (``>= 1``).
    condition : {"well", "ill", "any"}
        ``"well"``: :math:`\kappa \le` :data:`WELL_CONDITION_MAX`; ``"ill"``:
        :data:`ILL_CONDITION_MIN` :math:`\le \kappa \le` ``max_condition`` (needs ``dim >= 2``);
        ``"any"``: :math:`1 \le \kappa \le` ``max_condition``.
    max_condition : float
        Largest condition number drawn.
    eigenvalue_scale : tuple of float
        Range of the smallest eigenvalue.

    Returns
    -------
    SearchStrategy of numpy.ndarray
        Symmetric matrices whose Cholesky factorisation succeeds.
    """
    _check_sizes(dim, dim, "dim")
    _check_condition(condition, max_condition, dim)
    low, high = eigenvalue_scale
    if not 0.0 < low <= high < math.inf:
        raise InvalidArgument(f"eigenvalue_scale={eigenvalue_scale!r} must satisfy 0 < lo <= hi")
    return _spd_matrices(dim, _condition_exponents(condition, max_condition), (low, high))


@st.composite
def _spd_matrices(
    draw: st.DrawFn, dim: int, exponents: tuple[float, float], scale: tuple[float, float]
) -> np.ndarray:
    n_planes = dim * (dim - 1) // 2
    angles = draw(st.lists(st.floats(0.0, 2.0 * math.pi), min_size=n_planes, max_size=n_planes))
    smallest = draw(_log_uniform(*scale))
    log_kappa = draw(st.floats(*exponents)) if dim > 1 else 0.0
    n_inner = max(dim - 2, 0)
    inner = draw(st.lists(st.floats(0.0, 1.0), min_size=n_inner, max_size=n_inner))
    fractions = [0.0, *inner, 1.0][:dim]
    eigenvalues = smallest * 10.0 ** (log_kappa * np.array(fractions))
    rot = _rotation(angles, dim)
    cov = (rot * eigenvalues) @ rot.T
    return (cov + cov.T) / 2.0


def gaussian_params(
    min_dim: int = 1,
    max_dim: int = 4,
    *,
    condition: Literal["well", "ill", "any"] = "any",
    max_condition: float = 1e6,
    max_abs_mean: float = 10.0,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Return a strategy for Gaussian parameters ``(mean, cov)``.

    Parameters
    ----------
    min_dim, max_dim : int
        Bounds on the dimension. With ``condition="ill"`` the dimension is at least 2.
    condition : {"well", "ill", "any"}
        Conditioning of the covariance (see :func:`spd_matrices`).
    max_condition : float
        Largest condition number of the covariance.
    max_abs_mean : float
        Bound on the absolute value of each coordinate of the mean.

    Returns
    -------
    SearchStrategy of tuple of numpy.ndarray
        ``mean`` of shape ``(d,)`` and ``cov`` of shape ``(d, d)``, symmetric positive definite.
    """
    _check_sizes(min_dim, max_dim, "dim")
    if condition == "ill":
        min_dim = max(min_dim, 2)
        if max_dim < min_dim:
            raise InvalidArgument("condition='ill' needs max_dim >= 2")
    _check_condition(condition, max_condition, min_dim)
    if not 0.0 <= max_abs_mean < math.inf:
        raise InvalidArgument(f"max_abs_mean={max_abs_mean!r} must be finite and >= 0")
    return _gaussian_params(min_dim, max_dim, condition, max_condition, max_abs_mean)


@st.composite
def _gaussian_params(
    draw: st.DrawFn,
    min_dim: int,
    max_dim: int,
    condition: Literal["well", "ill", "any"],
    max_condition: float,
    max_abs_mean: float,
) -> tuple[np.ndarray, np.ndarray]:
    dim = draw(st.integers(min_dim, max_dim))
    coordinate = st.floats(-max_abs_mean, max_abs_mean)
    mean = np.array(draw(st.lists(coordinate, min_size=dim, max_size=dim)), dtype=np.float64)
    cov = draw(spd_matrices(dim, condition=condition, max_condition=max_condition))
    return mean, cov


def point_clouds(
    min_points: int = 1,
    max_points: int = 16,
    *,
    min_dim: int = 1,
    max_dim: int = 3,
    duplicates: bool = True,
    max_abs: float = 1e3,
) -> st.SearchStrategy[np.ndarray]:
    """Return a strategy for point clouds: float64 arrays of shape ``(n_points, dim)``.

    Parameters
    ----------
    min_points, max_points : int
        Bounds on the number of points.
    min_dim, max_dim : int
        Bounds on the dimension; pass equal values for a fixed dimension (e.g. to draw two clouds
        in the same space).
    duplicates : bool
        If true, some points may be repeated exactly (the cloud is built from a drawn number of
        distinct rows, each used at least once); if false, all rows are distinct.
    max_abs : float
        Bound on the absolute value of each coordinate.

    Returns
    -------
    SearchStrategy of numpy.ndarray
        Finite arrays of shape ``(n_points, dim)``.
    """
    _check_sizes(min_points, max_points, "points")
    _check_sizes(min_dim, max_dim, "dim")
    if not 0.0 < max_abs < math.inf:
        raise InvalidArgument(f"max_abs={max_abs!r} must be finite and > 0")
    return _point_clouds(min_points, max_points, min_dim, max_dim, duplicates, max_abs)


@st.composite
def _point_clouds(
    draw: st.DrawFn,
    min_points: int,
    max_points: int,
    min_dim: int,
    max_dim: int,
    duplicates: bool,
    max_abs: float,
) -> np.ndarray:
    n = draw(st.integers(min_points, max_points))
    dim = draw(st.integers(min_dim, max_dim))
    coordinate = st.floats(-max_abs, max_abs, allow_subnormal=False)
    row = st.tuples(*[coordinate] * dim)
    if duplicates:
        n_distinct = draw(st.integers(1, n))
        base = draw(st.lists(row, min_size=n_distinct, max_size=n_distinct))
        extra = draw(
            st.lists(
                st.integers(0, n_distinct - 1), min_size=n - n_distinct, max_size=n - n_distinct
            )
        )
        rows = [base[i] for i in draw(st.permutations([*range(n_distinct), *extra]))]
    else:
        rows = draw(st.lists(row, min_size=n, max_size=n, unique=True))
    return np.array(rows, dtype=np.float64).reshape(n, dim)


def weighted_point_clouds(
    min_points: int = 1,
    max_points: int = 16,
    *,
    min_dim: int = 1,
    max_dim: int = 3,
    duplicates: bool = True,
    allow_zero_weights: bool = False,
    allow_tiny: bool = True,
    max_abs: float = 1e3,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Return a strategy for weighted point clouds ``(points, weights)``.

    Parameters
    ----------
    min_points, max_points, min_dim, max_dim, duplicates, max_abs
        As for :func:`point_clouds`.
    allow_zero_weights : bool
        Whether some points may carry weight exactly 0.
    allow_tiny : bool
        Whether tiny weights may occur (see :func:`probability_vectors`).

    Returns
    -------
    SearchStrategy of tuple of numpy.ndarray
        ``points`` of shape ``(n, dim)`` and ``weights`` of shape ``(n,)``, a probability vector
        (repeated points keep separate weights).
    """
    clouds = point_clouds(
        min_points,
        max_points,
        min_dim=min_dim,
        max_dim=max_dim,
        duplicates=duplicates,
        max_abs=max_abs,
    )
    return clouds.flatmap(
        lambda points: st.tuples(
            st.just(points),
            probability_vectors(
                len(points), len(points), allow_zeros=allow_zero_weights, allow_tiny=allow_tiny
            ),
        )
    )


def critic_values(
    name: str,
    size: int,
    *,
    max_abs: float = 50.0,
    min_margin: float = 1e-12,
) -> st.SearchStrategy[np.ndarray]:
    r"""Return a strategy for critic values in the effective domain of :math:`f^*` for ``name``.

    The domain is read from the table entry (``domain`` and ``domain_closed``) when a value is
    drawn, so a patched table is honoured. Values cluster both uniformly over the domain and
    log-uniformly close to each finite open end.

    Parameters
    ----------
    name : str
        A key of :data:`reference.fdivergences.DIVERGENCES`.
    size : int
        Length of the returned vector (``>= 0``).
    max_abs : float
        Bound on the absolute value of the draws where the domain is unbounded.
    min_margin : float
        Smallest distance to a finite open end of the domain (so that :math:`f^*` stays finite
        and well-conditioned); at least one ulp is always kept.

    Returns
    -------
    SearchStrategy of numpy.ndarray
        float64 vectors of length ``size`` for which ``entry.in_domain`` is all true.
    """
    if name not in DIVERGENCES:
        raise InvalidArgument(f"unknown divergence {name!r}; expected one of {sorted(DIVERGENCES)}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidArgument(f"size={size!r} must be a non-negative int")
    if not 0.0 < max_abs < math.inf:
        raise InvalidArgument(f"max_abs={max_abs!r} must be finite and > 0")
    if not 0.0 < min_margin < 1.0:
        raise InvalidArgument(f"min_margin={min_margin!r} must lie in (0, 1)")
    return _critic_values(name, size, max_abs, min_margin)


def _inner_end(end: float, closed: bool, margin: float, toward: float) -> float:
    """The extreme value to draw next to a domain end: itself if closed, else ``margin`` inside."""
    if closed:
        return end
    inside = end + math.copysign(margin, toward - end)
    return inside if inside != end else float(np.nextafter(end, toward))


@st.composite
def _critic_values(
    draw: st.DrawFn, name: str, size: int, max_abs: float, min_margin: float
) -> np.ndarray:
    entry = get_divergence(name)
    element = _critic_element(entry.domain, entry.domain_closed, max_abs, min_margin)
    return np.array([draw(element) for _ in range(size)], dtype=np.float64).reshape(size)


@functools.cache
def _critic_element(
    domain: tuple[float, float], closed: tuple[bool, bool], max_abs: float, min_margin: float
) -> st.SearchStrategy[float]:
    """One critic value: uniform over the (truncated) domain, or log-close to an open end."""
    (low, high), (low_closed, high_closed) = domain, closed
    lo = None if math.isinf(low) else _inner_end(low, low_closed, min_margin, math.inf)
    hi = None if math.isinf(high) else _inner_end(high, high_closed, min_margin, -math.inf)
    # An unbounded side reaches max_abs beyond zero, or beyond the other (finite) end.
    if lo is None:
        lo = -max_abs if hi is None else min(-max_abs, hi - max_abs)
    if hi is None:
        hi = max(max_abs, lo + max_abs)
    branches = [st.floats(lo, hi)]
    gaps = _log_uniform(min_margin, 1.0)
    if math.isfinite(high) and not high_closed:
        branches.append(gaps.map(lambda gap: max(high - gap, lo)).map(lambda t: min(t, hi)))
    if math.isfinite(low) and not low_closed:
        branches.append(gaps.map(lambda gap: min(low + gap, hi)).map(lambda t: max(t, lo)))
    return st.one_of(branches)


def register_profiles() -> None:
    """Register the Hypothesis settings profiles ``"ci"`` and ``"dev"``.

    ``"ci"``
        Reproducible: ``derandomize=True`` (examples depend only on the test), no example
        database, :data:`CI_MAX_EXAMPLES` examples, no deadline (timings on shared runners are
        noise), and ``print_blob=True`` so a failure prints the blob that replays it.
    ``"dev"``
        Exploratory: random seeds, the default example database (failures are replayed first),
        :data:`DEV_MAX_EXAMPLES` examples, no deadline.

    Load one with ``hypothesis.settings.load_profile(name)``; the test suite's ``conftest.py``
    loads ``"ci"`` unless the ``HYPOTHESIS_PROFILE`` environment variable names another.
    """
    default = settings.get_profile("default")  # not the current profile: no inheritance
    settings.register_profile(
        "ci",
        parent=default,
        max_examples=CI_MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
    )
    settings.register_profile(
        "dev", parent=default, max_examples=DEV_MAX_EXAMPLES, deadline=None, print_blob=True
    )
