"""Tests of the f-divergence table itself: every entry's formulas against their definitions.

Each entry is looked up in ``DIVERGENCES`` when the test runs (never bound at import), so a test
that patches an entry exercises the patched formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from divergence_verify.reference.fdivergences import DIVERGENCES
from divergence_verify.verify.strategies import critic_values

NAMES = sorted(DIVERGENCES)
EPS = np.finfo(np.float64).eps

# Bounded draws: log-uniform ratios u = p/q, and logits v of the output activation.
RATIOS = st.floats(-6.0, 6.0).map(lambda e: 10.0**e)
LOGITS = st.floats(-700.0, 700.0)


def call(fn, x):
    """Evaluate a table formula on float64 input; inf at the ends of its range is intended."""
    with np.errstate(divide="ignore", over="ignore"):
        return np.asarray(fn(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def term_scale(u):
    """Size of the intermediate terms (u log u, u) that the generators cancel at ratio ``u``."""
    u = np.asarray(u, dtype=np.float64)
    return 1.0 + u * (1.0 + np.abs(np.log(u)))


def objective(name, t, u):
    """``t u - f(u)``, the function of ``u >= 0`` whose supremum is ``f*(t)``."""
    return t * u - call(DIVERGENCES[name].f, u)


# Grid in s = log u for the numerical Fenchel supremum. Inside the domains the test draws
# (|t| <= 30, at least 1e-6 from an open end) the maximiser u* lies in [e^-60, 1e12]. Beyond
# u ~ 1e15 the generators' own rounding (eps u log u, and u - 1 inexact above 2^53) exceeds the
# values sought, so the grid stops at e^35 ~ 1.6e15.
LOG_U_GRID = np.linspace(-70.0, 35.0, 1051)


def numerical_conjugate(name, t):
    """``sup_{u >= 0} t u - f(u)``, computed without the table's conjugate.

    ``t u - f(u)`` is concave in u, hence unimodal in s = log u: the best point of a log-grid
    brackets the maximiser, and bounded Brent in s refines it. u = 0 is a separate candidate.
    """
    values = objective(name, t, np.exp(LOG_U_GRID))
    i = int(np.nanargmax(values))
    lo, hi = LOG_U_GRID[max(i - 1, 0)], LOG_U_GRID[min(i + 1, LOG_U_GRID.size - 1)]
    res = minimize_scalar(
        lambda s: -float(objective(name, t, math.exp(s))),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return max(-res.fun, float(values[i]), float(objective(name, t, 0.0)))


@pytest.mark.parametrize("name", NAMES)
def test_f_vanishes_at_one(name):
    assert abs(float(call(DIVERGENCES[name].f, 1.0))) <= 4 * EPS


@pytest.mark.parametrize("name", NAMES)
@given(a=RATIOS, b=RATIOS, lam=st.floats(0.0, 1.0))
def test_f_is_convex(name, a, b, lam):
    f = DIVERGENCES[name].f
    mix = lam * a + (1 - lam) * b
    f_a, f_b, lhs = (float(call(f, x)) for x in (a, b, mix))
    rhs = lam * f_a + (1 - lam) * f_b
    # Each f value carries rounding ~eps times its intermediate terms (u log u) or itself (u^2).
    scale = term_scale(a) + term_scale(b) + term_scale(mix) + abs(f_a) + abs(f_b) + abs(lhs)
    tol = 16 * EPS * float(scale)
    assert lhs <= rhs + tol


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_conjugate_matches_the_numerical_fenchel_supremum(name, data):
    t = data.draw(critic_values(name, 3, max_abs=30.0, min_margin=1e-6))
    table = call(DIVERGENCES[name].conjugate, t)
    numeric = np.array([numerical_conjugate(name, ti) for ti in t])
    # Brent in log u locates the maximum to ~1e-8 relative in u, which costs ~1e-16 in the
    # value (second order); the cancellation t u - f(u) at u* <= 1e12 costs ~1e-4 absolute
    # against values ~1e6 there. 1e-8 relative (1e-10 absolute near 0) covers both; a 1% error
    # in a conjugate is six orders of magnitude above it.
    np.testing.assert_allclose(table, numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
@given(gap=st.floats(0.0, 30.0))
def test_conjugate_is_infinite_outside_the_domain(name, gap):
    entry = DIVERGENCES[name]
    (low, high), (low_closed, high_closed) = entry.domain, entry.domain_closed
    # A closed end itself is inside (and high + gap may round back onto it).
    outside = []
    if math.isfinite(high) and (high + gap > high or not high_closed):
        outside.append(high + gap)
    if math.isfinite(low) and (low - gap < low or not low_closed):
        outside.append(low - gap)
    if outside:
        t = np.array(outside)
        assert not np.any(entry.in_domain(t))
        assert np.all(call(entry.conjugate, t) == math.inf)


@pytest.mark.parametrize("name", NAMES)
def test_domain_upper_end_is_the_recession_slope(name):
    entry = DIVERGENCES[name]
    high = entry.domain[1]
    assert high == entry.slope_at_inf
    if math.isinf(high):
        return
    # Beyond the slope t u - f(u) grows linearly in u: the supremum is +inf.
    beyond = high + 1e-3
    assert float(objective(name, beyond, 1e12)) > float(objective(name, beyond, 1e9)) + 1e5
    # At the slope the end is closed exactly when t u - f(u) stays bounded as u grows. The
    # open ends here grow at least like (1/2) log u: by >= 3 between u = 1e6 and 1e12.
    growth = float(objective(name, high, 1e12) - objective(name, high, 1e6))
    assert entry.domain_closed[1] == (growth < 1.0)


@pytest.mark.parametrize("name", NAMES)
@given(u=RATIOS, data=st.data())
def test_fenchel_young(name, u, data):
    entry = DIVERGENCES[name]
    t = float(data.draw(critic_values(name, 1, max_abs=30.0, min_margin=1e-6))[0])
    fu = float(call(entry.f, u))
    conj = float(call(entry.conjugate, t))
    # The terms are computed to ~eps times their size (and f(u) to ~eps u log u); 1e-9 of the
    # total leaves room for the conditioning of f* within 1e-6 of an open end.
    tol = 1e-9 * (abs(t * u) + abs(fu) + abs(conj) + float(term_scale(u)))
    assert t * u <= fu + conj + tol

    t_star = float(call(entry.f_prime, u))
    assert entry.in_domain(np.array(t_star))
    conj_star = float(call(entry.conjugate, t_star))
    tol = 1e-9 * (abs(t_star * u) + abs(fu) + abs(conj_star) + float(term_scale(u)))
    assert t_star * u == pytest.approx(fu + conj_star, abs=tol)


@pytest.mark.parametrize("name", NAMES)
@given(u=st.floats(-4.0, 4.0).map(lambda e: 10.0**e))
def test_f_prime_is_a_derivative(name, u):
    # For convex f the one-sided difference quotients bracket every (sub)derivative:
    # (f(u) - f(u-h))/h <= f'(u) <= (f(u+h) - f(u))/h. This holds at TV's kink too; for smooth
    # f the bracket is ~h f''(u) = 1e-6 u f''(u) wide.
    entry = DIVERGENCES[name]
    h = 1e-6 * u
    left, mid, right = call(entry.f, [u - h, u, u + h])
    slack = 8 * EPS * float(3 * term_scale(u)) / h
    derivative = float(call(entry.f_prime, u))
    assert (mid - left) / h - slack <= derivative <= (right - mid) / h + slack


@pytest.mark.parametrize("name", NAMES)
def test_f_prime_limits(name):
    entry = DIVERGENCES[name]
    at_zero, at_inf = call(entry.f_prime, [0.0, math.inf])
    # f'(inf) = lim f(u)/u for convex f: the critic at q = 0 is the recession slope.
    assert at_inf == pytest.approx(entry.slope_at_inf, abs=1e-15)
    if math.isinf(at_zero):
        assert at_zero < 0
        assert float(call(entry.f_prime, 1e-300)) < -100.0
    else:
        # A finite f'(0+) is a one-sided derivative: (f(h) - f(0))/h -> f'(0) as h -> 0.
        h = 1e-8
        quotient = (float(call(entry.f, h)) - entry.f_at_zero) / h
        assert at_zero == pytest.approx(quotient, abs=1e-6)
        assert at_zero == pytest.approx(float(call(entry.f_prime, 1e-12)), abs=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_f_at_zero_is_the_limit(name):
    entry = DIVERGENCES[name]
    f_small = call(entry.f, [1e-10, 1e-100, 1e-300])
    if math.isinf(entry.f_at_zero):
        assert entry.f_at_zero > 0
        assert np.all(np.diff(f_small) > 0)  # still growing as u -> 0
        assert f_small[-1] > 100.0
    else:
        # The slowest approach in the table is sqrt(u) (hellinger): 2e-50 at u = 1e-100.
        assert f_small[1] == pytest.approx(entry.f_at_zero, abs=1e-12)
        assert float(call(entry.f, 0.0)) == pytest.approx(entry.f_at_zero, abs=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_slope_at_inf_is_the_limit(name):
    entry = DIVERGENCES[name]
    u = np.array([1e10, 1e100, 1e300])
    ratio = call(entry.f, u) / u
    if math.isinf(entry.slope_at_inf):
        assert entry.slope_at_inf > 0
        assert np.all(np.diff(ratio) > 0)
        assert ratio[-1] > 100.0
    else:
        # f(u)/u approaches its limit like log(u)/u or 1/sqrt(u): 1e-48 at u = 1e100.
        assert ratio[1] == pytest.approx(entry.slope_at_inf, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
@given(v=LOGITS)
def test_activation_maps_into_the_domain(name, v):
    entry = DIVERGENCES[name]
    t = call(entry.activation, v)
    low, high = entry.domain
    assert low <= t <= high  # the closure: in float64 large v may round onto an open end
    if abs(v) <= 30.0:
        assert entry.in_domain(t)
    assert np.isfinite(call(entry.conjugate_of_activation, v))


# Bisection bracket for the activation's logit: wide enough for every f'(u) with u in RATIOS
# (chi2's v = t* = 2(u - 1) reaches 2e6).
LOGIT_BRACKET = (-1e7, 1e7)


def activation_preimage(activation, target):
    """Bisect a non-decreasing activation for ``target``: the final bracket ``(lo, hi)``.

    Returns None unless ``g(lo0) <= target <= g(hi0)`` on the initial bracket; otherwise the
    invariant g(lo) < target <= g(hi) (or target at the bracket's low end) is kept for 200
    halvings, far past the adjacent floats where the bracket stops shrinking.
    """
    lo, hi = LOGIT_BRACKET
    g = lambda v: float(call(activation, v))  # noqa: E731 - a local shorthand
    if not g(lo) <= target <= g(hi):
        return None
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if g(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo, hi


@pytest.mark.parametrize("name", NAMES)
def test_activation_limits_cover_every_optimal_critic(name):
    # The critic T = g_f(V) must be able to represent T* = f'(p/q) for every ratio: the closure
    # of g_f's range must contain f'(0+) and f'(inf) = sup dom f*, the ends of the set of
    # optimal values. (Mapping into dom f* alone admits a too-narrow range such as
    # ¼ tanh(v) for TV, whose critic can never reach T* = ±½ and under-estimates TV by half.)
    entry = DIVERGENCES[name]
    lowest, highest = call(entry.activation, [-math.inf, math.inf])
    at_zero, at_inf = call(entry.f_prime, [0.0, math.inf])
    assert lowest <= at_zero
    assert highest >= at_inf
    assert highest == entry.domain[1]  # also the end of dom f*: the range is not wider


@pytest.mark.parametrize("name", NAMES)
@given(u=RATIOS, v1=LOGITS, v2=LOGITS)
def test_activation_reaches_the_optimal_critic(name, u, v1, v2):
    entry = DIVERGENCES[name]
    # Bisection needs a non-decreasing activation (all of the table's are increasing).
    lo_v, hi_v = sorted((v1, v2))
    assert float(call(entry.activation, lo_v)) <= float(call(entry.activation, hi_v))
    # Some logit attains T* = f'(u): the bisection bracket closes onto it, and the activation
    # has no jump there (its values at the two ends of the bracket agree to rounding).
    target = float(call(entry.f_prime, u))
    bracket = activation_preimage(entry.activation, target)
    assert bracket is not None, f"f'({u:g}) = {target:g} is outside the activation's range"
    g_lo, g_hi = (float(call(entry.activation, v)) for v in bracket)
    assert g_lo <= target <= g_hi or g_lo == target
    assert g_hi - g_lo <= 1e-12 * (1.0 + abs(target))


@pytest.mark.parametrize("name", NAMES)
@given(v=st.floats(-30.0, 30.0))
def test_conjugate_of_activation_is_the_composition(name, v):
    entry = DIVERGENCES[name]
    direct = float(call(entry.conjugate_of_activation, v))
    composed = float(call(entry.conjugate, call(entry.activation, v)))
    if math.isfinite(composed):
        # The composition loses ~eps e^|v| relative where the activation saturates towards an
        # open end (1 - e^-v, log 2 - softplus(-v)); the direct form does not.
        rtol = 1e-12 + 16 * EPS * math.exp(abs(v))
        assert direct == pytest.approx(composed, rel=rtol, abs=1e-13)


def backend_inputs(name):
    """Inputs for the backend comparison: ratios, critics inside the domain, logits."""
    entry = DIVERGENCES[name]
    u = np.concatenate([[0.0, 1.0], np.logspace(-3, 3, 25)])
    (low, high), (low_closed, high_closed) = entry.domain, entry.domain_closed
    t_lo = max(low, -10.0) + (0.0 if low_closed else 1e-2)
    t_hi = min(high, 10.0) - (0.0 if high_closed else 1e-2)
    return {
        "f": u,
        "f_prime": u,
        "conjugate": np.linspace(t_lo, t_hi, 25),
        "activation": np.linspace(-20.0, 20.0, 25),
        "conjugate_of_activation": np.linspace(-20.0, 20.0, 25),
    }


PERSPECTIVE_P = np.array([0.0, 0.0, 0.3, 1e-3, 0.5, 0.2, 0.7])
PERSPECTIVE_Q = np.array([0.0, 0.4, 0.0, 0.6, 1e-3, 0.2, 0.1])

# float64: the same formula on two libms agrees to a few ulp (Jeffreys' Newton iteration
# included), so 1e-12 relative. float32 is compared with float64 on the same rounded inputs: the
# generators cancel terms of size term_scale(x) (~7e3 at x = 1e3) computed to float32's eps
# ~1.2e-7, so 1e-6 of that absolute, plus 1e-5 relative.
BACKEND_TOLERANCES = {torch.float64: (1e-12, 1e-15), torch.float32: (1e-5, 1e-6)}


def assert_backend_close(actual, expected, x, dtype, label):
    assert actual.dtype == dtype, label
    rtol, atol = BACKEND_TOLERANCES[dtype]
    got = actual.double().numpy()
    finite = np.isfinite(expected)
    # Infinite limits (f'(0) = -inf, f(0) = inf, ...) must be reproduced exactly.
    np.testing.assert_array_equal(got[~finite], expected[~finite], err_msg=label)
    scale = term_scale(np.maximum(np.abs(x), 1e-300))[finite]
    err = np.abs(got[finite] - expected[finite])
    assert np.all(err <= rtol * np.abs(expected[finite]) + atol * scale), (label, err.max())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_torch_agree(name, dtype):
    entry = DIVERGENCES[name]
    for label, x in backend_inputs(name).items():
        x_torch = torch.tensor(x, dtype=dtype)
        expected = call(getattr(entry, label), x_torch.double().numpy())
        assert_backend_close(getattr(entry, label)(x_torch), expected, x, dtype, label)
    p, q = (torch.tensor(a, dtype=dtype) for a in (PERSPECTIVE_P, PERSPECTIVE_Q))
    with np.errstate(divide="ignore"):
        expected = np.asarray(entry.perspective(p.double().numpy(), q.double().numpy()))
    assert_backend_close(entry.perspective(p, q), expected, PERSPECTIVE_P, dtype, "perspective")


@pytest.mark.parametrize("name", NAMES)
@given(log_p=st.floats(-100.0, 0.0), log_q=st.floats(-100.0, 0.0))
def test_perspective_is_q_f_of_the_ratio(name, log_p, log_q):
    entry = DIVERGENCES[name]
    p, q = 10.0**log_p, 10.0**log_q
    u = p / q
    value = float(call(lambda a: entry.perspective(a, np.asarray(q)), p))
    expected = q * float(call(entry.f, u))
    # q f(p/q) cancels terms of size ~q u log u = p log(p/q) (f computed to eps times those):
    # 1e-12 relative plus 1e-12 (p + q)(1 + |log p| + |log q|) absolute.
    tol = 1e-12 * (abs(expected) + (p + q) * (1.0 + abs(math.log(p)) + abs(math.log(q))))
    assert value == pytest.approx(expected, rel=1e-10, abs=tol)


@pytest.mark.parametrize("name", NAMES)
@given(log_p=st.floats(-300.0, 0.0), log_q=st.floats(-300.0, 0.0))
def test_log_perspective_is_the_perspective(name, log_p, log_q):
    # Down to e^-300 ~ 5e-131 both forms are accurate float64 (ratios up to 1e130), so the log
    # form must reproduce the perspective; the tolerance is the perspective test's. (Further down,
    # chi2's (p - q)^2 / q goes subnormal below p, q ~ 1e-154 and loses digits.)
    entry = DIVERGENCES[name]
    p, q = math.exp(log_p), math.exp(log_q)
    value = float(entry.log_perspective(np.array(log_p), np.array(log_q)))
    expected = float(entry.perspective(np.array(p), np.array(q)))
    tol = 1e-12 * (abs(expected) + (p + q) * (1.0 + abs(log_p) + abs(log_q)))
    assert value == pytest.approx(expected, rel=1e-10, abs=tol)


@pytest.mark.parametrize("name", NAMES)
@given(mass=st.floats(-300.0, 0.0).map(lambda e: 10.0**e))
def test_perspective_limits(name, mass):
    entry = DIVERGENCES[name]
    zero, m = np.zeros(1), np.full(1, mass)
    with np.errstate(divide="ignore"):
        at_p_zero = float(entry.perspective(zero, m)[0])
        at_q_zero = float(entry.perspective(m, zero)[0])
        at_both_zero = float(entry.perspective(zero, zero)[0])
    # p = 0: q f(0); q = 0: p f'(inf); no mass: 0 (not NaN).
    assert at_p_zero == pytest.approx(mass * entry.f_at_zero, rel=1e-13)
    assert at_q_zero == pytest.approx(mass * entry.slope_at_inf, rel=1e-13)
    assert at_both_zero == 0.0


SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)


@pytest.mark.parametrize("mass", [5e-324, 1e-320, SMALLEST_NORMAL / 3, SMALLEST_NORMAL])
@pytest.mark.parametrize("name", NAMES)
def test_perspective_limits_at_subnormal_masses(name, mass):
    # Intermediate values such as JS's midpoint (p + q)/2 must not underflow to 0 (which turned
    # p = 0, q = 5e-324 into an infinite JS term): the limits hold down to the last subnormal,
    # up to a few subnormal ulps (5e-324) of rounding, plus the perspective test's allowance for
    # terms of size mass |log mass| that cancel (m log m - m log 2m for GAN at p = q).
    entry = DIVERGENCES[name]
    tol = 4 * 5e-324 + 1e-12 * mass * (1.0 + 2.0 * abs(math.log(mass)))
    cases = [((0.0, mass), mass * entry.f_at_zero), ((mass, 0.0), mass * entry.slope_at_inf),
             ((mass, mass), 0.0)]
    for (p, q), expected in cases:
        with np.errstate(divide="ignore"):
            value = float(entry.perspective(np.array([p]), np.array([q]))[0])
        if math.isinf(expected):
            assert value == expected
        else:
            assert abs(value - expected) <= 1e-12 * abs(expected) + tol, (p, q, value)


@pytest.mark.parametrize("name", NAMES)
def test_symmetric_flag(name):
    # D_f(P||Q) = D_f(Q||P) for all P, Q iff u f(1/u) = f(u) + c (u - 1) for a constant c
    # (the generator of the reversed divergence equals f up to an affine term).
    entry = DIVERGENCES[name]
    u = np.logspace(-3, 3, 61)
    gap = call(entry.f, u) - u * call(entry.f, 1.0 / u)
    c = float(gap[-1] / (u[-1] - 1.0))
    affine = np.allclose(gap, c * (u - 1.0), rtol=1e-9, atol=1e-9 * float(term_scale(u).max()))
    assert affine == entry.symmetric


@pytest.mark.parametrize("name", NAMES)
def test_exponential_tails_flag(name):
    # The flag tells the estimators whether a float32 critic needs its raw output bounded: it
    # must be set exactly when g_f(v) or f*(g_f(v)) overflows float32 for |v| = 100.
    div = DIVERGENCES[name]
    v = torch.tensor([-100.0, 100.0], dtype=torch.float32)
    overflows = not bool(
        torch.isfinite(div.activation(v)).all()
        and torch.isfinite(div.conjugate_of_activation(v)).all()
    )
    assert div.exponential_tails == overflows


@pytest.mark.parametrize("name", NAMES)
def test_saturating_critic_flag(name):
    # Set exactly when f'(u) is one of the two ends of the activation's range for every u != 1
    # (then a critic trained on the bound itself stalls where tanh-like activations are flat).
    div = DIVERGENCES[name]
    with np.errstate(over="ignore"):
        ends = call(div.activation, [-1e4, 1e4])
        values = call(div.f_prime_of_log, [-3.0, -0.1, 0.1, 3.0])
    at_ends = np.isclose(values[:2], ends[0]).all() and np.isclose(values[2:], ends[1]).all()
    assert div.saturating_critic == bool(at_ends)
