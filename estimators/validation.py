"""Argument checks of the estimator layer, in one place: samples, ensembles, settings.

Every estimator validates its samples with these before computing: :class:`TypeError` for data
of the wrong kind, :class:`ValueError` for data of the right kind that is out of range, naming
the argument. The public ones are re-exported by :mod:`estimators.base` (and the package), where
they were first defined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

ArrayLike = Any  # numpy.ndarray or torch.Tensor, [n, d] (a 1-D array is read as [n, 1])

__all__ = [
    "MAX_SEED",
    "ArrayLike",
    "check_batched_samples",
    "check_bool",
    "check_sample",
    "check_samples",
    "check_seed",
    "is_positive_int",
    "member_seeds",
]


MAX_SEED = 2**63 - 1
"""Largest seed: every seed must fit both numpy's and torch's generators (torch takes 64 bits;
``seed=2**70`` was accepted and failed only inside training)."""


def check_seed(seed: object, label: str = "seed") -> int:
    """Return ``seed`` as an int if it is an integer in ``[0, MAX_SEED]``.

    Raises
    ------
    TypeError
        If it is not an integer (``1.5``, ``"3"``, ``True``: a bool is not a seed).
    ValueError
        If it is negative or above :data:`MAX_SEED`.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{label} must be an integer, got {seed!r} ({type(seed).__name__})")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{label} must lie in [0, 2**63 - 1], got {seed}")
    return int(seed)


def check_bool(value: object, label: str) -> bool:
    """Return ``value`` if it is a bool (or numpy bool); a truthy string such as ``'no'`` is not."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{label} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def _to_numpy(x: ArrayLike, label: str) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{label} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{label} must hold real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{label} must be real, got complex dtype {arr.dtype}")
    return arr


def check_sample(x: ArrayLike, label: str = "x") -> np.ndarray:
    """Validate one sample and return it as a float64 array of shape [n, d].

    Raises
    ------
    TypeError
        If ``x`` is not a real numeric array.
    ValueError
        If it is empty, has d = 0, more than 2 dimensions, or holds NaN or infinite values.
    """
    arr = _to_numpy(x, label)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{label} must have shape [n, d] (or [n]), got shape {arr.shape}")
    n, d = arr.shape
    if n == 0:
        raise ValueError(f"{label} is empty: expected at least one sample, got shape {arr.shape}")
    if d == 0:
        raise ValueError(f"{label} has dimension d = 0: expected [n, d] with d >= 1")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{label} holds {bad} NaN or infinite value(s): samples must be finite")
    return arr.astype(np.float64, copy=False)


def check_samples(x_p: ArrayLike, x_q: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of samples (see :func:`check_sample`) and that their dimensions agree."""
    p = check_sample(x_p, "x_p")
    q = check_sample(x_q, "x_q")
    if p.shape[1] != q.shape[1]:
        raise ValueError(
            f"x_p and x_q must have the same dimension d, got {p.shape[1]} and {q.shape[1]}"
        )
    return p, q


def check_batched_samples(x_p: ArrayLike, x_q: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate E stacked sample pairs, shapes [E, n, d] and [E, m, d]; return float64 arrays."""
    p = _to_numpy(x_p, "x_p")
    q = _to_numpy(x_q, "x_q")
    if p.ndim != 3 or q.ndim != 3:
        raise ValueError(
            f"batched samples must have shape [E, n, d]; got x_p {p.shape} and x_q {q.shape}"
        )
    if p.shape[0] != q.shape[0]:
        raise ValueError(f"x_p and x_q hold {p.shape[0]} and {q.shape[0]} ensemble members")
    if p.shape[0] == 0:
        raise ValueError("the ensemble is empty: x_p and x_q hold 0 members (shape [0, n, d])")
    for e in range(p.shape[0]):
        check_samples(p[e], q[e])
    return p.astype(np.float64, copy=False), q.astype(np.float64, copy=False)


def member_seeds(base: int, n_members: int, seeds: Sequence[int] | None) -> list[int]:
    """Return one seed per ensemble member: ``seeds`` as ints, or ``base, base + 1, ...``.

    Every seed is checked with :func:`check_seed` (a negative one reached numpy's own error).
    """
    if n_members < 1:
        raise ValueError(f"the ensemble is empty: expected at least one member, got {n_members}")
    if seeds is None:
        return [check_seed(base + e, f"seed + {e}") for e in range(n_members)]
    seeds = [check_seed(s, f"seeds[{e}]") for e, s in enumerate(seeds)]
    if len(seeds) != n_members:
        raise ValueError(f"got {len(seeds)} seeds for {n_members} ensemble members")
    return seeds


def is_positive_int(value: object) -> bool:
    """Whether ``value`` is an integer >= 1 (Python or numpy; a bool is not a number here)."""
    # A setting such as steps=10.5 or batch_size=True is a mistake, not something to truncate.
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
