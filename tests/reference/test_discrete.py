"""Properties of the exact discrete f-divergences, for every entry of the table.

Random pairs come from :mod:`verify.strategies` (exact zeros, tiny masses, extreme ratios, equal,
nested, disjoint and overlapping supports). Where a test needs a divergence's known behaviour it
uses the seed's conventions written out here, not the table, so that a wrong table entry fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

import reference
from reference import DIVERGENCES, Categorical, divergence, optimal_critic, variational_objective
from verify.strategies import critic_values, distribution_pairs, probability_vectors

NAMES = sorted(DIVERGENCES)
LOG2 = math.log(2.0)

# The seed's conventions, written independently of the table.
SEED_SYMMETRIC = ["gan", "hellinger", "jeffreys", "js", "tv"]
SEED_SUPREMUM = {  # value at disjoint supports, the largest the divergence can be
    "kl": math.inf,
    "reverse_kl": math.inf,
    "js": LOG2,
    "tv": 1.0,
    "chi2": math.inf,
    "hellinger": 2.0,
    "jeffreys": math.inf,
    "gan": 2.0 * LOG2,
}
# Infinite exactly when some cell has q = 0 < p ("p_only") and/or p = 0 < q ("q_only").
SEED_INFINITE_WHEN = {
    "kl": {"p_only"},
    "reverse_kl": {"q_only"},
    "js": set(),
    "tv": set(),
    "chi2": {"p_only"},
    "hellinger": set(),
    "jeffreys": {"p_only", "q_only"},
    "gan": set(),
}

# Sums of a handful of terms, each exact to a few ulp, and fsum'd: 1e-12 relative (absolute near
# zero) is ~4500 ulp, wide for rounding yet far below any formula error (a missing factor ½ or a
# 1% change is >= 1e-2 relative).
RTOL = 1e-12

PAIRS = distribution_pairs("any", max_size=8)


def close(actual, expected, rtol=RTOL):
    """Equal within ``rtol`` relative (absolute below 1); infinities must match exactly."""
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    return abs(actual - expected) <= rtol * max(1.0, abs(expected))


def tv_direct(p, q):
    return 0.5 * math.fsum(np.abs(p - q))


def independent_divergence(name, p, q):
    """Each divergence from its textbook formula with scipy's rel_entr, not from the table."""
    kl = math.fsum(rel_entr(p, q))
    reverse = math.fsum(rel_entr(q, p))
    m = (p + q) / 2.0
    js = 0.5 * math.fsum(rel_entr(p, m)) + 0.5 * math.fsum(rel_entr(q, m))
    chi2_terms = np.where(
        q > 0, (p - q) ** 2 / np.where(q > 0, q, 1.0), np.where(p > 0, np.inf, 0.0)
    )
    return {
        "kl": kl,
        "reverse_kl": reverse,
        "js": js,
        "tv": tv_direct(p, q),
        "chi2": math.fsum(chi2_terms),
        "hellinger": math.fsum((np.sqrt(p) - np.sqrt(q)) ** 2),
        "jeffreys": kl + reverse,
        "gan": 2.0 * js,
    }[name]


def conjugate_on_q(name, q, t):
    """``f*(t)`` where ``q > 0`` (0 elsewhere, where J does not evaluate it)."""
    with np.errstate(over="ignore"):
        return np.where(q > 0, DIVERGENCES[name].conjugate(np.where(q > 0, t, 0.0)), 0.0)


def objective_scale(name, p, q, t):
    """Size of the terms J(t) = sum p t - sum q f*(t) adds up, for rounding tolerances.

    The formulas of f* subtract O(1) constants (Jeffreys' W + 1/W + t - 2 near t = 0), so each
    f*(t) is accurate to ~eps (|f*(t)| + 1): hence q (|f*| + 1), not just q |f*|.
    """
    on_p, on_q = p > 0, q > 0
    conj = conjugate_on_q(name, q, t)
    return math.fsum(np.abs(p[on_p] * t[on_p])) + math.fsum(q[on_q] * (np.abs(conj[on_q]) + 1.0))


def representable(name, q, t):
    """Whether float64 can hold every q f*(t) below +inf (f* is +inf outside its domain).

    Not so at extreme ratios: t* = f'(p/q) rounds onto an open end of the domain (JS beyond
    p/q ~ 1e16, hellinger beyond ~1e32), or q f*(t*) overflows (chi2 near p/q ~ 1e154); then
    J(t*) = -inf although D is finite.
    """
    return not np.any(q * conjugate_on_q(name, q, t) == math.inf)


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_non_negative(name, pair):
    assert divergence(name, *pair) >= -1e-13


