"""Executors: identical results on every executor, claims shared through the cache, progress,
and a worker process that dies mid-run."""

import concurrent.futures as cf
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict

import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify import certify, sweep
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.executors import (
    WORKERS_ENV,
    InlineExecutor,
    Workers,
    default_workers,
    workers_for,
)
from divergence_verify.verify.progress import CACHED_LABEL
from divergence_verify.verify.sweeps import plan_sweep, run_sweeps
from divergence_verify.verify.units import Record, Unit

SCENARIO = "gauss2d-kl0.5"

# A user's estimator in its own module: slow enough that runs overlap, logging each call (pid and
# size) to $DV_LOG, and killing its worker process where $DV_CRASH says (once per marker file,
# or always).
SLOW = """
import os, time
import numpy as np

def slow(x_p, x_q):
    time.sleep(float(os.environ.get("DV_SLEEP", "0.05")))
    crash = os.environ.get("DV_CRASH")
    if crash and x_p.shape[0] == 400:
        if crash == "always":
            os._exit(1)
        try:
            os.close(os.open(crash, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            os._exit(1)  # the first run at n = 400 kills its worker process
        except FileExistsError:
            pass
    log = os.environ.get("DV_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {x_p.shape[0]}\\n")
    return float(np.mean(x_p) - np.mean(x_q))
"""


def estimates(result):
    return [(r.n, r.seed, r.estimate) for r in result.records]


@pytest.fixture
def slow_module(user_modules):
    user_modules("dvslow", SLOW)
    import dvslow

    return dvslow


def test_every_executor_gives_bit_identical_estimates():
    knn = make_estimator("knn", divergence="kl")
    fgan = make_estimator("fgan", divergence="kl", device="cpu", steps=30)

    def jobs():
        return [plan_sweep(est, SCENARIO, "kl", [200, 400], 3, cached=False)
                for est in (knn, fgan)]

    inline = run_sweeps(jobs())
    pooled = run_sweeps(jobs(), executor=2)
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as mine:
        theirs = run_sweeps(jobs(), executor=mine)
    for a, b, c in zip(inline, pooled, theirs, strict=True):
        assert estimates(a) == estimates(b) == estimates(c)
        assert all(r.ok for r in a.records)


BUDGET = """
from divergence_verify.estimators.threads import query_workers

def budget(x_p, x_q):
    return float(query_workers())
"""


def test_pool_workers_get_one_query_thread_and_this_process_every_core(user_modules):
    # kNN's neighbour queries take the unit's budget: every core in this process, one per pool
    # worker (two workers on two cores each starting two query threads oversubscribed them).
    user_modules("dvbudget", BUDGET)
    import dvbudget

    def job():
        return [plan_sweep(dvbudget.budget, SCENARIO, "kl", [20], 2, cached=False)]

    (inline,) = run_sweeps(job())
    (pooled,) = run_sweeps(job(), executor=2)
    assert [r.estimate for r in inline.records] == [-1.0, -1.0]
    assert [r.estimate for r in pooled.records] == [1.0, 1.0]


def test_workers_for_accepts_counts_executors_and_refuses_the_rest():
    assert workers_for(None).inline and workers_for(1).inline
    pool = workers_for(3)
    assert pool.owned and pool.capacity == 6 and not pool.inline
    pool.close()
    with cf.ThreadPoolExecutor(4) as threads:
        given = workers_for(threads)
        assert given.executor is threads and given.capacity == 8 and not given.owned
    with pytest.raises(ValueError, match="at least 1"):
        workers_for(0)
    with pytest.raises(TypeError, match="executor must be"):
        workers_for("two")


def test_default_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert default_workers() == 3
    monkeypatch.delenv(WORKERS_ENV)
    assert default_workers() >= 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=WORKERS_ENV):
            default_workers()


def test_gpu_units_go_to_the_gpu_executor():
    class Named(InlineExecutor):
        def __init__(self):
            self.calls = 0

        def submit(self, fn, /, *args, **kwargs):
            self.calls += 1
            return super().submit(fn, *args, **kwargs)

    cpu, gpu = Named(), Named()
    workers = Workers(cpu, gpu_executor=gpu)
    scen = plan_sweep(lambda x, y: 0.0, SCENARIO, "kl", [10, 20], 1, cached=False).scenario
    est = plan_sweep(lambda x, y: 0.0, SCENARIO, "kl", [10, 20], 1, cached=False).estimator
    workers.submit(Unit(est, scen, 10, (0,), gpu=False)).result()
    workers.submit(Unit(est, scen, 10, (0,), gpu=True)).result()
    assert (cpu.calls, gpu.calls) == (1, 1)


def test_one_progress_bar_over_every_scenario_of_a_certificate():
    calls = []
    cert = certify(make_estimator("knn", divergence="kl"), "kl",
                   scenarios=["gauss2d-kl0.5", "gauss1d-scale"], sizes=[100, 400, 1600, 6400],
                   seeds=4, progress=lambda done, total, label: calls.append((done, total)))
    total = 2 * 4 * 4
    assert {t for _, t in calls} == {total}  # one bar, never restarted per scenario
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[-1] == total and len(dones) == total
    assert len(cert.verdicts) == 2


