"""The package's import graph, read from the sources with ``ast``: no cycles, layers import down.

Every module of ``divergence_verify.reference``, ``.estimators`` and ``.verify`` is parsed; each
``import`` / ``from ... import`` naming a module of the package becomes an edge, at module level
(run when the module is imported: top level, class bodies, ``if``/``try`` blocks, but not under
``if TYPE_CHECKING:``) or at function level (inside a function: run on first call). Names
imported from a package's ``__init__`` map to that package, except a submodule
(``from pkg import mod``) and every package's lazy re-exports (``from divergence_verify
import certify``, ``from divergence_verify.reference import divergence``), which map to the
module that defines them.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = "divergence_verify"
LAYERS = ("reference", "estimators", "verify")  # lowest first: each may import only those before
FORBIDDEN = {"reference": {"estimators", "verify"}, "estimators": {"verify"}, "verify": set()}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    module_level: bool


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not a package"
    return Path(next(iter(spec.submodule_search_locations)))


def _modules() -> dict[str, Path]:
    """Map every module name of the three layers to its source file."""
    found: dict[str, Path] = {}
    for layer in LAYERS:
        base = _package_dir(f"{ROOT}.{layer}")
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([ROOT, layer, *parts])] = path
    return found


def _lazy_exports(modules: dict[str, Path]) -> dict[str, dict[str, str]]:
    """Every package's lazy re-exports, ``package -> {name: defining module}``.

    Read from the ``_EXPORTS`` / ``_LAZY`` dict (name -> submodule, relative to the package)
    that each ``__init__`` hands to :func:`divergence_verify._lazy.lazy_module_attributes`, so
    that ``from divergence_verify.reference import divergence`` is an edge to
    ``reference.dispatch``, not to the package (which has no static edge to its lazy names).
    """
    packages = {ROOT: _package_dir(ROOT) / "__init__.py",
                **{n: p for n, p in modules.items() if p.name == "__init__.py"}}
    out: dict[str, dict[str, str]] = {}
    for package, path in packages.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("_EXPORTS", "_LAZY") for t in node.targets
            ):
                table = ast.literal_eval(node.value)
                out.setdefault(package, {}).update(
                    {name: f"{package}.{module}" for name, module in table.items()})
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Yield ``(node, module_level, type_checking_only)`` for every import statement."""

    def walk(node: ast.AST, module_level: bool, typing_only: bool) -> Iterator:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, module_level, typing_only
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, False, typing_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), module_level, True)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), module_level,
                                    typing_only)
            else:
                yield from walk(child, module_level, typing_only)

    yield from walk(tree, True, False)


def _graph() -> tuple[list[Edge], list[Edge]]:
    """Return (runtime edges, type-checking-only edges) between the package's modules."""
    modules = _modules()
    exports = _lazy_exports(modules)
    known = set(modules) | {ROOT}
    runtime: list[Edge] = []
    typing_only: list[Edge] = []
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, module_level, typing in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, node.module] if node.module else anchor)
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in known:
                        targets.append(sub)
                    elif alias.name in exports.get(base, {}):
                        targets.append(exports[base][alias.name])
                    else:
                        targets.append(base)
            for target in targets:
                # "import a.b.c" names module a.b.c; keep the longest prefix that is ours.
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edge = Edge(name, target, node.lineno, module_level)
                    (typing_only if typing else runtime).append(edge)
    return runtime, typing_only


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Return one cycle (as a list of modules) per strongly connected component with a loop."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan (1972)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return components


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def _describe(edges: list[Edge], component: list[str]) -> str:
    inside = set(component)
    return "; ".join(
        f"{e.source} -> {e.target} (line {e.line}{'' if e.module_level else ', in a function'})"
        for e in edges
        if e.source in inside and e.target in inside
    )


def test_the_scan_sees_the_whole_package() -> None:
    modules = _modules()
    for layer in LAYERS:
        assert f"{ROOT}.{layer}" in modules
    assert f"{ROOT}.reference.fdivergences" in modules
    runtime, _ = _graph()
    # A known edge, so that a scan that silently finds nothing cannot pass.
    assert any(e.source == f"{ROOT}.reference.dispatch"
               and e.target == f"{ROOT}.reference.fdivergences" for e in runtime)


def test_lazy_re_exports_resolve_to_their_modules() -> None:
    exports = _lazy_exports(_modules())
    assert exports[f"{ROOT}.reference"]["divergence"] == f"{ROOT}.reference.dispatch"
    assert exports[ROOT]["certify"] == f"{ROOT}.verify"
    runtime, _ = _graph()
    # verify.scenarios imports names of the reference package: edges go to their modules.
    assert not any(e.target == f"{ROOT}.reference" for e in runtime
                   if e.source.startswith(f"{ROOT}.reference."))


def test_no_cycle_among_module_level_imports() -> None:
    runtime, _ = _graph()
    edges = [e for e in runtime if e.module_level]
    cycles = _cycles(edges)
    assert not cycles, "import cycles: " + " | ".join(_describe(edges, c) for c in cycles)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_cycle_even_through_function_level_imports(layer: str) -> None:
    # A function-level import is the usual way to hide a cycle: none is left in any layer
    # (across layers, the downward rule below excludes cycles).
    runtime, _ = _graph()
    edges = [e for e in runtime if _layer(e.source) == layer and _layer(e.target) == layer]
    cycles = _cycles(edges)
    assert not cycles, "import cycles: " + " | ".join(_describe(edges, c) for c in cycles)


def test_layers_import_only_downward() -> None:
    runtime, typing_only = _graph()
    upward = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in runtime + typing_only
        if _layer(e.target) in FORBIDDEN[_layer(e.source)]
    ]
    assert not upward, "imports against the layering reference <- estimators <- verify: " + (
        "; ".join(upward))
