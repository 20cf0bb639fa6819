"""Fingerprints of a user's own estimator code (:func:`code_identity`).

A cached run is reused only for the same code and settings: the name of a callable says nothing
about what it computes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

SUITE_PACKAGE = "divergence_verify"
"""This suite's import namespace: its code is identified by the package version and source hash
(in every cache key), not fingerprinted."""


def is_suite_module(name: str | None) -> bool:
    """Whether module ``name`` is part of this suite (``divergence_verify`` or below it)."""
    return bool(name) and (name == SUITE_PACKAGE or name.startswith(f"{SUITE_PACKAGE}."))

_MAX_DEPTH = 8  # nesting followed into containers and objects before a value counts as opaque


class _NoSource(Exception):
    """The source of the estimator's code cannot be read."""


def code_identity(obj: Any) -> dict[str, Any] | None:
    """Fingerprint the code and settings of a user's estimator, for cache keys.

    A cached run may only be reused when the code that produced it has not changed: the name of a
    callable (``mymod:f``, ``<lambda>``) says nothing about what it computes. The identity holds

    ``module``, ``qualname``
        Where the code lives.
    ``source_sha256``
        SHA-256 of the source text (:func:`inspect.getsource`) of the function, and of its class
        for a bound method or an object with ``estimate`` / ``__call__``.
    ``code_sha256``
        SHA-256 of the live code: bytecode, constants, default arguments, closure values, and,
        recursively, the functions, classes and constants of user code (modules outside the
        Python installation, its site-packages and this suite) that the code names as globals;
        for a class, every method and class attribute of it and of its user-code bases. Unlike
        the source on disk, this is the code that actually runs (a module edited after import
        but not reloaded still runs the old code).
    ``state_sha256``
        For a bound method or an object: SHA-256 of its ``config()`` when it has one (which must
        then return every setting that changes its estimates), otherwise of its attributes.

    A module of the user's own that the code names (``import helpers; helpers.g()``) is
    identified by a hash of its file. Not followed (identified by name only): modules,
    functions and classes of installed libraries, and this suite (whose source hash is part of
    every key, see :func:`verify.cache.library_versions`). Only numpy, scipy, torch and POT
    have their versions in the key: upgrading another library an estimator uses does not
    invalidate its cached runs. Objects of other libraries held in attributes are identified
    by type only (``model=KNN(k=5)`` and ``KNN(k=10)`` look alike unless the estimator's
    ``config()`` reports them); numpy arrays and torch tensors by a hash of their contents;
    values nested more than eight levels deep by type.

    Parameters
    ----------
    obj : callable, object or class
        What the user named: a function, a bound method, an object with ``estimate`` or
        ``__call__``, or a class.

    Returns
    -------
    dict or None
        None when the source cannot be obtained (code typed into a REPL or ``python -c``, a C
        extension, a builtin): such an estimator cannot be told apart from an edited version of
        itself, so its runs must not be cached.
    """
    try:
        return _Fingerprint().identity(obj)
    except _NoSource:
        return None


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _json_sha(value: Any) -> str:
    return _sha(json.dumps(value, sort_keys=True, default=str, separators=(",", ":")))


