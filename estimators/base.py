"""The estimator interface: what every estimator of the suite (built-in or third-party) offers.

An estimator maps two samples, ``x_p`` ([n, d] from P) and ``x_q`` ([m, d] from Q), to one number.
Built-in estimators subclass :class:`BaseEstimator`; third-party code only needs a callable
``(x_p, x_q) -> float`` or an object with ``estimate``, which :func:`as_estimator` wraps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from divergence_verify.estimators.validation import (  # re-exported: their first home
    ArrayLike,
    check_batched_samples,
    check_sample,
    check_samples,
    check_seed,
    member_seeds,
)

__all__ = [
    "ArrayLike",
    "BaseEstimator",
    "CallableEstimator",
    "Estimator",
    "TrainingDivergedError",
    "as_estimator",
    "check_batched_samples",
    "check_sample",
    "check_samples",
]


class TrainingDivergedError(RuntimeError):
    """A critic's training produced a non-finite or exploding objective."""


@runtime_checkable
class Estimator(Protocol):
    """What the suite needs from an estimator.

    Required: ``name``, ``divergence`` and ``estimate(x_p, x_q) -> float``. Optional methods the
    suite uses when an estimator has them (:class:`BaseEstimator` has them all):

    ``estimate_many(x_p, x_q, seeds=...) -> array``
        E estimates from stacked samples ``[E, n, d]``, one per seed (a sweep's batched runs).
    ``config() -> dict``
        Every setting that changes the estimates (part of the sweep cache's key).
    ``device_type() -> str``
        The device type it computes on, ``"cpu"`` or ``"cuda"`` (recorded with a sweep);
        without it, the estimator's ``device`` attribute, else ``"cpu"``.
    ``sample_device() -> str | None``
        The device type on which it wants its samples as float32 torch tensors, or ``None``
        (the default) for float64 numpy arrays on the host. A sweep makes the samples there.
    ``with_seed(seed)``
        A copy seeded with ``seed`` (a sweep's one-by-one runs); without it, a dataclass with a
        ``seed`` field is copied with :func:`dataclasses.replace`.

    :mod:`estimators.hooks` reads these with their defaults for any estimator object.
    """

    name: str
    divergence: str

    def estimate(self, x_p: ArrayLike, x_q: ArrayLike) -> float:
        """Return the estimate of D(P||Q) from samples of P and Q."""
        ...


@dataclasses.dataclass
class BaseEstimator:
    """Base class of the built-in estimators.

    Subclasses set :attr:`kind` and :attr:`divergence`, keep every tunable setting as a dataclass
    field (so :meth:`config` reports it), and implement :meth:`_estimate` on validated float64
    arrays. :meth:`estimate_many` loops by default; neural estimators override it to train one
    batched model.

    Attributes
    ----------
    divergence : str
        Name of the quantity estimated (a key of ``reference.DIVERGENCES`` or ``"w1"``).
    seed : int
        Seed of every random choice the estimator makes (splits, initialisation, batches).
    """

    divergence: str
    seed: int = 0

    kind = "base"  # class attribute: the registry key

    @property
    def name(self) -> str:
        """Short label for tables: ``kind[divergence]``."""
        return f"{self.kind}[{self.divergence}]"

    def config(self) -> dict[str, Any]:
        """Return the full configuration (kind and every field), JSON-serialisable."""
        cfg = {"kind": self.kind}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            cfg[field.name] = list(value) if isinstance(value, tuple) else value
        return cfg

    def with_seed(self, seed: int) -> BaseEstimator:
        """Return a copy of this estimator with ``seed`` and every other setting unchanged."""
        return dataclasses.replace(self, seed=seed)

    def device_type(self) -> str:
        """Return the type of the device the estimator computes on: ``"cpu"`` unless overridden."""
        return "cpu"

    def sample_device(self) -> str | None:
        """Return the device type (``"cpu"`` or ``"cuda"``) for samples as torch tensors.

        ``None`` (this default) asks for float64 numpy arrays on the host. Part of the estimator
        protocol (:class:`Estimator`): a neural estimator training on a GPU returns ``"cuda"``.
        """
        return None

    def estimate(self, x_p: ArrayLike, x_q: ArrayLike) -> float:
        """Return the estimate of the divergence between the laws of ``x_p`` and ``x_q``."""
        p, q = check_samples(x_p, x_q)
        return float(self._estimate(p, q, check_seed(self.seed)))

    def estimate_many(
        self, x_p: ArrayLike, x_q: ArrayLike, seeds: Sequence[int] | None = None
    ) -> np.ndarray:
        """Return E estimates, one per stacked sample pair ``x_p[e]``, ``x_q[e]`` and seed.

        Parameters
        ----------
        x_p, x_q : array, shape [E, n, d] and [E, m, d]
            E independent sample pairs.
        seeds : sequence of int, optional
            One seed per member; defaults to ``seed, seed + 1, ...``.
        """
        p, q = check_batched_samples(x_p, x_q)
        seeds = member_seeds(self.seed, p.shape[0], seeds)
        return np.array([self._estimate(p[e], q[e], s) for e, s in enumerate(seeds)], dtype=float)

    def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
        raise NotImplementedError  # pragma: no cover - abstract