@pytest.mark.parametrize("name", NAMES)
@given(p=probability_vectors(max_size=8))
def test_zero_at_equality(name, p):
    assert abs(divergence(name, p, p)) <= 1e-13


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_positive_for_distinct_distributions(name, pair):
    p, q = pair
    # In float64 P and Q must differ by more than rounding. Every generator here is strictly
    # convex at 1 (or is TV itself), so D_f >= c TV^2 with c of order 1 (KL >= 2 TV^2 by
    # Pinsker): TV >= 1e-4 puts D_f far above the ~1e-16 rounding of its terms.
    if tv_direct(p, q) >= 1e-4:
        assert divergence(name, p, q) > 0


@pytest.mark.parametrize("name", SEED_SYMMETRIC)
@given(pair=PAIRS)
def test_symmetric(name, pair):
    p, q = pair
    assert DIVERGENCES[name].symmetric
    assert close(divergence(name, p, q), divergence(name, q, p))


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_bounded_by_the_seed_supremum(name, pair):
    value = divergence(name, *pair)
    bound = SEED_SUPREMUM[name]
    assert value <= bound * (1 + RTOL)
    assert value <= DIVERGENCES[name].upper_bound * (1 + RTOL)


@pytest.mark.parametrize("name", NAMES)
@given(pair=distribution_pairs("disjoint", max_size=8))
def test_disjoint_supports_attain_the_supremum(name, pair):
    value = divergence(name, *pair)
    assert close(value, SEED_SUPREMUM[name])
    assert DIVERGENCES[name].upper_bound == pytest.approx(SEED_SUPREMUM[name], rel=RTOL)


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_infinite_exactly_where_it_should_be(name, pair):
    p, q = pair
    present = set()
    if np.any((q == 0) & (p > 0)):
        present.add("p_only")
    if np.any((p == 0) & (q > 0)):
        present.add("q_only")
    # Finite values stay finite in float64: the strategies' ratios are at most ~1e301.
    assert math.isinf(divergence(name, p, q)) == bool(present & SEED_INFINITE_WHEN[name])


@given(pair=PAIRS)
def test_pinsker(pair):
    p, q = pair
    tv = divergence("tv", p, q)
    assert tv <= math.sqrt(divergence("kl", p, q) / 2.0) + 1e-12


@pytest.mark.parametrize("name", NAMES)
@given(pair=distribution_pairs("any", min_size=2, max_size=8), data=st.data())
def test_data_processing_inequality(name, pair, data):
    p, q = pair
    groups = np.array(data.draw(st.lists(st.integers(0, 3), min_size=p.size, max_size=p.size)))
    merged_p = np.bincount(groups, weights=p, minlength=4)
    merged_q = np.bincount(groups, weights=q, minlength=4)
    before = divergence(name, p, q)
    after = divergence(name, merged_p, merged_q)
    assert after <= before + RTOL * max(1.0, abs(before))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), lam=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-6, 1 - 1e-6)))
def test_joint_convexity(name, data, lam):
    # lam >= 1e-6 keeps mixed masses normal floats (lam = 5e-324 makes chi2 overflow).
    n = data.draw(st.integers(1, 6), label="size")
    p1, q1 = data.draw(distribution_pairs("any", n, n), label="pair 1")
    p2, q2 = data.draw(distribution_pairs("any", n, n), label="pair 2")
    mixed = divergence(name, lam * p1 + (1 - lam) * p2, lam * q1 + (1 - lam) * q2)
    parts = [w * divergence(name, a, b) for w, a, b in ((lam, p1, q1), (1 - lam, p2, q2)) if w]
    bound = math.fsum(parts)
    assert mixed <= bound + RTOL * max(1.0, abs(bound))


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_agrees_with_independent_formulas(name, pair):
    p, q = pair
    assert close(divergence(name, p, q), independent_divergence(name, p, q))


