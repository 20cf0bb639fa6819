"""The smoke report, run once per session through the command line, shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from divergence_verify.verify.cli import main


@pytest.fixture(scope="session")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke preset, run once through the command line into a temporary folder."""
    root = tmp_path_factory.mktemp("reports")
    status = main(["report", "--preset", "smoke", "--out-root", str(root),
                   "--cache", str(root / "cache"), "--quiet"])
    assert status == 0
    return root / "smoke"


def figure_names(folder: Path, suffix: str = ".png") -> set[str]:
    """The figure files of a report folder with ``suffix``."""
    return {p.name for p in folder.glob(f"*{suffix}")}
