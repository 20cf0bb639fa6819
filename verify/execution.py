"""Running sweeps on workers: plan the units, claim their runs in the cache, submit, collect.

:func:`run_sweeps` takes every sweep of a command at once (all the scenarios of a certificate,
all the entries of a report), so that one pool of workers and one progress bar serve them all:

1. **plan**: each run (estimator, scenario, size, seed) found in the cache is done; the others
   form :class:`~divergence_verify.verify.units.Unit` s (a neural ensemble's seeds of one size
   together, every other run alone), the largest sizes first, so that the long units do not
   start last and leave workers idle at the end;
2. **claim and submit**: a unit is submitted only once its runs are claimed in the cache
   (:meth:`~divergence_verify.verify.cache.Cache.claim`), and only as many are kept in flight as
   keep the workers busy, so several processes sharing a cache share its runs instead of each
   computing them all; a run claimed by another live process is waited for, and taken over when
   that claim expires (its owner crashed). A heartbeat thread keeps this process's claims alive;
3. **collect**: each finished run is stored the moment its unit returns (a failure is never
   stored, so it is retried on resume) and the progress is advanced. When a worker process dies
   its pool breaks and every unit in flight is lost with it, though only one of them may be to
   blame: they are resubmitted to a fresh pool one at a time, so that a unit that kills its
   worker again is known, and recorded as failed after :data:`MAX_ATTEMPTS` deaths alone. Dask
   reschedules a dead worker's units itself.

The records are assembled in the order of sizes and seeds, whatever order units finished in.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from divergence_verify.reference import ExactValue
from divergence_verify.verify.cache import CLAIM_TTL, Cache, record_key
from divergence_verify.verify.executors import Workers, check_gpu_workers, workers_for
from divergence_verify.verify.results import SweepResult, record_from_dict
from divergence_verify.verify.scenarios import Scenario
from divergence_verify.verify.units import DEFAULT_THREADS, Record, Unit

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called as runs complete, over all the sweeps of a call."""

MAX_ATTEMPTS = 2
"""How often a unit may kill its worker process, running alone, before it is recorded as failed."""

POLL_SECONDS = 0.5
"""How often runs claimed by another process are looked for in the cache."""


@dataclass(frozen=True)
class SweepJob:
    """One sweep, resolved and validated (:func:`~divergence_verify.verify.sweeps.plan_sweep`).

    Attributes
    ----------
    estimator : estimator
        As :func:`~divergence_verify.estimators.as_estimator` returns it.
    scenario : Scenario
        The pair (P, Q) with its exact value ``truth``.
    divergence : str
        The quantity estimated.
    truth : ExactValue
        The exact value on the scenario.
    sizes, seeds : tuple of int
        The design: every size for every seed.
    config : dict
        What identifies the estimator (its settings; a user's code fingerprint).
    key_fields : dict, optional
        Everything a run's cache key holds but its size and seed; None: never cached.
    batched : bool
        A size's seeds form one unit (a neural ensemble's ``estimate_many``).
    sample_device : str, optional
        Where the samples are made as tensors (None: numpy arrays).
    device : str
        Where the estimator computes (``"cpu"`` or ``"cuda"``).
    versions : dict
        Library versions, stored in the result.
    split : int, optional
        For the mutual information: the estimator gets the joint sample split into (x, y).
    """

    estimator: Any
    scenario: Scenario
    divergence: str
    truth: ExactValue
    sizes: tuple[int, ...]
    seeds: tuple[int, ...]
    config: dict[str, Any]
    key_fields: dict[str, Any] | None
    batched: bool
    sample_device: str | None
    device: str
    versions: dict[str, str] = field(default_factory=dict)
    split: int | None = None

    def key(self, n: int, seed: int) -> str:
        """The cache key of the run at size ``n`` with ``seed``."""
        assert self.key_fields is not None
        return record_key({**self.key_fields, "n": n, "seed": seed})


@dataclass(frozen=True)
class _Task:
    """Runs of one job at one size still to compute.

    ``suspect``: it was in flight when a worker died, so it runs alone until it completes;
    ``deaths``: how often its worker died while it ran alone.
    """

    job: int
    n: int
    seeds: tuple[int, ...]
    suspect: bool = False
    deaths: int = 0


def run_sweeps(
    jobs: Sequence[SweepJob],
    *,
    executor: Any = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
    threads: int | None = DEFAULT_THREADS,
) -> list[SweepResult]:
    """Run every job on ``executor`` and return their results, in the order of ``jobs``.

    Parameters
    ----------
    jobs : sequence of SweepJob
        The sweeps (:func:`~divergence_verify.verify.sweeps.plan_sweep`).
    executor : None, int, Executor, distributed.Client or Workers
        Where units run (:func:`~divergence_verify.verify.executors.workers_for`); None: in
        this process.
    cache : Cache, optional
        The shared store of finished runs and claims (module docstring).
    progress : callable, optional
        ``progress(done, total, label)`` over all the runs of all the jobs.
    threads : int, optional
        Torch threads per unit on the CPU (None: torch's own setting).

    Returns
    -------
    list of SweepResult
    """
    run = _Run(list(jobs), cache, progress, threads)
    workers = workers_for(executor)
    try:
        run.plan()
        if any(job.device == "cuda" for job in run.jobs) and run.pending:
            check_gpu_workers(workers)
        run.execute(workers)
    except BaseException:
        run.abandon()
        workers.close(kill=True)
        raise
    workers.close()
    return run.results()