def test_cached_runs_are_counted_first_and_not_recomputed(tmp_path, slow_module):
    sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 2, cache=tmp_path)
    calls = []
    again = sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 2, cache=tmp_path,
                  progress=lambda *call: calls.append(call))
    assert calls == [(4, 4, CACHED_LABEL)]
    assert again.cached_runs == 4


def test_a_killed_worker_is_replaced_and_nothing_is_lost(tmp_path, slow_module, monkeypatch):
    monkeypatch.setenv("DV_CRASH", str(tmp_path / "crashed"))
    result = sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 4, executor=2)
    assert (tmp_path / "crashed").exists()  # a worker process did die mid-run
    assert all(r.ok for r in result.records)
    monkeypatch.delenv("DV_CRASH")
    assert estimates(result) == estimates(sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 4))


def test_a_unit_that_always_kills_its_worker_fails_alone(slow_module, monkeypatch):
    monkeypatch.setenv("DV_CRASH", "always")
    result = sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 2, executor=2)
    by_size = {n: [r for r in result.records if r.n == n] for n in (200, 400)}
    assert all(r.ok for r in by_size[200])  # innocent units lost with the pool were rerun
    assert all(not r.ok and "killed its worker process 2 times" in r.error
               for r in by_size[400])


def _key(est, n, seed):
    return plan_sweep(est, SCENARIO, "kl", [200, 400], 2).key(n, seed)


def test_a_run_claimed_by_a_crashed_process_is_taken_over(tmp_path, slow_module):
    key = _key(slow_module.slow, 200, 0)
    other = Cache(tmp_path)
    assert other.claim(key)
    claim = next(tmp_path.rglob("*.claim"))
    old = time.time() - 3600  # its owner stopped refreshing it an hour ago
    os.utime(claim, (old, old))
    result = sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 2, cache=tmp_path)
    assert all(r.ok for r in result.records)
    assert not list(tmp_path.rglob("*.claim"))  # every claim released


def test_a_live_claim_is_waited_for_and_its_record_read(tmp_path, slow_module, monkeypatch):
    log = tmp_path / "calls.log"
    monkeypatch.setenv("DV_LOG", str(log))
    key = _key(slow_module.slow, 400, 1)
    other = Cache(tmp_path)
    assert other.claim(key)

    def finish_later():
        time.sleep(1.0)
        other.put(key, asdict(Record(400, 1, 123.0, 0.5)))

    thread = threading.Thread(target=finish_later)
    thread.start()
    result = sweep(slow_module.slow, SCENARIO, "kl", [200, 400], 2, cache=tmp_path)
    thread.join()
    assert [r.estimate for r in result.records if (r.n, r.seed) == (400, 1)] == [123.0]
    assert len(log.read_text().splitlines()) == 3  # the claimed run was not computed here


def test_two_processes_on_one_cache_share_the_runs(tmp_path, slow_module, monkeypatch):
    log = tmp_path / "calls.log"
    folder = os.path.dirname(slow_module.__file__)
    env = {**os.environ, "DV_LOG": str(log), "DV_SLEEP": "0.3",
           "PYTHONPATH": os.pathsep.join([folder, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "divergence_verify", "sweep", "--estimator", "dvslow:slow",
               "--divergence", "kl", "--scenario", SCENARIO, "--sizes", "200", "400",
               "--seeds", "6", "--workers", "1", "--cache", str(tmp_path / "cache"), "--quiet"]
    procs = [subprocess.Popen([*command, "--out", str(tmp_path / f"out{i}")], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    calls = log.read_text().splitlines()
    assert len(calls) == 12  # every run computed once, by one process or the other
    outs = [json.loads((tmp_path / f"out{i}" / "sweep.json").read_text()) for i in range(2)]
    assert [r["estimate"] for r in outs[0][0]["records"]] == \
        [r["estimate"] for r in outs[1][0]["records"]]
    assert not list((tmp_path / "cache").rglob("*.claim"))


def test_cli_workers_and_scheduler_options(tmp_path, capsys):
    from divergence_verify.verify.cli import main

    base = ["sweep", "--estimator", "knn", "--divergence", "kl", "--scenario", SCENARIO,
            "--sizes", "200", "400", "--seeds", "2", "--no-cache", "--quiet"]
    assert main([*base, "--workers", "0", "--out", str(tmp_path / "a")]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main([*base, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1",
                 "--out", str(tmp_path / "b")]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main([*base, "--workers", "2", "--out", str(tmp_path / "c")]) == 0
    assert main([*base, "--workers", "1", "--out", str(tmp_path / "d")]) == 0
    two, one = (json.loads((tmp_path / x / "sweep.json").read_text())[0] for x in "cd")
    assert [r["estimate"] for r in two["records"]] == [r["estimate"] for r in one["records"]]
