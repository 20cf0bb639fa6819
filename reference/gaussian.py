r"""Closed forms between Gaussians, registered with :func:`reference.exact.register_divergence`.

With :math:`P = N(\mu_p, \Sigma_p)`, :math:`Q = N(\mu_q, \Sigma_q)`, :math:`\delta = \mu_p - \mu_q`:

* KL: :math:`\tfrac12[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) + \delta^T\Sigma_q^{-1}\delta - d
  + \log|\Sigma_q| - \log|\Sigma_p|]` (e.g. Pardo 2006, Statistical Inference Based on
  Divergence Measures, eq. 1.17); reverse KL swaps P and Q; Jeffreys is their sum.
* squared Hellinger :math:`2(1 - BC)` with the Bhattacharyya coefficient
  :math:`BC = e^{-D_B}`, :math:`D_B = \tfrac18\delta^T\bar\Sigma^{-1}\delta
  + \tfrac12\log(|\bar\Sigma| / \sqrt{|\Sigma_p||\Sigma_q|})`, :math:`\bar\Sigma =
  (\Sigma_p+\Sigma_q)/2` (Bhattacharyya 1943; Kailath 1967, eq. 9). The log-determinant term is
  evaluated as :math:`-\tfrac14\sum_i \log(1 - \omega_i^2)` with :math:`\omega_i \in (-1, 1)` the
  eigenvalues of :math:`W = \tfrac12\bar L^{-1}(\Sigma_p - \Sigma_q)\bar L^{-T}`
  (:math:`\bar\Sigma = \bar L\bar L^T`): whitened by :math:`\bar L`, the covariances are
  :math:`I \pm W`, so :math:`|\Sigma_{p,q}| = |\bar\Sigma|\prod(1 \pm \omega_i)`. Every term
  is non-negative, so :math:`0 \le H^2 \le 2` holds exactly; swapping P and Q negates W, so
  the value is symmetric; and W is formed from the difference of the covariances, so nearly
  equal ones keep their digits. (A difference of log-determinants of nearly equal
  ill-conditioned covariances left rounding of either sign: -4e-12 at condition number 1e6.)
* chi² :math:`\int p^2/q - 1`, finite iff :math:`B = 2\Sigma_q - \Sigma_p` is positive definite
  (equivalently :math:`2\Sigma_p^{-1} - \Sigma_q^{-1} \succ 0`: :math:`p^2/q` decays in every
  direction), then :math:`\log\int p^2/q = \delta^T B^{-1}\delta - \tfrac12\log|B|
  - \tfrac12\log|\Sigma_p| + \log|\Sigma_q|`. This is :math:`(\alpha - 1) D_\alpha` at
  :math:`\alpha = 2` for the Rényi divergence between Gaussians, :math:`\Sigma_\alpha =
  \alpha\Sigma_q + (1-\alpha)\Sigma_p` (Gil, Alajaji & Linder 2013, Information Sciences 249,
  Table 2; Nielsen & Nock 2014, Sec. 3). It needs only the Cholesky factor of :math:`B`, no
  inverse covariance. A value beyond float64 (:math:`\log\int p^2/q > 709.78`, e.g.
  :math:`N(30, 1)` against :math:`N(0, 1)`, :math:`e^{900} - 1`) is returned as ``inf``.
* equal covariances :math:`\Sigma`: the likelihood ratio depends on x only through the projection
  on :math:`\Sigma^{-1}\delta`, so every f-divergence equals its value between :math:`N(\Delta, 1)`
  and :math:`N(0, 1)` with :math:`\Delta` the Mahalanobis distance. Closed there: TV
  :math:`= 2\Phi(\Delta/2) - 1`, KL :math:`= \Delta^2/2`, chi² :math:`= e^{\Delta^2} - 1`;
  the rest by one-dimensional quadrature.
"""

from __future__ import annotations

import math

import numpy as np

from divergence_verify.reference._numerics import scaled_sq_norm
from divergence_verify.reference.distributions import Gaussian
from divergence_verify.reference.exact import ExactValue, closed_form, register_divergence
from divergence_verify.reference.fdivergences import get_divergence
from divergence_verify.reference.quadrature import quadrature_divergence


def kl_gaussian(p: Gaussian, q: Gaussian) -> float:
    """Return KL(P||Q) between Gaussians in closed form."""
    lq = np.linalg.cholesky(q.cov)
    with np.errstate(over="ignore"):  # a difference of means beyond float64 is inf, as it is
        delta = p.mean - q.mean
    a = np.linalg.solve(lq, np.linalg.cholesky(p.cov))  # Lq^{-1} Lp: tr(Sq^-1 Sp) = ||a||_F^2
    log_det_ratio = q.log_det_cov - p.log_det_cov
    # Both squared norms scaled: beyond float64 they are inf, as KL then is (variance
    # ratio 1e310, or Delta^2 / 2 above 1.8e308), not an overflow warning.
    trace = scaled_sq_norm(a)
    maha_sq = whitened_sq_norm(lq, delta)
    return 0.5 * (trace + maha_sq - p.dim + log_det_ratio)


