r"""Mutual information as a divergence: :math:`I(X;Y) = KL(P_{XY}\,\|\,P_X \otimes P_Y)`.

:class:`ProductOfMarginals` is the law :math:`P_X \otimes P_Y` of a joint law split after its
first ``split`` coordinates, sampled without shuffling: X from one joint draw and Y from an
independent one. Closed forms, registered with :func:`reference.exact.register_divergence`:

* **Gaussian.** :math:`I = -\tfrac12\log\det(I - \Sigma_X^{-1}\Sigma_{XY}\Sigma_Y^{-1}\Sigma_{YX})
  = -\tfrac12\sum_i\log(1 - \rho_i^2)`, :math:`\rho_i` the canonical correlations (singular
  values of :math:`L_X^{-1}\Sigma_{XY}L_Y^{-T}`; Cover & Thomas 2006, Sec. 8.5; bmi's
  ``SplitMultinormal``). The product of the marginals of a Gaussian is the Gaussian with the
  block-diagonal covariance, so every Gaussian closed form (KL, reverse KL, Jeffreys, squared
  Hellinger, chi2) applies to the pair.
* **Multivariate Student-t** (ν degrees of freedom, scale Σ): :math:`I = I_{\mathrm{Gauss}}(\Sigma)
  + h(d_X) + h(d_Y) - h(d_X + d_Y)` with :math:`h(k) = \log\Gamma(\tfrac\nu2) -
  \log\Gamma(\tfrac{\nu+k}2) + \tfrac k2\log(\nu\pi) + \tfrac{\nu+k}2[\psi(\tfrac{\nu+k}2) -
  \psi(\tfrac\nu2)]` the entropy of :math:`t_\nu(0, I_k)` (Arellano-Valle, Contreras-Reyes &
  Genton 2013, Scand. J. Stat. 40, eq. 7). This is bmi's ``SplitStudentT.mutual_information``
  (Czyż et al. 2023), which also notes that the paper's own MI formula is wrong and uses the
  entropies, as here. The :math:`\tfrac k2\log(\nu\pi)` terms cancel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from divergence_verify.reference.dispatch import exact_divergence
from divergence_verify.reference.distributions import Distribution, Gaussian
from divergence_verify.reference.exact import ExactValue, closed_form, register_divergence
from divergence_verify.reference.student_t import MultivariateStudentT

__all__ = [
    "ProductOfMarginals",
    "gaussian_mutual_information",
    "product_of_marginals",
    "student_t_mi_correction",
    "student_t_mutual_information",
]


def _check_split(dim: int, split: int) -> int:
    if not (isinstance(split, (int, np.integer)) and 1 <= split < dim):
        raise ValueError(f"split must be an integer in [1, {dim - 1}], got {split!r}")
    return int(split)


@dataclass(frozen=True)
class ProductOfMarginals(Distribution):
    r""":math:`P_X \otimes P_Y` for a ``joint`` law of (X, Y), X its first ``split`` coordinates.

    ``marginal_x`` and ``marginal_y`` give the log-density; samples take X from one joint draw
    and Y from an independent joint draw (exact, no shuffling of a finite sample).
    """

    joint: Distribution
    split: int
    marginal_x: Distribution
    marginal_y: Distribution

    def __post_init__(self) -> None:
        split = _check_split(self.joint.dim, self.split)
        if (self.marginal_x.dim, self.marginal_y.dim) != (split, self.joint.dim - split):
            raise ValueError("the marginals' dimensions must be split and dim - split")
        object.__setattr__(self, "split", split)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension of (X, Y)."""
        return self.joint.dim

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """X from one joint draw, Y from a second, independent one."""
        rng = np.random.default_rng(seed)
        first, second = self.joint.sample(n, rng), self.joint.sample(n, rng)
        return np.concatenate([first[:, : self.split], second[:, self.split:]], axis=1)

    def log_prob(self, x: Any) -> np.ndarray:
        """Return ``log p_X(x) + log p_Y(y)``."""
        pts = self._points(x)
        return (self.marginal_x.log_prob(pts[:, : self.split])
                + self.marginal_y.log_prob(pts[:, self.split:]))

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description: the joint law and the split."""
        from divergence_verify.reference.composite import describe_distribution

        return {"type": "ProductOfMarginals", "joint": describe_distribution(self.joint),
                "split": self.split}


def product_of_marginals(joint: Gaussian | MultivariateStudentT, split: int) -> ProductOfMarginals:
    r"""Return :math:`P_X \otimes P_Y` of a Gaussian or Student-t joint law split at ``split``."""
    split = _check_split(joint.dim, split)
    x, y = slice(0, split), slice(split, joint.dim)
    if isinstance(joint, MultivariateStudentT):
        return ProductOfMarginals(joint, split, joint.marginal(x), joint.marginal(y))
    if isinstance(joint, Gaussian):
        return ProductOfMarginals(joint, split, Gaussian(joint.mean[x], joint.cov[x, x]),
                                  Gaussian(joint.mean[y], joint.cov[y, y]))
    raise TypeError(f"marginals known for Gaussian and MultivariateStudentT, not "
                    f"{type(joint).__name__}; build ProductOfMarginals with yours")


def gaussian_mutual_information(cov: Any, split: int) -> float:
    """Return I(X; Y) for (X, Y) Gaussian with covariance ``cov``, X the first ``split``."""
    sigma = np.asarray(cov, dtype=np.float64)
    split = _check_split(sigma.shape[0], split)
    lx = np.linalg.cholesky(sigma[:split, :split])
    ly = np.linalg.cholesky(sigma[split:, split:])
    cross = np.linalg.solve(ly, np.linalg.solve(lx, sigma[:split, split:]).T)  # Ly^-1 B^T Lx^-T
    rho = np.linalg.svd(cross, compute_uv=False)
    if np.any(rho >= 1.0):
        raise ValueError("the covariance is singular: canonical correlation 1, MI infinite")
    return -0.5 * math.fsum(np.log1p(-(rho * rho)))


def _t_entropy(k: int, dof: float) -> tuple[float, float]:
    """Return h(k) and the largest magnitude among its terms (what rounding is relative to)."""
    from scipy import special  # here: importing the reference layer loads no scipy

    half = 0.5 * (dof + k)
    terms = (float(special.gammaln(0.5 * dof)), -float(special.gammaln(half)),
             0.5 * k * math.log(dof * math.pi),
             half * float(special.digamma(half) - special.digamma(0.5 * dof)))
    return math.fsum(terms), max(abs(t) for t in terms)


def _correction(dof: float, dim_x: int, dim_y: int) -> tuple[float, float]:
    parts = [_t_entropy(dim_x, dof), _t_entropy(dim_y, dof), _t_entropy(dim_x + dim_y, dof)]
    value = parts[0][0] + parts[1][0] - parts[2][0]
    # The terms grow like dof·log(dof) while the correction shrinks like 1/dof²: for a large
    # dof the difference cancels most digits, so the bound is relative to the terms.
    return value, 64 * math.ulp(max(m for _, m in parts))


def student_t_mi_correction(dof: float, dim_x: int, dim_y: int) -> float:
    """Return h(d_X) + h(d_Y) - h(d_X + d_Y): Student-t MI minus the Gaussian MI of its scale.

    Its rounding error is about 64 ulp of the largest term (1e-9 at dof = 1e6, where the
    correction itself is 3e-12); :func:`exact_divergence` reports that bound.
    """
    return _correction(dof, dim_x, dim_y)[0]


def student_t_mutual_information(scale: Any, split: int, dof: float) -> float:
    """Return I(X; Y) for (X, Y) multivariate Student-t with ``scale`` and ``dof``."""
    sigma = np.asarray(scale, dtype=np.float64)
    split = _check_split(sigma.shape[0], split)
    return (gaussian_mutual_information(sigma, split)
            + student_t_mi_correction(dof, split, sigma.shape[0] - split))


@register_divergence("*", Gaussian, ProductOfMarginals)
def _gaussian_joint(name: str, p: Gaussian, q: ProductOfMarginals) -> ExactValue | None:
    if not isinstance(q.joint, Gaussian):
        return None
    block = np.zeros_like(q.joint.cov)
    s = q.split
    block[:s, :s], block[s:, s:] = q.joint.cov[:s, :s], q.joint.cov[s:, s:]
    result = exact_divergence(name, p, Gaussian(q.joint.mean, block))
    return ExactValue(result.value, result.error,
                      f"{result.method} (product of Gaussian marginals: block-diagonal)")


def _same_t(a: MultivariateStudentT, b: Distribution) -> bool:
    return (isinstance(b, MultivariateStudentT) and a.dof == b.dof
            and np.array_equal(a.mean, b.mean) and np.array_equal(a.scale, b.scale))


@register_divergence("kl", MultivariateStudentT, ProductOfMarginals)
def _student_t_mi(name: str, p: MultivariateStudentT, q: ProductOfMarginals) -> ExactValue | None:
    if not _same_t(p, q.joint):
        return None
    value = student_t_mutual_information(p.scale, q.split, p.dof)
    rounding = _correction(p.dof, q.split, p.dim - q.split)[1]
    return ExactValue(value, closed_form(value).error + rounding, "closed form (Student-t MI)")
