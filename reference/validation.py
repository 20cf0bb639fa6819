"""Argument checks of the reference layer, in one place.

Every public function of :mod:`reference` validates its input with these before computing, and
raises :class:`TypeError` for a value of the wrong kind and :class:`ValueError` for one of the
right kind that is out of range, naming the argument. The modules that use them re-export the
public ones where they were first defined (``reference.discrete.check_probability_vector``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "SUM_TOLERANCE",
    "WEIGHT_SUM_TOL",
    "check_cloud",
    "check_clouds",
    "check_critic",
    "check_iteration_limit",
    "check_mean_cov",
    "check_pair",
    "check_probability_vector",
    "check_real_array",
    "check_sample_size",
    "check_seed",
    "check_shift",
    "check_weights",
    "require_1d",
]

SUM_TOLERANCE = 1e-9
"""Absolute tolerance on ``|sum(p) - 1|`` (plus 4 ulp per entry for rounding in the sum)."""

WEIGHT_SUM_TOL = 1e-9
"""Largest accepted ``|sum(w) - 1|``: loose enough for uniform weights ``1/n`` summed in float64
(error about ``n * 2**-53``), tight enough that a forgotten normalisation is always caught."""


def as_array(value: Any) -> Any:
    """Return ``value`` with a torch tensor detached and moved to host memory as numpy.

    Reference values are float64 numbers, not part of any autograd graph, so a tensor that
    requires grad is accepted and read by value (torch raised "Can't call numpy() on Tensor
    that requires grad" before). Torch is not imported: a tensor is recognised by its methods.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


def _is_real(arr: np.ndarray) -> bool:
    """Whether ``arr`` holds integers or floats (not bool, complex, strings or objects)."""
    return bool(np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating))


# -- probability vectors and critics on a finite support ------------------------------------
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
        arr = np.asarray(as_array(p))
    except Exception as exc:  # ragged lists, objects numpy cannot read
        raise TypeError(f"{label} must be array-like, got {type(p).__name__}") from exc
    if not _is_real(arr):
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
    if np.any(arr > 1.0 + SUM_TOLERANCE):  # also keeps fsum clear of overflow (1e308 + 1e308)
        raise ValueError(f"{label} has entries above 1 (max {arr.max():.3g}): not probabilities")
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


