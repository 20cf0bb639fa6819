"""Sweeps: records, statistics, batching, and resumption from the on-disk cache (issue 4)."""

import importlib
import json
import math

import numpy as np
import pytest
import torch

from divergence_verify.estimators import make_estimator
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.fingerprint import code_identity
from divergence_verify.verify.scenarios import Scenario, get_scenario
from divergence_verify.verify.stats import fit_rate, size_stats
from divergence_verify.verify.sweeps import SweepResult, sweep
from tests.verify._estimators import gaussian_mle_kl

SIZES = [200, 400, 800]
SEEDS = [0, 1, 2, 3]


class Counting:
    """Wraps an estimator function, counts calls, and can simulate an interruption."""

    def __init__(self, interrupt_after=None):
        self.calls = 0
        self.interrupt_after = interrupt_after
        self.divergence = "kl"
        self.name = "counting-mle"

    def config(self):
        # The call counter and the interruption switch are test instruments, not settings: the
        # estimates are the same whatever they hold, so they stay out of the cache key.
        return {"name": self.name}

    def estimate(self, x_p, x_q):
        if self.interrupt_after is not None and self.calls >= self.interrupt_after:
            raise KeyboardInterrupt
        self.calls += 1
        return gaussian_mle_kl(x_p, x_q)


def test_sweep_records_every_size_and_seed_reproducibly():
    a = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", SIZES, SEEDS)
    b = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", SIZES, SEEDS)
    assert [(r.n, r.seed) for r in a.records] == [(n, s) for n in SIZES for s in SEEDS]
    assert [r.estimate for r in a.records] == [r.estimate for r in b.records]
    assert a.truth.value == pytest.approx(0.5, abs=1e-12)
    rows = a.per_size()
    assert [r.n for r in rows] == SIZES and all(r.runs == len(SEEDS) for r in rows)


def test_interrupted_sweep_resumes_from_cache(tmp_path):
    full = sweep(Counting(), "gauss2d-kl0.5", "kl", SIZES, SEEDS)
    first = Counting(interrupt_after=7)
    with pytest.raises(KeyboardInterrupt):
        sweep(first, "gauss2d-kl0.5", "kl", SIZES, SEEDS, cache=str(tmp_path))
    assert first.calls == 7
    assert len(list(tmp_path.rglob("*.json"))) == 7  # every finished run was stored at once
    second = Counting()
    resumed = sweep(second, "gauss2d-kl0.5", "kl", SIZES, SEEDS, cache=str(tmp_path))
    assert second.calls == len(SIZES) * len(SEEDS) - 7  # only the missing runs
    assert [r.estimate for r in resumed.records] == [r.estimate for r in full.records]
    third = Counting()
    sweep(third, "gauss2d-kl0.5", "kl", SIZES, SEEDS, cache=str(tmp_path))
    assert third.calls == 0  # everything is cached now


def test_batched_estimators_get_all_seeds_of_a_size_at_once():
    class Batched:
        divergence = "kl"
        name = "batched-mle"

        def __init__(self):
            self.batches = []

        def estimate(self, x_p, x_q):
            return gaussian_mle_kl(x_p, x_q)

        def estimate_many(self, x_p, x_q, seeds=None):
            self.batches.append((x_p.shape, list(seeds)))
            return np.array([gaussian_mle_kl(p, q) for p, q in zip(x_p, x_q, strict=True)])

    est = Batched()
    res = sweep(est, "gauss2d-kl0.5", "kl", SIZES, SEEDS)
    assert [b[1] for b in est.batches] == [SEEDS] * len(SIZES)
    # One batch per size (the largest first: long units start first on a pool of workers).
    assert sorted(b[0] for b in est.batches) == [(len(SEEDS), n, 2) for n in SIZES]
    one_by_one = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", SIZES, SEEDS)
    assert [r.estimate for r in res.records] == pytest.approx(
        [r.estimate for r in one_by_one.records], rel=1e-12)
    assert all(r.batched for r in res.records)


def test_failures_are_recorded_not_hidden():
    def broken(x_p, x_q):
        raise RuntimeError("critic diverged")

    res = sweep(broken, "gauss2d-kl0.5", "kl", [100, 200], 2)
    assert all(r.estimate is None and "critic diverged" in r.error for r in res.records)
    assert [s.failures for s in res.per_size()] == [2, 2]


