"""``./suite``, the README's entry point, reaches the command line (``./suite demo``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_suite_runs_a_subcommand() -> None:
    venv = Path(sys.prefix)
    if not (venv / ".suite-installed").is_file():
        # Without its stamp ./suite would reinstall the environment (minutes, network): only an
        # environment that ./suite itself set up (as CI's) is used here.
        pytest.skip("this environment was not set up by ./suite (no .suite-installed stamp)")
    done = subprocess.run([str(REPO / "suite"), "demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "VENV": str(venv)})
    assert done.returncode == 0, done.stderr
    assert "Duality" in done.stdout
