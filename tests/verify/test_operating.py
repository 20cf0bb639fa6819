"""The certificate rules' operating characteristic (``verify.operating``) on the default design.

The issue's figures are checked on one simulation, shared by the module: ``REPS = 300``
certificates of every synthetic estimator in :data:`SYNTHETICS`, seed 1, over the four default
KL scenarios, with the default sizes (250 ... 4000), 8 seeds per size and ``Rules()``.

Each figure is asserted as a one-sided binomial test at false-alarm rate ``ALPHA = 1e-4``, its
critical value derived with :mod:`scipy.stats.binom` (never written down):

* ``P >= 0.95`` targets assert ``count >= binom.ppf(ALPHA, REPS, 0.95)``: were the true
  probability 0.95, a count below that has probability < 1e-4 (at REPS = 300 the critical value
  is 269, i.e. 0.897);
* ``P <= p0`` targets assert ``count <= binom.isf(ALPHA, REPS, p0)``: at p0 = 0.05 the critical
  value is 31 (0.103), at p0 = 0.005 ("about 0", for estimators that must never be certified) 8.

Monte Carlo error at REPS = 300: the standard error of a proportion is at most 0.029, 0.0126 at
p = 0.05 and 0.004 at p = 0.005; with the measured probabilities (root-n unbiased certified in
400 of 400 replicates at seed 1, every "<= 0.05" figure at most about 0.02, every "about 0" one 0)
each assertion fails by chance with probability far below ALPHA, and the roughly 30 assertions
together below 3e-3 for an arbitrary seed. The seed is fixed, so the file itself is
deterministic. The simulation takes about 6 s on two cores, the whole file about 10 s.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.stats import binom

from divergence_verify.verify import operating
from divergence_verify.verify import rules as rules_module
from divergence_verify.verify import stats as stats_module
from divergence_verify.verify.design import DEFAULT_SEEDS, DEFAULT_SIZES, Rules
from divergence_verify.verify.operating import (
    SYNTHETICS,
    Probability,
    Synthetic,
    cached_quantiles,
    default_truths,
    operating_characteristic,
    replicate,
    replicate_rng,
)
from divergence_verify.verify.rules import FAIL, INCONCLUSIVE, PASS

REPS = 300
"""Simulated certificates per synthetic in the shared simulation."""
SEED = 1
"""Root seed of the shared simulation."""
ALPHA = 1e-4
"""False-alarm rate of every binomial assertion on the shared simulation."""

BIASED = ("10% bias", "20% bias")
"""Relative biases beyond the tolerance wherever ``0.1·truth > 0.01 + 0.05·truth`` (truth > 0.2)."""
REJECTED = ("10% bias", "20% bias", "bias 0.3/log n", "noise n^-0.1")
"""Synthetics the certificate must certify with probability at most 0.05."""
NEVER = ("constant", "non-shrinking noise")
"""Synthetics the certificate must (about) never certify."""
ACCEPTABLE = ("root-n unbiased", "root-n noisy (SD tol)", "5% bias")
"""Synthetics within the tolerance: the certificate must rarely reject them."""


def at_least(p: float, reps: int = REPS) -> int:
    """Smallest count consistent with ``P >= p`` at false-alarm rate ``ALPHA``."""
    return int(binom.ppf(ALPHA, reps, p))


def at_most(p: float, reps: int = REPS) -> int:
    """Largest count consistent with ``P <= p`` at false-alarm rate ``ALPHA``."""
    return int(binom.isf(ALPHA, reps, p))


@pytest.fixture(scope="module")
def truths():
    return default_truths("kl")


@pytest.fixture(scope="module")
def oc(truths):
    """The shared simulation: every synthetic, the default design, REPS replicates."""
    return operating_characteristic(truths, reps=REPS, seed=SEED)


# --- the figures on the default design -----------------------------------------------


def test_thresholds_are_tests_not_constants():
    # The critical values actually bite: at the target itself the assertion rarely fires, and
    # they are not vacuous (well inside 0 .. REPS).
    low, high, never = at_least(0.95), at_most(0.05), at_most(0.005)
    assert 0.85 * REPS < low < 0.95 * REPS
    assert binom.cdf(low - 1, REPS, 0.95) < ALPHA
    assert 0.05 * REPS < high < 0.15 * REPS
    assert binom.sf(high, REPS, 0.05) <= ALPHA
    assert 0.005 * REPS < never < 0.05 * REPS
    assert binom.sf(never, REPS, 0.005) <= ALPHA


def test_default_design(oc, truths):
    assert oc.sizes == DEFAULT_SIZES
    assert oc.seeds == DEFAULT_SEEDS
    assert oc.rules == Rules()
    assert getattr(oc, "max_seeds", None) is None  # one look, as certify() by default
    assert oc.reps == REPS and oc.seed == SEED
    assert oc.truths == truths and len(truths) == 4
    assert list(oc.rows) == list(SYNTHETICS)
    for name, row in oc.rows.items():
        assert sum(row.certificate.values()) == REPS, name
        assert all(sum(c.values()) == REPS for c in row.scenarios), name


def test_root_n_unbiased_is_certified(oc):
    # Target P(CERTIFIED) >= 0.95; measured 400/400 at reps 400.
    assert oc.certified("root-n unbiased").count >= at_least(0.95)


@pytest.mark.parametrize("name", ACCEPTABLE)
def test_estimators_within_tolerance_are_rarely_rejected(oc, truths, name):
    # An unbiased estimator, or one whose bias (5%) is inside the tolerance at every default
    # truth, must not come out NOT CERTIFIED often: P(fail) <= 0.05 for the certificate and for
    # each scenario. (5% bias is mostly INCONCLUSIVE: 8 seeds cannot show that a bias of 0.05 is
    # inside a tolerance of 0.06 at truth 1; that is the design's power, not a target.)
    assert oc.certified(name, FAIL).count <= at_most(0.05)
    for scenario in truths:
        assert oc.scenario(name, scenario, FAIL).count <= at_most(0.05), scenario


@pytest.mark.parametrize("name", BIASED)
def test_large_bias_fails_each_scenario_with_truth_at_least_0_3(oc, truths, name):
    # The accuracy rule is a TOST at 5%: a bias beyond the tolerance passes a scenario with
    # probability at most 0.05. At mixture1d (truth 0.16) 10% is inside the tolerance (11.3%),
    # so only truths >= 0.3 are held to it.
    judged = [s for s, t in truths.items() if t >= 0.3]
    assert len(judged) == 3
    for scenario in judged:
        assert oc.scenario(name, scenario).count <= at_most(0.05), scenario


@pytest.mark.parametrize("name", REJECTED)
def test_wrong_estimators_are_rarely_certified(oc, name):
    # Target P(CERTIFIED) <= 0.05; measured 0 for the biases and 1/log n, 0.003 for n^-0.1.
    assert oc.certified(name).count <= at_most(0.05)


@pytest.mark.parametrize("name", NEVER)
def test_hopeless_estimators_are_never_certified(oc, name):
    # Target P(CERTIFIED) about 0, tested as P <= 0.005.
    assert oc.certified(name).count <= at_most(0.005)


def test_constant_fails_every_replicate(oc, truths):
    # A constant has SD 0, so its accuracy interval is the point |mean(truths) - truth|, beyond
    # the tolerance at every default truth: every replicate is NOT CERTIFIED, deterministically.
    centre = float(np.mean(list(truths.values())))
    assert all(abs(centre - t) > Rules().tolerance(t) for t in truths.values())
    assert oc.certified("constant", FAIL).count == REPS
    assert oc.failed("constant", "accuracy").count == REPS


def test_slow_noise_is_caught_by_the_slope_rules(oc):
    # noise n^-0.1 passes accuracy and spread (SD tol/2 at n_max); the convergence and rate
    # rules are what reject it.
    assert oc.failed("noise n^-0.1", "accuracy").count <= at_most(0.05)
    assert oc.failed("noise n^-0.1", "spread").count <= at_most(0.05)
    # Measured: the rate rule fails in 0.54 of the replicates; held to at least 0.3.
    assert oc.failed("noise n^-0.1", "rate").count >= at_least(0.3)


# --- Probability -----------------------------------------------------------------------------


def test_probability_interior():
    p = Probability(30, 300)
    assert p.p == pytest.approx(0.1)
    assert p.se == pytest.approx(math.sqrt(0.1 * 0.9 / 300))
    assert p.bound is None
    assert str(p) == "0.100±0.017"


def test_probability_rule_of_three():
    zero, full = Probability(0, 300), Probability(300, 300)
    assert zero.p == 0 and zero.se == 0 and full.p == 1 and full.se == 0
    assert zero.bound == pytest.approx(0.01)
    assert full.bound == pytest.approx(0.99)
    assert str(zero) == "0 (<0.01)"
    assert str(full) == "1 (>0.99)"


@pytest.mark.parametrize("reps", [10, 100, 300, 2000])
def test_rule_of_three_is_conservative(reps):
    # At p = 3/reps a count of 0 has probability below 5%: the exact bound 1 - 0.05^(1/reps)
    # is below 3/reps.
    bound = Probability(0, reps).bound
    assert binom.pmf(0, reps, bound) < 0.05
    assert 1 - 0.05 ** (1 / reps) < bound


# --- reproducibility and the quantile cache --------------------------------------------------


def test_cache_gives_identical_counts(truths):
    cached = operating_characteristic(truths, reps=8, seed=5, cache=True)
    plain = operating_characteristic(truths, reps=8, seed=5, cache=False)
    assert cached.rows == plain.rows


@pytest.mark.parametrize("name", ["root-n noisy (SD tol)", "5% bias", "noise n^-0.1"])
def test_cache_gives_bit_identical_judgements(truths, name):
    values = list(truths.values())

    def judged():
        out = replicate(SYNTHETICS[name], values, DEFAULT_SIZES, DEFAULT_SEEDS, Rules(),
                        replicate_rng(7, name, 3))
        return repr(out)  # float reprs round-trip, and NaN equals NaN here

    plain = judged()
    with cached_quantiles():
        assert rules_module.stats is not scipy_stats
        cached = judged()
    assert cached == plain
    assert rules_module.stats is scipy_stats and stats_module.stats is scipy_stats


def test_nested_cache_contexts_restore_scipy():
    with cached_quantiles():
        proxy = rules_module.stats
        with cached_quantiles():
            assert rules_module.stats is proxy
        assert rules_module.stats is proxy
    assert rules_module.stats is scipy_stats


def test_same_seed_same_figures(truths):
    chosen = [SYNTHETICS["noise n^-0.1"], SYNTHETICS["root-n noisy (SD tol)"]]
    first = operating_characteristic(truths, synthetics=chosen, reps=12, seed=3)
    second = operating_characteristic(truths, synthetics=chosen, reps=12, seed=3)
    assert first.rows == second.rows
    assert first.to_dict()["synthetics"] == second.to_dict()["synthetics"]


def test_replicate_streams_differ_by_seed_name_and_index():
    draws = {key: replicate_rng(*key).standard_normal(4).tolist()
             for key in [(1, "a", 0), (2, "a", 0), (1, "b", 0), (1, "a", 1)]}
    assert len({tuple(v) for v in draws.values()}) == len(draws)
    assert replicate_rng(1, "a", 0).standard_normal(4).tolist() == draws[(1, "a", 0)]


def test_a_synthetic_does_not_depend_on_its_neighbours(oc, truths):
    # The same synthetic run alone gives exactly its counts in the full registry.
    alone = operating_characteristic(truths, synthetics=[SYNTHETICS["noise n^-0.1"]],
                                     reps=REPS, seed=SEED)
    assert alone.rows["noise n^-0.1"] == oc.rows["noise n^-0.1"]


def test_order_of_synthetics_does_not_matter(truths):
    chosen = [SYNTHETICS[n] for n in ("5% bias", "noise n^-0.1", "root-n noisy (SD tol)")]
    forward = operating_characteristic(truths, synthetics=chosen, reps=10, seed=2)
    backward = operating_characteristic(truths, synthetics=chosen[::-1], reps=10, seed=2)
    assert forward.rows == backward.rows


def test_counts_are_the_documented_replicates(truths):
    # Replicate k of synthetic name draws from replicate_rng(seed, name, k) and is judged by
    # replicate(): recounting by hand gives the same figures.
    name, reps, seed = "5% bias", 15, 9
    oc = operating_characteristic(truths, synthetics=[SYNTHETICS[name]], reps=reps, seed=seed)
    counts = dict.fromkeys((PASS, FAIL, INCONCLUSIVE), 0)
    for k in range(reps):
        _, _, outcome = replicate(SYNTHETICS[name], list(truths.values()), DEFAULT_SIZES,
                                  DEFAULT_SEEDS, Rules(), replicate_rng(seed, name, k))
        counts[outcome] += 1
    assert oc.rows[name].certificate == counts


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"noise_scale": "relative"},
    {"noise": -0.1},
    {"noise": math.inf},
    {"bias": math.nan},
    {"log_bias": math.inf},
    {"rate": math.nan},
    {"constant": "median"},
])
def test_synthetic_rejects_bad_fields(kwargs):
    with pytest.raises(ValueError):
        Synthetic("bad", **kwargs)


def test_synthetic_constant_mean_must_be_resolved():
    constant = SYNTHETICS["constant"]
    with pytest.raises(ValueError, match="resolve"):
        constant.draw(DEFAULT_SIZES, 2, 0.5, Rules(), np.random.default_rng(0))
    resolved = constant.resolved([0.2, 0.4])
    assert resolved.constant == pytest.approx(0.3)
    runs = resolved.draw(DEFAULT_SIZES, 2, 0.5, Rules(), np.random.default_rng(0))
    assert all(np.array_equal(r, [resolved.constant] * 2) for r in runs)
    assert SYNTHETICS["5% bias"].resolved([1.0]) is SYNTHETICS["5% bias"]


@pytest.mark.parametrize("kwargs", [
    {"truths": []},
    {"truths": {}},
    {"truths": [0.5, math.nan]},
    {"truths": {"a": math.inf}},
    {"truths": [0.5], "reps": 0},
    {"truths": [0.5], "seeds": 0},
    {"truths": [0.5], "sizes": (500, 250)},
    {"truths": [0.5], "sizes": (250, 250, 500)},
    {"truths": [0.5], "sizes": ()},
    {"truths": [0.5], "sizes": (1, 10)},
    {"truths": [0.5], "synthetics": [Synthetic("x"), Synthetic("x", bias=0.1)]},
])
def test_operating_characteristic_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        operating_characteristic(reps=kwargs.pop("reps", 1), **kwargs)


def test_unnamed_truths_are_named_by_value():
    oc = operating_characteristic([0.5, 2.0], synthetics=[SYNTHETICS["root-n unbiased"]],
                                  reps=2)
    assert list(oc.truths) == ["θ1=0.5", "θ2=2"]
    assert oc.scenario("root-n unbiased", "θ2=2").reps == 2


# --- output ----------------------------------------------------------------------------------


def test_to_dict_is_json(oc, truths):
    data = json.loads(json.dumps(oc.to_dict(), allow_nan=False))
    design = {"truths": truths, "sizes": list(DEFAULT_SIZES), "seeds": DEFAULT_SEEDS,
              "rules": asdict(Rules()), "reps": REPS, "seed": SEED}
    assert {key: data["design"][key] for key in design} == design
    assert list(data["synthetics"]) == list(SYNTHETICS)
    row = data["synthetics"]["root-n unbiased"]
    assert row["certificate"]["pass"]["count"] == oc.certified("root-n unbiased").count
    assert list(row["scenarios"]) == list(truths)
    assert set(row["rule_failed"]) == set(operating.RULES)
    assert data["synthetics"]["constant"]["certificate"]["pass"]["bound"] == pytest.approx(
        3 / REPS)


def test_table_names_every_synthetic_and_scenario(oc, truths):
    table = oc.table()
    for name, synthetic in SYNTHETICS.items():
        assert name in table
        assert synthetic.describe() in table
    for scenario in truths:
        assert scenario in table
    assert f"{REPS} simulated certificates" in table


def test_equal_truths_stay_separate_scenarios_and_empty_synthetics_are_refused():
    oc = operating_characteristic([0.5, 0.5], synthetics=[SYNTHETICS["constant"]], reps=2)
    assert len(oc.truths) == 2
    with pytest.raises(ValueError, match="synthetics is empty"):
        operating_characteristic([0.5], synthetics=[], reps=2)
    with pytest.raises(ValueError, match="constant must be finite"):
        Synthetic("x", constant=float("nan"))
