"""What the executor layer buys and costs: workers on the default report, Dask, per-unit overhead.

A script, not a timed unit test (timings depend on the machine and its load)::

    .venv/bin/python benchmarks/bench_executors.py [--preset default] [--skip-report]

It measures, in one run so that the ratios share the machine's state:

1. the report preset (``--preset``, default ``default``) from the command line with
   ``--workers 1`` and ``--workers 2``, no cache, and whether every estimate is identical
   (issue 13: at most 0.6x the wall time with two workers on a 2-core machine);
2. a CPU-bound sweep (kNN KL in 10 dimensions, 24 runs at n = 16000) on a real Dask cluster of two
   worker processes on 127.0.0.1, once restricted to one worker and once on both (issue 13:
   at most 0.65x);
3. the executor's own overhead per work unit: 400 units whose estimator returns at once, in
   this process, on a local pool of two processes and on the Dask cluster, as wall time per unit
   (issue 13: at most 20 ms).

Each timing is the median of ``--repeats`` runs (default 1 for the report, 3 for the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.verify._cluster, the tests' real Dask cluster


def trivial(x_p, x_q) -> float:
    """An estimator that costs nothing: what remains of a unit's time is the executor's."""
    return 0.0


def _report(preset: str, workers: int, folder: Path) -> tuple[float, list[float]]:
    command = [sys.executable, "-m", "divergence_verify", "report", "--preset", preset,
               "--workers", str(workers), "--no-cache", "--quiet", "--out-root", str(folder),
               "--name", f"w{workers}", "--device", "cpu"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - start
    data = json.loads((folder / f"w{workers}" / "results.json").read_text())
    values = [r["estimate"] for part in ("sweeps", "ladder", "envelope") for s in data[part]
              for r in s["records"]]
    return wall, values


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()

    from divergence_verify.estimators import make_estimator
    from divergence_verify.verify.executors import Workers, dask_workers, workers_for
    from divergence_verify.verify.sweeps import plan_sweep, run_sweeps
    from tests.verify._cluster import local_cluster

    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_report:
            one, values_one = _report(args.preset, 1, folder)
            two, values_two = _report(args.preset, 2, folder)
            same = values_one == values_two
            print(f"report --preset {args.preset}: --workers 1 {one:.1f} s, --workers 2 "
                  f"{two:.1f} s, ratio {two / one:.2f}; {len(values_one)} estimates, "
                  f"identical: {same}")

        knn = make_estimator("knn", divergence="kl")
        heavy = plan_sweep(knn, "gauss10d-kl0.5", "kl", [16000], 24, cached=False)
        cheap = plan_sweep(trivial, "gauss1d-scale", "kl", [10], 400, cached=False)
        with local_cluster(folder / "dask", workers=2) as (_, client):
            both = dask_workers(client)
            first = sorted(client.nthreads())[0]
            single = Workers(client.get_executor(pure=False, workers=[first]), capacity=2)
            on_one = _timed(lambda: run_sweeps([heavy], executor=single), args.repeats)
            on_two = _timed(lambda: run_sweeps([heavy], executor=both), args.repeats)
            print(f"Dask, kNN KL d=10, 24 runs at n=16000: one worker {on_one:.2f} s, two "
                  f"workers {on_two:.2f} s, ratio {on_two / on_one:.2f}")
            units = len(cheap.seeds)
            dask_cost = _timed(lambda: run_sweeps([cheap], executor=both), args.repeats)
        inline = _timed(lambda: run_sweeps([cheap]), args.repeats)
        pool = workers_for(2)
        pool.owned = False  # kept open across the timed calls, closed below
        run_sweeps([cheap], executor=pool)  # start the workers: their start-up is not per unit
        pooled = _timed(lambda: run_sweeps([cheap], executor=pool), args.repeats)
        pool.owned = True
        pool.close()
        print(f"overhead per unit ({units} units of a free estimator): in process "
              f"{1e3 * inline / units:.2f} ms, local pool of 2 {1e3 * pooled / units:.2f} ms, "
              f"Dask 2 workers {1e3 * dask_cost / units:.2f} ms")


if __name__ == "__main__":
    main()
