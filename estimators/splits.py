"""How a neural estimator cuts its samples: held-out splits, cross-fitting folds, generators.

:class:`~estimators.neural.NeuralEstimator` holds out ``round(holdout * n)`` rows with one split
or ``n // folds`` rows per fold with cross-fitting, from one seeded permutation per member; each
fold's critic draws its own generator from the member's.
"""

from __future__ import annotations

import numpy as np
import torch

from divergence_verify.estimators._torch import host_generator

__all__ = ["child_generator", "fold_size", "held_out_size", "split_rows"]


def child_generator(parent: torch.Generator) -> torch.Generator:
    """Return a host generator seeded from the next draw of ``parent`` (one per fold critic)."""
    return host_generator(int(torch.randint(0, 2**62, (1,), generator=parent)))


def split_rows(
    x: np.ndarray, perm: np.ndarray, fold: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(train, held_out)``: rows ``perm[fold * size:(fold + 1) * size]`` are held out."""
    held = np.zeros(len(x), dtype=bool)
    held[perm[fold * size : (fold + 1) * size]] = True
    return x[perm[~held[perm]]], x[perm[held[perm]]]


def fold_size(n: int, folds: int, label: str) -> int:
    """Rows per fold: ``n // folds`` (the ``n % folds`` left over always train), at least 1."""
    if n < 2 * folds:
        raise ValueError(
            f"{label} has {n} sample(s): {folds}-fold cross-fitting needs at least {2 * folds}"
            " (folds=1 holds out one split instead)"
        )
    return n // folds


def held_out_size(n: int, fraction: float, label: str) -> int:
    """Rows held out of ``n``: ``round(fraction * n)``, at least 1, leaving at least 1 to train."""
    if n < 2:
        raise ValueError(f"{label} has {n} sample(s): a neural critic needs at least 2 per side")
    return min(max(1, round(fraction * n)), n - 1)
