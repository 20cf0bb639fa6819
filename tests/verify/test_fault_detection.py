"""Tests that turn red when a rule of the suite breaks (issue 11, item 6).

Each section names the fault it catches; every one was planted by hand in ``verify/`` or
``estimators/`` and turned these tests red (and the rest of the suite had stayed green):

1. **A setting missing from a built-in estimator's cache key.** ``knn`` with ``k=5`` served the
   cached runs of ``k=1``. Every setting of every built-in kind, moved off its default to another
   valid value, must change the key a sweep stores its runs under; and a sweep of ``k=5`` after
   one of ``k=1`` on the same cache must compute every run afresh.
2. **The one-by-one path not reseeding the estimator** (each run used the estimator's own seed,
   not the run's): it then disagrees with the batched path and with a sweep resumed from a
   cache. Per seed, one-by-one and batched estimates of a neural estimator agree to float32
   round-off (the promise of ``NeuralEstimator.estimate_many``); the one-by-one path is
   bit-identical run twice, resumed after records are deleted, and whichever other seeds ran.
3. **P and Q drawn from one random stream** (correlation 1 between the two sides), and samples
   of one seed at two sizes being prefixes of one stream, or two seeds aliasing: on scenarios
   where P and Q are translates, the centred samples of the two sides, of two sizes and of two
   seeds are uncorrelated within a bound of stated false-alarm rate.
4. **The ``runs`` rule ignoring an estimator object's infinite or NaN results** (objects with
   ``estimate``, complete estimator objects, and ones with ``estimate_many``, not only plain
   functions): such an estimator must not be certified, and its ``runs`` rule must fail.
5. **A slope standard error of 0 from two sizes** (least squares through two points has no
   residual degrees of freedom, so its "stderr" is 0, not a measurement): ``fit_rate`` gives NaN
   there, ``design_slope_se`` gives infinity for a single size, and both are finite and positive
   from three sizes.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from divergence_verify.estimators import ESTIMATORS, make_estimator
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.certificates import certify, design_slope_se, predicted_slope_se
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.stats import fit_rate
from divergence_verify.verify.sweeps import plan_sweep, sweep
from tests.verify._estimators import gaussian_mle_kl

# --------------------------------------------------------------------------------------------
# 1. every setting of a built-in estimator is part of its cache key

# For each built-in kind, every setting (a keyword of its factory) with a valid value other than
# its default. ``divergence`` is keyed on its own; ``seed`` is replaced by each run's seed (the
# key holds that); ``progress`` is a callback that changes no estimate.
NOT_SETTINGS = {"divergence", "seed", "progress"}
NEURAL = {
    "device": "cpu", "hidden": (16, 16), "activation": "relu", "lr": 3e-3, "batch_size": 128,
    "steps": 500, "eval_every": 10, "patience": None, "grad_clip": None, "weight_decay": 0.5,
    "holdout": 0.3, "folds": 2, "standardize": False, "preprocess": "standard",
}
OTHER_VALUES: dict[str, dict[str, object]] = {
    "classifier": {"train_fraction": 0.7, "features": "linear", "l2": 0.1, "expectation": "p",
                   "max_iter": 200, "preprocess": "standard"},
    "empirical_w1": {"max_points": 100},
    "knn": {"k": 5, "k_cross": 3, "preprocess": "none"},
    "plugin": {"pseudo_count": 0.5, "bias_correction": True},
    "fgan": {**NEURAL, "bound": "dv", "output_bound": 10.0, "critic": "direct"},
    "dv": {**NEURAL, "ma_rate": 0.01, "output_bound": None},
    "nwj": {**NEURAL, "output_bound": 10.0},
    "ratio_critic": {**NEURAL, "form": "bound", "expectation": "q", "output_bound": 20.0,
                     "base": "none", "bridges": 2},
    "w1_critic": {**NEURAL, "steps": 700, "weight_decay": 0.5, "lipschitz": "clip",
                  "gp_weight": 10.0, "clip_value": 0.05, "gp_one_sided": False},
}


def _settings(kind: str) -> dict[str, object]:
    """The settings of ``kind`` with their defaults (its factory's keywords)."""
    params = inspect.signature(ESTIMATORS[kind].factory).parameters
    return {name: p.default for name, p in params.items() if name not in NOT_SETTINGS}


def _run_key(kind: str, **settings: object) -> str:
    """The cache key a sweep stores the run (n = 64, seed 0) of ``kind`` with ``settings`` under."""
    divergence = ESTIMATORS[kind].divergences[0]
    scenario = "gauss2d-kl0.5" if divergence == "kl" else "translate2d"
    est = make_estimator(kind, divergence=divergence, **settings)
    return plan_sweep(est, scenario, divergence, [64], [0]).key(64, 0)


def test_every_builtin_kind_is_covered():
    assert set(OTHER_VALUES) == set(ESTIMATORS)


@pytest.mark.parametrize("kind", sorted(OTHER_VALUES))
def test_every_setting_of_a_builtin_estimator_changes_its_cache_key(kind):
    defaults = _settings(kind)
    # A new setting must be given another value here, so that it is checked too.
    assert set(OTHER_VALUES[kind]) == set(defaults), "list every setting of the kind"
    base = _run_key(kind)
    for name, value in OTHER_VALUES[kind].items():
        assert value != defaults[name], (kind, name)
        assert _run_key(kind, **{name: value}) != base, f"{kind}: {name}={value!r} not keyed"
    assert _run_key(kind) == base  # and the key is a function of the settings alone


def test_knn_k5_does_not_reuse_the_cached_runs_of_k1(tmp_path):
    cache = Cache(tmp_path / "cache")
    args = ("gauss2d-kl0.5", "kl", [100, 200], [0, 1, 2])
    k1 = sweep(make_estimator("knn", divergence="kl", k=1), *args, cache=cache)
    k5 = sweep(make_estimator("knn", divergence="kl", k=5), *args, cache=cache)
    assert k1.cached_runs == 0 and k5.cached_runs == 0
    assert all(r.ok for r in k1.records + k5.records)
    assert all(a.estimate != b.estimate for a, b in zip(k1.records, k5.records, strict=True))
    again = sweep(make_estimator("knn", divergence="kl", k=1), *args, cache=cache)
    assert again.cached_runs == len(k1.records)  # the cache does serve the same settings
    assert [r.estimate for r in again.records] == [r.estimate for r in k1.records]


# --------------------------------------------------------------------------------------------
# 2. every run of the one-by-one path is seeded with its own seed

TINY_FGAN = {"device": "cpu", "steps": 30, "eval_every": 10, "hidden": (8,), "batch_size": 32}
SEEDS = [3, 7, 11]  # not 0, 1, 2: a default seeds=range(E) would match those by chance
N = 64


def _fgan():
    return make_estimator("fgan", divergence="kl", **TINY_FGAN)


def _estimates(result) -> dict[int, float]:
    assert all(r.ok for r in result.records), [r.error for r in result.records]
    return {r.seed: r.estimate for r in result.records}


def _record_path(cache: Cache, seed: int) -> Path:
    key = plan_sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS).key(N, seed)
    return Path(cache.root) / key[:2] / f"{key}.json"  # the cache's layout, root/ab/<key>.json