def test_sweep_result_round_trips_through_json():
    res = sweep(gaussian_mle_kl, "gauss1d-scale", "kl", [100, 300], 3)
    data = json.loads(json.dumps(res.to_dict()))
    back = SweepResult.from_dict(data)
    assert back.records == res.records and back.truth == res.truth
    assert back.per_size() == res.per_size()


def test_sweep_rejects_bad_arguments():
    with pytest.raises(ValueError, match="sizes"):
        sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [1], 2)
    with pytest.raises(ValueError, match="seeds"):
        sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [100], 0)
    with pytest.raises(ValueError, match="infinite"):
        sweep(gaussian_mle_kl, "categorical-nested", "reverse_kl", [100], 2)


@pytest.mark.parametrize("make", [Counting, lambda: make_estimator("knn", divergence="kl")])
def test_sweep_refuses_an_estimator_of_another_divergence(make):
    # An estimator that declares KL must not be judged against the JS truth (nor relabelled).
    with pytest.raises(ValueError, match="estimates 'kl', not 'js'"):
        sweep(make(), "gauss2d-kl0.5", "js", [100], 2)


def test_size_stats_bias_interval_and_rmse():
    est = [0.9, 1.1, 1.0, 1.2]
    s = size_stats(100, est, truth=1.0, seconds=[0.1] * 4)
    assert s.bias == pytest.approx(0.05)
    assert s.rmse == pytest.approx(math.sqrt(np.mean((np.array(est) - 1.0) ** 2)))
    # Student t with 3 dof at 97.5%: 3.182; sd = 0.1291.
    assert s.bias_high - s.bias == pytest.approx(3.1824 * 0.129099 / 2, rel=1e-3)


def test_size_stats_of_one_run_has_an_unbounded_interval():
    # One run says nothing about its own spread: the interval is (-inf, inf), never NaN.
    s = size_stats(100, [1.3], truth=1.0, seconds=[0.1])
    assert s.runs == 1 and s.bias == pytest.approx(0.3) and math.isnan(s.sd)
    assert (s.bias_low, s.bias_high) == (-math.inf, math.inf)


def test_fit_rate_recovers_a_known_slope():
    n = np.array([100, 200, 400, 800])
    fit = fit_rate(n, 3.0 * n ** -0.5)
    assert fit.slope == pytest.approx(-0.5) and fit.stderr == pytest.approx(0.0, abs=1e-12)


def test_cache_ignores_a_corrupt_record(tmp_path):
    store = Cache(tmp_path)
    store.put("ab" * 32, {"x": 1})
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text("{truncated")
    assert store.get("ab" * 32) is None


# -- cache keys of a user's own estimator --------------------------------------------------------

def _cached_files(root):
    return len(list(root.rglob("*.json")))


def test_an_edited_module_does_not_reuse_the_old_functions_cached_runs(tmp_path, user_modules):
    # The calls are logged in another module, so the log is not part of the estimator's code.
    user_modules("calls_log", "CALLS = []\n")
    source = """
        import calls_log

        SCALE = {scale}

        def _value():
            return 0.18 * SCALE

        def my_kl(x_p, x_q):
            calls_log.CALLS.append(1)
            return _value()
    """
    user_modules("my_est", source.format(scale=1))
    import calls_log
    import my_est

    cache = tmp_path / "cache"
    first = sweep(my_est.my_kl, "gauss2d-kl0.5", "kl", [50, 100], 2, cache=cache)
    assert {r.estimate for r in first.records} == {0.18} and len(calls_log.CALLS) == 4
    again = sweep(my_est.my_kl, "gauss2d-kl0.5", "kl", [50, 100], 2, cache=cache)
    assert len(calls_log.CALLS) == 4  # unchanged code: every run comes from the cache
    assert again.records == first.records
    # Same module, same function name, but a helper's constant now differs: a new estimator.
    user_modules("my_est", source.format(scale=5))
    my_est = importlib.import_module("my_est")
    edited = sweep(my_est.my_kl, "gauss2d-kl0.5", "kl", [50, 100], 2, cache=cache)
    assert {r.estimate for r in edited.records} == {0.18 * 5} and len(calls_log.CALLS) == 8
    assert edited.config["code"]["module"] == first.config["code"]["module"] == "my_est"
    assert edited.config["code"]["qualname"] == "my_kl"


