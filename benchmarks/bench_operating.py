"""The certificate rules' operating characteristic on the default design, against the targets.

A script, not a timed unit test (``tests/verify/test_operating.py`` checks the same targets on
fewer replicates)::

    .venv/bin/python benchmarks/bench_operating.py [--reps 2000] [--seed 1] [--json out.json]

It simulates ``--reps`` certificates of every synthetic estimator of
:data:`~divergence_verify.verify.operating.SYNTHETICS` on the default scenarios of
``--divergence`` (KL: gauss2d-kl0.5, gauss1d-scale, mixture1d, flow8d-kl1) with the default
design (sizes 250 ... 4000, 8 seeds per size, ``Rules()``; ``--max-seeds`` simulates the
sequential design instead), prints the table and the wall time, and checks the issue's targets:

* root-n unbiased: P(CERTIFIED) >= 0.95;
* 10% and 20% bias: P(scenario passes) <= 0.05 at every scenario with truth >= 0.3;
* bias 0.3/log n and noise n^-0.1: P(CERTIFIED) <= 0.05;
* constant and non-shrinking noise: P(CERTIFIED) about 0, read as <= 0.005.

A target passes when the replicates *show* it: the one-sided 95% Clopper-Pearson bound of the
probability (lower for ">=", upper for "<=") lies on the target's side. The script exits 1 if
any target fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from scipy.stats import beta

from divergence_verify.verify.operating import (
    Probability,
    default_truths,
    operating_characteristic,
)

LEVEL = 0.95
"""One-sided confidence of the bound that must meet each target."""


def clopper_pearson(prob: Probability, side: str) -> float:
    """One-sided ``LEVEL`` Clopper-Pearson bound: ``side`` is ``"lower"`` or ``"upper"``."""
    k, n = prob.count, prob.reps
    if side == "lower":
        return 0.0 if k == 0 else float(beta.ppf(1 - LEVEL, k, n - k + 1))
    return 1.0 if k == n else float(beta.ppf(LEVEL, k + 1, n - k))


def targets(oc) -> list[dict]:
    """Every target's probability, bound and verdict on the simulation ``oc``."""
    checks: list[tuple[str, Probability, str, float]] = [
        ("root-n unbiased: P(CERTIFIED)", oc.certified("root-n unbiased"), ">=", 0.95)]
    for name in ("10% bias", "20% bias"):
        for scenario, truth in oc.truths.items():
            if truth >= 0.3:
                checks.append((f"{name}: P({scenario} passes), truth {truth:.4g}",
                               oc.scenario(name, scenario), "<=", 0.05))
    for name in ("bias 0.3/log n", "noise n^-0.1"):
        checks.append((f"{name}: P(CERTIFIED)", oc.certified(name), "<=", 0.05))
    for name in ("constant", "non-shrinking noise"):
        checks.append((f"{name}: P(CERTIFIED) ~ 0", oc.certified(name), "<=", 0.005))
    out = []
    for label, prob, op, target in checks:
        bound = clopper_pearson(prob, "lower" if op == ">=" else "upper")
        ok = bound >= target if op == ">=" else bound <= target
        out.append({"target": label, "op": op, "value": target, "count": prob.count,
                    "reps": prob.reps, "p": prob.p, "se": prob.se, "bound": bound,
                    "passed": ok})
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the simulation, print the table and the targets; return 1 if a target fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="certificates per synthetic")
    parser.add_argument("--seed", type=int, default=1, help="root seed of the replicates")
    parser.add_argument("--divergence", default="kl", help="whose default scenarios")
    parser.add_argument("--max-seeds", type=int, default=None,
                        help="simulate the sequential design with this budget")
    parser.add_argument("--json", help="write the operating characteristic and targets here")
    args = parser.parse_args(argv)

    truths = default_truths(args.divergence)
    extra = {} if args.max_seeds is None else {"max_seeds": args.max_seeds}
    start = time.perf_counter()
    oc = operating_characteristic(truths, reps=args.reps, seed=args.seed, **extra)
    wall = time.perf_counter() - start
    print(oc.table())
    print(f"\nwall time: {wall:.1f} s ({args.reps} replicates x {len(oc.rows)} synthetics, "
          f"{1e3 * wall / (args.reps * len(oc.rows)):.2f} ms per certificate)")

    results = targets(oc)
    print(f"\ntargets (PASS when the one-sided {100 * LEVEL:g}% Clopper-Pearson bound meets "
          "the target):")
    width = max(len(r["target"]) for r in results)
    for r in results:
        side = "lower" if r["op"] == ">=" else "upper"
        print(f"  {'PASS' if r['passed'] else 'FAIL'}  {r['target']:<{width}}  "
              f"{r['count']:>5}/{r['reps']} = {r['p']:.4f} ± {r['se']:.4f}, {side} bound "
              f"{r['bound']:.4f} {r['op']} {r['value']:g}")
    failed = [r for r in results if not r["passed"]]
    print(f"\n{len(results) - len(failed)} of {len(results)} targets met")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"operating": oc.to_dict(), "targets": results, "wall_seconds": wall},
                      fh, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
