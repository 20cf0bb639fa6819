"""Where work units run: in this process, on a local pool of worker processes, or on Dask.

:class:`Workers` is what :func:`~divergence_verify.verify.execution.run_sweeps` submits
:class:`~divergence_verify.verify.units.Unit` s to. :func:`workers_for` makes one from what a
user passes as ``executor``:

* ``None`` or ``1``: :class:`InlineExecutor`, every unit in this process, one after the other
  (the Python API's default, and ``--workers 1``);
* an ``int`` N > 1: a local pool of N worker processes (:func:`local_pool`), started with
  ``spawn`` so that no worker inherits torch's threads or a CUDA context from this process,
  and replaced when a worker dies;
* any :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor`` of the user's, or Dask's
  ``Client.get_executor()``);
* a Dask ``distributed.Client``: its executor, and for units that compute on a GPU one that
  asks for the worker resource ``GPU=1`` (workers started with ``--resources GPU=1``).

Every executor runs the same units, and a unit's numbers depend only on the unit, so the results
are bit-identical whichever is used (``tests/verify/test_executors.py`` checks it).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from divergence_verify.verify.units import Unit, run_unit

WORKERS_ENV = "DIVERGENCE_VERIFY_WORKERS"
"""Environment variable that sets the command line's default ``--workers`` (the test suite sets
it to 1, so that its many small commands do not each start a pool)."""

GPU_RESOURCE = "GPU"
"""The Dask worker resource a unit on a GPU asks for (``dask worker ... --resources GPU=1``)."""


def default_workers() -> int:
    """Return the default number of worker processes.

    ``$DIVERGENCE_VERIFY_WORKERS`` when set, else the cores this process may use.

    Raises
    ------
    ValueError
        If the variable is set to something other than a positive integer.
    """
    text = os.environ.get(WORKERS_ENV)
    if text is not None:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"{WORKERS_ENV}={text!r}: expected a positive integer")
        return value
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class InlineExecutor(cf.Executor):
    """An executor that runs each call in this process when it is submitted."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a future that holds its result or error."""
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # KeyboardInterrupt goes through: it stops the whole run
            future.set_exception(exc)
        return future


def _init_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent stops the run and ends
    # the pool, so the workers must not each print a traceback and die mid-record.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def local_pool(workers: int) -> cf.ProcessPoolExecutor:
    """Return a pool of ``workers`` processes started with ``spawn`` (see the module docstring).

    A spawned worker starts with this process's ``sys.path`` and working directory, so an
    estimator given as ``module:attr`` from the working directory loads there too.
    """
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                  mp_context=multiprocessing.get_context("spawn"))


@dataclass
class Workers:
    """The executors units are submitted to.

    Attributes
    ----------
    executor : concurrent.futures.Executor
        Runs every unit (but those on a GPU when ``gpu_executor`` is set).
    capacity : int
        Units kept in flight at once: enough to keep every worker busy, few enough that other
        processes sharing the cache can claim the rest.
    gpu_executor : Executor, optional
        Runs the units that compute on a GPU (Dask: with ``resources={"GPU": 1}``).
    factory : callable, optional
        Makes a fresh ``executor`` after a worker process died (a broken local pool).
    owned : bool
        Whether :meth:`close` shuts the executors down (those this module made).
    client : distributed.Client, optional
        The Dask client, closed by :meth:`close` when owned.
    """

    executor: cf.Executor
    capacity: int = 1
    gpu_executor: cf.Executor | None = None
    factory: Callable[[], cf.Executor] | None = None
    owned: bool = False
    client: Any = None

    @property
    def inline(self) -> bool:
        """Whether units run in this process."""
        return isinstance(self.executor, InlineExecutor)

    def submit(self, unit: Unit) -> cf.Future[Any]:
        """Submit ``unit`` to the executor that fits it."""
        target = self.gpu_executor if unit.gpu and self.gpu_executor is not None else self.executor
        return target.submit(run_unit, unit)

    def restart(self) -> bool:
        """Replace a broken local pool with a fresh one; False when there is no way to."""
        if self.factory is None:
            return False
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self.factory()
        return True

    def close(self, *, kill: bool = False) -> None:
        """Shut down what this module started (``kill``: end the worker processes at once)."""
        if not self.owned:
            return
        if self.client is not None:  # Dask: cancel what is left, then disconnect
            self.client.close()
            return
        if kill and isinstance(self.executor, cf.ProcessPoolExecutor):
            # An interrupted run must not wait for the units in flight: end their processes.
            for process in list(getattr(self.executor, "_processes", {}).values()):
                process.terminate()
        self.executor.shutdown(wait=not kill, cancel_futures=True)


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and callable(getattr(obj, "get_executor", None))


def dask_workers(client: Any, *, owned: bool = False) -> Workers:
    """Return :class:`Workers` on a Dask client: one executor for all, one for GPU units.

    ``pure=False``: two units are never merged by Dask's key hashing (each is run; the cache
    and the claims are what avoid duplicates).
    """
    threads = sum(client.nthreads().values()) or 1
    return Workers(client.get_executor(pure=False), capacity=2 * threads,
                   gpu_executor=client.get_executor(pure=False,
                                                    resources={GPU_RESOURCE: 1}),
                   owned=owned, client=client)


def connect(address: str) -> Workers:
    """Return :class:`Workers` on the Dask scheduler at ``address`` (``tcp://host:8786``).

    Raises
    ------
    ValueError
        If the ``distributed`` package is missing (the ``dask`` extra) or the scheduler cannot
        be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs Dask's distributed package: "
                         "pip install 'divergence-verify[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except OSError as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    return dask_workers(client, owned=True)


def check_gpu_workers(workers: Workers) -> None:
    """Raise ValueError when GPU units would wait forever: no Dask worker offers a GPU.

    Only a Dask cluster can be checked; other executors run a GPU unit wherever it lands.
    """
    if workers.client is None:
        return
    infos = workers.client.scheduler_info().get("workers", {}).values()
    if not any(info.get("resources", {}).get(GPU_RESOURCE, 0) >= 1 for info in infos):
        raise ValueError("the neural units run on a GPU, but no worker of the Dask cluster "
                         f"offers one: start a worker with --resources {GPU_RESOURCE}=1")


def workers_for(executor: Any) -> Workers:
    """Return :class:`Workers` for what the Python API's ``executor`` argument may be.

    Parameters
    ----------
    executor : None, int, concurrent.futures.Executor, distributed.Client or Workers
        See the module docstring.

    Raises
    ------
    ValueError
        For a count below 1.
    TypeError
        For anything else.
    """
    if isinstance(executor, Workers):
        return executor
    if executor is None:
        return Workers(InlineExecutor())
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ValueError(f"workers must be at least 1, got {executor}")
        if executor == 1:
            return Workers(InlineExecutor())
        return Workers(local_pool(executor), capacity=2 * executor,
                       factory=lambda: local_pool(executor), owned=True)
    if _is_dask_client(executor):
        return dask_workers(executor)
    if isinstance(executor, cf.Executor):
        size = getattr(executor, "_max_workers", None) or default_workers()
        return Workers(executor, capacity=2 * int(size))
    raise TypeError("executor must be None, a number of workers, a concurrent.futures.Executor "
                    f"or a dask.distributed Client; got {type(executor).__name__}")
