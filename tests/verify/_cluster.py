"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: a scheduler and worker processes.

Each is a separate ``python -m distributed.cli...`` process, as a user starts them; the caller
gets the scheduler's address and a connected client, and everything is stopped on exit.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _wait_for(path: Path, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
    raise TimeoutError(f"the Dask scheduler did not write {path} in {timeout} s")


@contextlib.contextmanager
def local_cluster(folder, workers=2, resources=(), env=None, timeout=120.0):
    """Start a scheduler and ``workers`` worker processes of one thread; yield (address, client).

    ``resources[i]`` is the ``--resources`` text of worker i (e.g. ``"GPU=1"``); ``env`` is added
    to the workers' environment. Workers run under a nanny, which restarts a worker process that
    dies.
    """
    from distributed import Client

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    procs = []
    child_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            cwd=folder, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = _wait_for(scheduler_file, timeout)["address"]
        for i in range(workers):
            extra = ["--resources", resources[i]] if i < len(resources) and resources[i] else []
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1",
                 "--local-directory", str(folder / f"worker{i}"), *extra],
                cwd=folder, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        client = Client(address, timeout=timeout)
        try:
            client.wait_for_workers(workers, timeout=timeout)
            yield address, client
        finally:
            client.close()
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
