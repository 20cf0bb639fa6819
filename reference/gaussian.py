r"""Closed forms between Gaussians, registered with :func:`reference.dispatch.register_divergence`.

With :math:`P = N(\mu_p, \Sigma_p)`, :math:`Q = N(\mu_q, \Sigma_q)`, :math:`\delta = \mu_p - \mu_q`:

* KL: :math:`\tfrac12[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) + \delta^T\Sigma_q^{-1}\delta - d
  + \log|\Sigma_q| - \log|\Sigma_p|]` (e.g. Pardo 2006, Statistical Inference Based on
  Divergence Measures, eq. 1.17); reverse KL swaps P and Q; Jeffreys is their sum.
* squared Hellinger :math:`2(1 - BC)` with the Bhattacharyya coefficient
  :math:`BC = e^{-D_B}`, :math:`D_B = \tfrac18\delta^T\bar\Sigma^{-1}\delta
  + \tfrac12\log(|\bar\Sigma| / \sqrt{|\Sigma_p||\Sigma_q|})`, :math:`\bar\Sigma =
  (\Sigma_p+\Sigma_q)/2` (Bhattacharyya 1943; Kailath 1967, eq. 9).
* chi² :math:`\int p^2/q - 1`, finite iff :math:`A = 2\Sigma_p^{-1} - \Sigma_q^{-1}` is positive
  definite, then :math:`\log\int p^2/q = -\log|\Sigma_p| + \tfrac12\log|\Sigma_q|
  - \tfrac12\log|A| + \tfrac12 b^T A^{-1} b - \tfrac12 c` with :math:`b = 2\Sigma_p^{-1}\delta`,
  :math:`c = 2\delta^T\Sigma_p^{-1}\delta` (Gaussian integral; Nielsen & Nock 2014, Sec. 3).
* equal covariances :math:`\Sigma`: the likelihood ratio depends on x only through the projection
  on :math:`\Sigma^{-1}\delta`, so every f-divergence equals its value between :math:`N(\Delta, 1)`
  and :math:`N(0, 1)` with :math:`\Delta` the Mahalanobis distance. Closed there: TV
  :math:`= 2\Phi(\Delta/2) - 1`, KL :math:`= \Delta^2/2`, chi² :math:`= e^{\Delta^2} - 1`;
  the rest by one-dimensional quadrature.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from reference.dispatch import ExactValue, closed_form, register_divergence
from reference.distributions import Gaussian


def _logdet(matrix: np.ndarray) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(np.linalg.cholesky(matrix)))))


def kl_gaussian(p: Gaussian, q: Gaussian) -> float:
    """Return KL(P||Q) between Gaussians in closed form."""
    lq = np.linalg.cholesky(q.cov)
    delta = p.mean - q.mean
    a = np.linalg.solve(lq, np.linalg.cholesky(p.cov))  # Lq^{-1} Lp: tr(Sq^-1 Sp) = ||a||_F^2
    z = np.linalg.solve(lq, delta)
    log_det_ratio = q.log_det_cov - p.log_det_cov
    return 0.5 * float(np.sum(a * a) + z @ z - p.dim + log_det_ratio)


def _equal_covariance(p: Gaussian, q: Gaussian) -> bool:
    return bool(np.allclose(p.cov, q.cov, rtol=1e-12, atol=0.0))


def mahalanobis(p: Gaussian, q: Gaussian) -> float:
    """Return the Mahalanobis distance between the means under P's covariance."""
    z = np.linalg.solve(np.linalg.cholesky(p.cov), p.mean - q.mean)
    return math.sqrt(float(z @ z))


@register_divergence("kl", Gaussian, Gaussian)
def _kl(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(p, q))


@register_divergence("reverse_kl", Gaussian, Gaussian)
def _reverse_kl(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(q, p))


@register_divergence("jeffreys", Gaussian, Gaussian)
def _jeffreys(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(p, q) + kl_gaussian(q, p))


@register_divergence("hellinger", Gaussian, Gaussian)
def _hellinger(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    mid = 0.5 * (p.cov + q.cov)
    delta = p.mean - q.mean
    z = np.linalg.solve(np.linalg.cholesky(mid), delta)
    bhattacharyya = 0.125 * float(z @ z) + 0.5 * (
        _logdet(mid) - 0.5 * (p.log_det_cov + q.log_det_cov)
    )
    return closed_form(-2.0 * math.expm1(-bhattacharyya))  # 2(1 - e^{-D_B}), accurate near 0


@register_divergence("chi2", Gaussian, Gaussian)
def _chi2(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    prec_p = np.linalg.inv(p.cov)
    a = 2.0 * prec_p - np.linalg.inv(q.cov)
    a = 0.5 * (a + a.T)
    if np.linalg.eigvalsh(a).min() <= 0:
        return closed_form(math.inf)  # p^2/q does not decay along some direction
    delta = p.mean - q.mean  # the divergence is translation invariant: put Q's mean at 0
    b = 2.0 * prec_p @ delta
    c = 2.0 * float(delta @ prec_p @ delta)
    log_integral = (
        -p.log_det_cov
        + 0.5 * q.log_det_cov
        - 0.5 * _logdet(a)
        + 0.5 * float(b @ np.linalg.solve(a, b))
        - 0.5 * c
    )
    return closed_form(math.inf if log_integral > 709 else math.expm1(log_integral))


@register_divergence(("js", "tv", "gan"), Gaussian, Gaussian)
def _equal_covariance_family(name: str, p: Gaussian, q: Gaussian) -> ExactValue | None:
    if not _equal_covariance(p, q):
        return None  # dispatch falls back to 1-D quadrature, or raises for d > 1
    delta = mahalanobis(p, q)
    if name == "tv":
        return closed_form(float(special.erf(delta / (2.0 * math.sqrt(2.0)))))  # 2Φ(Δ/2) - 1
    from reference.quadrature import quadrature_divergence

    reduced = quadrature_divergence(name, Gaussian([delta], [[1.0]]), Gaussian([0.0], [[1.0]]))
    return ExactValue(reduced.value, reduced.error, "equal-covariance reduction + quadrature")