@dataclasses.dataclass
class CallableEstimator:
    """Adapter that gives a third-party callable or object the :class:`Estimator` interface.

    Attributes
    ----------
    fn : callable
        ``(x_p, x_q) -> float``: the user's function, or the ``estimate`` method of their object.
    name : str
        Label for tables.
    divergence : str
        The quantity estimated.
    settings : dict
        The settings the wrapped estimator was built with (the command line's ``--set`` values
        for a class), reported by :meth:`config` and so part of every cache key.
    """

    fn: Callable[[ArrayLike, ArrayLike], float]
    name: str
    divergence: str
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def estimate(self, x_p: ArrayLike, x_q: ArrayLike) -> float:
        """Call the wrapped estimator and check that it returned a real number."""
        value = self.fn(x_p, x_q)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"estimator {self.name!r} returned {type(value).__name__}, expected a float"
            ) from None
        if math.isnan(value):
            raise ValueError(f"estimator {self.name!r} returned NaN")
        return value

    def config(self) -> dict[str, Any]:
        """Return what identifies the wrapped estimator.

        ``kind`` (``"external"``), ``name``, where the code lives (``module``, ``qualname``; a
        bound method is named by its class), the ``settings`` it was built with, and under
        ``config`` the wrapped object's own ``config()`` when it has one. A name does not say
        what the code computes (every lambda is ``<lambda>``; a module can be edited between
        runs), so :func:`verify.sweep` adds a fingerprint of the code itself
        (:func:`verify.fingerprint.code_identity`) to the configuration it caches under, and does
        not cache an estimator whose source cannot be read.
        """
        fn = self.fn
        inner = getattr(fn, "__self__", None)
        if inner is not None and not isinstance(inner, type):
            owner: Any = type(inner)
            qualname = f"{owner.__qualname__}.{getattr(fn, '__name__', '?')}"
        elif hasattr(fn, "__qualname__"):
            owner, qualname = fn, fn.__qualname__
        else:  # a callable object: named by its class
            owner, qualname = type(fn), type(fn).__qualname__
        out: dict[str, Any] = {
            "kind": "external",
            "name": self.name,
            "module": getattr(owner, "__module__", None),
            "qualname": qualname,
            "settings": dict(self.settings),
        }
        cfg = getattr(inner, "config", None)
        if callable(cfg):
            out["config"] = cfg()
        return out


def as_estimator(obj: Any, divergence: str | None = None, name: str | None = None) -> Any:
    """Return ``obj`` as an object with ``estimate``, ``name``, ``divergence`` and ``config``.

    Accepts a built-in estimator (returned unchanged), any object with an ``estimate`` method,
    or a plain callable ``(x_p, x_q) -> float``.

    Raises
    ------
    ValueError
        If ``obj`` declares a ``divergence`` other than the one asked for: an estimator of KL
        must not be judged against the truth of another divergence.
    """
    declared = getattr(obj, "divergence", None)
    if divergence is not None and declared is not None and declared != divergence:
        raise ValueError(
            f"estimator {getattr(obj, 'name', type(obj).__name__)!r} estimates {declared!r}, "
            f"not {divergence!r}"
        )
    if isinstance(obj, BaseEstimator):
        return obj
    if all(hasattr(obj, a) for a in ("estimate", "name", "divergence")):
        return obj  # already complete: keep its own estimate_many and config, if any
    if hasattr(obj, "estimate") and callable(obj.estimate):
        fn = obj.estimate
        default_name = getattr(obj, "name", type(obj).__name__)
    elif callable(obj):
        fn = obj
        default_name = getattr(obj, "__name__", type(obj).__name__)
    else:
        raise TypeError(
            "an estimator must be a callable (x_p, x_q) -> float or have an estimate method; "
            f"got {type(obj).__name__}"
        )
    div = divergence or getattr(obj, "divergence", None)
    if div is None:
        raise ValueError(f"say which divergence {default_name!r} estimates (divergence=...)")
    return CallableEstimator(fn=fn, name=str(name or default_name), divergence=str(div))
