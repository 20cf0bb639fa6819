"""The estimator a command names: a registry kind or ``module:attr``, with its ``--set`` values.

Nothing heavy is imported here at module level (the command line's ``--help`` loads this
module): the estimators load when an estimator is resolved. A ``module:attr`` is imported with
the working directory on ``sys.path`` (:func:`cwd_on_path`), as ``python -m divergence_verify``
has it, so the console script ``divergence-verify`` finds the user's modules too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any


class UsageError(Exception):
    """Bad usage or input: reported on one line, exit status 2."""


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """Return the ``--set KEY=VALUE`` pairs as a dict, each value parsed as JSON (else text)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = _parse_value(value)
    return out


def one_line(text: object) -> str:
    """Return ``text`` on one line (exception messages may span several)."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line; a SyntaxError with its file and line."""
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    return f"{type(exc).__name__}: {one_line(exc)}" if str(exc) else type(exc).__name__


def _settings_text(settings: dict[str, Any]) -> str:
    return " ".join(f"--set {k}={json.dumps(v)}" for k, v in settings.items())


def resolve_estimator(spec: str, divergence: str, device: str, settings: dict[str, Any]) -> Any:
    """Return an estimator from a registry kind or a ``module:attr`` reference.

    Parameters
    ----------
    spec : str
        A key of :data:`~divergence_verify.estimators.ESTIMATORS`, or ``module:attr`` naming
        a callable ``(x_p, x_q) -> float``, an object with ``estimate``, or a class (built with
        ``settings``); the module is imported with the working directory on ``sys.path``.
    divergence : str
        The quantity to estimate.
    device : str
        Device of a built-in neural estimator (``auto``, ``cpu`` or ``cuda``).
    settings : dict
        The ``--set`` values: keywords of the built-in kind or of the user's class. For a user's
        estimator they are recorded in its configuration (and so in every cache key).

    Raises
    ------
    UsageError
        For anything wrong with the estimator: an unknown kind, a module that does not import
        (including a SyntaxError in it) or lacks the attribute, settings the class or kind
        rejects (naming the setting and what it expects), an estimator of another divergence.
    """
    from divergence_verify import estimators

    if ":" in spec:
        return _resolve_user_estimator(spec, divergence, settings)
    entry = estimators.ESTIMATORS.get(spec)
    if entry is None:
        known = ", ".join(sorted(estimators.ESTIMATORS))
        raise UsageError(f"unknown estimator {spec!r}; expected one of: {known}, or module:attr")
    if divergence not in entry.divergences:
        raise UsageError(f"estimator {spec!r} does not estimate {divergence!r}; "
                         f"it supports: {', '.join(entry.divergences)}")
    if "divergence" in settings:
        raise UsageError("choose the divergence with --divergence, not --set divergence=...")
    base = {"device": device} if entry.neural else {}
    try:
        return estimators.make_estimator(spec, divergence=divergence, **{**base, **settings})
    except (TypeError, ValueError) as exc:
        # Chained, so that --debug shows where the estimator raised.
        raise UsageError(_bad_setting_message(spec, entry, divergence, base, settings, exc)) \
            from exc


def _bad_setting_message(
    spec: str, entry: Any, divergence: str, base: dict[str, Any], settings: dict[str, Any],
    exc: Exception,
) -> str:
    """Say which ``--set`` a built-in kind rejected and what it expects.

    Each setting is tried alone (building a built-in estimator only validates its fields), so
    the message names the culprit even when several were given.
    """
    from divergence_verify import estimators

    fields = ({f.name: f for f in dataclasses.fields(entry.factory)}
              if dataclasses.is_dataclass(entry.factory) else {})
    for key, value in settings.items():
        try:
            estimators.make_estimator(spec, divergence=divergence, **{**base, key: value})
        except (TypeError, ValueError) as alone:
            field = fields.get(key)
            if field is None and fields:
                known = ", ".join(f for f in fields if f not in ("divergence",))
                return f"unknown setting {key!r} for estimator {spec!r}; its settings: {known}"
            expected = ""
            if field is not None:
                expected = f" (expected {field.type} in JSON"
                if field.default is not dataclasses.MISSING:
                    default = field.default
                    example = list(default) if isinstance(default, tuple) else default
                    expected += f", like the default {json.dumps(example, default=str)}"
                expected += ")"
            return (f"bad setting --set {key}={json.dumps(value)} for estimator {spec!r}"
                    f"{expected}: {one_line(alone)}")
    # No single setting is at fault: a combination of them, or the device.
    given = f" with {_settings_text(settings)}" if settings else ""
    return f"cannot build estimator {spec!r}{given}: {one_line(exc)}"


def _resolve_user_estimator(spec: str, divergence: str, settings: dict[str, Any]) -> Any:
    from divergence_verify import estimators

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"estimator {spec!r}: expected module:attr, e.g. mypkg.mod:my_kl")
    try:
        # Anything the user's module raises while it is imported (a SyntaxError, an ImportError
        # of its own dependencies, an error in module-level code) is bad input, not a crash.
        with cwd_on_path():
            obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(f"cannot import module {module_name!r} of estimator {spec!r}: "
                         f"{describe_exception(exc)}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"cannot load estimator {spec!r}: {module_name!r} has no attribute "
                             f"{attr!r}") from None
    if isinstance(obj, type):
        try:
            obj = obj(**settings)
        except Exception as exc:
            given = f" with {_settings_text(settings)}" if settings else ""
            raise UsageError(f"cannot build estimator {spec!r}{given}: "
                             f"{describe_exception(exc)}") from exc  # --debug: the user's line
    elif settings:
        raise UsageError(f"--set applies to a class, but {spec!r} is a {type(obj).__name__}: "
                         f"drop {_settings_text(settings)}")
    try:
        est = estimators.as_estimator(obj, divergence=divergence, name=spec)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"estimator {spec!r}: {one_line(exc)}") from None
    if isinstance(est, estimators.CallableEstimator):
        # The settings are part of its configuration, hence of every cache key: a run with
        # other --set values must not reuse these.
        est = dataclasses.replace(est, settings=dict(settings))
    return est


@contextlib.contextmanager
def cwd_on_path() -> Iterator[None]:
    """Put the working directory first on ``sys.path`` for the duration, if it is not there.

    ``python -m`` puts the working directory on ``sys.path``; a console script puts its own
    ``bin`` folder instead, so without this ``divergence-verify certify --estimator mymod:f``
    could not import ``mymod.py`` from the working directory. The path is restored afterwards
    (the command line may be called in-process, as the tests do).
    """
    cwd = os.getcwd()
    present = any(os.path.abspath(p or os.curdir) == cwd for p in sys.path)
    if not present:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if not present and cwd in sys.path:
            sys.path.remove(cwd)