def check_critic(t: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Validate a critic's values on a support of ``shape``; return them as float64."""
    try:
        arr = np.asarray(as_array(t))
    except Exception as exc:  # pragma: no cover - exotic inputs (ragged lists raise here)
        raise TypeError(f"critic t must be a real numeric array of shape {shape}") from exc
    if not (_is_real(arr) or np.issubdtype(arr.dtype, np.bool_)):
        raise TypeError(
            f"critic t must hold real numbers (one value per support cell, shape {shape}), got "
            f"dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64)
    if arr.shape != shape:
        raise ValueError(f"critic t must have shape {shape} like p, got {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError("critic t holds NaN values")
    return arr


# -- distribution parameters ----------------------------------------------------------------
def check_sample_size(n: int) -> int:
    """Return ``n`` as an int if it is a non-negative integer (not a bool); else ValueError."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"sample size must be a non-negative integer, got {n!r}")
    return int(n)


def check_seed(seed: Any) -> Any:
    """Return ``seed`` if numpy's ``default_rng`` takes it: None, a Generator, or an int >= 0.

    Raises
    ------
    TypeError
        For anything else (``1.5``, ``"0"``, ``True``).
    ValueError
        For a negative integer (numpy's own message did not name the argument).
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be None, a numpy Generator or an integer >= 0, got {seed!r} "
            f"({type(seed).__name__})"
        )
    if seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed}")
    return seed


def check_iteration_limit(value: Any, label: str = "num_iter_max") -> int:
    """Return ``value`` as an int if it is an integer >= 1 (not a bool, not ``1.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        kind = type(value).__name__
        raise TypeError(f"{label} must be a positive integer, got {value!r} ({kind})")
    if value < 1:
        raise ValueError(f"{label} must be a positive integer, got {value}")
    return int(value)


def check_real_array(value: Any, label: str, what: str = "array") -> np.ndarray:
    """Return ``value`` as a numpy array of reals, or raise TypeError naming ``label``."""
    try:
        arr = np.asarray(as_array(value))
    except Exception as exc:  # ragged lists, objects numpy cannot read
        kind = type(value).__name__
        raise TypeError(f"{label} must be a real numeric {what}, got {kind}") from exc
    if not _is_real(arr):
        raise TypeError(f"{label} must be a real numeric {what}, got dtype {arr.dtype}")
    return arr


def check_mean_cov(mean: Any, cov: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a Gaussian's parameters; return the mean, the symmetric cov and its Cholesky factor.

    Raises
    ------
    ValueError
        For mismatched shapes, non-finite entries, or a covariance that is not symmetric
        positive definite.
    """
    mu = np.atleast_1d(check_real_array(mean, "mean").astype(np.float64))
    sigma = np.atleast_2d(check_real_array(cov, "cov").astype(np.float64))
    if mu.ndim != 1:
        raise ValueError(f"mean must be a vector of shape [d], got shape {mu.shape}")
    d = mu.size
    if d == 0:
        raise ValueError("mean is empty: expected a vector of shape [d] with d >= 1")
    if sigma.shape != (d, d):
        raise ValueError(f"cov must have shape [{d}, {d}] to match the mean, got {sigma.shape}")
    for label, arr in (("mean", mu), ("cov", sigma)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{label} holds NaN or inf: a Gaussian's parameters must be finite")
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12 * np.abs(sigma).max()):
        raise ValueError("cov must be symmetric")
    sigma = 0.5 * (sigma + sigma.T)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(sigma).min()
        raise ValueError(
            f"cov must be positive definite; its smallest eigenvalue is {eig:.3g}"
        ) from None
    return mu, sigma, chol


def require_1d(dist: Any, what: str) -> None:
    """Raise ValueError unless ``dist`` is one-dimensional (``what`` needs it)."""
    if dist.dim != 1:
        raise ValueError(f"{what} is defined for one-dimensional distributions, got d = {dist.dim}")


# -- weighted point clouds (W1) -------------------------------------------------------------
def check_cloud(points: ArrayLike, name: str) -> FloatArray:
    """Validate a point cloud and return it as a float64 array of shape [n, d]."""
    arr = check_real_array(points, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D [n] or 2-D [n, d], got ndim={arr.ndim}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one point, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has dimension d=0: expected d >= 1, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf: expected finite coordinates")
    return arr


def check_weights(weights: ArrayLike | None, n: int, name: str) -> FloatArray:
    """Validate weights for ``n`` points (``None`` means uniform); return them as float64 [n]."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = check_real_array(weights, name)
    if w.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got ndim={w.ndim}")
    if w.shape[0] != n:
        raise ValueError(f"{name} has length {w.shape[0]}, expected {n} (one per point)")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or inf: expected finite weights")
    if np.any(w < 0):
        raise ValueError(f"{name} has negative entries (min {w.min()}): expected weights >= 0")
    total = float(w.sum())
    if abs(total - 1.0) > WEIGHT_SUM_TOL:
        raise ValueError(
            f"{name} sums to {total!r}, expected 1 within {WEIGHT_SUM_TOL:g} (absolute)"
        )
    # Renormalise so that both marginals carry exactly the same float mass: the LP is then
    # feasible without POT silently rescaling b, and the change is below WEIGHT_SUM_TOL.
    return w / total


def check_clouds(
    x: ArrayLike, y: ArrayLike, a: ArrayLike | None, b: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validate two clouds of the same dimension and their weights."""
    xs = check_cloud(x, "x")
    ys = check_cloud(y, "y")
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension, got d={xs.shape[1]} and d={ys.shape[1]}"
        )
    return xs, ys, check_weights(a, xs.shape[0], "a"), check_weights(b, ys.shape[0], "b")


def check_shift(shift: ArrayLike) -> FloatArray:
    """Validate a translation vector (a scalar or [d]); return it as float64."""
    s = check_real_array(shift, "shift", "vector")
    if s.ndim > 1:
        raise ValueError(f"shift must be a scalar or a 1-D vector [d], got ndim={s.ndim}")
    if s.size == 0:
        raise ValueError("shift is empty: expected a vector of length d >= 1")
    s = s.astype(np.float64)
    if not np.all(np.isfinite(s)):
        raise ValueError("shift contains NaN or inf: expected finite coordinates")
    return s
