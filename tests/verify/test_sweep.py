"""Sweeps: records, statistics, batching, and resumption from the on-disk cache (issue 4)."""

import json
import math

import numpy as np
import pytest

from estimators import make_estimator
from tests.verify._estimators import gaussian_mle_kl
from verify import cache as cache_module
from verify.cache import Cache, write_json_atomic
from verify.stats import fit_rate, size_stats
from verify.sweeps import SweepResult, sweep

SIZES = [200, 400, 800]
SEEDS = [0, 1, 2, 3]


class Counting:
    """Wraps an estimator function, counts calls, and can simulate an interruption."""

    def __init__(self, interrupt_after=None):
        self.calls = 0
        self.interrupt_after = interrupt_after
        self.divergence = "kl"
        self.name = "counting-mle"

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
    assert est.batches[0][0] == (len(SEEDS), SIZES[0], 2)
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


def test_fit_rate_recovers_a_known_slope():
    n = np.array([100, 200, 400, 800])
    fit = fit_rate(n, 3.0 * n ** -0.5)
    assert fit.slope == pytest.approx(-0.5) and fit.stderr == pytest.approx(0.0, abs=1e-12)


def test_atomic_write_leaves_old_file_on_crash(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    write_json_atomic(path, {"a": 1})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache_module.json, "dump", boom)
    with pytest.raises(OSError):
        write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_cache_ignores_a_corrupt_record(tmp_path):
    store = Cache(tmp_path)
    store.put("ab" * 32, {"x": 1})
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text("{truncated")
    assert store.get("ab" * 32) is None
