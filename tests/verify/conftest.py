"""Fixtures shared by the tests of ``verify``."""

import importlib
import sys
import textwrap

import pytest


@pytest.fixture
def user_modules(tmp_path, monkeypatch):
    """``write(name, source)``: a module in a folder on sys.path, unloaded after the test."""
    folder = tmp_path / "src"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)

    def write(name, source):
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        sys.modules.pop(name, None)  # as a new process would, import the file as it is now
        importlib.invalidate_caches()

    yield write
    # Only the user's modules: a library module first imported during the test (such as
    # concurrent.futures.process) must stay, or a later import makes a second copy of it.
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if path.startswith(str(folder)):
            del sys.modules[name]
