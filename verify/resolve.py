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
import inspect
import json
import math
import os
import re
import sys
import types
import typing
from collections import abc
from collections.abc import Iterator, Sequence
from typing import Any


class UsageError(Exception):
    """Bad usage or input: reported on one line, exit status 2."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
"""A bare ``--set`` value taken as text: a plain word (``relu``, ``leaky_relu``, ``v1.2``)."""
_NOT_BOOLEANS = {"true", "false", "yes", "no", "on", "off"}
_NOT_NULLS = {"none", "null", "nil"}
_NOT_NUMBERS = {"nan", "inf", "infinity", "+inf", "-inf", "+infinity", "-infinity"}


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"repeated key {repeated[0]!r} in a JSON object")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number (settings take finite JSON numbers)")


def _finite(value: Any) -> bool:
    """Whether every number in a parsed JSON value is finite (``1e400`` parses as infinity)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(map(_finite, value))
    if isinstance(value, dict):
        return all(map(_finite, value.values()))
    return True


def _parse_value(key: str, text: str) -> Any:
    """Return the JSON value of ``--set key=text``, or ``text`` itself if it is a plain word.

    Raises
    ------
    UsageError
        For an empty value, a non-strict boolean or null (``True``, ``yes``, ``None``), NaN or
        an infinity, duplicate keys in an object, and anything else that is neither JSON nor a
        plain word (``1e-3x``, ``[1,``).
    """
    given = f"--set {key}={text}"
    word = text.strip()
    if not word:
        raise UsageError(f"{given}: empty value; give a JSON value, e.g. --set {key}=1")
    try:
        value = json.loads(word, parse_constant=_no_constant, object_pairs_hook=_strict_pairs)
    except json.JSONDecodeError:
        pass
    except ValueError as exc:
        raise UsageError(f"{given}: {exc}") from None
    else:
        if not _finite(value):
            raise UsageError(f"{given}: a number beyond float64 (it would be infinite)")
        return value
    lower = word.lower()
    if lower in _NOT_BOOLEANS:
        raise UsageError(f"{given}: booleans are strict JSON: write true or false "
                         f"(or \"{word}\" quoted, for the text)")
    if lower in _NOT_NULLS:
        raise UsageError(f"{given}: write null for no value (or \"{word}\" quoted, for the text)")
    if lower in _NOT_NUMBERS:
        raise UsageError(f"{given}: not a finite number; settings take finite JSON numbers "
                         f"(or \"{word}\" quoted, for the text)")
    if _WORD.fullmatch(word):
        return word
    raise UsageError(f"{given}: not a JSON value; quote text as a JSON string "
                     f"(--set {key}='\"...\"') or give a number, true, false, null, a list "
                     "[...] or an object {...}")


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """Return the ``--set KEY=VALUE`` pairs as a dict.

    Each value is JSON (``5``, ``1e-3``, ``"text"``, ``[1, 2]``, ``{"a": 1}``, ``true``,
    ``false``, ``null``); a value that is not JSON is taken as text only if it is a plain word
    (letters, digits, ``_``, ``-`` and ``.``, starting with a letter or ``_``: ``relu``).

    Raises
    ------
    UsageError
        Naming the setting: a pair without ``=`` or a key that is not an identifier, a repeated
        key, and every value :func:`_parse_value` refuses (booleans other than ``true`` and
        ``false``, NaN, infinities, empty values, text that is neither JSON nor a word).
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        if not key.isidentifier():
            raise UsageError(f"--set {pair}: the key {key!r} is not a setting name (a Python "
                             "identifier)")
        if key in out:
            raise UsageError(f"--set {key} is given twice")
        out[key] = _parse_value(key, value)
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
            expected = "" if field is None else _expected(
                field.type, field.default is not dataclasses.MISSING, field.default)
            return (f"bad setting --set {key}={json.dumps(value)} for estimator {spec!r}"
                    f"{expected}: {one_line(alone)}")
    # No single setting is at fault: a combination of them, or the device.
    given = f" with {_settings_text(settings)}" if settings else ""
    return f"cannot build estimator {spec!r}{given}: {one_line(exc)}"


def _expected(annotation: object, has_default: bool, default: object) -> str:
    """`` (expected TYPE in JSON, like the default VALUE)``, for a setting's error message."""
    text = annotation if isinstance(annotation, str) else _type_name(annotation)
    if has_default:
        example = list(default) if isinstance(default, tuple) else default
        return f" (expected {text} in JSON, like the default {json.dumps(example, default=str)})"
    return f" (expected {text} in JSON)"


def _type_name(hint: object) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


