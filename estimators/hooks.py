"""What a sweep asks of any estimator, built-in or not, with the protocol's defaults.

These functions read the optional parts of the estimator protocol (:class:`estimators.Estimator`)
on any object, so that the verification layer needs neither the estimators' private modules nor
``isinstance`` tests on their classes. None of them imports torch.

**The seeding protocol.** Every run of a sweep has a seed ``s``, which draws its samples and
seeds the estimator. :func:`seeding` gives ``s`` to any estimator, built-in or third-party, by
the first of these that applies (the name is recorded with each run, ``Record.seeding``, and
the methods that applied are listed in every sweep result and certificate):

``"with_seed"``
    The estimator (or the object whose ``estimate`` method it wraps) has a ``with_seed(seed)``
    method, as every built-in estimator does: the run uses ``with_seed(s)``.
``"attribute"``
    It has a ``seed`` attribute (not a method): the run uses a copy with ``seed = s``, made by
    :func:`dataclasses.replace` for a dataclass, else by :func:`copy.copy` and ``setattr``. The
    user's object is never changed. The copy is shallow, so the estimator must read ``seed``
    when it estimates: state it made from its seed when it was built (a generator made in
    ``__init__``) is shared, not reseeded; give such a class a ``with_seed`` method instead.
``"keyword"``
    Its ``estimate`` (or the wrapped function) takes a ``seed`` parameter by name (``**kwargs``
    does not count): it is called with ``seed=s``.
``"global"``
    Otherwise, around the run, the global generators it may draw from are seeded with ``s``:
    Python's :mod:`random`, numpy's legacy global generator (``np.random.seed``) and, when
    torch is already imported, torch's CPU generator and (when CUDA is initialised) every CUDA
    generator. Their states are restored afterwards, so the caller's process is not disturbed
    (:func:`global_seed`). A generator the estimator makes for itself
    (``np.random.default_rng()`` without a seed) cannot be reached, and torch imported for the
    first time inside a run is not seeded in that run.
``"estimate_many"``
    A batched run (:data:`BATCH`): the seeds were passed to ``estimate_many(..., seeds=...)``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import inspect
import random
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from divergence_verify.estimators.base import ArrayLike, BaseEstimator, CallableEstimator

_SUITE = __name__.partition(".")[0]  # "divergence_verify"

__all__ = [
    "ATTRIBUTE",
    "BATCH",
    "GLOBAL",
    "KEYWORD",
    "WITH_SEED",
    "device_of",
    "global_seed",
    "is_builtin",
    "sample_device_of",
    "seeded",
    "seeding",
    "unwrap_estimator",
    "with_seed",
]


def device_of(est: Any) -> str:
    """Return the device type ``est`` computes on (``"cpu"`` or ``"cuda"``).

    Its ``device_type()`` when it has one (a neural estimator resolves ``device="auto"``
    there); otherwise its ``device`` attribute as given, or ``"cpu"``.
    """
    hook = getattr(est, "device_type", None)
    if callable(hook):
        return str(hook())
    return str(getattr(est, "device", "cpu"))


def sample_device_of(est: Any) -> str | None:
    """Return where ``est`` wants its samples as torch tensors, or ``None`` for numpy arrays.

    Its ``sample_device()`` when it has one, else ``None``: float64 numpy arrays on the host.
    """
    hook = getattr(est, "sample_device", None)
    return hook() if callable(hook) else None


def is_builtin(est: Any) -> bool:
    """Return whether ``est`` is one of this suite's own estimators.

    True for a :class:`~estimators.BaseEstimator` whose class is defined in this package: its
    code is identified by the package version, not fingerprinted. A user's subclass defined in
    their own module is not built-in.
    """
    return isinstance(est, BaseEstimator) and type(est).__module__.partition(".")[0] == _SUITE


def unwrap_estimator(est: Any) -> Any:
    """Return the user's object that :func:`~estimators.as_estimator` wrapped in ``est``.

    For a :class:`~estimators.CallableEstimator` that is the wrapped callable (or bound
    ``estimate`` method); any other estimator is returned as is. Its code identifies the
    estimator, e.g. for a cache key.
    """
    return est.fn if isinstance(est, CallableEstimator) else est


WITH_SEED = "with_seed"
"""Seeded through the estimator's own ``with_seed(seed)`` (every built-in estimator)."""
ATTRIBUTE = "attribute"
"""Seeded as a copy with its ``seed`` attribute set."""
KEYWORD = "keyword"
"""Seeded by calling it with the keyword argument ``seed=``."""
GLOBAL = "global"
"""Seeded through the global generators (random, numpy, torch) around the run."""
BATCH = "estimate_many"
"""A batched run: the seeds went to ``estimate_many(..., seeds=...)``."""


def _reseeded(obj: Any, seed: int) -> tuple[Any, str] | None:
    """``obj`` seeded by its ``with_seed`` or as a copy with its ``seed`` set; None if neither."""
    if obj is None or isinstance(obj, type):
        return None
    hook = getattr(obj, "with_seed", None)
    if callable(hook):
        return hook(seed), WITH_SEED
    if not hasattr(obj, "seed") or callable(obj.seed):
        return None
    if dataclasses.is_dataclass(obj):
        # Not a field (a class attribute), or not settable through __init__: set on a copy.
        with contextlib.suppress(TypeError, ValueError):
            return dataclasses.replace(obj, seed=seed), ATTRIBUTE
    twin = copy.copy(obj)
    try:
        twin.seed = seed
    except AttributeError:  # a read-only property, a frozen class, __slots__ without it
        return None
    return twin, ATTRIBUTE


