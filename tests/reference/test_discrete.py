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

from divergence_verify import reference
from divergence_verify.reference import (
    DIVERGENCES,
    Categorical,
    divergence,
    optimal_critic,
    variational_objective,
)
from divergence_verify.verify.strategies import (
    critic_values,
    distribution_pairs,
    probability_vectors,
)

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

# Which cells a support relation can hold: "nested" (supp p inside supp q) has cells with
# p = 0 < q, its mirror image cells with q = 0 < p, "equal" neither.
_RELATION_CELLS = {"equal": set(), "nested": {"q_only"}, "reverse nested": {"p_only"}}


def finite_pairs(name, min_size=1, max_size=8):
    """Pairs on which ``name`` is finite, from the strategies' support relations.

    For KL, reverse KL, chi2 and Jeffreys most "any" pairs have a cell that makes D infinite, and
    a property such as D(merged) <= D = inf then checks nothing. Here the relations are those
    whose cells avoid SEED_INFINITE_WHEN[name]; for the always-finite divergences that is "any".
    """
    if not SEED_INFINITE_WHEN[name]:
        return distribution_pairs("any", min_size, max_size)
    branches = []
    for relation, cells in _RELATION_CELLS.items():
        if cells & SEED_INFINITE_WHEN[name]:
            continue
        least = 1 if relation == "equal" else 2  # a strict inclusion needs two cells
        pairs = distribution_pairs(relation.removeprefix("reverse "), max(min_size, least),
                                   max_size)
        if relation == "reverse nested":
            pairs = pairs.map(lambda pq: pq[::-1])
        branches.append(pairs)
    return st.one_of(branches)


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
    f*(t) is accurate to ~eps (|f*(t)| + 1): hence q (|f*| + 1), not just q |f*|. Terms float64
    cannot hold (t* at an extreme ratio) are left out: J takes those cells' exact values
    q f(p/q), whose sizes are added instead.
    """
    on_p, on_q = p > 0, q > 0
    conj = conjugate_on_q(name, q, t)
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.concatenate([np.abs(p[on_p] * t[on_p]), q[on_q] * (np.abs(conj[on_q]) + 1.0)])
        exact = np.abs(DIVERGENCES[name].perspective(p, q))
    return math.fsum(terms[np.isfinite(terms)]) + math.fsum(exact[np.isfinite(exact)])


def cell_terms(name, p, q, t):
    """Per-cell p t - q f*(t) as evaluated in float64 (p t only where p > 0, q f* where q > 0)."""
    with np.errstate(over="ignore", invalid="ignore"):
        gain = np.where(p > 0, p * np.where(p > 0, t, 0.0), 0.0)
        return gain - q * conjugate_on_q(name, q, t)


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
    kl = divergence("kl", p, q)
    # Masses sum to 1 only within rounding, so KL of (nearly) equal vectors can be -1e-17.
    assert kl >= -1e-13
    assert tv <= math.sqrt(max(kl, 0.0) / 2.0) + 1e-12


def merge_cells(data, p, q):
    """Merge the cells into at most 4 groups drawn at random: a Markov kernel applied to both."""
    groups = np.array(data.draw(st.lists(st.integers(0, 3), min_size=p.size, max_size=p.size)))
    return np.bincount(groups, weights=p, minlength=4), np.bincount(groups, weights=q, minlength=4)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_data_processing_inequality(name, data):
    p, q = data.draw(finite_pairs(name, min_size=2), label="pair")
    before = divergence(name, p, q)
    # Finite by construction of the pairs: the inequality below compares two numbers.
    assert math.isfinite(before)
    after = divergence(name, *merge_cells(data, p, q))
    assert after <= before + RTOL * max(1.0, abs(before))


@pytest.mark.parametrize("name", NAMES)
@given(pair=distribution_pairs("any", min_size=2, max_size=8), data=st.data())
def test_data_processing_inequality_on_any_supports(name, pair, data):
    # Infinite values included: merging may make D finite, never make a finite D infinite.
    p, q = pair
    before = divergence(name, p, q)
    after = divergence(name, *merge_cells(data, p, q))
    assert after <= before + RTOL * max(1.0, abs(before))


def assert_jointly_convex(name, lam, pair1, pair2):
    (p1, q1), (p2, q2) = pair1, pair2
    mixed = divergence(name, lam * p1 + (1 - lam) * p2, lam * q1 + (1 - lam) * q2)
    parts = [w * divergence(name, a, b) for w, a, b in ((lam, p1, q1), (1 - lam, p2, q2)) if w]
    bound = math.fsum(parts)
    assert mixed <= bound + RTOL * max(1.0, abs(bound))
    return bound


# lam >= 1e-6 keeps mixed masses normal floats (lam = 5e-324 makes chi2 overflow).
LAMBDAS = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-6, 1 - 1e-6))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), lam=LAMBDAS)
def test_joint_convexity(name, data, lam):
    n = data.draw(st.integers(2, 6), label="size")
    pairs = finite_pairs(name, n, n)
    bound = assert_jointly_convex(name, lam, data.draw(pairs, "pair 1"), data.draw(pairs, "pair 2"))
    # Both pairs have the same support relation, which their mixture keeps: D stays finite.
    assert math.isfinite(bound)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), lam=LAMBDAS)
def test_joint_convexity_on_any_supports(name, data, lam):
    n = data.draw(st.integers(1, 6), label="size")
    pairs = distribution_pairs("any", n, n)
    assert_jointly_convex(name, lam, data.draw(pairs, "pair 1"), data.draw(pairs, "pair 2"))


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


def assert_tight(tight, value, scale):
    # J(t*) adds terms computed to a few ulp each: 1e-10 of D, or 1e-13 of the terms' total.
    if math.isinf(value):
        assert tight == value
    else:
        assert abs(tight - value) <= 1e-10 * abs(value) + 1e-13 * scale


def assert_tight_at_the_optimal_critic(name, p, q):
    t_star = optimal_critic(name, p, q)
    value = divergence(name, p, q)
    scale = objective_scale(name, p, q, t_star)
    assert_tight(variational_objective(name, p, q, t_star), value, scale)
    if math.isinf(value):
        return value
    # The same sum formed here from the table's conjugate, so that tightness tests f* and f'
    # and not only J's reading of unevaluable cells: only cells where float64 cannot evaluate
    # p t* - q f*(t*) take their exact value q f(p/q), and those must lie at extreme ratios
    # (|log(p/q)| > 37 at the least, where JS's t* rounds onto ½ log 2).
    terms = cell_terms(name, p, q, t_star)
    both = (p > 0) & (q > 0)
    unevaluable = ~np.isfinite(terms)
    assert np.all(both[unevaluable])
    log_ratio = np.log(np.where(both, p, 1.0)) - np.log(np.where(both, q, 1.0))
    assert np.all(np.abs(log_ratio[unevaluable]) > 30.0), log_ratio[unevaluable]
    with np.errstate(over="ignore"):
        terms[unevaluable] = DIVERGENCES[name].perspective(p[unevaluable], q[unevaluable])
    assert_tight(math.fsum(terms), value, scale)
    return value


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_duality_is_tight_at_the_optimal_critic(name, data):
    value = assert_tight_at_the_optimal_critic(name, *data.draw(finite_pairs(name), "pair"))
    assert math.isfinite(value)


@pytest.mark.parametrize("name", NAMES)
@given(pair=PAIRS)
def test_duality_is_tight_at_the_optimal_critic_on_any_supports(name, pair):
    # Where D = inf (a cell with q = 0 < p, or p = 0 < q for reverse KL and Jeffreys) J(t*) must
    # be +inf too: t* takes the recession slope f'(inf) = inf, or f'(0) = -inf with f*(-inf) = -inf.
    assert_tight_at_the_optimal_critic(name, *pair)


EXTREME_PAIRS = {
    "ratio 1e-20": ([1e-20, 1 - 1e-20], [0.5, 0.5]),
    "ratio 1e-300": ([1e-300, 1 - 1e-300], [0.5, 0.5]),
    "ratio 5e19": ([0.5, 0.5], [1e-20, 1 - 1e-20]),
    "ratio 5e299": ([0.5, 0.5], [1e-300, 1 - 1e-300]),
    # Subnormal masses: p/q overflows or loses digits, and t* = -q/p overflows for reverse KL
    # and Jeffreys; chi2 = 0.09/1e-310 exceeds float64 (D = inf, the rounding of 9e308).
    "p subnormal": ([1e-310, 1 - 1e-310], [0.3, 0.7]),
    "q subnormal": ([0.3, 0.7], [1e-310, 1 - 1e-310]),
    "p smallest subnormal": ([5e-324, 1 - 5e-324], [0.7, 0.3]),
    "both tiny": ([1e-20, 1 - 1e-20], [1e-310, 1 - 1e-310]),
}


@pytest.mark.parametrize("case", EXTREME_PAIRS)
@pytest.mark.parametrize("name", NAMES)
def test_duality_is_tight_at_extreme_ratios(name, case):
    # Far ratios put t* = f'(p/q) at |t| up to ~1e300 or beyond float64 (e.g. Jeffreys' t* ~
    # -q/p, where the conjugate written as W + 1/W + t - 2 once cancelled catastrophically), onto
    # an open end of dom f* (JS at ratio 5e19), or make q f*(t*) overflow (chi2 at ratio 5e299).
    p, q = (np.array(v) for v in EXTREME_PAIRS[case])
    assert_tight_at_the_optimal_critic(name, p, q)


def test_tightness_where_the_optimal_critic_rounds_onto_the_domain_end():
    # The reviewer's case: D = ½ 1e-20 log 2 = 3.5e-21 while t* = ½ log 2 - 5e-291 rounds onto the
    # open end ½ log 2, where f* = inf; J used to be -inf.
    p, q = np.array([1e-20, 1 - 1e-20]), np.array([1e-310, 1 - 1e-310])
    t_star = optimal_critic("js", p, q)
    assert t_star[0] == 0.5 * LOG2
    expected = 0.5 * 1e-20 * LOG2  # the second cell has p = q = 1.0 in float64: no term
    assert divergence("js", p, q) == pytest.approx(expected, rel=1e-12)
    assert variational_objective("js", p, q, t_star) == pytest.approx(expected, rel=1e-12)
    # Only the cell's own t* is read as t*: the same end value elsewhere is inadmissible.
    t_other = np.array([0.5 * LOG2, 0.5 * LOG2])
    assert variational_objective("js", p, q, t_other) == -math.inf
    assert variational_objective("js", [0.5, 0.5], [0.5, 0.5], [0.5 * LOG2, 0.0]) == -math.inf
    # A value beyond the float64 range where t* is finite stays -inf as well.
    assert variational_objective("kl", p, q, [-math.inf, 0.0]) == -math.inf


def independent_log_space_critic(name, p, q):
    """t* = f'(p/q) from log p and log q with the textbook derivatives (finite masses > 0)."""
    s = math.log(p) - math.log(q)  # exact to an ulp for subnormal masses too
    ratio_inverse = math.exp(-s) if -s < 709.0 else math.inf  # q/p
    # log(p/(p+q)) = -log(1 + q/p), or s - log(1 + p/q) where q/p would overflow.
    log_share = -math.log1p(ratio_inverse) if s > 0 else s - math.log1p(math.exp(s))
    return {
        "kl": 1.0 + s,
        "reverse_kl": -ratio_inverse,
        "js": 0.5 * (LOG2 + log_share),  # ½ log(2p/(p+q))
        "tv": 0.5 * math.copysign(1.0, s) if s else 0.0,
        "chi2": 2.0 * math.expm1(s) if s < 709.0 else math.inf,
        "hellinger": 1.0 - math.exp(-0.5 * s),
        "jeffreys": s + 1.0 - ratio_inverse,
        "gan": log_share,
    }[name]


