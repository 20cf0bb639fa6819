r"""The table of f-divergences: the single source of truth for every formula.

Conventions (the project's, from the design seed):

* natural logarithms (nats);
* :math:`D_f(P\|Q) = \mathbb{E}_Q[f(p/q)]`, ``f`` convex on :math:`[0, \infty)`, ``f(1) = 0``;
  where :math:`q = 0 < p` the integrand is :math:`p \cdot f'(\infty)` with
  :math:`f'(\infty) = \lim_{u\to\infty} f(u)/u` the recession slope;
* the variational form :math:`D_f = \sup_T \mathbb{E}_P[T] - \mathbb{E}_Q[f^*(T)]`, tight at
  :math:`T^* = f'(p/q)` (Nguyen, Wainwright & Jordan 2010; Nowozin, Cseke & Tomioka 2016, eq. 4);
* ``JS`` is :math:`\tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)`, at most :math:`\log 2`;
  ``TV`` is :math:`\tfrac12\int|p-q|`, at most 1; ``hellinger`` is the squared Hellinger distance
  :math:`\int(\sqrt p - \sqrt q)^2`, at most 2 (no factor ½).

Where these differ from the f-GAN paper (Nowozin et al. 2016, Tables 1-2) the entry says so. The
paper's total variation is ours (generator :math:`\tfrac12|u-1|`, activation
:math:`\tfrac12\tanh v`, :math:`\operatorname{dom} f^* \supseteq [-\tfrac12, \tfrac12]`). Its
Jensen-Shannon generator :math:`u\log u - (u+1)\log\frac{1+u}{2}` integrates to twice our JS,
with no added constant. Its GAN generator :math:`u\log u - (u+1)\log(u+1)` has
``f(1) = -log 4`` and gives :math:`2\,JS - \log 4`; ours is shifted by ``log 4`` so that every
generator has ``f(1) = 0``.

Every function is written once with the array-API namespace of its argument, so the same entry
serves the float64 numpy references and the float32 torch estimators.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from divergence_verify.reference._backend import (
    Array,
    namespace,
    rel_entr,
    softplus,
    stop_gradient,
    xlogy,
)

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)
INF = math.inf

_NEWTON_STEPS = 30  # Newton on a convex increasing function from the right: monotone, quadratic.

ArrayFn = Callable[[Array], Array]


@dataclass(frozen=True)
class FDivergence:
    r"""One f-divergence: its generator and everything derived from it.

    Attributes
    ----------
    name : str
        Registry key (``"kl"``, ``"js"``, ...).
    title : str
        Human-readable name with its formula, for listings.
    label : str
        Short display name for tables and figure axes (``"KL"``, ``"χ²"``, ...).
    unit : str
        Unit of its values: ``"nats"`` for the logarithmic ones, ``""`` for those without a
        logarithm (TV, chi², squared Hellinger: ratios of masses, unitless).
    f : callable
        Generator :math:`f(u)`, :math:`u \ge 0`, convex with :math:`f(1) = 0`.
    conjugate : callable
        Fenchel conjugate :math:`f^*(t) = \sup_{u \ge 0} tu - f(u)`; ``+inf`` outside
        :attr:`domain`.
    f_prime_of_log : callable
        The derivative as a function of the log-ratio, :math:`s \mapsto f'(e^s)` for
        :math:`s \in [-\infty, \infty]`: the optimal critic :math:`T^* = f'(p/q)` computed from
        :math:`\log p - \log q`, so that it stays exact where :math:`p/q` itself would overflow
        or lose digits as a subnormal float. ``s = -inf`` and ``s = inf`` give the one-sided
        limits :math:`f'(0^+)` and :math:`f'(\infty)`. (The derivative is written only here;
        :attr:`f_prime` composes it with ``log``.)
    domain : tuple of float
        Effective domain of :math:`f^*` as an interval ``(low, high)``.
    domain_closed : tuple of bool
        Whether each end of :attr:`domain` belongs to it.
    f_at_zero : float
        :math:`f(0) = \lim_{u \to 0^+} f(u)` (the integrand per unit of Q where p = 0).
    slope_at_inf : float
        :math:`f'(\infty) = \lim_{u\to\infty} f(u)/u` (the integrand per unit of P where q = 0).
    activation : callable
        Output activation :math:`g_f: \mathbb{R} \to \operatorname{dom} f^*` for a critic
        :math:`T = g_f(V(x))` (f-GAN Table 2, rescaled to these conventions).
    conjugate_of_activation : callable
        :math:`f^*(g_f(v))` written directly in ``v`` so that it stays finite in float32.
    perspective : callable
        :math:`(p, q) \mapsto q f(p/q)` with the limits above at ``p = 0`` and ``q = 0``.
    log_perspective : callable
        The same quantity from finite log-densities, :math:`(\log p, \log q) \mapsto q f(p/q)`,
        evaluated without forming :math:`p/q` (for quadrature where the ratio leaves float64 range).
    symmetric : bool
        Whether :math:`D_f(P\|Q) = D_f(Q\|P)` for all P, Q.
    source : str
        Where the formulas come from.
    exponential_tails : bool
        Whether :math:`g_f(v)` or :math:`f^*(g_f(v))` grows like :math:`e^{|v|}`, and so
        overflows float32 near :math:`|v| \approx 88`; a critic on the device then needs its
        raw output bounded. The others are softplus-, tanh- or polynomial-tailed.
    saturating_critic : bool
        Whether the optimal critic :math:`T^* = f'(p/q)` takes only the end values of the
        activation's range wherever :math:`p \ne q` (``f`` piecewise linear: total variation,
        :math:`T^* = \tfrac12\operatorname{sign}(p - q)`). A critic trained on the bound
        itself then sits where the activation's gradient vanishes, and a region it first got
        wrong is never corrected; the estimators train such critics on a log-ratio surrogate.
    """

    name: str
    title: str
    label: str
    unit: str
    f: ArrayFn
    conjugate: ArrayFn
    f_prime_of_log: ArrayFn
    domain: tuple[float, float]
    domain_closed: tuple[bool, bool]
    f_at_zero: float
    slope_at_inf: float
    activation: ArrayFn
    conjugate_of_activation: ArrayFn
    perspective: Callable[[Array, Array], Array]
    log_perspective: Callable[[Array, Array], Array]
    symmetric: bool
    source: str
    exponential_tails: bool = False
    saturating_critic: bool = False

    @property
    def f_prime(self) -> ArrayFn:
        r"""Derivative :math:`u \mapsto f'(u)`, i.e. :attr:`f_prime_of_log` at :math:`\log u`.

        The optimal critic is :math:`T^* = f'(p/q)`. Accepts ``u = 0`` and ``u = inf`` and returns
        the one-sided limits there (numpy warns of ``log(0)``; callers silence it).
        """
        of_log = self.f_prime_of_log
        return lambda u: of_log(namespace(u).log(u))

    @property
    def upper_bound(self) -> float:
        r"""Supremum of D_f over all pairs: :math:`f(0) + f'(\infty)`, at disjoint supports."""
        return self.f_at_zero + self.slope_at_inf

    def in_domain(self, t: Array) -> Array:
        """Boolean mask of the entries of ``t`` that lie in the effective domain of ``f*``."""
        low, high = self.domain
        lo_ok = t >= low if self.domain_closed[0] else t > low
        hi_ok = t <= high if self.domain_closed[1] else t < high
        return lo_ok & hi_ok


def _exp(x: Array) -> Array:
    return namespace(x).exp(x)


def _outside_domain_inf(t: Array, inside: Array, value: Array) -> Array:
    xp = namespace(t)
    return xp.where(inside, value, xp.full_like(t, INF))


# --------------------------------------------------------------------------------------------
# KL: f(u) = u log u.  f*(t) = exp(t - 1), dom R.  f-GAN Table 2 ("Kullback-Leibler").
def _kl_conjugate(t: Array) -> Array:
    return namespace(t).exp(t - 1.0)


KL = FDivergence(
    name="kl",
    title="Kullback-Leibler KL(P||Q)",
    label="KL",
    unit="nats",
    f=lambda u: xlogy(u, u),
    conjugate=_kl_conjugate,
    f_prime_of_log=lambda s: 1.0 + s,
    domain=(-INF, INF),
    domain_closed=(False, False),
    f_at_zero=0.0,
    slope_at_inf=INF,
    activation=lambda v: v,
    conjugate_of_activation=_kl_conjugate,
    perspective=rel_entr,
    log_perspective=lambda lp, lq: _exp(lp) * (lp - lq),
    symmetric=False,
    source="Nowozin, Cseke & Tomioka (2016), f-GAN, Table 2, 'Kullback-Leibler'",
    exponential_tails=True,
)


# --------------------------------------------------------------------------------------------
# Reverse KL: f(u) = -log u.  f*(t) = -1 - log(-t), t < 0.  f-GAN Table 2 ("Reverse KL").
def _rkl_conjugate(t: Array) -> Array:
    xp = namespace(t)
    inside = t < 0
    return _outside_domain_inf(t, inside, -1.0 - xp.log(xp.where(inside, -t, xp.ones_like(t))))


REVERSE_KL = FDivergence(
    name="reverse_kl",
    title="reverse Kullback-Leibler KL(Q||P)",
    label="reverse KL",
    unit="nats",
    f=lambda u: -namespace(u).log(u),
    conjugate=_rkl_conjugate,
    # -1/u = -e^{-s}: overflows to -inf for s < -709.78, where |T*| exceeds the float64 range.
    f_prime_of_log=lambda s: -_exp(-s),
    domain=(-INF, 0.0),
    domain_closed=(False, False),
    f_at_zero=INF,
    slope_at_inf=0.0,
    activation=lambda v: -namespace(v).exp(-v),
    conjugate_of_activation=lambda v: v - 1.0,
    perspective=lambda p, q: rel_entr(q, p),
    log_perspective=lambda lp, lq: _exp(lq) * (lq - lp),
    symmetric=False,
    source="Nowozin, Cseke & Tomioka (2016), f-GAN, Table 2, 'Reverse KL'",
    exponential_tails=True,
)


# --------------------------------------------------------------------------------------------
# Jensen-Shannon, the seed's convention: f(u) = ½[u log u - (u+1) log((u+1)/2)], so that
# D_f = ½KL(P||M) + ½KL(Q||M) <= log 2.  This f is half of f-GAN's "Jensen-Shannon" generator
# u log u - (u+1) log((1+u)/2) (Table 1), which integrates to 2 JS with no added constant; hence
# f*(t) = ½ f_fgan*(2t) = -½ log(2 - exp(2t)), dom t < ½ log 2, and the activation is half of
# f-GAN's log 2 - log(1 + exp(-v)) (Table 2).
def _js_conjugate(t: Array) -> Array:
    xp = namespace(t)
    inside = t < 0.5 * LOG2
    safe = xp.where(inside, t, xp.zeros_like(t))
    # log(2 - e^{2t}) = log 2 + log1p(-e^{2t - log 2}), accurate as t -> -inf.
    return _outside_domain_inf(t, inside, -0.5 * (LOG2 + xp.log1p(-xp.exp(2.0 * safe - LOG2))))


def _log1p_inverse_times(u: Array) -> Array:
    """Return ``u log(1 + 1/u)`` (-> 0 at u = 0, -> 1 as u -> inf) without cancellation."""
    xp = namespace(u)
    safe = xp.where(u > 0, u, xp.ones_like(u))
    return xp.where(u > 0, safe * xp.log1p(1.0 / safe), xp.zeros_like(u))


def _gan_f(u: Array) -> Array:
    # u log u - (u+1) log(u+1) = -u log(1 + 1/u) - log(1 + u): no cancellation of two ~u log u.
    return -_log1p_inverse_times(u) - namespace(u).log1p(u) + LOG4


def _js_perspective(p: Array, q: Array) -> Array:
    """Return ``½[p log(2p/(p+q)) + q log(2q/(p+q))]``, the JS integrand, for any ``p, q >= 0``.

    The expression is positively homogeneous, so it is evaluated at ``(p, q) / s`` with
    ``s = max(p, q)`` and multiplied back: the midpoint of the scaled pair is at least ½ and
    cannot underflow. (Unscaled, ``p = 0, q = 5e-324`` gave ``(p + q)/2 = 0`` and the term
    ``q log(q/0) = inf`` for a divergence that is ~1e-324.)
    """
    xp = namespace(p, q)
    s = xp.maximum(p, q)
    safe = xp.where(s > 0, s, xp.ones_like(s))
    a, b = p / safe, q / safe
    m = (a + b) / 2.0
    return s * (0.5 * (rel_entr(a, m) + rel_entr(b, m)))


def _js_log_perspective(lp: Array, lq: Array) -> Array:
    lm = namespace(lp, lq).logaddexp(lp, lq) - LOG2
    return 0.5 * (_exp(lp) * (lp - lm) + _exp(lq) * (lq - lm))


JS = FDivergence(
    name="js",
    title="Jensen-Shannon ½KL(P||M)+½KL(Q||M)",
    label="JS",
    unit="nats",
    # ½[u log u - (u+1) log((u+1)/2)] = ½[f_gan(u) - (1 - u) log 2]: the same stable form.
    f=lambda u: 0.5 * (_gan_f(u) - LOG4 + (u + 1.0) * LOG2),
    conjugate=_js_conjugate,
    # ½ log(2u/(1+u)) = ½[log 2 - log(1 + e^{-s})]: finite for every finite s, also where 1/u
    # overflows (u < 5e-309, T* ~ ½ log(2u) ~ -355).
    f_prime_of_log=lambda s: 0.5 * (LOG2 - softplus(-s)),
    domain=(-INF, 0.5 * LOG2),
    domain_closed=(False, False),
    f_at_zero=0.5 * LOG2,
    slope_at_inf=0.5 * LOG2,
    activation=lambda v: 0.5 * (LOG2 - softplus(-v)),
    conjugate_of_activation=lambda v: -0.5 * (LOG2 - softplus(v)),
    perspective=_js_perspective,
    log_perspective=_js_log_perspective,
    symmetric=True,
    source=(
        "Lin (1991); f-GAN (Nowozin et al. 2016) Tables 1-2 'Jensen-Shannon' divided by 2 "
        "(the paper's generator is 2f, which gives 2 JS with no added constant)"
    ),
)


# --------------------------------------------------------------------------------------------
# Total variation, f(u) = ½|u - 1|, so D_f = ½∫|p - q| <= 1: the seed's convention and f-GAN's
# alike (Table 1: ½∫|p - q|, f(u) = ½|u - 1|; Table 2: activation ½ tanh(v), f*(t) = t on
# |t| <= ½).  The exact conjugate over u >= 0 is max(t, -½) on t <= ½ (the maximiser is u = 0
# below -½, u = 1 above): it agrees with f-GAN's on [-½, ½], where the activation lands, and
# extends the domain to (-inf, ½].
def _tv_conjugate(t: Array) -> Array:
    xp = namespace(t)
    return _outside_domain_inf(t, t <= 0.5, xp.where(t < -0.5, xp.full_like(t, -0.5), t))


TV = FDivergence(
    name="tv",
    title="total variation ½∫|p-q|",
    label="TV",
    unit="",
    f=lambda u: 0.5 * namespace(u).abs(u - 1.0),
    conjugate=_tv_conjugate,
    # Subgradient: at u = 1 any value in [-½, ½] is optimal; sign gives 0 there.
    f_prime_of_log=lambda s: 0.5 * namespace(s).sign(s),
    domain=(-INF, 0.5),
    domain_closed=(False, True),
    f_at_zero=0.5,
    slope_at_inf=0.5,
    activation=lambda v: 0.5 * namespace(v).tanh(v),
    conjugate_of_activation=lambda v: 0.5 * namespace(v).tanh(v),
    perspective=lambda p, q: 0.5 * namespace(p, q).abs(p - q),
    log_perspective=lambda lp, lq: 0.5 * namespace(lp, lq).abs(_exp(lp) - _exp(lq)),
    symmetric=True,
    source=(
        "f-GAN (Nowozin et al. 2016) Tables 1-2 'Total variation' (same generator and "
        "activation; conjugate extended to its exact domain (-inf, ½])"
    ),
    saturating_critic=True,
)


# --------------------------------------------------------------------------------------------
# Pearson chi^2: f(u) = (u - 1)^2.  The exact conjugate over u >= 0 is t + t^2/4 for t >= -2 and
# -1 below (the maximiser hits u = 0); f-GAN's t + t^2/4 on all of R is an upper bound of it, so
# the exact form gives a tighter (still valid) variational bound.
def _chi2_conjugate(t: Array) -> Array:
    xp = namespace(t)
    return xp.where(t >= -2.0, t + 0.25 * t * t, -xp.ones_like(t))


def _chi2_perspective(p: Array, q: Array) -> Array:
    xp = namespace(p, q)
    safe_q = xp.where(q > 0, q, xp.ones_like(q))
    # (p - q) * ((p - q) / q): no (p - q)^2 underflow or overflow when p and q are tiny.
    value = xp.where(q > 0, (p - q) * ((p - q) / safe_q), xp.zeros_like(p))
    return xp.where((q == 0) & (p > 0), xp.full_like(p, INF), value)


CHI2 = FDivergence(
    name="chi2",
    title="Pearson chi-squared ∫(p-q)²/q",
    label="χ²",
    unit="",
    f=lambda u: (u - 1.0) ** 2,
    conjugate=_chi2_conjugate,
    f_prime_of_log=lambda s: 2.0 * namespace(s).expm1(s),  # 2(u - 1)
    domain=(-INF, INF),
    domain_closed=(False, False),
    f_at_zero=1.0,
    slope_at_inf=INF,
    activation=lambda v: v,
    conjugate_of_activation=_chi2_conjugate,
    perspective=_chi2_perspective,
    log_perspective=lambda lp, lq: (_exp(lp - 0.5 * lq) - _exp(0.5 * lq)) ** 2,
    symmetric=False,
    source="f-GAN (Nowozin et al. 2016) Table 2 'Pearson chi^2' (conjugate restricted to u >= 0)",
)


# --------------------------------------------------------------------------------------------
# Squared Hellinger, ∫(√p - √q)^2 (no ½): f(u) = (√u - 1)^2, f*(t) = t/(1 - t) on t < 1,
# activation 1 - exp(-v).  f-GAN Table 2 'Squared Hellinger'.
def _hellinger_conjugate(t: Array) -> Array:
    xp = namespace(t)
    inside = t < 1.0
    safe = xp.where(inside, t, xp.zeros_like(t))
    # 1/(1-t) - 1 instead of t/(1-t): the same number, and -> -1 (not NaN) as t -> -inf.
    return _outside_domain_inf(t, inside, 1.0 / (1.0 - safe) - 1.0)


HELLINGER = FDivergence(
    name="hellinger",
    title="squared Hellinger ∫(√p-√q)²",
    label="squared Hellinger",
    unit="",
    f=lambda u: (namespace(u).sqrt(u) - 1.0) ** 2,
    conjugate=_hellinger_conjugate,
    f_prime_of_log=lambda s: -namespace(s).expm1(-0.5 * s),  # 1 - 1/sqrt(u), exact near u = 1
    domain=(-INF, 1.0),
    domain_closed=(False, False),
    f_at_zero=1.0,
    slope_at_inf=1.0,
    activation=lambda v: 1.0 - namespace(v).exp(-v),
    conjugate_of_activation=lambda v: namespace(v).expm1(v),
    perspective=lambda p, q: (namespace(p, q).sqrt(p) - namespace(p, q).sqrt(q)) ** 2,
    log_perspective=lambda lp, lq: (_exp(0.5 * lp) - _exp(0.5 * lq)) ** 2,
    symmetric=True,
    source="f-GAN (Nowozin et al. 2016) Table 2 'Squared Hellinger'",
    exponential_tails=True,
)


# --------------------------------------------------------------------------------------------
# Jeffreys = KL(P||Q) + KL(Q||P): f(u) = (u - 1) log u.  f*(t) = W(e^{1-t}) + 1/W(e^{1-t}) + t - 2
# with W the Lambert function (f-GAN Table 2 'Jeffrey').  W is computed in log space by Newton on
# g(y) = e^y + y - s, s = 1 - t, so that w = e^y = W(e^s) and no e^s is ever formed.
def _log_lambertw_exp(s: Array) -> Array:
    """Return ``log W(exp(s))``: the root ``y`` of ``exp(y) + y = s`` (any backend)."""
    xp = namespace(s)
    s0 = stop_gradient(s)
    # Start right of the root (g(y0) > 0): y0 = s for s <= 1, log s beyond.  g is convex and
    # increasing, so Newton decreases monotonically to the root without overshooting.
    y = xp.where(s0 > 1.0, xp.log(xp.where(s0 > 1.0, s0, xp.ones_like(s0))), s0)
    for _ in range(_NEWTON_STEPS):
        y = y - (xp.exp(y) + y - s0) / (xp.exp(y) + 1.0)
    # One more step with s attached: at the root its gradient equals dy/ds = 1/(e^y + 1) exactly.
    return y - (xp.exp(y) + y - s) / (xp.exp(y) + 1.0)


def _jeffreys_conjugate(t: Array) -> Array:
    xp = namespace(t)
    finite_t = xp.where(xp.isinf(t), xp.zeros_like(t), t)
    y = _log_lambertw_exp(1.0 - finite_t)
    # With w = e^y, w + y = 1 - t, so w + 1/w + t - 2 = e^{-y} - y - 1 exactly; this form avoids
    # the cancellation of w + t (both ~|t|) when t << 0.
    value = xp.exp(-y) - y - 1.0
    # Limits: f*(t) ~ -1 - log(1 - t) -> -inf as t -> -inf, and -> +inf as t -> +inf.
    return xp.where(xp.isinf(t), t, value)


JEFFREYS = FDivergence(
    name="jeffreys",
    title="Jeffreys KL(P||Q)+KL(Q||P)",
    label="Jeffreys",
    unit="nats",
    f=lambda u: (u - 1.0) * namespace(u).log(u),
    conjugate=_jeffreys_conjugate,
    # log u + 1 - 1/u = s - expm1(-s); overflows to -inf like reverse KL's for s < -709.78.
    f_prime_of_log=lambda s: s - namespace(s).expm1(-s),
    domain=(-INF, INF),
    domain_closed=(False, False),
    f_at_zero=INF,
    slope_at_inf=INF,
    activation=lambda v: v,
    conjugate_of_activation=_jeffreys_conjugate,
    perspective=lambda p, q: rel_entr(p, q) + rel_entr(q, p),
    log_perspective=lambda lp, lq: (_exp(lp) - _exp(lq)) * (lp - lq),
    symmetric=True,
    source="Jeffreys (1946); f-GAN (Nowozin et al. 2016) Table 2 'Jeffrey'",
    exponential_tails=True,
)


# --------------------------------------------------------------------------------------------
# f-GAN's "GAN" divergence, shifted so that f(1) = 0: f(u) = u log u - (u+1) log(u+1) + log 4,
# which makes D_f = 2 JS (the paper's f has f(1) = -log 4 and D = 2 JS - log 4).  f' and the
# activation are unchanged, so T = log D(x) is still the classical discriminator's log-output;
# the conjugate is the paper's minus log 4: f*(t) = -log(1 - e^t) - log 4 on t < 0.
def _gan_conjugate(t: Array) -> Array:
    xp = namespace(t)
    inside = t < 0
    safe = xp.where(inside, t, -xp.ones_like(t))
    return _outside_domain_inf(t, inside, -xp.log(-xp.expm1(safe)) - LOG4)


def _gan_log_perspective(lp: Array, lq: Array) -> Array:
    ls = namespace(lp, lq).logaddexp(lp, lq)
    return _exp(lp) * (lp - ls) + _exp(lq) * (lq - ls + LOG4)


GAN = FDivergence(
    name="gan",
    title="GAN divergence (2 JS; f-GAN's up to the constant log 4)",
    label="GAN",
    unit="nats",
    f=_gan_f,
    conjugate=_gan_conjugate,
    f_prime_of_log=lambda s: -softplus(-s),  # -log(1 + 1/u): finite for every finite s
    domain=(-INF, 0.0),
    domain_closed=(False, False),
    f_at_zero=LOG4,
    slope_at_inf=0.0,
    activation=lambda v: -softplus(-v),
    conjugate_of_activation=lambda v: softplus(v) - LOG4,
    perspective=lambda p, q: rel_entr(p, p + q) + rel_entr(q, p + q) + LOG4 * q,
    log_perspective=_gan_log_perspective,
    symmetric=True,
    source="Goodfellow et al. (2014); f-GAN (Nowozin et al. 2016) Table 2 'GAN', shifted by log 4",
)


DIVERGENCES: dict[str, FDivergence] = {
    d.name: d for d in (KL, REVERSE_KL, JS, TV, CHI2, HELLINGER, JEFFREYS, GAN)
}
"""Every f-divergence of the suite, by name."""


def get_divergence(name: str) -> FDivergence:
    """Return the table entry for ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not in :data:`DIVERGENCES`; the message lists the known names.
    """
    if not isinstance(name, str):
        raise TypeError(f"divergence name must be a str, got {type(name).__name__}")
    try:
        return DIVERGENCES[name]
    except KeyError:
        known = ", ".join(sorted(DIVERGENCES))
        raise ValueError(f"unknown divergence {name!r}; expected one of: {known}") from None
