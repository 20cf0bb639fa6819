"""Shared pieces of the benchmarks: timed one-shot rounds, torch warm-up, machine description.

Run with ``pytest benchmarks --benchmark-only`` (``tox -e bench``); the project's ``testpaths``
keeps them out of a plain ``pytest``. Every benchmark stores what it computed in
``benchmark.extra_info`` so that ``--benchmark-json`` carries accuracy beside speed: the
accuracy benchmarks the exact value and the bias, SD and RMSE over seeds; the timing benchmarks
the exact value, their estimate and its error; the reference benchmarks the value computed.

The neural timings depend on torch's intra-op thread count (recorded in ``machine_info``, like
the device). On a machine shared with other jobs, ``OMP_NUM_THREADS=1`` keeps them steady:
two threads competing with other processes for two cores can run a critic many times slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import ot
import pytest
import scipy
import torch

from divergence_verify.estimators import make_estimator, resolve_device
from divergence_verify.verify.stats import fit_rate


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    # The neural timings depend on these as much as on the CPU model that pytest-benchmark
    # records: torch's thread count above all, and whether the critics ran on a GPU.
    device = resolve_device("auto")
    machine_info["torch"] = torch.__version__
    machine_info["torch_threads"] = torch.get_num_threads()
    machine_info["torch_device"] = (
        torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    )
    machine_info["numpy"] = np.__version__
    machine_info["scipy"] = scipy.__version__
    machine_info["pot"] = ot.__version__


@pytest.fixture
def run_timed(benchmark: Any) -> Callable[..., tuple[Any, float]]:
    """Return ``run(fn, rounds=1) -> (fn's last result, median seconds of one round)``.

    Each round calls ``fn`` once (``benchmark.pedantic``, one iteration, no warm-up): the slow
    computations here are measured a handful of times at most. The seconds are taken with our
    own clock as well because ``benchmark.stats`` is absent under ``--benchmark-disable``, and
    the ratios and per-seed times written to ``extra_info`` are wanted in every mode.
    """

    def run(fn: Callable[[], Any], rounds: int = 1) -> tuple[Any, float]:
        seconds: list[float] = []

        def timed() -> Any:
            start = time.perf_counter()
            out = fn()
            seconds.append(time.perf_counter() - start)
            return out

        result = benchmark.pedantic(timed, rounds=rounds, iterations=1)
        return result, float(np.median(seconds))

    return run


@pytest.fixture(scope="session")
def torch_warm() -> str:
    """Train one tiny critic before the first timed neural run; return the device used.

    The first training in a process pays one-off costs (thread pool start-up, kernel selection,
    CUDA context creation on a GPU) that would otherwise be billed to whichever neural
    benchmark happens to run first.
    """
    rng = np.random.default_rng(0)
    estimator = make_estimator("fgan", divergence="kl", steps=5, batch_size=16)
    estimator.estimate(rng.standard_normal((64, 2)), rng.standard_normal((64, 2)))
    return estimator.last_details["device"]


_ACCURACY = pytest.StashKey[list[dict[str, Any]]]()


@pytest.fixture
def accuracy_records(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Session-wide list the accuracy benchmarks append their summaries to."""
    return request.config.stash.setdefault(_ACCURACY, [])


def _rates(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Fit log RMSE against log n for every (estimator, divergence, scenario) ladder."""
    ladders: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        ladders.setdefault(record["label"], []).append(record)
    out = {}
    for label, rows in ladders.items():
        rows = sorted(rows, key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        rmse = [r["rmse"] for r in rows]
        out[label] = {"sizes": sizes, "rmse": rmse, **fit_rate(sizes, rmse).to_dict()}
    return out


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list, output_json: dict[str, Any]
) -> None:
    # The RMSE slope spans several benchmarks, so it lives beside them rather than in one.
    output_json["rmse_rates"] = _rates(config.stash.get(_ACCURACY, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    # pytest-benchmark's table shows times only; print the accuracy figures next to it.
    records = config.stash.get(_ACCURACY, [])
    if not records:
        return
    write = terminalreporter.write_line
    terminalreporter.section("accuracy versus sample size (also in --benchmark-json extra_info)")
    write(
        f"{'estimator / scenario':44} {'n':>5} {'exact':>8} {'mean':>8} {'bias':>8} "
        f"{'sd':>8} {'RMSE':>8} {'s/seed':>7}"
    )
    for r in sorted(records, key=lambda r: (r["label"], r["n"])):
        write(
            f"{r['label']:44} {r['n']:5d} {r['exact']:8.4f} {r['mean']:8.4f} {r['bias']:+8.4f} "
            f"{r['sd']:8.4f} {r['rmse']:8.4f} {r['median_seconds']:7.3f}"
        )
    for label, rate in _rates(records).items():
        write(f"RMSE ~ n^slope, {label}: slope {rate['slope']:+.2f} over n = {rate['sizes']}")
