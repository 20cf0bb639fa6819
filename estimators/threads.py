"""The CPU budget of the classical estimators' own parallel loops (kNN's neighbour queries).

scipy's ``cKDTree.query(workers=-1)`` runs on every core, which is right for one estimate in an
interactive session but oversubscribes a machine whose cores already each run a worker process
of a sweep (two workers on two cores would each start two query threads). The executor that
runs a work unit states the budget with :func:`cpu_threads`; an estimator asks
:func:`query_workers`. Results do not depend on it: each query point is answered on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_BUDGET: ContextVar[int | None] = ContextVar("divergence_verify_cpu_threads", default=None)


@contextlib.contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run the body with ``count`` threads for the estimators' parallel loops (None: every core).

    Raises
    ------
    ValueError
        For a count below 1.
    """
    if count is not None and count < 1:
        raise ValueError(f"cpu_threads needs a count of at least 1 or None, got {count}")
    token = _BUDGET.set(count)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def query_workers() -> int:
    """``cKDTree.query``'s ``workers``: the budget of :func:`cpu_threads`, else -1 (every core)."""
    count = _BUDGET.get()
    return -1 if count is None else count