@given(pair=PAIRS)
def test_scipy_cross_checks(pair):
    p, q = pair
    assert close(divergence("kl", p, q), float(np.sum(rel_entr(p, q))))
    # scipy's jensenshannon returns the distance, the square root of JS, in nats by default;
    # with base=2 it is in bits. Its plain np.sum (not fsum) may leave JS at -1e-17 when P ~ Q,
    # whence the absolute floor.
    js = divergence("js", p, q)
    with np.errstate(invalid="ignore"):
        assert jensenshannon(p, q) ** 2 == pytest.approx(js, rel=1e-10, abs=1e-15)
        assert jensenshannon(p, q, base=2) ** 2 == pytest.approx(js / LOG2, rel=1e-10, abs=1e-15)
    assert close(divergence("tv", p, q), 0.5 * float(np.sum(np.abs(p - q))))


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_duality_is_tight_at_the_optimal_critic(name, pair):
    p, q = pair
    t_star = optimal_critic(name, p, q)
    value = divergence(name, p, q)
    tight = variational_objective(name, p, q, t_star)
    if not representable(name, q, t_star):
        assert tight == -math.inf
    elif math.isinf(value):
        assert tight == value
    else:
        assert_tight(tight, value, objective_scale(name, p, q, t_star))


def assert_tight(tight, value, scale):
    # J(t*) adds terms computed to a few ulp each: 1e-10 of D, or 1e-13 of the terms' total.
    assert abs(tight - value) <= 1e-10 * abs(value) + 1e-13 * scale


EXTREME_PAIRS = {
    "ratio 1e-20": ([1e-20, 1 - 1e-20], [0.5, 0.5]),
    "ratio 1e-300": ([1e-300, 1 - 1e-300], [0.5, 0.5]),
    "ratio 5e19": ([0.5, 0.5], [1e-20, 1 - 1e-20]),
    "ratio 5e299": ([0.5, 0.5], [1e-300, 1 - 1e-300]),
}


@pytest.mark.parametrize("case", EXTREME_PAIRS)
@pytest.mark.parametrize("name", NAMES)
def test_duality_is_tight_at_extreme_ratios(name, case):
    # Far ratios put t* = f'(p/q) at |t| up to ~1e300: e.g. Jeffreys' t* ~ -q/p, where the
    # conjugate written as W + 1/W + t - 2 (W ~ -t) once cancelled catastrophically.
    p, q = (np.array(v) for v in EXTREME_PAIRS[case])
    t_star = optimal_critic(name, p, q)
    value = divergence(name, p, q)
    tight = variational_objective(name, p, q, t_star)
    if representable(name, q, t_star):
        assert_tight(tight, value, objective_scale(name, p, q, t_star))
    else:
        assert tight == -math.inf


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS, data=st.data())
def test_weak_duality_for_any_critic(name, pair, data):
    p, q = pair
    t = data.draw(critic_values(name, p.size), label="t")
    value = divergence(name, p, q)
    bound = variational_objective(name, p, q, t)
    tol = 1e-10 * abs(value) + 1e-13 * objective_scale(name, p, q, t) if math.isfinite(value) else 0
    assert bound <= value + tol


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS, data=st.data())
def test_weak_duality_near_the_optimal_critic(name, pair, data):
    p, q = pair
    t_star = optimal_critic(name, p, q)
    shifts = data.draw(st.lists(st.floats(-1.0, 1.0), min_size=p.size, max_size=p.size))
    scale = data.draw(st.sampled_from([1e-6, 1e-3, 1e-1, 1.0]), label="scale")
    # Perturb the finite entries relative to their size; +-inf entries (the limits at p = 0 or
    # q = 0) stay. The critic must stay in the closure of the domain of f* (a function into
    # dom f*, as through the activation): where q = 0 < p, J has no f* penalty and any t above
    # f'(inf) would exceed D. Where q > 0 an open end gives J = -inf, still <= D.
    t = t_star + np.where(np.isfinite(t_star), scale * np.array(shifts), 0.0) * (
        1.0 + np.abs(np.where(np.isfinite(t_star), t_star, 0.0))
    )
    t = np.clip(t, *DIVERGENCES[name].domain)
    value = divergence(name, p, q)
    bound = variational_objective(name, p, q, t)
    if math.isfinite(value):
        tol = 1e-10 * abs(value) + 1e-13 * max(
            objective_scale(name, p, q, t), objective_scale(name, p, q, t_star)
        )
        assert bound <= value + tol


def bernoulli_kl(p, q):
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def bernoulli_objective(a, b, p, q):
    """J(T) for T(0) = a, T(1) = b under P = Bernoulli(p), Q = Bernoulli(q), f*(t) = e^(t-1)."""
    return p * b + (1 - p) * a - q * math.exp(b - 1) - (1 - q) * math.exp(a - 1)


PROBS = st.floats(1e-6, 1 - 1e-6)


