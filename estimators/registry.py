"""The registry of estimator kinds: ``make_estimator(kind, divergence=..., **config)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from divergence_verify.estimators.base import BaseEstimator


@dataclass(frozen=True)
class EstimatorKind:
    """A registered estimator kind.

    Attributes
    ----------
    kind : str
        Registry key, as passed to :func:`make_estimator`.
    description : str
        One line for listings.
    divergences : tuple of str
        Quantities it can estimate.
    factory : callable
        Called with ``divergence=...`` and the configuration keywords.
    neural : bool
        Whether it trains a torch critic (and accepts ``device``).
    """

    kind: str
    description: str
    divergences: tuple[str, ...]
    factory: Callable[..., BaseEstimator]
    neural: bool = False


ESTIMATORS: dict[str, EstimatorKind] = {}
"""Every registered estimator kind, by key."""


def register_estimator(
    kind: str, description: str, divergences: tuple[str, ...], neural: bool = False
) -> Callable[[Callable[..., BaseEstimator]], Callable[..., BaseEstimator]]:
    """Class decorator that adds an estimator factory to :data:`ESTIMATORS` under ``kind``."""

    def decorate(factory: Callable[..., BaseEstimator]) -> Callable[..., BaseEstimator]:
        if kind in ESTIMATORS:
            raise ValueError(f"estimator kind {kind!r} is already registered")
        ESTIMATORS[kind] = EstimatorKind(kind, description, tuple(divergences), factory, neural)
        return factory

    return decorate


def make_estimator(kind: str, divergence: str = "kl", **config: Any) -> BaseEstimator:
    """Build a registered estimator.

    Parameters
    ----------
    kind : str
        A key of :data:`ESTIMATORS` (see :func:`list_estimators`).
    divergence : str
        The quantity to estimate; must be one the kind supports.
    **config
        Settings of that kind (each kind's class documents them).

    Raises
    ------
    ValueError
        For an unknown kind, an unsupported divergence or an unknown setting.
    """
    if kind not in ESTIMATORS:
        known = ", ".join(sorted(ESTIMATORS))
        raise ValueError(f"unknown estimator kind {kind!r}; expected one of: {known}")
    entry = ESTIMATORS[kind]
    if divergence not in entry.divergences:
        raise ValueError(
            f"estimator {kind!r} does not estimate {divergence!r}; "
            f"it supports: {', '.join(entry.divergences)}"
        )
    try:
        return entry.factory(divergence=divergence, **config)
    except TypeError as exc:
        raise ValueError(f"bad configuration for estimator {kind!r}: {exc}") from None


def list_estimators() -> dict[str, str]:
    """Return ``{kind: one-line description}`` for every registered kind."""
    return {k: e.description for k, e in sorted(ESTIMATORS.items())}