@pytest.fixture(scope="module")
def one_by_one():
    return _estimates(sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, batched=False))


def test_one_by_one_runs_match_the_batched_ensemble(one_by_one):
    batched = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, batched=True)
    assert all(r.batched for r in batched.records)
    # The same arithmetic per member; only the batched matmul's float32 round-off may differ
    # (tests/estimators/test_neural.py measured at most 3e-6). A run seeded otherwise trains
    # another critic on another split: a difference of order 0.01 or more.
    got = _estimates(batched)
    assert list(got) == SEEDS
    np.testing.assert_allclose([got[s] for s in SEEDS], [one_by_one[s] for s in SEEDS],
                               rtol=0, atol=1e-4)
    assert len(set(one_by_one.values())) == len(SEEDS)


def test_one_by_one_runs_are_reproducible_and_do_not_depend_on_the_other_seeds(one_by_one):
    again = _estimates(sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, batched=False))
    assert again == one_by_one
    for seed in SEEDS:
        alone = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], [seed], batched=False)
        assert _estimates(alone) == {seed: one_by_one[seed]}
    reordered = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS[::-1], batched=False)
    assert _estimates(reordered) == one_by_one


@pytest.mark.parametrize("batched", [False, True])
def test_a_sweep_resumed_after_records_were_deleted_gives_the_same_estimates(
        tmp_path, one_by_one, batched):
    cache = Cache(tmp_path / "cache")
    first = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, cache=cache, batched=batched)
    for seed in SEEDS[1:]:
        _record_path(cache, seed).unlink()
    resumed = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, cache=cache, batched=batched)
    assert resumed.cached_runs == 1
    assert _estimates(resumed) == _estimates(first)  # the cached seed and the recomputed ones
    _record_path(cache, SEEDS[0]).unlink()
    _record_path(cache, SEEDS[2]).unlink()
    # Recomputed alone, where the batched path runs the one-by-one one.
    alone = sweep(_fgan(), "gauss2d-kl0.5", "kl", [N], SEEDS, cache=cache, batched=batched)
    assert alone.cached_runs == 1
    if batched:
        np.testing.assert_allclose([_estimates(alone)[s] for s in SEEDS],
                                   [one_by_one[s] for s in SEEDS], rtol=0, atol=1e-4)
    else:
        assert _estimates(alone) == one_by_one


