"""The README's shell example of ``report --estimator`` and ``compare`` runs as written.

The ```bash block of the README section "A report of your own estimator, beside baselines;
`compare`" is found by that heading (never by line numbers) and run verbatim with
``bash -euo pipefail`` from a folder outside the repository, with the venv's
``divergence-verify`` first on ``PATH``, one worker and ``OMP_NUM_THREADS=1``. The block itself
works in ``/tmp/my-estimator``, which the slow test empties before and after so that runs do
not share a cache or reports.

Checks
------
* ``test_readme_estimator_heredoc_writes_a_working_my_kl`` (fast): the block's heredoc, verbatim,
  writes ``my_kl.py``; ``python -c`` imports it and estimates KL on two small Gaussian samples
  (1-D and 2-D), close to the closed form.
* ``test_readme_report_and_compare_block_runs_verbatim`` (``slow``, several minutes): the whole
  block exits 0; the first report's summary shows my_kl beside its default baselines knn and
  classifier; ``reports/my_kl_my_kl-kl/index.html`` (drawn last by ``report --from``, from the
  second report, which writes the same folder) names my_kl, knn and fgan, with my_kl marked
  "(yours)" and the paired-comparison section; both ``compare`` commands print their table of
  paired differences with 95% intervals and verdicts, and write ``comparison.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "## A report of your own estimator, beside baselines; `compare`"
WORKDIR = Path("/tmp/my-estimator")  # the folder the block itself makes and enters


def readme_bash_block(heading: str = HEADING) -> str:
    """The first ```bash block after ``heading`` in the README, verbatim (before the next ##)."""
    text = README.read_text()
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    match = re.search(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M)
    assert match, f"no ```bash block under {heading!r}"
    return match.group(1)


def heredoc(block: str) -> str:
    """The block's heredoc that writes my_kl.py, from ``cat > my_kl.py`` to its ``EOF``."""
    match = re.search(r"^cat > my_kl\.py <<'EOF'\n.*?^EOF\n", block, flags=re.S | re.M)
    assert match, "no heredoc writing my_kl.py in the README block"
    return match.group(0)


def run_bash(script: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``script`` from a file in ``cwd`` with ``bash -euo pipefail``, the venv first on PATH."""
    path = cwd / "readme_block.sh"
    path.write_text(script)
    env = {**os.environ,
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
           "DIVERGENCE_VERIFY_WORKERS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(["bash", "-euo", "pipefail", str(path)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


CHECK_MY_KL = '''
python -c '
import numpy as np
from my_kl import my_kl
rng = np.random.default_rng(0)
# 2-D: N(0, I) against N((1, 1), I), KL = 1; 1-D: N(0, 1) against N(0, 2^2), KL = 0.318.
print(my_kl(rng.normal(size=(4000, 2)), rng.normal(size=(4000, 2)) + 1.0))
print(my_kl(rng.normal(size=(4000, 1)), 2.0 * rng.normal(size=(4000, 1))))
'
'''


def test_readme_estimator_heredoc_writes_a_working_my_kl(tmp_path):
    block = readme_bash_block()
    assert "import my_kl" not in block  # the CLI imports it by its module:attr reference
    result = run_bash(heredoc(block) + CHECK_MY_KL, tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my_kl.py").is_file()
    kl_2d, kl_1d = (float(v) for v in result.stdout.split())
    assert kl_2d == pytest.approx(1.0, abs=0.1)
    assert kl_1d == pytest.approx(np.log(2.0) + 1 / 8 - 0.5, abs=0.05)



@pytest.fixture
def clean_workdir():
    """Empty /tmp/my-estimator (the block's own folder) before and after the test."""
    shutil.rmtree(WORKDIR, ignore_errors=True)
    yield WORKDIR
    shutil.rmtree(WORKDIR, ignore_errors=True)


@pytest.mark.slow
def test_readme_report_and_compare_block_runs_verbatim(tmp_path, clean_workdir):
    block = readme_bash_block()
    assert block.startswith(f"mkdir -p {WORKDIR} && cd {WORKDIR}\n")
    result = run_bash(block, tmp_path, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout

    # The first report: my_kl beside the default KL baselines (its summary rows).
    first_report = out[:out.index("comparison for kl:")]
    for label in ("my_kl:my_kl", "knn[kl]", "classifier[kl]"):
        assert re.search(rf"^  {re.escape(label)} +gauss2d-kl0\.5 ", first_report, flags=re.M)

    # The page: the second report (baselines knn and fgan) writes the same folder, and the
    # redraw from its results.json is the last to draw it.
    page = clean_workdir / "reports" / "my_kl_my_kl-kl" / "index.html"
    assert page.is_file()
    html = page.read_text()
    for marked in ("my_kl:my_kl (yours)", "knn[kl] (baseline)", "fgan[kl] (baseline)"):
        assert marked in html
    assert "Which is better? Paired comparison on the same samples" in html
    results = json.loads((page.parent / "results.json").read_text())
    assert results  # strict JSON that report --from read back

    # Both compares: the paired table, its intervals and verdicts, and comparison.json.
    tables = out.split("comparison for kl: ")[1:]
    assert len(tables) == 2
    assert tables[0].startswith("A = my_kl:my_kl, B = knn")
    assert tables[1].startswith("A = fgan") and "(A), B = fgan" in tables[1].splitlines()[0]
    for table in tables:
        assert "paired Student-t intervals over the seeds" in table
        assert "d = |err A| - |err B| [95% CI]" in table
        # A paired difference with its interval, e.g. "-0.265 [-0.769, +0.239]".
        assert re.search(r" [+-]\S+ \[[+-]\S+, [+-]\S+\] ", table)
        assert re.search(r"at n = \d+: A better on .*; B better on .*; no detectable", table)
        assert "over all sizes:" in table
    for scenario in ("gauss2d-kl0.5", "gauss1d-scale"):
        assert re.search(rf"^{re.escape(scenario)} +all ", tables[0], flags=re.M)
    written = sorted(p.parent.name for p in (clean_workdir / "verify-out" / "compare")
                     .glob("*/comparison.json"))
    assert len(written) == 2 and any("my_kl" in w and "knn" in w for w in written)
