"""Light distribution types with exact log-densities and seeded sampling (numpy, float64).

They carry just what the exact references and the scenarios need: ``dim``, ``log_prob``, ``sample``
and, in one dimension, ``cdf`` and an integration range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify.reference.validation import (
    check_mean_cov,
    check_probability_vector,
    check_real_array,
    check_sample_size,
    check_seed,
    require_1d,
)

# Beyond this many standard deviations a Gaussian density is below exp(-800), i.e. 0 in float64.
_TAIL_SIGMAS = 40.0


class Distribution:
    """Base class: a probability law on R^d (or on {0, ..., K-1} for :class:`Categorical`)."""

    dim: int

    def log_prob(self, x: Any) -> np.ndarray:
        """Return log-densities at the points ``x`` of shape [n, d] (or [n] when d = 1)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``n`` independent draws, shape [n, d], reproducible from ``seed``."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _points(self, x: Any) -> np.ndarray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 1 and self.dim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"points must have shape [n, {self.dim}], got {arr.shape}")
        return arr


@dataclass(frozen=True)
class Categorical(Distribution):
    """A distribution on ``{0, ..., K-1}`` with probabilities ``probs``.

    Samples are returned as float labels of shape [n, 1], so they travel like any other sample.
    """

    probs: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "probs", check_probability_vector(self.probs, "probs"))

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Samples are one label each."""
        return 1

    def log_prob(self, x: Any) -> np.ndarray:
        """Return ``log probs[x]`` (``-inf`` at labels outside the support or with mass 0)."""
        labels = self._points(x)[:, 0]
        idx = labels.astype(np.int64)
        inside = (idx == labels) & (idx >= 0) & (idx < self.probs.size)
        out = np.full(labels.shape, -np.inf)
        with np.errstate(divide="ignore"):
            out[inside] = np.log(self.probs[idx[inside]])
        return out

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``n`` labels drawn with ``numpy.random.default_rng(seed)``, shape [n, 1]."""
        rng = np.random.default_rng(check_seed(seed))
        labels = rng.choice(self.probs.size, size=check_sample_size(n), p=self.probs)
        return labels.astype(float)[:, None]


@dataclass(frozen=True)
class Gaussian(Distribution):
    r"""Multivariate normal :math:`N(\mu, \Sigma)` with full covariance.

    One-dimensional: ``Gaussian([m], [[s**2]])``.

    Raises
    ------
    ValueError
        For mismatched shapes, non-finite entries, or a covariance that is not symmetric positive
        definite.
    """

    mean: np.ndarray
    cov: np.ndarray
    _chol: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mu, sigma, chol = check_mean_cov(self.mean, self.cov)
        object.__setattr__(self, "mean", mu)
        object.__setattr__(self, "cov", sigma)
        object.__setattr__(self, "_chol", chol)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension d."""
        return self.mean.size

    @property
    def log_det_cov(self) -> float:
        r""":math:`\log\det\Sigma` from the Cholesky factor."""
        return 2.0 * float(np.sum(np.log(np.diag(self._chol))))

    def log_prob(self, x: Any) -> np.ndarray:
        r"""Return :math:`\log N(x; \mu, \Sigma)` via the Cholesky factor."""
        z = np.linalg.solve(self._chol, (self._points(x) - self.mean).T)  # L z = x - mu
        maha = np.sum(z * z, axis=0)
        return -0.5 * (maha + self.log_det_cov + self.dim * math.log(2 * math.pi))

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``mean + L z`` with ``z`` standard normal from ``default_rng(seed)``."""
        rng = np.random.default_rng(check_seed(seed))
        z = rng.standard_normal((check_sample_size(n), self.dim))
        return self.mean + z @ self._chol.T

    def cdf(self, x: Any) -> np.ndarray:
        """Return the cumulative distribution function at ``x`` (one-dimensional only)."""
        require_1d(self, "cdf")
        from scipy import stats  # here: constructing distributions loads no scipy

        return stats.norm.cdf(np.asarray(x, dtype=np.float64), self.mean[0], self.std)

    @property
    def std(self) -> float:
        """Standard deviation (one-dimensional only)."""
        require_1d(self, "std")
        return math.sqrt(self.cov[0, 0])

    def breakpoints(self) -> list[float]:
        """Points that split the real line into pieces where quadrature is easy (1-D only)."""
        m, s = self.mean[0], self.std
        return [m + k * s for k in (-_TAIL_SIGMAS, -20, -10, -6, -3, -1, 0, 1, 3, 6, 10, 20,
                                    _TAIL_SIGMAS)]


@dataclass(frozen=True)
class GaussianMixture(Distribution):
    r"""Finite mixture :math:`\sum_k w_k N(\mu_k, \Sigma_k)` of Gaussians of one dimension d.

    Parameters
    ----------
    weights : array_like, shape [K]
        Mixture weights (a probability vector).
    means : array_like, shape [K, d] (or [K] for d = 1)
    covs : array_like, shape [K, d, d] (or [K] variances for d = 1)
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    components: tuple[Gaussian, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        w = check_probability_vector(self.weights, "weights")
        means = check_real_array(self.means, "means").astype(np.float64)
        covs = check_real_array(self.covs, "covs").astype(np.float64)
        if means.ndim == 0 or covs.ndim == 0:
            raise ValueError(
                f"means and covs must list one entry per component ([K] or [K, d]; [K] or "
                f"[K, d, d]), got shapes {means.shape} and {covs.shape}"
            )
        if means.ndim == 1:
            means = means[:, None]
        if covs.ndim == 1:
            covs = covs[:, None, None]
        if means.shape[0] != w.size or covs.shape[0] != w.size:
            raise ValueError(
                f"weights, means and covs must list the same number of components, got "
                f"{w.size}, {means.shape[0]} and {covs.shape[0]}"
            )
        comps = tuple(Gaussian(m, c) for m, c in zip(means, covs, strict=True))
        if len({c.dim for c in comps}) != 1:
            raise ValueError("all mixture components must have the same dimension")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covs", covs)
        object.__setattr__(self, "components", comps)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension d."""
        return self.components[0].dim

    def log_prob(self, x: Any) -> np.ndarray:
        r"""Return :math:`\log\sum_k w_k N(x; \mu_k, \Sigma_k)` by log-sum-exp."""
        from scipy import special  # here: constructing distributions loads no scipy

        logs = np.stack([c.log_prob(x) for c in self.components])
        with np.errstate(divide="ignore"):  # a zero weight is log 0 = -inf, the right value
            log_w = np.log(self.weights)[:, None]
        return special.logsumexp(logs + log_w, axis=0)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``n`` draws: a component by its weight, then a draw from it."""
        rng = np.random.default_rng(check_seed(seed))
        n = check_sample_size(n)
        labels = rng.choice(self.weights.size, size=n, p=self.weights)
        out = np.empty((n, self.dim))
        for k, comp in enumerate(self.components):
            idx = np.flatnonzero(labels == k)
            out[idx] = comp.sample(idx.size, rng)
        return out

    def cdf(self, x: Any) -> np.ndarray:
        """Return the cumulative distribution function at ``x`` (one-dimensional only)."""
        require_1d(self, "cdf")
        return sum(w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def breakpoints(self) -> list[float]:
        """Union of the components' quadrature breakpoints (1-D only)."""
        require_1d(self, "breakpoints")
        return sorted({b for c in self.components for b in c.breakpoints()})