def _source(obj: Any) -> str:
    import inspect

    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        raise _NoSource(str(exc)) from None


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[Path, ...]:
    """Folders of installed code: the standard library and every site-packages."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.update(getattr(site, "getsitepackages", list)())
    roots.add(site.getusersitepackages())
    return tuple(Path(r).resolve() for r in roots)


def _is_user_module(name: str | None) -> bool:
    """Whether module ``name`` is the user's own code (a file outside the installation)."""
    import sys

    if not name or is_suite_module(name):
        return False
    file = getattr(sys.modules.get(name), "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    return not any(path.is_relative_to(root) for root in _library_roots())


class _Fingerprint:
    """One identity computation (remembers what it has visited, so cycles end)."""

    def __init__(self) -> None:
        # id -> object: holding the object keeps its id from being reused by a later temporary
        # (a config() result), which would otherwise be mistaken for one already seen.
        self.seen: dict[int, Any] = {}

    def identity(self, obj: Any) -> dict[str, Any]:
        import inspect

        if isinstance(obj, functools.partial):
            inner = self.identity(obj.func)
            state = {"args": self.value(obj.args), "keywords": self.value(obj.keywords)}
            return {**inner, "state_sha256": _json_sha([inner.get("state_sha256"), state])}
        if inspect.ismethod(obj):
            owner = obj.__self__
            cls = owner if isinstance(owner, type) else type(owner)
            out = self._root(f"{cls.__qualname__}.{obj.__func__.__name__}", cls.__module__,
                             [_source(obj.__func__), _source(cls)],
                             [self.function(obj.__func__), self.cls(cls)])
            if not isinstance(owner, type):
                out["state_sha256"] = _json_sha(self.state(owner))
            return out
        if inspect.isfunction(obj):
            return self._root(obj.__qualname__, obj.__module__, [_source(obj)],
                              [self.function(obj)])
        if isinstance(obj, type):
            return self._root(obj.__qualname__, obj.__module__, [_source(obj)], [self.cls(obj)])
        if inspect.isbuiltin(obj) or inspect.isroutine(obj):
            raise _NoSource(f"{obj!r} is not Python source code")
        cls = type(obj)
        out = self._root(cls.__qualname__, cls.__module__, [_source(cls)], [self.cls(cls)])
        out["state_sha256"] = _json_sha(self.state(obj))
        return out

    @staticmethod
    def _root(qualname: str, module: str, sources: list[str], code: list[Any]) -> dict[str, Any]:
        return {"module": module, "qualname": qualname, "source_sha256": _json_sha(sources),
                "code_sha256": _json_sha(code)}

    def state(self, obj: Any) -> Any:
        """``obj.config()`` when it has one, else its attributes."""
        config = getattr(obj, "config", None)
        if callable(config):
            return {"config": self.value(config())}
        return {"attributes": self.attributes(obj, 0)}

    def attributes(self, obj: Any, depth: int) -> Any:
        names = dict(getattr(obj, "__dict__", {}))
        for klass in type(obj).__mro__:  # __slots__ instances keep their settings outside __dict__
            slots = vars(klass).get("__slots__", ())
            for slot in [slots] if isinstance(slots, str) else slots:
                if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                    names[slot] = getattr(obj, slot)
        return {k: self.value(v, depth + 1) for k, v in sorted(names.items())}

    def function(self, fn: Any, depth: int = 0) -> Any:
        cells = []
        for cell in fn.__closure__ or ():
            try:
                cells.append(self.value(cell.cell_contents, depth + 1))
            except ValueError:  # an empty cell (a name assigned after the closure was made)
                cells.append("<empty>")
        return {"code": self.code(fn.__code__, fn.__globals__, depth),
                "defaults": self.value(fn.__defaults__, depth + 1),
                "kwdefaults": self.value(fn.__kwdefaults__, depth + 1), "closure": cells}

    def code(self, code: Any, globals_: dict[str, Any], depth: int) -> Any:
        import inspect

        consts = [self.code(c, globals_, depth) if inspect.iscode(c) else self.value(c, depth + 1)
                  for c in code.co_consts]
        # co_names also holds attribute names; a global of the same name is then included too,
        # which can only make the key stricter.
        refs = {name: self.value(globals_[name], depth + 1)
                for name in code.co_names if name in globals_}
        return {"bytecode": _sha(code.co_code), "names": list(code.co_names), "consts": consts,
                "globals": refs}

    def cls(self, cls: type, depth: int = 0) -> Any:
        out = {}
        for klass in cls.__mro__:
            if klass is not cls and not _is_user_module(klass.__module__):
                continue
            members = {}
            for name, attr in sorted(vars(klass).items()):
                func = getattr(attr, "__func__", attr)  # staticmethod, classmethod
                if isinstance(attr, property):
                    members[name] = [self.value(f, depth + 1)
                                     for f in (attr.fget, attr.fset, attr.fdel)]
                elif hasattr(func, "__code__"):
                    members[name] = self.function(func, depth + 1)
                elif not (name.startswith("__") and name.endswith("__")):
                    members[name] = self.value(attr, depth + 1)
            out[f"{klass.__module__}.{klass.__qualname__}"] = members
        return out

    def value(self, v: Any, depth: int = 0) -> Any:
        import inspect
        import types

        import numpy as np

        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (bytes, bytearray)):
            return {"bytes": _sha(bytes(v))}
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            return {"ndarray": _sha(np.ascontiguousarray(v).tobytes()), "dtype": str(v.dtype),
                    "shape": list(v.shape)}
        if hasattr(v, "detach") and hasattr(v, "cpu") and hasattr(v, "numpy"):  # torch tensor
            return self.value(v.detach().cpu().numpy(), depth)
        if isinstance(v, types.ModuleType):
            # A user's own module (``import helpers; helpers.g()``) is identified by its file,
            # so editing a helper there changes the key; library modules by name.
            file = getattr(v, "__file__", None)
            if file and _is_user_module(v.__name__):
                return {"module": v.__name__, "file_sha256": _sha(Path(file).read_bytes())}
            return {"module": v.__name__}
        if depth > _MAX_DEPTH or id(v) in self.seen:
            return {"seen": f"{type(v).__module__}.{type(v).__qualname__}"}
        self.seen[id(v)] = v
        if isinstance(v, (list, tuple)):
            return [self.value(x, depth + 1) for x in v]
        if isinstance(v, dict):
            return {"dict": [[self.value(k, depth + 1), self.value(x, depth + 1)]
                             for k, x in v.items()]}
        if isinstance(v, (set, frozenset)):  # iteration order varies between processes
            return {"set": sorted(json.dumps(self.value(x, depth + 1), sort_keys=True, default=str)
                                  for x in v)}
        if isinstance(v, functools.partial):
            return {"partial": [self.value(v.func, depth + 1), self.value(v.args, depth + 1),
                                self.value(v.keywords, depth + 1)]}
        if inspect.ismethod(v):
            return {"method": [self.value(v.__func__, depth + 1),
                               self.value(v.__self__, depth + 1)]}
        name = f"{getattr(v, '__module__', '?')}.{getattr(v, '__qualname__', '?')}"
        if inspect.isfunction(v):
            user = _is_user_module(v.__module__)
            return {"function": name, **({"code": self.function(v, depth)} if user else {})}
        if isinstance(v, type):
            user = _is_user_module(v.__module__)
            return {"class": name, **({"code": self.cls(v, depth)} if user else {})}
        kind = f"{type(v).__module__}.{type(v).__qualname__}"
        config = getattr(v, "config", None)
        if callable(config):
            return {"type": kind, "config": self.value(config(), depth + 1)}
        if _is_user_module(type(v).__module__):
            return {"type": kind, "code": self.cls(type(v), depth),
                    "attributes": self.attributes(v, depth)}
        return {"type": kind}