# --------------------------------------------------------------------------------------------
# 3. the two sides, two sizes and two seeds are independent draws

ALPHA = 1e-6  # false-alarm rate of the whole test of one scenario (Bonferroni over its pairs)
BIG = 20_000


def _max_abs_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |Pearson r| between a coordinate of ``a`` and one of ``b`` (paired rows)."""
    d = a.shape[1]
    r = np.corrcoef(a, b, rowvar=False)[:d, d:]
    return float(np.abs(r).max())


def _bound(n: int, pairs: int) -> float:
    # Under independence sqrt(n) r is asymptotically N(0, 1), so |r| > z_{1 - alpha/2} / sqrt(n)
    # has probability alpha; each of the ``pairs`` correlations is tested at ALPHA / pairs.
    return float(stats.norm.isf(ALPHA / pairs / 2)) / math.sqrt(n)


@pytest.mark.parametrize("name", ["translate2d", "gauss1d-shift", "ladder-kl1", "ladder-kl0.1"])
def test_the_two_sides_are_independent(name):
    scen = get_scenario(name)
    x_p, x_q = scen.sample(BIG, 5)
    # Correlation centres each side by its own mean; a shared stream gives r = 1 here.
    pairs = scen.dim ** 2
    assert _max_abs_correlation(x_p, x_q) <= _bound(BIG, pairs)
    x_p, x_q = scen.sample(BIG, 6, members=2)  # the stacked draws of an ensemble too
    assert _max_abs_correlation(x_p[1], x_q[1]) <= _bound(BIG, pairs)


@pytest.mark.parametrize("name", ["translate2d", "ladder-kl1"])
def test_sizes_and_seeds_draw_independent_samples(name):
    scen = get_scenario(name)
    pairs = scen.dim ** 2
    big_p, big_q = scen.sample(BIG, 5)
    for other in (scen.sample(BIG // 2, 5), scen.sample(BIG + 1, 5)):  # not a prefix, nor longer
        m = min(BIG, other[0].shape[0])
        for a, b in ((big_p, other[0]), (big_q, other[1])):
            assert not np.array_equal(a[:10], b[:10])
            assert _max_abs_correlation(a[:m], b[:m]) <= _bound(m, pairs)
    next_p, next_q = scen.sample(BIG, 6)
    assert _max_abs_correlation(big_p, next_p) <= _bound(BIG, pairs)
    assert _max_abs_correlation(big_q, next_q) <= _bound(BIG, pairs)
    # (seed, n) and (seed + 1, n - 1) must not alias (a key like seed + n would).
    shifted_p, _ = scen.sample(BIG - 1, 6)
    assert _max_abs_correlation(big_p[: BIG - 1], shifted_p) <= _bound(BIG - 1, pairs)


# --------------------------------------------------------------------------------------------
# 4. the runs rule counts the infinite and NaN results of estimator objects

SIZES = (250, 500, 1000, 2000, 4000)
BAD_SIZE = 500  # 8 of the 40 runs (8 seeds x 5 sizes) go bad


class EstimateOnly:
    """An object with ``estimate`` only (wrapped by ``as_estimator``)."""

    def __init__(self, bad: float):
        self.bad = bad

    def estimate(self, x_p, x_q):
        return self.bad if x_p.shape[0] == BAD_SIZE else gaussian_mle_kl(x_p, x_q)


class Complete(EstimateOnly):
    """A complete estimator object (``name``, ``divergence``): used as it is, not wrapped."""

    divergence = "kl"

    @property
    def name(self):
        return f"complete-{self.bad}"


class Ensemble(Complete):
    """An estimator with its own ``estimate_many``: a sweep runs its seeds as one batch."""

    def estimate_many(self, x_p, x_q, seeds=None):
        return np.array([self.estimate(p, q) for p, q in zip(x_p, x_q, strict=True)])


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize("cls", [EstimateOnly, Complete, Ensemble])
def test_non_finite_results_of_an_estimator_object_fail_the_runs_rule(cls, bad):
    cert = certify(cls(bad), "kl", scenarios=["gauss2d-kl0.5"], sizes=SIZES, seeds=8)
    assert not cert.passed
    runs = [r for v in cert.verdicts for r in v.rules if r.rule == "runs"]
    assert runs and not any(r.passed for r in runs)


def test_the_same_object_with_finite_results_passes_the_runs_rule():
    # The control: the failure above is the non-finite runs', not the objects' protocol.
    class Fine(Ensemble):
        def estimate(self, x_p, x_q):
            return gaussian_mle_kl(x_p, x_q)

    cert = certify(Fine(0.0), "kl", scenarios=["gauss2d-kl0.5"], sizes=SIZES, seeds=8)
    runs = [r for v in cert.verdicts for r in v.rules if r.rule == "runs"]
    assert runs and all(r.passed for r in runs)


# --------------------------------------------------------------------------------------------
# 5. a slope's standard error is unknown, not 0, where the design cannot measure it

def test_two_sizes_give_a_slope_with_unknown_standard_error():
    fit = fit_rate([100, 1000], [0.1, 0.03])
    assert fit.slope == pytest.approx(math.log10(0.3))
    assert math.isnan(fit.stderr)
    # A size whose RMSE is unusable leaves two: unknown again.
    assert math.isnan(fit_rate([100, 1000, 10_000], [0.1, 0.03, math.nan]).stderr)
    assert math.isnan(fit_rate([100], [0.1]).stderr)


def test_three_sizes_give_a_finite_positive_standard_error():
    fit = fit_rate([100, 1000, 10_000], [0.1, 0.03, 0.011])
    assert math.isfinite(fit.stderr) and fit.stderr > 0


@pytest.fixture(scope="module")
def mle_sweep():
    return sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [100, 200, 400], 3)


def test_one_size_has_an_infinite_design_slope_se():
    result = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [100], 3)
    assert design_slope_se(result) == math.inf
    assert math.isnan(result.rate().stderr)
    assert predicted_slope_se([100, 100], 8) == math.inf  # one distinct size: no slope to fit


def test_two_sizes_have_no_fitted_stderr_but_a_finite_design_slope_se(mle_sweep):
    two = dataclasses.replace(mle_sweep, records=[r for r in mle_sweep.records if r.n < 400])
    assert two.sizes == [100, 200]
    assert math.isnan(two.rate().stderr)
    se = design_slope_se(two)
    assert math.isfinite(se) and se > 0


def test_three_sizes_have_finite_positive_slope_standard_errors(mle_sweep):
    assert mle_sweep.sizes == [100, 200, 400]
    se = design_slope_se(mle_sweep)
    assert math.isfinite(se) and se > 0
    stderr = mle_sweep.rate().stderr
    assert math.isfinite(stderr) and stderr > 0
    assert design_slope_se(mle_sweep) < design_slope_se(
        dataclasses.replace(mle_sweep, records=[r for r in mle_sweep.records if r.n < 400]))