def whitened_sq_norm(chol: np.ndarray, v: np.ndarray) -> float:
    r"""Return :math:`\|L^{-1} v\|_2^2` without overflow.

    Computed as :math:`m^2\|L^{-1}(v/m)\|^2` with :math:`m = \max|v_i|`. Unscaled, a mean
    1e300 against a standard deviation 1e-9 overflowed inside the triangular solve and came
    out NaN; scaled, only the final product can overflow, to ``inf``, which is the value to
    float64. ``v`` may hold ``inf`` (a difference of means beyond float64): then so does this.
    """
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if m == 0.0 or not math.isfinite(m):
        return m
    return m * m * scaled_sq_norm(np.linalg.solve(chol, v / m))  # inf past float64, no error


def _equal_covariance(p: Gaussian, q: Gaussian) -> bool:
    return bool(np.allclose(p.cov, q.cov, rtol=1e-12, atol=0.0))


def mahalanobis(p: Gaussian, q: Gaussian) -> float:
    """Return the Mahalanobis distance between the means under P's covariance.

    Evaluated as a scaled norm: finite for means as far apart as 1e300 (no overflow of the
    squares).
    """
    with np.errstate(over="ignore"):  # a difference of means beyond float64 is inf, as it is
        delta = p.mean - q.mean
    return math.sqrt(whitened_sq_norm(np.linalg.cholesky(p.cov), delta))


@register_divergence("kl", Gaussian, Gaussian)
def _kl(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(p, q))


@register_divergence("reverse_kl", Gaussian, Gaussian)
def _reverse_kl(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(q, p))


