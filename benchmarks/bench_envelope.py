"""The validity envelope of every built-in KL estimator at n = 4000 (issue 14, item 5).

A script, not a test::

    OMP_NUM_THREADS=1 python benchmarks/bench_envelope.py [--workers 2] [--seeds 6] [--n 4000]
        [--kinds knn classifier fgan dv nwj ratio_critic] [--out reports/envelope]

Every kind runs with its own defaults (the neural critics' full training budget, early stopping
included) on the 25 cells of :data:`divergence_verify.verify.design.ENVELOPE` (N(μ, I) vs
N(0, I), d = 1 … 128, KL 0.1 … 20 nats), seeds 0 … seeds − 1 and the named scenarios as they
are (no fresh instances: the report's convention). Each cell is judged as a ladder rung (the
95% intervals of the error and of the RMSE against ±tolerance and 2·tolerance). It writes a
report of the envelope alone (``--out``, drawn from its ``results.json``) and prints, per
estimator and dimension, the largest KL up to which every cell is within tolerance, as the
Markdown table the README quotes.
"""

from __future__ import annotations

import argparse
import time

from divergence_verify.verify.design import ENVELOPE, ENVELOPE_DIMS
from divergence_verify.verify.progress import ProgressBar
from divergence_verify.verify.report.build import write
from divergence_verify.verify.report.envelope import envelope_maps, valid_to
from divergence_verify.verify.report.presets import Entry, Preset
from divergence_verify.verify.report.run import run_preset
from divergence_verify.verify.report.summary import Status, build_summary

KINDS = ("knn", "classifier", "fgan", "dv", "nwj", "ratio_critic")


def main() -> None:
    """Run the envelope of each kind, write its report and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="reports/envelope")
    args = parser.parse_args()

    cells = tuple(ENVELOPE)
    preset = Preset("envelope", f"the validity envelope of {', '.join(args.kinds)} at "
                    f"n = {args.n}, each with its defaults", (args.n,), args.seeds, entries=(),
                    envelope=tuple(Entry(kind, "kl", cells) for kind in args.kinds))
    start = time.perf_counter()
    data = run_preset(preset, device="cpu", executor=args.workers, progress=ProgressBar())
    wall = time.perf_counter() - start
    write(data, args.out)
    summary = build_summary([], [], data.rules, envelope=data.envelope)
    print(f"{data.runs} runs in {wall:.0f} s ({args.workers} workers); report in {args.out}")
    print("| estimator | " + " | ".join(f"d = {d}" for d in ENVELOPE_DIMS)
          + " | cells within / borderline / outside |")
    print("|---" * (len(ENVELOPE_DIMS) + 2) + "|")
    for grid in envelope_maps(summary.cells):
        reach = [valid_to(grid, d) for d in ENVELOPE_DIMS]
        counts = grid.counts()
        print(f"| {grid.estimator} | "
              + " | ".join("none" if r is None else f"≤ {r:g}" for r in reach)
              + f" | {counts[Status.WITHIN]} / {counts[Status.BORDERLINE]} / "
              f"{counts[Status.OUTSIDE]} |")


if __name__ == "__main__":
    main()
