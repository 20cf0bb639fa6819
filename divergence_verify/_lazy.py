"""Lazy re-exports for the packages' ``__init__`` files (PEP 562), written once.

A package lists ``{public name: submodule}`` and the submodules reachable as attributes; the
module that defines a name is imported when the name is first used, so importing a package
costs only what its ``__init__`` imports eagerly (no torch, POT, scipy or matplotlib).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_module_attributes(
    package: str,
    exports: Mapping[str, str],
    submodules: Iterable[str] = (),
    public: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``(__getattr__, __dir__)`` pair of a package with lazy re-exports.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> the submodule (relative to ``package``) that defines it.
    submodules : iterable of str
        Submodules reachable as attributes of the package without an import statement.
    public : iterable of str
        The package's ``__all__`` (listed by ``dir()`` beside what is already loaded).

    Returns
    -------
    (callable, callable)
        Assign them to ``__getattr__`` and ``__dir__`` in the package's ``__init__``.
    """
    namespace = importlib.import_module(package).__dict__
    lazy_submodules = frozenset(submodules)
    listed = tuple(public)

    def __getattr__(name: str) -> Any:
        if name in lazy_submodules:
            return importlib.import_module(f"{package}.{name}")
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *listed})

    return __getattr__, __dir__