def _takes_seed(fn: Any) -> bool:
    """Whether ``fn`` can be called with ``seed=`` as a named parameter of its own."""
    try:
        param = inspect.signature(fn).parameters.get("seed")
    except (TypeError, ValueError):  # no signature (some builtins and C extensions)
        return False
    return param is not None and param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                inspect.Parameter.KEYWORD_ONLY)


@dataclasses.dataclass(frozen=True)
class _SeedKeyword:
    """An estimator object whose ``estimate`` is called with ``seed=`` (the keyword method)."""

    est: Any
    seed: int

    @property
    def name(self) -> str:
        return str(self.est.name)

    @property
    def divergence(self) -> str:
        return str(self.est.divergence)

    def estimate(self, x_p: ArrayLike, x_q: ArrayLike) -> float:
        return self.est.estimate(x_p, x_q, seed=self.seed)


def _seeded_callable(est: CallableEstimator, seed: int) -> tuple[Any, str] | None:
    """A wrapped callable seeded through the object it belongs to, or its ``seed`` keyword."""
    fn = est.fn
    if isinstance(fn, types.MethodType):  # obj.estimate: seed obj, then take its method again
        found = _reseeded(fn.__self__, seed)
        if found is not None:
            return dataclasses.replace(est, fn=types.MethodType(fn.__func__, found[0])), found[1]
    elif not isinstance(fn, (types.FunctionType, functools.partial)):  # a callable object
        found = _reseeded(fn, seed)
        if found is not None:
            return dataclasses.replace(est, fn=found[0]), found[1]
    if _takes_seed(fn):
        return dataclasses.replace(est, fn=functools.partial(fn, seed=seed)), KEYWORD
    return None


def seeded(est: Any, seed: int) -> tuple[Any, str]:
    """Return ``est`` seeded with ``seed`` and how (the module docstring's protocol).

    Parameters
    ----------
    est : estimator
        As :func:`~estimators.as_estimator` returns it.
    seed : int
        The run's seed.

    Returns
    -------
    estimator : estimator
        The estimator to run: a seeded copy, or ``est`` itself for :data:`GLOBAL` (which only
        :func:`seeding` carries out).
    method : str
        :data:`WITH_SEED`, :data:`ATTRIBUTE`, :data:`KEYWORD` or :data:`GLOBAL`.
    """
    found = _reseeded(est, seed)
    if found is None and isinstance(est, CallableEstimator):
        found = _seeded_callable(est, seed)
    elif found is None and _takes_seed(getattr(est, "estimate", None)):
        found = _SeedKeyword(est, seed), KEYWORD
    return found if found is not None else (est, GLOBAL)


def with_seed(est: Any, seed: int) -> Any:
    """Return ``est`` seeded with ``seed``, or ``est`` itself when only global seeding applies.

    The estimator of :func:`seeded`: its ``with_seed(seed)`` when it has one (every built-in
    estimator), a copy with its ``seed`` attribute set, or one called with ``seed=seed``;
    otherwise ``est`` unchanged (use :func:`seeding` to seed the global generators around a
    run).
    """
    return seeded(est, seed)[0]


@contextlib.contextmanager
def global_seed(seed: int) -> Iterator[None]:
    """Seed the global generators with ``seed`` inside the block; restore them after it.

    Python's :mod:`random`, numpy's legacy global generator and, if torch is already imported,
    torch's CPU generator and, if CUDA is initialised, every CUDA device's. Torch's CPU
    generator is seeded alone (not with ``torch.manual_seed``, which would also queue a seed
    for CUDA to apply whenever it starts, after the block).
    """
    torch = sys.modules.get("torch")
    cuda = torch is not None and torch.cuda.is_initialized()
    # The legacy global generator is the point here: it is what unseeded user code draws from.
    saved = (random.getstate(), np.random.get_state(),  # noqa: NPY002
             torch.random.get_rng_state() if torch is not None else None,
             torch.cuda.get_rng_state_all() if cuda else None)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - the legacy generator takes 32-bit seeds
    if torch is not None:
        torch.random.default_generator.manual_seed(seed)
    if cuda:
        torch.cuda.manual_seed_all(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])  # noqa: NPY002
        if torch is not None:
            torch.random.set_rng_state(saved[2])
        if cuda:
            torch.cuda.set_rng_state_all(saved[3])


@contextlib.contextmanager
def seeding(est: Any, seed: int) -> Iterator[tuple[Any, str]]:
    """Run a block with ``est`` seeded with ``seed``: yield the estimator to run and how.

    :func:`seeded`'s estimator and method; for :data:`GLOBAL`, the block runs inside
    :func:`global_seed`.

    Examples
    --------
    >>> with seeding(est, 3) as (seeded_est, method):  # doctest: +SKIP
    ...     value = seeded_est.estimate(x_p, x_q)
    """
    target, method = seeded(est, seed)
    if method != GLOBAL:
        yield target, method
        return
    with global_seed(seed):
        yield target, method
