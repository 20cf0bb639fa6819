"""What a sweep asks of any estimator, built-in or not, with the protocol's defaults.

These functions read the optional parts of the estimator protocol (:class:`estimators.Estimator`)
on any object, so that the verification layer needs neither the estimators' private modules nor
``isinstance`` tests on their classes. None of them imports torch.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from divergence_verify.estimators.base import BaseEstimator, CallableEstimator

_SUITE = __name__.partition(".")[0]  # "divergence_verify"

__all__ = ["device_of", "is_builtin", "sample_device_of", "unwrap_estimator", "with_seed"]


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


def with_seed(est: Any, seed: int) -> Any:
    """Return ``est`` seeded with ``seed``.

    Its ``with_seed(seed)`` when it has one (every built-in estimator); otherwise a dataclass
    with a ``seed`` is copied with ``seed=seed``, and any other estimator is returned unchanged
    (only its samples depend on the seed).
    """
    hook = getattr(est, "with_seed", None)
    if callable(hook):
        return hook(seed)
    if hasattr(est, "seed") and dataclasses.is_dataclass(est) and not isinstance(est, type):
        return dataclasses.replace(est, seed=seed)
    return est
