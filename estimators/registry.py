"""The registry of estimator kinds: ``make_estimator(kind, divergence=..., **config)``.

The built-in kinds are declared in :mod:`estimators.kinds` (their modules load on first use);
third-party code adds its own with the :func:`register_estimator` decorator. Both end up as
:class:`~estimators.kinds.EstimatorKind` entries of the one :data:`ESTIMATORS` dictionary.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from divergence_verify.estimators.base import BaseEstimator
from divergence_verify.estimators.kinds import BUILTIN_KINDS, EstimatorKind

__all__ = [
    "ESTIMATORS",
    "EstimatorKind",
    "list_estimators",
    "make_estimator",
    "register_estimator",
]

F = TypeVar("F", bound=Callable[..., Any])

ESTIMATORS: dict[str, EstimatorKind] = {entry.kind: entry for entry in BUILTIN_KINDS}
"""Every registered estimator kind, by key."""


def register_estimator(
    kind: str, description: str, divergences: tuple[str, ...], neural: bool = False
) -> Callable[[F], F]:
    """Class decorator that adds an estimator factory to :data:`ESTIMATORS` under ``kind``.

    Raises
    ------
    ValueError
        If ``kind`` is already registered (built-in kinds included).
    """

    def decorate(factory: F) -> F:
        if kind in ESTIMATORS:
            raise ValueError(f"estimator kind {kind!r} is already registered")
        ESTIMATORS[kind] = EstimatorKind(kind, description, tuple(divergences), factory, neural)
        return factory

    return decorate


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _check_settings(kind: str, factory: Callable[..., Any], config: dict[str, Any]) -> None:
    """Raise ValueError if ``factory`` cannot take ``divergence`` and these settings.

    Only the binding of the keywords to the factory's signature is checked here; whatever the
    factory itself raises while building (a TypeError from a bug in it included) propagates.
    """
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # no introspectable signature: the call itself will tell
        return
    try:
        signature.bind(**config)
    except TypeError as exc:
        params = signature.parameters
        settings = [n for n, p in params.items()
                    if n != "divergence" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        unknown = [] if takes_any else [k for k in config if k not in params]
        missing = [n for n, p in params.items()
                   if n not in config and p.default is p.empty
                   and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if unknown:
            problem = f"unknown setting{'s' if len(unknown) > 1 else ''} {_names(unknown)}"
        elif missing:
            problem = f"missing setting{'s' if len(missing) > 1 else ''} {_names(missing)}"
        else:
            problem = str(exc)
        raise ValueError(
            f"bad configuration for estimator {kind!r}: {problem}; its settings are: "
            f"{', '.join(settings) or '(none)'}"
        ) from None


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
        For an unknown kind, an unsupported divergence, an unknown setting or a missing one
        (the message lists the kind's settings), and for values the estimator rejects.
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
    factory = entry.factory
    config = {"divergence": divergence, **config}
    _check_settings(kind, factory, config)
    return factory(**config)


def list_estimators() -> dict[str, str]:
    """Return ``{kind: one-line description}`` for every registered kind."""
    return {k: e.description for k, e in sorted(ESTIMATORS.items())}