@pytest.mark.parametrize("case", EXTREME_PAIRS)
@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_at_extreme_ratios(name, case):
    # t* is finite wherever f'(p/q) is within float64 (JS and GAN at p/q ~ 3e-310 are about
    # -356 and -712; KL at p/q ~ 3e309 is 714), and -inf only where -q/p is beyond it.
    p, q = (np.array(v) for v in EXTREME_PAIRS[case])
    t_star = optimal_critic(name, p, q)  # RuntimeWarnings are errors under the pytest config
    for i in range(p.size):
        expected = independent_log_space_critic(name, p[i], q[i])
        if math.isinf(expected):
            assert t_star[i] == expected
        else:
            assert t_star[i] == pytest.approx(expected, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_weak_duality_for_any_critic(name, data):
    # Finite pairs: J(t) <= D = inf would check nothing.
    p, q = data.draw(finite_pairs(name), label="pair")
    t = data.draw(critic_values(name, p.size), label="t")
    value = divergence(name, p, q)
    bound = variational_objective(name, p, q, t)
    assert math.isfinite(value)
    assert bound <= value + 1e-10 * abs(value) + 1e-13 * objective_scale(name, p, q, t)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_weak_duality_near_the_optimal_critic(name, data):
    p, q = data.draw(finite_pairs(name), label="pair")
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
    assert math.isfinite(value)
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
    ("t", "error", "match"),
    [
        (np.zeros(3), ValueError, r"critic t must have shape \(2,\)"),
        ([0.0, np.nan], ValueError, "critic t holds NaN"),
        (["a", "b"], TypeError, r"critic t must hold real numbers .*shape \(2,\).*got dtype <U1"),
        ([1j, 0.0], TypeError, "critic t must hold real numbers .*complex"),
        ([None, 0.0], TypeError, "critic t must hold real numbers .*object"),
        ("ab", TypeError, "critic t must hold real numbers"),
    ],
)
def test_bad_critic_raises(t, error, match):
    with pytest.raises(error, match=match):
        variational_objective("kl", GOOD, GOOD, t)


@pytest.mark.parametrize("name", ["js", "gan"])
def test_midpoint_of_subnormal_masses_does_not_underflow(name):
    # (p + q)/2 with p = 0, q = 5e-324 rounds to 0; the JS term q log(q/m) then read inf. The true
    # value is ½ q log 2 ~ 1.7e-324 (JS) or q log 4 ~ 6.9e-324 (GAN): 0 to a few subnormal ulps.
    tiny = 5e-324
    for p, q in (([0.0, 1.0], [tiny, 1.0]), ([tiny, 1.0], [0.0, 1.0]), ([tiny, 1.0], [tiny, 1.0])):
        value = divergence(name, p, q)
        assert 0.0 <= value <= 4 * tiny, (p, q, value)
        t_star = optimal_critic(name, p, q)
        assert variational_objective(name, p, q, t_star) == pytest.approx(value, abs=4 * tiny)


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