def test_a_builtin_estimator_is_keyed_by_its_config_a_users_subclass_by_its_code(user_modules):
    # The suite's own estimators live under divergence_verify.*: their code is identified by the
    # package's source hash (in every key), not fingerprinted. A user's subclass of one is.
    builtin = sweep(make_estimator("knn", divergence="kl"), "gauss2d-kl0.5", "kl", [50], 2)
    assert "code" not in builtin.config and builtin.config["kind"] == "knn"
    user_modules("my_knn", """
        from divergence_verify.estimators.knn import KNNEstimator

        class MyKNN(KNNEstimator):
            pass
    """)
    import my_knn

    mine = sweep(my_knn.MyKNN(divergence="kl"), "gauss2d-kl0.5", "kl", [50], 2)
    assert mine.config["code"]["module"] == "my_knn"


def test_functions_of_the_same_name_do_not_share_cached_runs(tmp_path):
    cache = tmp_path / "cache"
    low, high = (lambda x_p, x_q: 0.4), (lambda x_p, x_q: 0.6)  # both named "<lambda>"
    a = sweep(low, "gauss2d-kl0.5", "kl", [50], 2, cache=cache)
    b = sweep(high, "gauss2d-kl0.5", "kl", [50], 2, cache=cache)
    assert [r.estimate for r in a.records] == [0.4, 0.4]
    assert [r.estimate for r in b.records] == [0.6, 0.6]
    assert _cached_files(cache) == 4


def test_settings_of_a_class_are_part_of_the_cache_key(tmp_path, user_modules):
    # No config(): the settings are read from the object's attributes (and, from the command
    # line, also from CallableEstimator.settings).
    user_modules("scaled", """
        class Scaled:
            def __init__(self, factor=1.0):
                self.factor = factor

            def estimate(self, x_p, x_q):
                return 0.5 * self.factor
    """)
    from scaled import Scaled

    cache = tmp_path / "cache"
    one = sweep(Scaled(1.0), "gauss2d-kl0.5", "kl", [50], 2, cache=cache)
    two = sweep(Scaled(2.0), "gauss2d-kl0.5", "kl", [50], 2, cache=cache)
    assert [r.estimate for r in one.records] == [0.5, 0.5]
    assert [r.estimate for r in two.records] == [1.0, 1.0]
    assert code_identity(Scaled(1.0).estimate) == code_identity(Scaled(1.0).estimate)
    assert code_identity(Scaled(1.0).estimate) != code_identity(Scaled(3.0).estimate)


def test_an_estimator_without_readable_source_is_not_cached(tmp_path):
    namespace = {}
    exec("def typed_in_a_repl(x_p, x_q):\n    return 0.5\n", namespace)  # no source file
    fn = namespace["typed_in_a_repl"]
    assert code_identity(fn) is None
    with pytest.warns(UserWarning, match="not caching"):
        res = sweep(fn, "gauss2d-kl0.5", "kl", [50], 2, cache=tmp_path / "cache")
    assert [r.estimate for r in res.records] == [0.5, 0.5]
    assert _cached_files(tmp_path) == 0


def test_failed_runs_are_kept_in_the_result_but_retried_on_resume(tmp_path):
    class Flaky(Counting):
        """Fails (as a CUDA out-of-memory error would) while ``failing`` holds the seed."""

        def __init__(self, failing):
            super().__init__()
            self.failing = failing

        def estimate(self, x_p, x_q):
            if self.failing(x_p):
                raise RuntimeError("CUDA out of memory")
            return super().estimate(x_p, x_q)

    cache = tmp_path / "cache"
    first = Flaky(lambda x_p: x_p.shape[0] == 400)
    res = sweep(first, "gauss2d-kl0.5", "kl", SIZES, SEEDS, cache=cache)
    failed = [r for r in res.records if r.error]
    assert [r.n for r in failed] == [400] * len(SEEDS)
    assert all("CUDA out of memory" in r.error and r.estimate is None for r in failed)
    assert [s.failures for s in res.per_size()] == [0, len(SEEDS), 0]
    assert _cached_files(cache) == len(SIZES) * len(SEEDS) - len(SEEDS)  # failures not stored
    second = Flaky(lambda x_p: False)
    resumed = sweep(second, "gauss2d-kl0.5", "kl", SIZES, SEEDS, cache=cache)
    assert second.calls == len(SEEDS)  # only the failed runs are recomputed
    assert all(r.ok for r in resumed.records)