@register_divergence("jeffreys", Gaussian, Gaussian)
def _jeffreys(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    return closed_form(kl_gaussian(p, q) + kl_gaussian(q, p))


def _log_one_minus_omega_squared(p: Gaussian, q: Gaussian, omega: np.ndarray) -> np.ndarray:
    r"""Return :math:`\log(1 - \omega_i^2)` for the sorted eigenvalues ``omega`` of W.

    Where :math:`\omega^2 \le \tfrac12` it is ``log1p(-omega**2)``: omega comes from the
    difference of the covariances, so nearly equal ones keep their digits. Near
    :math:`|\omega| = 1` that form has only the absolute accuracy of omega (it clamped at
    ``nextafter(1, 0)``: 1.99976 instead of 1.99997 at variance 1e-20 against 1), so there the
    same quantity is taken from the generalised eigenvalues :math:`\lambda_i` of
    :math:`(\Sigma_p, \Sigma_q)`, :math:`\omega = (\lambda - 1)/(\lambda + 1)`,
    :math:`1 - \omega^2 = 4\lambda/(1 + \lambda)^2`, evaluated in log space. The map from
    lambda to omega is increasing, so both sorted spectra pair up index by index.
    """
    out = np.log1p(-np.minimum(omega**2, 0.5))
    far = omega**2 > 0.5
    if np.any(far):
        # lambda_i = sigma_i^2 with sigma_i the singular values of Lq^-1 Lp: their logs stay
        # finite where lambda itself would overflow (variances 1e228 against 1e-82).
        quotient = np.linalg.solve(np.linalg.cholesky(q.cov), np.linalg.cholesky(p.cov))
        sigma = np.linalg.svd(quotient, compute_uv=False)[::-1]  # ascending, like omega
        # sigma > 0 in exact arithmetic; a rounded zero (a covariance singular against the
        # other to float64) is floored at the smallest normal float: BC = 0 there.
        log_lam = 2.0 * np.log(np.maximum(sigma, np.finfo(np.float64).tiny))
        log_one_plus = np.logaddexp(0.0, log_lam)
        out[far] = (math.log(4.0) + log_lam - 2.0 * log_one_plus)[far]
    return out


def bhattacharyya_distance(p: Gaussian, q: Gaussian) -> float:
    r"""Return :math:`D_B = -\log BC` between Gaussians (module docstring; ``inf`` if BC = 0)."""
    mid = 0.5 * p.cov + 0.5 * q.cov  # halves first: covariances near 1e308 do not overflow
    chol_mid = np.linalg.cholesky(mid)
    with np.errstate(over="ignore"):
        delta = p.mean - q.mean
    # omega: eigenvalues of W = ½ Lm^-1 (Sp - Sq) Lm^-T, in (-1, 1) (module docstring).
    diff = np.linalg.solve(chol_mid, np.linalg.solve(chol_mid, 0.5 * (p.cov - q.cov)).T)
    omega = np.linalg.eigvalsh(0.5 * (diff + diff.T))
    log_spread = _log_one_minus_omega_squared(p, q, omega)
    return 0.125 * whitened_sq_norm(chol_mid, delta) - 0.25 * math.fsum(log_spread)


@register_divergence("hellinger", Gaussian, Gaussian)
def _hellinger(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    # 2(1 - e^{-D_B}), accurate near 0 (expm1); D_B = inf gives exactly 2.
    return closed_form(-2.0 * math.expm1(-bhattacharyya_distance(p, q)))


def log_chi2_integral(p: Gaussian, q: Gaussian) -> float:
    r"""Return :math:`\log\int p^2/q` between Gaussians (``inf`` where the integral diverges).

    With :math:`B = 2\Sigma_q - \Sigma_p` and :math:`\delta = \mu_p - \mu_q`:
    :math:`\delta^T B^{-1}\delta - \tfrac12\log|B| - \tfrac12\log|\Sigma_p| + \log|\Sigma_q|`
    (the Rényi divergence of order 2; Gil, Alajaji & Linder 2013). B is formed from the
    covariances themselves and factorised once: no inverse of an ill-conditioned covariance.
    """
    b = 2.0 * q.cov - p.cov
    b = 0.5 * (b + b.T)
    # B not positive definite: p^2/q does not decay along some direction and the integral is
    # infinite. Cholesky failing on a B whose smallest eigenvalue is positive but at rounding
    # level means the same to float64 (log|B| -> -inf).
    if np.linalg.eigvalsh(b).min() <= 0:
        return math.inf
    try:
        chol = np.linalg.cholesky(b)
    except np.linalg.LinAlgError:
        return math.inf
    with np.errstate(over="ignore"):
        delta = p.mean - q.mean
    log_det_b = 2.0 * float(np.sum(np.log(np.diag(chol))))
    maha_sq = whitened_sq_norm(chol, delta)  # delta^T B^-1 delta = |L^-1 delta|^2
    return maha_sq - 0.5 * log_det_b - 0.5 * p.log_det_cov + q.log_det_cov


@register_divergence("chi2", Gaussian, Gaussian)
def _chi2(name: str, p: Gaussian, q: Gaussian) -> ExactValue:
    log_integral = log_chi2_integral(p, q)
    try:
        return closed_form(math.expm1(log_integral))
    except OverflowError:
        # Finite but beyond float64 (log_integral > 709.78): inf, as documented in the module.
        return closed_form(math.inf)


SEPARATED_BHATTACHARYYA = 50.0
r"""Above this :math:`D_B` the bounded divergences (JS, TV, GAN) equal their bound to float64.

Their distance to the bound is at most :math:`2\,BC = 2e^{-D_B}` (:math:`1 - TV = \int\min(p,
q) \le \int\sqrt{pq}`; for JS the integrand's gap to :math:`p\log 2` is at most
:math:`\sqrt{pq}`, and GAN is :math:`2\,JS`), below 4e-22 here: far under an ulp of the bound,
where quadrature of two far-apart densities only adds rounding (or NaN at means of 1e300)."""


@register_divergence(("js", "tv", "gan"), Gaussian, Gaussian)
def _bounded_family(name: str, p: Gaussian, q: Gaussian) -> ExactValue | None:
    distance = bhattacharyya_distance(p, q)
    if distance > SEPARATED_BHATTACHARYYA:
        bound = get_divergence(name).upper_bound
        return ExactValue(bound, 2.0 * math.exp(-distance), "separated: the bound, within 2 BC")
    if not _equal_covariance(p, q):
        if p.dim != 1:
            return None  # dispatch raises: no exact method for d > 1
        # f-divergences are invariant under one affine map of both laws: standardise Q so the
        # quadrature works near 0 at unit scale whatever the location and scale (1e300, 1e-150).
        sd = q.std
        standard_p = Gaussian([(p.mean[0] - q.mean[0]) / sd], [[(p.std / sd) ** 2]])
        return quadrature_divergence(name, standard_p, Gaussian([0.0], [[1.0]]))
    delta = mahalanobis(p, q)
    if name == "tv":
        from scipy import special  # here: importing the reference layer loads no scipy

        return closed_form(float(special.erf(delta / (2.0 * math.sqrt(2.0)))))  # 2Φ(Δ/2) - 1
    reduced = quadrature_divergence(name, Gaussian([delta], [[1.0]]), Gaussian([0.0], [[1.0]]))
    return ExactValue(reduced.value, reduced.error, "equal-covariance reduction + quadrature")
