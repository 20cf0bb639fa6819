"""Start-up cost of the package: what an unrelated pytest run, ``--help`` and an import pay.

A script, not a timed unit test (timings depend on the machine and its load)::

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]

It measures, as the median of ``--runs`` interleaved runs (each a fresh process, so the runs of
one case share the machine's load with the others'):

1. a one-test pytest run in an empty temporary folder, with the installed ``divergence_verify``
   plugin (auto-loaded through its ``pytest11`` entry point) and with
   ``-p no:divergence_verify``, and their difference (issue 9: at most 0.3 s);
2. ``divergence-verify --help`` (issue 9: at most 0.5 s) and ``python -m divergence_verify
   --help``;
3. ``python -c "import divergence_verify"`` and, as a floor, ``python -c "pass"``;
4. the plugin's own import time once pytest is loaded, timed inside the process (the part of
   case 1's difference that is not noise between processes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _console_script() -> str:
    """The installed ``divergence-verify`` beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).with_name("divergence-verify")
    if beside.exists():
        return str(beside)
    found = shutil.which("divergence-verify")
    if found is None:
        raise SystemExit("divergence-verify is not installed (pip install -e .)")
    return found


def _time(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


_PLUGIN_IMPORT = """
import time
import pytest
start = time.perf_counter()
import divergence_verify.verify.pytest_plugin
print(time.perf_counter() - start)
"""


def _plugin_import_seconds(cwd: str, env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", _PLUGIN_IMPORT], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> int:
    """Run the measurements and print the medians; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per case (5)")
    runs = parser.parse_args().runs
    py = sys.executable
    # No PYTHONPATH or pytest options from the caller's shell: the installed package only.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_unrelated.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        pytest = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_unrelated.py"]
        cases = {
            "pytest, plugin loaded": pytest,
            "pytest, -p no:divergence_verify": [*pytest, "-p", "no:divergence_verify"],
            "divergence-verify --help": [_console_script(), "--help"],
            "python -m divergence_verify --help": [py, "-m", "divergence_verify", "--help"],
            'python -c "import divergence_verify"': [py, "-c", "import divergence_verify"],
            'python -c "pass"': [py, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        plugin_import = []
        for _ in range(runs):
            for name, argv in cases.items():
                times[name].append(_time(argv, tmp, env))
            plugin_import.append(_plugin_import_seconds(tmp, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"median of {runs} interleaved runs, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}")
    for name, value in medians.items():
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f}"
        print(f"  {name:<40} {value:6.3f} s   (range {spread})")
    cost = medians["pytest, plugin loaded"] - medians["pytest, -p no:divergence_verify"]
    print(f"  {'plugin cost (difference of medians)':<40} {cost:+6.3f} s   (issue 9: <= 0.3)")
    print(f"  {'plugin import, pytest already loaded':<40} "
          f"{statistics.median(plugin_import):6.3f} s")
    print(f"  {'--help of the console script':<40} "
          f"{medians['divergence-verify --help']:6.3f} s   (issue 9: <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
