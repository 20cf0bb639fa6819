r"""The multivariate Student-t law :math:`t_\nu(\mu, \Sigma)` (heavy-tailed; no mean for ν <= 1).

Density (Kotz & Nadarajah 2004, eq. 1.1):

.. math:: \log p(x) = \log\Gamma(\tfrac{\nu+d}{2}) - \log\Gamma(\tfrac{\nu}{2})
   - \tfrac d2\log(\nu\pi) - \tfrac12\log|\Sigma|
   - \tfrac{\nu+d}{2}\log\big(1 + \tfrac{m}{\nu}\big),
   \quad m = (x-\mu)^T\Sigma^{-1}(x-\mu).

Sampling: :math:`\mu + L z / \sqrt{g/\nu}` with :math:`z \sim N(0, I)`, :math:`g \sim \chi^2_\nu`,
:math:`\Sigma = LL^T`. Marginals of a block are Student-t with the same ν and the sub-blocks of
μ and Σ (ibid., Sec. 1.10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify.reference.distributions import Distribution
from divergence_verify.reference.validation import check_mean_cov, check_sample_size

__all__ = ["MultivariateStudentT"]


@dataclass(frozen=True)
class MultivariateStudentT(Distribution):
    """Multivariate Student-t with location ``mean``, scale (dispersion) ``scale`` and ``dof``.

    ``scale`` is not the covariance (that is ν/(ν-2)·scale, for ν > 2 only).
    """

    mean: np.ndarray
    scale: np.ndarray
    dof: float
    _chol: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mu, sigma, chol = check_mean_cov(self.mean, self.scale)
        if not (math.isfinite(self.dof) and self.dof > 0):
            raise ValueError(f"dof must be a positive finite number, got {self.dof}")
        object.__setattr__(self, "mean", mu)
        object.__setattr__(self, "scale", sigma)
        object.__setattr__(self, "dof", float(self.dof))
        object.__setattr__(self, "_chol", chol)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension d."""
        return self.mean.size

    @property
    def log_det_scale(self) -> float:
        r""":math:`\log|\Sigma|` from the Cholesky factor."""
        return 2.0 * float(np.sum(np.log(np.diag(self._chol))))

    def log_prob(self, x: Any) -> np.ndarray:
        """Return the log-density (module docstring)."""
        from scipy import special  # here: constructing distributions loads no scipy

        z = np.linalg.solve(self._chol, (self._points(x) - self.mean).T)
        maha = np.sum(z * z, axis=0)
        nu, d = self.dof, self.dim
        const = (special.gammaln(0.5 * (nu + d)) - special.gammaln(0.5 * nu)
                 - 0.5 * d * math.log(nu * math.pi) - 0.5 * self.log_det_scale)
        return const - 0.5 * (nu + d) * np.log1p(maha / nu)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``mean + L z / sqrt(g / dof)`` from ``default_rng(seed)``."""
        rng = np.random.default_rng(seed)
        n = check_sample_size(n)
        z = rng.standard_normal((n, self.dim))
        g = rng.chisquare(self.dof, size=n)
        return self.mean + (z @ self._chol.T) / np.sqrt(g / self.dof)[:, None]

    def marginal(self, index: slice) -> MultivariateStudentT:
        """Return the law of the coordinates ``index`` (a slice): same dof, sub-blocks."""
        return MultivariateStudentT(self.mean[index], self.scale[index, index], self.dof)
