r"""Random ingredients of the families: rotations, covariance spectra, correlated (X, Y) laws.

:func:`mi_covariance` builds the covariance of a Gaussian (X, Y) with given canonical
correlations :math:`\rho_i`: in canonical coordinates :math:`(u, v)` the covariance is
:math:`\begin{pmatrix} I & R \\ R^T & I \end{pmatrix}` with :math:`R = \operatorname{diag}(\rho)`,
so :math:`I(X;Y) = -\tfrac12\sum_i\log(1-\rho_i^2)`; then X = A u and Y = B v with random
invertible A, B (a rotation times a spread of scales), which keep the mutual information
(separate invertible linear maps of X and of Y).
"""

from __future__ import annotations

import math

import numpy as np

from divergence_verify.reference.transforms import random_orthogonal

__all__ = ["canonical_correlations", "mi_covariance", "random_covariance", "seed_from"]


def seed_from(rng: np.random.Generator) -> int:
    """Draw a seed for a seeded ingredient (a rotation, a flow) from the instance's stream."""
    return int(rng.integers(0, 2**31 - 1))


def random_covariance(rng: np.random.Generator, dim: int, condition: float) -> np.ndarray:
    """Return R diag(lambda) R^T: Haar rotation R, eigenvalues log-uniform in [1/√c, √c]."""
    if condition < 1:
        raise ValueError(f"condition must be >= 1, got {condition}")
    half = 0.5 * math.log(condition)
    spectrum = np.exp(rng.uniform(-half, half, dim))
    rot = random_orthogonal(dim, dim, seed_from(rng))
    cov = (rot * spectrum) @ rot.T
    return 0.5 * (cov + cov.T)


def canonical_correlations(mi: float, count: int) -> np.ndarray:
    """Return ``count`` equal canonical correlations whose Gaussian MI totals ``mi`` nats."""
    if not (mi > 0 and count >= 1):
        raise ValueError(f"need mi > 0 and count >= 1, got mi={mi}, count={count}")
    return np.full(count, math.sqrt(-math.expm1(-2.0 * mi / count)))


def mi_covariance(rng: np.random.Generator, dim_x: int, dim_y: int, rho: np.ndarray,
                  condition: float = 4.0) -> np.ndarray:
    """Return the covariance of (X, Y) = (A u, B v) with canonical correlations ``rho``."""
    k = rho.size
    if k > min(dim_x, dim_y):
        raise ValueError(f"at most min(dim_x, dim_y) = {min(dim_x, dim_y)} canonical "
                         f"correlations, got {k}")
    d = dim_x + dim_y
    canon = np.eye(d)
    idx = np.arange(k)
    canon[idx, dim_x + idx] = canon[dim_x + idx, idx] = rho
    mix = np.zeros((d, d))
    for lo, size in ((0, dim_x), (dim_x, dim_y)):
        half = 0.5 * math.log(condition)
        scales = np.exp(rng.uniform(-half, half, size))
        mix[lo:lo + size, lo:lo + size] = random_orthogonal(size, size, seed_from(rng)) * scales
    cov = mix @ canon @ mix.T
    return 0.5 * (cov + cov.T)