_LISTS = (list, tuple, set, frozenset, abc.Sequence, abc.MutableSequence, abc.Collection,
          abc.Iterable, abc.Set, abc.MutableSet)
"""Annotations that a JSON list fits (JSON has no tuples or sets; the estimator converts)."""
_MAPPINGS = (dict, abc.Mapping, abc.MutableMapping)


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a type annotation; True for types JSON cannot spell.

    Checked: ``bool``, ``int``, ``float`` (an integer fits), ``str``, ``None``, unions,
    ``Literal``, lists, tuples and sets (a JSON list, element types included) and mappings (a
    JSON object). Anything else (a Path, an enum, a class of the user's) is left to the
    estimator.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_fits(value, arg) for arg in args)
    if origin is typing.Literal:
        return any(value == arg and type(value) is type(arg) for arg in args)
    base = origin or hint
    if base is type(None):
        return value is None
    if base in (bool, int, float, str):
        number = isinstance(value, int) and not isinstance(value, bool)
        return {bool: isinstance(value, bool), int: number, str: isinstance(value, str),
                float: number or isinstance(value, float)}[base]
    if base in _LISTS:
        if not isinstance(value, list):
            return False
        if base is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(map(_fits, value, args))
        return not args or all(_fits(v, args[0]) for v in value)
    if base in _MAPPINGS:
        return isinstance(value, dict) and (not args or all(
            _fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items()))
    return True


def _check_setting_types(spec: str, cls: type, settings: dict[str, Any]) -> None:
    """Refuse, before the class is built, a setting that does not fit its annotated parameter.

    The annotations are those of the class's ``__init__`` (a dataclass's fields); a class whose
    annotations cannot be resolved is left to judge its settings itself.
    """
    try:
        params = inspect.signature(cls).parameters
        hints = typing.get_type_hints(cls if dataclasses.is_dataclass(cls) else cls.__init__)
    except Exception:  # unresolvable annotations (a name not imported) or no signature
        return
    for key, value in settings.items():
        param = params.get(key)
        if param is None or key not in hints or _fits(value, hints[key]):
            continue
        has_default = param.default is not param.empty
        raise UsageError(f"bad setting --set {key}={json.dumps(value)} for estimator {spec!r}"
                         f"{_expected(hints[key], has_default, param.default)}: its "
                         f"{cls.__name__} declares {key}: {_type_name(hints[key])}")


def load_attribute(spec: str, what: str) -> Any:
    """Import ``module:attr`` (the working directory on ``sys.path``) and return the attribute.

    ``what`` names the thing in messages (``"estimator"``, ``"scenario"``).

    Raises
    ------
    UsageError
        For a malformed spec, a module that cannot be imported (whatever it raised), or a
        missing attribute.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"{what} {spec!r}: expected module:attr, e.g. mypkg.mod:my_{what}")
    try:
        # Anything the user's module raises while it is imported (a SyntaxError, an ImportError
        # of its own dependencies, an error in module-level code) is bad input, not a crash.
        with cwd_on_path():
            obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(f"cannot import module {module_name!r} of {what} {spec!r}: "
                         f"{describe_exception(exc)}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"cannot load {what} {spec!r}: {module_name!r} has no attribute "
                             f"{attr!r}") from None
    return obj


def resolve_scenario(spec: str) -> Any:
    """Return the scenario a command names: a registered name or ``module:attr`` of yours.

    ``module:attr`` may name a :class:`~divergence_verify.verify.scenarios.Scenario` (built with
    the blocks or :func:`~divergence_verify.verify.scenarios.user_scenario`) or a function of
    no arguments that returns one. A registered name is looked up with ``get_scenario``
    (family instances ``family@seed,k=v`` included).

    Raises
    ------
    UsageError
        For an unknown name, or an attribute that is not (and does not return) a scenario.
    """
    from divergence_verify.verify.scenarios import Scenario, get_scenario

    if ":" not in spec:
        try:
            return get_scenario(spec)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    obj = load_attribute(spec, "scenario")
    if callable(obj) and not isinstance(obj, Scenario):
        try:
            obj = obj()
        except Exception as exc:
            raise UsageError(f"scenario {spec!r}: calling it raised {describe_exception(exc)}") \
                from exc
    if not isinstance(obj, Scenario):
        raise UsageError(f"scenario {spec!r} is a {type(obj).__name__}, not a Scenario (build "
                         "one with divergence_verify.verify.scenarios.user_scenario or the "
                         "blocks)")
    return obj


def _resolve_user_estimator(spec: str, divergence: str, settings: dict[str, Any]) -> Any:
    from divergence_verify import estimators

    obj = load_attribute(spec, "estimator")
    if isinstance(obj, type):
        _check_setting_types(spec, obj, settings)
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