class _Run:
    """The state of one :func:`run_sweeps` call."""

    def __init__(self, jobs: list[SweepJob], cache: Cache | None, progress: Progress | None,
                 threads: int | None) -> None:
        self.jobs = jobs
        self.cache = cache
        self.progress = progress
        self.threads = threads
        self.cpu_threads: int | None = None
        self.records: dict[tuple[int, int, int], Record] = {}
        self.cached = [0] * len(jobs)
        self.total = sum(len(j.sizes) * len(j.seeds) for j in jobs)
        self.pending: deque[_Task] = deque()
        self.suspects: deque[_Task] = deque()  # in flight when a pool broke: run one at a time
        self.waiting: dict[tuple[int, int, int], str] = {}  # runs another process claimed
        self.owned: set[str] = set()  # keys this process holds claims on
        self.lock = threading.Lock()

    # -- the cache --------------------------------------------------------------------------

    def _store(self, job: int) -> Cache | None:
        return self.cache if self.jobs[job].key_fields is not None else None

    def _load(self, job: int, n: int, seed: int) -> Record | None:
        store = self._store(job)
        if store is None:
            return None
        # A record that does not decode to a run is corrupt: the cache warns, moves it aside,
        # and it is recomputed like a missing one. A stored failure (an older version's) is
        # ignored likewise: it is retried.
        found = store.get(self.jobs[job].key(n, seed), check=record_from_dict)
        return record_from_dict(found) if found is not None and found.get("error") is None \
            else None

    def _claim(self, job: int, n: int, seed: int) -> bool | Record:
        """Claim a run: True (ours to compute), False (another's), or its stored record."""
        store = self._store(job)
        if store is None:
            return True
        key = self.jobs[job].key(n, seed)
        if not store.claim(key):
            return False
        # Checked after claiming: a run finished (stored, then released) between the plan and
        # the claim is read, not recomputed.
        found = self._load(job, n, seed)
        if found is not None:
            store.release(key)
            return found
        with self.lock:
            self.owned.add(key)
        return True

    def _finish(self, job: int, record: Record, *, cached: bool = False,
                fresh: bool = False) -> None:
        store = self._store(job)
        if store is not None and fresh:
            key = self.jobs[job].key(record.n, record.seed)
            # Stored the moment it returns; the record is written before the claim goes, so a
            # process waiting for it never sees neither. A failure is not stored (it may be
            # transient: out of memory, a killed worker) and is retried on resume.
            if record.error is None:
                store.put(key, asdict(record))
            store.release(key)
            with self.lock:
                self.owned.discard(key)
        self.records[(job, record.n, record.seed)] = record
        self.cached[job] += cached

    def abandon(self) -> None:
        """Release every claim this run holds (it was interrupted)."""
        if self.cache is None:
            return
        with self.lock:
            keys, self.owned = list(self.owned), set()
        for key in keys:
            self.cache.release(key)

    # -- planning and execution -------------------------------------------------------------

    def _tick(self, label: str) -> None:
        if self.progress is not None:
            self.progress(len(self.records), self.total, label)

    def plan(self) -> None:
        """Take every cached run; queue the rest as tasks, largest sizes first."""
        tasks = []
        for j, job in enumerate(self.jobs):
            for n in job.sizes:
                todo = []
                for seed in job.seeds:
                    found = self._load(j, n, seed)
                    if found is not None:
                        self._finish(j, found, cached=True)
                    else:
                        todo.append(seed)
                groups = [tuple(todo)] if job.batched and todo else [(s,) for s in todo]
                tasks += [_Task(j, n, g) for g in groups]
        # Longest first (sizes descending; ties keep the jobs' order): the classic greedy rule
        # that keeps a pool's last workers from idling behind one long unit.
        tasks.sort(key=lambda t: -t.n)
        self.pending.extend(tasks)
        if self.records:
            self._tick("cached runs")

    def _unit(self, task: _Task) -> Unit:
        job = self.jobs[task.job]
        gpu = job.device == "cuda"
        return Unit(job.estimator, job.scenario, task.n, task.seeds, job.sample_device,
                    threads=None if gpu else self.threads, gpu=gpu, split=job.split,
                    cpu_threads=self.cpu_threads)

    def _launch(self, task: _Task, workers: Workers,
                inflight: dict[cf.Future[Any], _Task]) -> None:
        mine = []
        for seed in task.seeds:
            claimed = self._claim(task.job, task.n, seed)
            if isinstance(claimed, Record):
                self._finish(task.job, claimed, cached=True)
            elif claimed:
                mine.append(seed)
            else:
                self.waiting[(task.job, task.n, seed)] = self.jobs[task.job].key(task.n, seed)
        if mine:
            task = _Task(task.job, task.n, tuple(mine), task.suspect, task.deaths)
            inflight[workers.submit(self._unit(task))] = task

    def _collect(self, task: _Task, future: cf.Future[Any]) -> bool:
        """Record a finished unit; return False when its worker's pool broke (resubmit)."""
        try:
            records = future.result()
        except cf.BrokenExecutor:
            return False
        except Exception as exc:  # the worker itself failed (not the estimator): say so
            reason = f"worker failed: {type(exc).__name__}: {exc}"
            records = [Record(task.n, s, None, 0.0, reason) for s in task.seeds]
            for record in records:
                self._finish(task.job, record, fresh=True)
        else:
            for record in records:
                self._finish(task.job, record, fresh=True)
        self._tick(self._unit(task).label)
        return True

    def _requeue(self, lost: list[_Task], workers: Workers) -> None:
        """Resubmit the units of a broken pool to a fresh one, one at a time; or fail them."""
        restarted = workers.restart()
        alone = len(lost) == 1 and lost[0].suspect  # then it is the one that killed the worker
        for task in lost:
            deaths = task.deaths + alone
            if restarted and deaths < MAX_ATTEMPTS:
                self.suspects.append(_Task(task.job, task.n, task.seeds, True, deaths))
                continue
            why = (f"it killed its worker process {deaths} times" if restarted
                   else "its worker process died and the executor cannot be restarted")
            for seed in task.seeds:
                self._finish(task.job, Record(task.n, seed, None, 0.0, f"worker lost: {why}"),
                             fresh=True)
            self._tick(self._unit(task).label)

    def _poll_waiting(self) -> None:
        """Take the waited-for runs another process has stored; reclaim those it abandoned."""
        assert self.cache is not None
        freed: dict[tuple[int, int], list[int]] = {}
        for (job, n, seed), key in list(self.waiting.items()):
            found = self._load(job, n, seed)
            if found is not None:
                del self.waiting[(job, n, seed)]
                self._finish(job, found, cached=True)
                self._tick(f"{self.jobs[job].estimator.name} n={n} (another process)")
            elif not self.cache.claimed_by_other(key):
                del self.waiting[(job, n, seed)]
                freed.setdefault((job, n), []).append(seed)
        for (job, n), seeds in freed.items():
            groups = [tuple(seeds)] if self.jobs[job].batched else [(s,) for s in seeds]
            self.pending.extend(_Task(job, n, g) for g in groups)

    def execute(self, workers: Workers) -> None:
        """Submit, collect and wait until every run is recorded."""
        # In this process a kNN query may use every core; on a pool or a cluster each worker
        # has one, so that N workers on N cores do not run N x N query threads.
        self.cpu_threads = None if workers.inline else 1
        inflight: dict[cf.Future[Any], _Task] = {}
        with self._heartbeat():
            while self.pending or self.suspects or inflight or self.waiting:
                if self.suspects:  # after a worker died: one unit at a time until they pass
                    if not inflight:
                        self._launch(self.suspects.popleft(), workers, inflight)
                else:
                    while self.pending and len(inflight) < workers.capacity:
                        self._launch(self.pending.popleft(), workers, inflight)
                if inflight:
                    done, _ = cf.wait(inflight, timeout=POLL_SECONDS,
                                      return_when=cf.FIRST_COMPLETED)
                    lost = [inflight[f] for f in done if not self._collect(inflight[f], f)]
                    for future in done:
                        del inflight[future]
                    if lost:  # every unit in flight was lost with the pool
                        lost += inflight.values()
                        inflight.clear()
                        self._requeue(lost, workers)
                elif self.waiting:
                    time.sleep(POLL_SECONDS)
                if self.waiting:
                    self._poll_waiting()

    @contextmanager
    def _heartbeat(self) -> Iterator[None]:
        """Refresh this process's claims every quarter TTL, on a thread.

        A thread, because units may run inline, blocking this one for longer than a claim lives.
        """
        if self.cache is None:
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(CLAIM_TTL / 4):
                with self.lock:
                    keys = list(self.owned)
                self.cache.refresh(keys)

        thread = threading.Thread(target=beat, name="claim-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def results(self) -> list[SweepResult]:
        """Assemble each job's records in the order of sizes and seeds."""
        out = []
        for j, job in enumerate(self.jobs):
            result = SweepResult(job.estimator.name, job.config, job.scenario.name,
                                 job.divergence, job.truth, versions=job.versions,
                                 device=job.device, cached_runs=self.cached[j])
            result.records = [self.records[(j, n, s)] for n in job.sizes for s in job.seeds]
            out.append(result)
        return out
