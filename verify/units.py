"""Work units: the runs of one estimator on one scenario at one sample size, for a batch of seeds.

A unit is what an executor (:mod:`~divergence_verify.verify.executors`) runs: a plain, picklable
value, and :func:`run_unit`, a module-level function, turns it into one :class:`Record` per
seed. It holds everything a run depends on (the estimator, the scenario, the size, the seeds,
where the samples are made and how many torch threads run them), so a unit gives the same
numbers in this process, in a worker process or on a Dask worker: seed ``s`` draws the samples
and seeds the estimator, whoever runs it.

A neural ensemble's seeds form one unit (its ``estimate_many`` trains them together, which is
where its speed comes from); every other estimator gets one unit per seed, so a pool of workers
can share its runs out evenly.

A run seeds the estimator by the seeding protocol (:mod:`divergence_verify.estimators.hooks`),
and a third-party estimator's run has its prints and warnings captured into its record
(:mod:`~divergence_verify.verify.capture`); a built-in estimator's output is left alone.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from divergence_verify.estimators import BaseEstimator, is_builtin
from divergence_verify.estimators.hooks import BATCH, global_seed, seeding
from divergence_verify.estimators.threads import cpu_threads
from divergence_verify.verify.capture import Capture, capture
from divergence_verify.verify.scenarios import Scenario

DEFAULT_THREADS = 1
"""Torch threads per worker on the CPU. The critics are tiny (thousands of weights, hundreds of
rows per step), so intra-op threads cost more in synchronisation than they gain: one batch of 5
critics took 5 s on one thread and 25-60 s on two, on a 2-core machine shared with other work;
and the cores are better spent on one worker each."""


@dataclass(frozen=True)
class Record:
    """One run of an estimator.

    ``estimate`` is None when the run raised; ``error`` then holds the message (also set, to
    ``"non-finite"``, when the run returned an infinite number). ``seconds`` is the wall time of
    the run (for a batched ensemble, the batch's time divided by its size).

    ``seeding`` says how the seed reached the estimator (``"with_seed"``, ``"attribute"``,
    ``"keyword"``, ``"global"`` or, batched, ``"estimate_many"``: see
    :mod:`divergence_verify.estimators.hooks`); None where unknown (a record cached by an older
    version, a run lost with its worker). ``stdout``, ``stderr`` and ``warnings`` hold what a
    third-party estimator printed and warned during the run
    (:mod:`~divergence_verify.verify.capture`; None and empty when nothing, and always for a
    built-in estimator); for a batched run, what the whole batch printed, in each of its
    records.
    """

    n: int
    seed: int
    estimate: float | None
    seconds: float
    error: str | None = None
    batched: bool = False
    seeding: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the run returned a finite number."""
        return self.estimate is not None and math.isfinite(self.estimate)

    @property
    def printed(self) -> bool:
        """Whether the run printed or warned anything (kept in its record, never in tables)."""
        return bool(self.stdout or self.stderr or self.warnings)


@dataclass(frozen=True)
class Unit:
    """The runs of ``estimator`` on ``scenario`` at size ``n`` for ``seeds``.

    Attributes
    ----------
    estimator : estimator
        As :func:`~divergence_verify.estimators.as_estimator` returns it.
    scenario : Scenario
        The pair (P, Q).
    n : int
        Sample size per side.
    seeds : tuple of int
        One run per seed; more than one only for a batched ensemble.
    sample_device : str, optional
        Where the samples are made as float32 tensors (the estimator's ``sample_device()``);
        None: float64 numpy arrays.
    threads : int, optional
        Torch threads for the run on the CPU (None: leave torch's setting alone).
    cpu_threads : int, optional
        Threads of the classical estimators' own parallel loops (kNN's neighbour queries,
        :func:`divergence_verify.estimators.threads.cpu_threads`); None: every core. A pool or
        cluster worker gets 1, so that its workers do not oversubscribe the cores.
    gpu : bool
        Whether the unit computes on a GPU (an executor with resources places it on a GPU
        worker).
    split : int, optional
        For an estimator of mutual information: it gets ``(x, y)``, the joint sample split
        after ``split`` coordinates (:meth:`Scenario.sample_joint`), instead of (P, Q) samples.
    """

    estimator: Any
    scenario: Scenario
    n: int
    seeds: tuple[int, ...]
    sample_device: str | None = None
    threads: int | None = DEFAULT_THREADS
    gpu: bool = False
    split: int | None = None
    cpu_threads: int | None = None

    @property
    def label(self) -> str:
        """``estimator scenario n=...`` for progress lines."""
        return f"{self.estimator.name} {self.scenario.name} n={self.n}"


def batches(est: Any) -> bool:
    """Return whether ``est`` estimates a batch of seeds together (a neural ensemble).

    True when it has an ``estimate_many`` of its own; the default one of
    :class:`~divergence_verify.estimators.BaseEstimator` is a loop, whose seeds are better run
    as separate units.
    """
    many = getattr(est, "estimate_many", None)
    if not callable(many):
        return False
    return not (isinstance(est, BaseEstimator)
                and type(est).estimate_many is BaseEstimator.estimate_many)


def run_unit(unit: Unit) -> list[Record]:
    """Run ``unit`` and return one record per seed, in the order of ``unit.seeds``.

    An estimator's exception is recorded in its run's record (``error``), never raised: only a
    fault of the worker itself (a killed process, an unpicklable result) fails the call.
    """
    with _threads(unit), cpu_threads(unit.cpu_threads):
        if len(unit.seeds) > 1:
            batch = _run_batch(unit)
            if batch is not None:
                return batch
        return [_run_one(unit, s) for s in unit.seeds]


@contextlib.contextmanager
def _threads(unit: Unit) -> Iterator[None]:
    # Only where torch is loaded (a neural estimator's module imports it when the unit is
    # unpickled): a kNN unit need not pay for importing torch.
    torch = sys.modules.get("torch")
    if unit.threads is None or unit.gpu or torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(unit.threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _sample(unit: Unit, seed: int) -> tuple[Any, Any]:
    if unit.split is not None:
        return unit.scenario.sample_joint(unit.n, seed, device=unit.sample_device)
    if unit.sample_device is None:
        return unit.scenario.sample(unit.n, seed)
    return unit.scenario.sample(unit.n, seed, device=unit.sample_device)


def _run_batch(unit: Unit) -> list[Record] | None:
    """The seeds of ``unit`` in one ``estimate_many`` call; None if it raised.

    A third-party ensemble runs with its output captured and, for code that draws from them,
    the global generators seeded with the batch's first seed.
    """
    pairs = [_sample(unit, s) for s in unit.seeds]
    if unit.sample_device is None:
        x_p = np.stack([p for p, _ in pairs])
        x_q = np.stack([q for _, q in pairs])
    else:
        import torch

        x_p = torch.stack([p for p, _ in pairs])
        x_q = torch.stack([q for _, q in pairs])
    del pairs  # the stacks are copies: free the per-seed samples (device memory)
    builtin = is_builtin(unit.estimator)
    with capture(not builtin) as out, \
            contextlib.nullcontext() if builtin else global_seed(unit.seeds[0]):
        start = time.perf_counter()
        try:
            values = np.asarray(unit.estimator.estimate_many(x_p, x_q, seeds=list(unit.seeds)),
                                dtype=float)
        except Exception:  # one bad member fails the batch: rerun one by one to attribute it
            return None
        finally:
            del x_p, x_q
        per_run = (time.perf_counter() - start) / len(unit.seeds)
    if values.shape != (len(unit.seeds),):  # not one estimate per member: attribute one by one
        return None
    return [_record(unit, s, float(v), per_run, None if math.isfinite(v) else "non-finite",
                    BATCH, out, batched=True)
            for s, v in zip(unit.seeds, values, strict=True)]


def _run_one(unit: Unit, seed: int) -> Record:
    x_p, x_q = _sample(unit, seed)
    how: str | None = None
    value: float | None = None
    error: str | None = None
    with capture(not is_builtin(unit.estimator)) as out:
        start = time.perf_counter()
        try:
            with seeding(unit.estimator, seed) as (est, how):
                start = time.perf_counter()  # the run, not the seeding
                value = float(est.estimate(x_p, x_q))
        except Exception as exc:  # recorded, counted as a failure and shown in reports
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
    if value is not None and not math.isfinite(value):
        error = "non-finite"
    return _record(unit, seed, value, seconds, error, how, out)


def _record(unit: Unit, seed: int, value: float | None, seconds: float, error: str | None,
            how: str | None, out: Capture, *, batched: bool = False) -> Record:
    return Record(unit.n, seed, value, seconds, error, batched=batched, seeding=how,
                  stdout=out.stdout, stderr=out.stderr, warnings=out.warnings)