@given(p=PROBS, q=PROBS)
def test_bernoulli_example_from_the_seed(p, q):
    # f(t) = t log t: the optimal critic is a* = 1 + log((1-p)/(1-q)) at 0, b* = 1 + log(p/q)
    # at 1, and sup J = J(a*, b*) = KL(Bernoulli(p) || Bernoulli(q)).
    a_star = 1 + math.log((1 - p) / (1 - q))
    b_star = 1 + math.log(p / q)
    kl = bernoulli_kl(p, q)
    assert bernoulli_objective(a_star, b_star, p, q) == pytest.approx(kl, rel=1e-9, abs=1e-14)

    # The supremum found numerically (J is concave) is the same.
    def neg_j(x):
        a, b = x
        grad = [-(1 - p) + (1 - q) * math.exp(a - 1), -p + q * math.exp(b - 1)]
        return -bernoulli_objective(a, b, p, q), np.array(grad)

    res = minimize(neg_j, x0=np.ones(2), jac=True, method="BFGS", options={"gtol": 1e-12})
    assert -res.fun == pytest.approx(kl, rel=1e-7, abs=1e-12)

    p_vec, q_vec = np.array([1 - p, p]), np.array([1 - q, q])
    assert divergence("kl", p_vec, q_vec) == pytest.approx(kl, rel=1e-12, abs=1e-15)
    assert divergence("kl", Categorical(p_vec), Categorical(q_vec)) == pytest.approx(
        kl, rel=1e-12, abs=1e-15
    )
    np.testing.assert_allclose(optimal_critic("kl", p_vec, q_vec), [a_star, b_star], rtol=1e-12)
    j_ref = variational_objective("kl", p_vec, q_vec, [a_star, b_star])
    assert j_ref == pytest.approx(kl, rel=1e-9, abs=1e-14)


GOOD = [0.5, 0.5]
BAD_INPUTS = [
    ("kl", [0.5, 0.6], GOOD, ValueError, "sums to"),
    ("kl", [1.5, -0.5], GOOD, ValueError, "negative"),
    ("kl", [np.nan, 1.0], GOOD, ValueError, "NaN"),
    ("kl", [np.inf, 0.0], GOOD, ValueError, "infinite"),
    ("kl", [[0.5, 0.5]], GOOD, ValueError, "1-D"),
    ("kl", [], GOOD, ValueError, "empty"),
    ("kl", GOOD, [0.25, 0.25, 0.5], ValueError, "common support"),
    ("kl", ["a", "b"], GOOD, TypeError, "real numbers"),
    ("kl", [0.5 + 0j, 0.5], GOOD, TypeError, "real numbers"),
    ("kl2", GOOD, GOOD, ValueError, "unknown divergence 'kl2'"),
    (None, GOOD, GOOD, TypeError, "must be a str"),
]


@pytest.mark.parametrize(("name", "p", "q", "error", "match"), BAD_INPUTS)
@pytest.mark.parametrize("function", ["divergence", "optimal_critic", "variational_objective"])
def test_bad_input_raises(function, name, p, q, error, match):
    def call():
        if function == "variational_objective":
            return variational_objective(name, p, q, np.zeros(np.shape(p)))
        return getattr(reference, function)(name, p, q)

    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("t", "match"),
    [(np.zeros(3), r"critic t must have shape \(2,\)"), ([0.0, np.nan], "critic t holds NaN")],
)
def test_bad_critic_raises(t, match):
    with pytest.raises(ValueError, match=match):
        variational_objective("kl", GOOD, GOOD, t)


def test_sum_tolerance():
    # Rounding-level deviations pass; a real normalisation error does not.
    assert divergence("tv", [0.5, 0.5 + 1e-11], GOOD) == pytest.approx(5e-12)
    with pytest.raises(ValueError, match="sums to"):
        divergence("tv", [0.5, 0.5 + 1e-6], GOOD)
    with pytest.raises(ValueError, match="sums to"):
        Categorical(np.array([0.5, 0.6]))


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_critic_beyond_the_domain_on_cells_q_does_not_see_is_inadmissible(name):
    # p = [1, 0], q = [0, 1]: on cell 0 only E_P sees the critic. A value above the domain's
    # upper end would push J above D_f (e.g. JS: t = 1 gave J = 1 > log 2 before the rule).
    div = DIVERGENCES[name]
    p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    high = div.domain[1]
    if math.isfinite(high):
        assert reference.variational_objective(name, p, q, [high + 1.0, 0.0]) == -math.inf
        t_star = reference.optimal_critic(name, p, q)
        assert reference.variational_objective(name, p, q, t_star) == pytest.approx(
            reference.divergence(name, p, q), rel=1e-12)
