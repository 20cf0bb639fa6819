"""Sweeps on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1.

The same estimates as in this process, from the Python API (a ``distributed.Client``) and from
the command line (``--scheduler``); a worker killed mid-run loses nothing; GPU units are refused
on a cluster that offers no GPU.
"""

import json
import os
import signal
import sys
import textwrap

import pytest

pytest.importorskip("distributed")

from divergence_verify.estimators import make_estimator
from divergence_verify.verify import sweep
from divergence_verify.verify.executors import Workers, check_gpu_workers, dask_workers
from divergence_verify.verify.sweeps import plan_sweep, run_sweeps
from tests.verify._cluster import local_cluster

SCENARIO = "gauss2d-kl0.5"

SLOW = """
import time
import numpy as np

def slow(x_p, x_q):
    time.sleep(0.3)
    return float(np.mean(x_p) - np.mean(x_q))
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    modules = folder / "modules"
    modules.mkdir()
    (modules / "dvslow_cluster.py").write_text(textwrap.dedent(SLOW))
    sys.path.insert(0, str(modules))
    path = os.pathsep.join([str(modules), os.environ.get("PYTHONPATH", "")])
    try:
        with local_cluster(folder, workers=2, resources=("", "GPU=1"),
                           env={"PYTHONPATH": path}) as (address, client):
            yield address, client
    finally:
        sys.path.remove(str(modules))
        sys.modules.pop("dvslow_cluster", None)


def estimates(result):
    return [(r.n, r.seed, r.estimate) for r in result.records]


def test_a_cluster_gives_the_estimates_of_this_process(cluster):
    _, client = cluster
    jobs = [plan_sweep(est, SCENARIO, "kl", [200, 400], 3, cached=False)
            for est in (make_estimator("knn", divergence="kl"),
                        make_estimator("fgan", divergence="kl", device="cpu", steps=30))]
    on_cluster = run_sweeps(jobs, executor=client)
    here = run_sweeps(jobs)
    for a, b in zip(on_cluster, here, strict=True):
        assert estimates(a) == estimates(b)
        assert all(r.ok for r in a.records)


def test_the_command_line_runs_on_a_scheduler(cluster, tmp_path):
    from divergence_verify.verify.cli import main

    address, _ = cluster
    args = ["sweep", "--estimator", "knn", "--divergence", "kl", "--scenario", SCENARIO,
            "--sizes", "200", "400", "--seeds", "3", "--no-cache", "--quiet"]
    assert main([*args, "--scheduler", address, "--out", str(tmp_path / "dask")]) == 0
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "here")]) == 0
    dask, here = (json.loads((tmp_path / x / "sweep.json").read_text())[0]
                  for x in ("dask", "here"))
    assert [r["estimate"] for r in dask["records"]] == [r["estimate"] for r in here["records"]]


def test_a_worker_killed_mid_run_loses_nothing(cluster):
    import dvslow_cluster

    _, client = cluster
    pids = client.run(os.getpid)  # worker address -> pid of its worker process
    killed = []

    def kill_one(done, total, label):
        if done >= 2 and not killed:  # runs are in flight on both workers now
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    result = sweep(dvslow_cluster.slow, SCENARIO, "kl", [200, 400], 6, executor=client,
                   progress=kill_one)
    assert killed
    assert all(r.ok for r in result.records)
    assert estimates(result) == estimates(sweep(dvslow_cluster.slow, SCENARIO, "kl",
                                                [200, 400], 6))
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it, for the next tests


def test_gpu_units_need_a_worker_that_offers_a_gpu(cluster):
    _, client = cluster
    check_gpu_workers(dask_workers(client))  # the second worker was started with GPU=1

    class NoGpu:
        def scheduler_info(self):
            return {"workers": {"tcp://127.0.0.1:1": {"resources": {}}}}

    with pytest.raises(ValueError, match="--resources GPU=1"):
        check_gpu_workers(Workers(executor=None, client=NoGpu()))