def test_a_failure_cached_by_an_older_version_is_retried(tmp_path):
    cache = Cache(tmp_path)
    sweep(Counting(), "gauss2d-kl0.5", "kl", [100], [0], cache=cache)
    (path,) = tmp_path.rglob("*.json")
    path.write_text(json.dumps({"n": 100, "seed": 0, "estimate": None, "seconds": 0.0,
                                "error": "RuntimeError: CUDA out of memory"}))
    est = Counting()
    res = sweep(est, "gauss2d-kl0.5", "kl", [100], [0], cache=cache)
    assert est.calls == 1 and res.records[0].ok


# -- where the samples are made ------------------------------------------------------------------

def _record_sample_devices(monkeypatch):
    seen = []
    original = Scenario.sample

    def sample(self, n, seed, device=None, members=None):
        seen.append(device)
        return original(self, n, seed, device=device, members=members)

    monkeypatch.setattr(Scenario, "sample", sample)
    return seen


TINY_NEURAL = {"steps": 40, "eval_every": 20, "hidden": (8,), "batch_size": 64}


def test_neural_estimates_on_the_cpu_use_the_numpy_samples_as_before(monkeypatch):
    # On the CPU the data stays float64 numpy (not float32 tensors), so a sweep gives exactly
    # what the estimator gives on Scenario.sample's arrays.
    seen = _record_sample_devices(monkeypatch)
    est = make_estimator("fgan", divergence="kl", device="cpu", **TINY_NEURAL)
    res = sweep(est, "gauss2d-kl0.5", "kl", [64], [0, 1])
    assert seen == [None, None] and res.device == "cpu"
    scen = get_scenario("gauss2d-kl0.5")
    pairs = [scen.sample(64, s) for s in (0, 1)]
    direct = est.estimate_many(np.stack([p for p, _ in pairs]), np.stack([q for _, q in pairs]),
                               seeds=[0, 1])
    assert [r.estimate for r in res.records] == direct.tolist()


def test_classical_estimators_get_numpy_samples(monkeypatch):
    seen = _record_sample_devices(monkeypatch)
    sweep(make_estimator("knn", divergence="kl"), "gauss2d-kl0.5", "kl", [64], [0, 1])
    assert seen == [None, None]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_neural_estimators_on_a_gpu_get_samples_made_there(monkeypatch, tmp_path):
    seen = _record_sample_devices(monkeypatch)
    est = make_estimator("fgan", divergence="kl", device="auto", **TINY_NEURAL)
    res = sweep(est, "gauss2d-kl0.5", "kl", [64], [0, 1], cache=tmp_path)
    assert seen == ["cuda", "cuda"] and res.device == "cuda"
    assert all(r.ok and r.batched for r in res.records)
    one = sweep(est, "gauss2d-kl0.5", "kl", [64], [0], batched=False)  # the one-by-one path
    assert one.records[0].ok and seen[-1] == "cuda"
    # Float32 samples made on the device are other data than float64 ones: never keyed like
    # the CPU's runs (the key holds sample_device, and the configured device differs too).
    cpu = make_estimator("fgan", divergence="kl", device="cpu", **TINY_NEURAL)
    sweep(cpu, "gauss2d-kl0.5", "kl", [64], [0, 1], cache=tmp_path)
    assert _cached_files(tmp_path) == 4


def test_editing_a_helper_module_changes_the_identity(user_modules):
    # The estimator reaches its helper through a module attribute (helpers.scale()), not a
    # global function: the helper's file is part of the identity.
    user_modules("helpers", "def scale():\n    return 1.0\n")
    user_modules("uses_helpers", """
        import helpers

        def my_kl(x_p, x_q):
            return 0.5 * helpers.scale()
    """)
    import uses_helpers

    before = code_identity(uses_helpers.my_kl)
    user_modules("helpers", "def scale():\n    return 2.0\n")
    importlib.import_module("helpers")
    assert code_identity(uses_helpers.my_kl) != before
