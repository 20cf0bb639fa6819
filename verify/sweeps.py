"""Sweeps: run an estimator over sample sizes and seeds on a scenario, with resumable caching.

:func:`sweep` is one sweep; :func:`plan_sweep` validates one as a job, and :func:`run_sweeps`
(:mod:`~divergence_verify.verify.execution`) runs many jobs at once on any executor. The
records and results live in :mod:`~divergence_verify.verify.units` and
:mod:`~divergence_verify.verify.results`, re-exported here.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from divergence_verify.estimators import (
    as_estimator,
    device_of,
    is_builtin,
    sample_device_of,
    unwrap_estimator,
)
from divergence_verify.reference import MI
from divergence_verify.verify.cache import Cache, library_versions
from divergence_verify.verify.execution import Progress, SweepJob, run_sweeps
from divergence_verify.verify.fingerprint import code_identity
from divergence_verify.verify.results import SweepResult, record_from_dict
from divergence_verify.verify.scenarios import SAMPLING_VERSION, Scenario, get_scenario
from divergence_verify.verify.units import Record, batches

__all__ = ["Progress", "Record", "SweepJob", "SweepResult", "as_cache", "plan_sweep",
           "record_from_dict", "run_sweeps", "sweep"]


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty: give a positive count or a list of seeds")
    return out


def _size_list(sizes: Sequence[int]) -> list[int]:
    out = sorted({int(n) for n in sizes})
    if not out or out[0] < 2:
        raise ValueError(f"sizes must be integers >= 2, got {list(sizes)}")
    return out


def plan_sweep(
    estimator: Any,
    scenario: Scenario | str,
    divergence: str,
    sizes: Sequence[int],
    seeds: int | Sequence[int],
    *,
    cached: bool = True,
    batched: bool = True,
) -> SweepJob:
    """Validate a sweep and return it as a :class:`~divergence_verify.verify.execution.SweepJob`.

    The parameters are :func:`sweep`'s; ``cached=False`` keeps its runs out of the cache. Run
    several jobs together (one pool, one progress bar) with :func:`run_sweeps`.

    Raises
    ------
    ValueError
        For an empty or invalid design, a divergence the estimator does not estimate, or a
        scenario on which the divergence is infinite.
    """
    scen = get_scenario(scenario) if isinstance(scenario, str) else scenario
    est = as_estimator(estimator, divergence=divergence)  # raises on a divergence mismatch
    if divergence == MI and scen.split is None:
        raise ValueError(f"scenario {scen.name!r} is not a mutual-information scenario: an "
                         "estimator of mi needs a joint law split into X and Y")
    truth = scen.truth(divergence)
    if not math.isfinite(truth.value):
        raise ValueError(f"{divergence} is infinite on scenario {scen.name!r}: nothing to estimate")
    config, cacheable = _identity(est)
    if cached and not scen.cacheable:
        warnings.warn(f"not caching the runs on scenario {scen.name!r}: the source of its "
                      "sampler cannot be read (defined in a REPL?), so an edited sampler could "
                      "not be told apart from this one", UserWarning, stacklevel=3)
        cacheable = False
    elif cached and not cacheable:
        warnings.warn(f"not caching the runs of {est.name!r}: its source code cannot be read "
                      "(defined in a REPL or a C extension?), so an edited version of it could "
                      "not be told apart from this one", UserWarning, stacklevel=3)
    versions = library_versions()
    # The estimator says where it wants its samples (the estimator protocol's sample_device()):
    # a neural estimator on a GPU gets float32 tensors made there; everything else (a neural
    # estimator on the CPU included) gets float64 numpy arrays.
    sample_device = sample_device_of(est)
    fields: dict[str, Any] | None = None
    if cached and cacheable:
        fields = {"config": config, "scenario": scen.describe(), "divergence": divergence,
                  "versions": versions, "sampling": SAMPLING_VERSION}
        if sample_device is not None:
            # Samples made on a GPU are float32 (on the CPU, float64), so they are different
            # data: keyed apart. CPU keys are unchanged, so existing caches stay valid.
            fields["sample_device"] = sample_device
    return SweepJob(est, scen, divergence, truth, tuple(_size_list(sizes)),
                    tuple(_seed_list(seeds)), config, fields, batched and batches(est),
                    sample_device, device_of(est), versions,
                    split=scen.split if divergence == MI else None)


def sweep(
    estimator: Any,
    scenario: Scenario | str,
    divergence: str,
    sizes: Sequence[int],
    seeds: int | Sequence[int],
    *,
    cache: Cache | str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    batched: bool = True,
    executor: Any = None,
) -> SweepResult:
    """Run ``estimator`` at each sample size for each seed and record every estimate.

    Parameters
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        Wrapped with :func:`estimators.as_estimator` (a callable needs ``divergence``).
    scenario : Scenario or str
        The pair (P, Q) with its exact value.
    divergence : str
        The quantity estimated (table name or ``"w1"``).
    sizes : sequence of int
        Sample sizes per side.
    seeds : int or sequence of int
        A count (seeds 0..k-1) or explicit seeds. Seed s draws the samples *and* seeds the
        estimator, so a run is reproducible from (size, seed). Samples are float64 numpy
        arrays, unless the estimator's ``sample_device()`` names a device (a neural estimator
        that trains on a GPU): then float32 tensors made there (:meth:`Scenario.sample` with
        ``device``).
    cache : Cache or path, optional
        Where finished runs are stored; runs found there are not repeated, and runs another
        process has claimed are waited for (:mod:`~divergence_verify.verify.execution`). A run
        is stored under the estimator's configuration (for a user's own estimator, a
        fingerprint of its code and settings: :func:`verify.fingerprint.code_identity`), the
        scenario, divergence, size, seed, library versions and sampling scheme. Failed runs are
        kept in the result but never stored, so a transient failure (CUDA out of memory, say)
        is retried on resume. An estimator whose source code cannot be read (defined in a REPL,
        a C extension) is never cached, with a warning: an edited version of it could not be
        told apart.
    progress : callable, optional
        Called as ``progress(done, total, label)`` as runs complete.
    batched : bool
        Use the estimator's own ``estimate_many`` (all seeds of a size in one batched model)
        when it has one.
    executor : None, int, concurrent.futures.Executor or distributed.Client
        Where the runs happen (:func:`~divergence_verify.verify.executors.workers_for`):
        None runs them in this process; the estimates are the same on every executor.

    Returns
    -------
    SweepResult
    """
    job = plan_sweep(estimator, scenario, divergence, sizes, seeds, cached=cache is not None,
                     batched=batched)
    return run_sweeps([job], executor=executor, cache=as_cache(cache), progress=progress)[0]


def as_cache(cache: Cache | str | os.PathLike[str] | None) -> Cache | None:
    """Return ``cache`` as a :class:`~divergence_verify.verify.cache.Cache` (a path opens one)."""
    return cache if cache is None or isinstance(cache, Cache) else Cache(cache)


def _identity(est: Any) -> tuple[dict[str, Any], bool]:
    """Return the configuration that keys ``est``'s cached runs, and whether they may be cached.

    A built-in estimator is identified by its ``config()`` (its code by the package version, in
    every key). A user's own estimator (a wrapped callable, or an object of a class outside this
    suite) gets a fingerprint of its code and settings as well, ``config["code"]``: its name
    alone would let an edited function reuse the numbers of the old one.
    """
    config = dict(est.config()) if callable(getattr(est, "config", None)) else {"name": est.name}
    if is_builtin(est):
        return config, True
    code = code_identity(unwrap_estimator(est))
    if code is None:
        return config, False
    config["code"] = code
    return config, True
