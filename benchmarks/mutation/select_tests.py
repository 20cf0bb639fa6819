"""cosmic-ray's test command for the suite: the tests that cover the mutated line, with -x.

Mutation testing of ``verify/`` and ``estimators/`` is run by hand, not in CI. In a clone of the
repository with its own virtual environment (an editable install of that clone)::

    pip install cosmic-ray pytest-cov
    # 1. which tests run each line: the fast suite under coverage, one context per test
    printf '[run]\\nsource = verify, estimators\\n' > .coveragerc
    OMP_NUM_THREADS=1 HYPOTHESIS_PROFILE=ci python -m pytest -m "not slow" --cov \\
        --cov-context=test --cov-report=
    # 2. the mutants (cosmic-ray.toml names this script as the test command), then a sample
    cosmic-ray init benchmarks/mutation/cosmic-ray.toml session.sqlite
    python benchmarks/mutation/select_tests.py --sample 200 --seed 20261203 session.sqlite
    cosmic-ray exec benchmarks/mutation/cosmic-ray.toml session.sqlite
    python benchmarks/mutation/select_tests.py --summary

``--sample K`` keeps K mutants drawn uniformly (seeded) and drops those inside annotations:
every module has ``from __future__ import annotations``, so a mutated annotation is never
evaluated (an equivalent mutant). Run as the test command (no arguments), it reads the one
mutation cosmic-ray applied on disk from ``git diff -U0``, runs the tests whose coverage context
holds that line (tests in the module's mirror file first, at most :data:`CAP`), or, for a line
that runs only at import or in a subprocess (no test context), the test files that name the
module; exit 1 (killed) when a test fails or errors. A run that exceeds :data:`BUDGET` seconds
is recorded as undecided. Every outcome is appended to ``mutation-log.jsonl``; ``--summary``
prints the kill rate.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("MUTATION_ROOT", Path(__file__).resolve().parents[2]))
LOG = ROOT / "mutation-log.jsonl"
BUDGET = float(os.environ.get("MUTATION_BUDGET", "100"))
"""Seconds of tests per mutant before it is recorded as undecided."""
CAP = 60
"""Most covering tests run per mutant."""


def _mutation() -> tuple[str, int, list[str]] | None:
    diff = subprocess.run(["git", "diff", "-U0", "--", "verify", "estimators"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    files = re.findall(r"^\+\+\+ b/(.*)$", diff, flags=re.M)
    lines = re.findall(r"^@@ -(\d+)", diff, flags=re.M)
    if not files:
        return None
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return files[0], int(lines[0]), changed


def _covering(path: str, line: int) -> tuple[list[str], str]:
    import coverage

    data = coverage.CoverageData(str(ROOT / ".coverage"))
    data.read()
    target = str(ROOT / path)
    by_line = data.contexts_by_lineno(target) if target in data.measured_files() else {}
    tests = sorted({c.split("|")[0] for c in by_line.get(line, []) if c})
    stem = Path(path).stem
    how = "coverage"
    if not tests:
        how = "files naming the module"
        names = {stem, path.replace("/", ".").removesuffix(".py")}
        tests = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").rglob("test_*.py"))
                 if stem in p.name or any(n in p.read_text() for n in names)][:10]
    tests.sort(key=lambda t: (stem not in t, t))
    return tests[:CAP], how


def test_command() -> int:
    """Run the tests for the applied mutation; 1 if they fail (killed), else 0."""
    found = _mutation()
    if found is None:
        return 0
    path, line, changed = found
    tests, how = _covering(path, line)
    entry: dict[str, object] = {"file": path, "line": line, "diff": changed, "how": how,
                                "tests": len(tests)}
    start = time.perf_counter()
    if not tests:
        entry["outcome"] = "no test"
    else:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "HYPOTHESIS_PROFILE": "ci"}
        try:
            run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                                  "no:cacheprovider", "-m", "not slow", "--no-header", *tests],
                                 cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=BUDGET)
            entry["outcome"] = ("survived" if run.returncode in (0, 5) else "killed")
        except subprocess.TimeoutExpired:
            entry["outcome"] = "undecided"
    entry["seconds"] = round(time.perf_counter() - start, 1)
    with LOG.open("a") as log:
        log.write(json.dumps(entry) + "\n")
    return 1 if entry["outcome"] == "killed" else 0


def _in_annotation(path: str, row: int, col: int) -> bool:
    tree = ast.parse((ROOT / path).read_text())
    for node in ast.walk(tree):
        notes = [node.annotation] if isinstance(node, (ast.arg, ast.AnnAssign)) else []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            notes.append(node.returns)
        for note in filter(None, notes):
            if (note.lineno, note.col_offset) <= (row, col) <= (note.end_lineno,
                                                                 note.end_col_offset):
                return True
    return False


def sample(session: str, count: int, seed: int) -> None:
    """Keep ``count`` mutants drawn uniformly, less those inside annotations (equivalent)."""
    db = sqlite3.connect(session)
    specs = db.execute("select job_id, module_path, start_pos_row, start_pos_col "
                       "from mutation_specs order by job_id").fetchall()
    keep = random.Random(seed).sample(specs, count)
    equivalent = [s for s in keep if _in_annotation(s[1], s[2], s[3])]
    kept = {s[0] for s in keep} - {s[0] for s in equivalent}
    drop = [(s[0],) for s in specs if s[0] not in kept]
    db.executemany("delete from work_items where job_id = ?", drop)
    db.executemany("delete from mutation_specs where job_id = ?", drop)
    db.commit()
    print(f"{len(specs)} mutants; sampled {count}; {len(equivalent)} inside annotations "
          f"(equivalent) dropped; {len(kept)} to run")


def summary() -> None:
    """Print the kill rate of the outcomes in the log, overall and per layer."""
    rows = [json.loads(line) for line in LOG.read_text().splitlines()]
    count = collections.Counter(r["outcome"] for r in rows)
    decided = count["killed"] + count["survived"] + count["no test"]
    print(f"{len(rows)} mutants: {dict(count)}")
    print(f"kill rate {count['killed']}/{decided} = {count['killed'] / max(decided, 1):.3f} "
          f"of the decided; {count['killed'] / max(len(rows), 1):.3f} counting undecided as "
          "survived")
    for layer in ("verify/", "estimators/"):
        mine = [r for r in rows if r["file"].startswith(layer)]
        killed = sum(r["outcome"] == "killed" for r in mine)
        print(f"  {layer}: {killed} killed of {len(mine)}")


def main() -> int:
    """The test command without arguments; ``--sample`` or ``--summary`` otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", nargs="?")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        summary()
        return 0
    if args.sample is not None:
        sample(args.session, args.sample, args.seed)
        return 0
    return test_command()


if __name__ == "__main__":
    sys.exit(main())
