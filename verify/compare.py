"""Compare two estimators on the same scenarios, sizes and seeds: paired differences of errors.

:func:`compare` sweeps both estimators in one :func:`~divergence_verify.verify.sweeps.run_sweeps`
call (one pool of workers, one progress bar). A run's samples are a function of (scenario, n,
seed) alone, so at every (scenario, n, seed) the two estimators see the same samples, and their
errors are paired there (:mod:`~divergence_verify.verify.pairing`: the statistics, the paired
Student-t intervals and their assumption). The answer, per scenario, at the largest n and over
all sizes: *A better*, *B better* or *no detectable difference*. :func:`compare_command` is the
command line's ``compare``: it resolves the estimators (registry kinds or ``module:attr``),
prints :meth:`Comparison.table` and writes ``comparison.json``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from divergence_verify.verify import jsonio
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.design import DEFAULT_SEEDS, DEFAULT_SIZES
from divergence_verify.verify.pairing import (
    PairedScenario,
    Verdict,
    check_divergence,
    pair_sweeps,
    scenarios_for,
)
from divergence_verify.verify.resolve import UsageError
from divergence_verify.verify.sweeps import Progress, SweepResult, as_cache, plan_sweep, run_sweeps

__all__ = ["FORMAT", "Comparison", "check_divergence", "compare", "compare_command",
           "scenarios_for"]

FORMAT = "divergence-verify comparison"
"""The ``format`` field of ``comparison.json``."""
FORMAT_VERSION = 1


@dataclass
class Comparison:
    """Two estimators on the same samples: every sweep and the paired comparisons.

    Attributes
    ----------
    a, b : str
        The names shown for A and B (the estimators' names, marked ``(A)``/``(B)`` if equal).
    divergence : str
        The quantity both estimate.
    sizes, seeds : list of int
        The design every scenario was run with.
    confidence : float
        Level of the paired intervals.
    scenarios : list of PairedScenario
        One per scenario, in the order run.
    sweeps_a, sweeps_b : list of SweepResult
        Every run of A and of B, scenario by scenario.
    """

    a: str
    b: str
    divergence: str
    sizes: list[int]
    seeds: list[int]
    confidence: float
    scenarios: list[PairedScenario]
    sweeps_a: list[SweepResult]
    sweeps_b: list[SweepResult]

    def verdicts(self, overall: bool = False) -> dict[str, Verdict]:
        """The verdict per scenario at the largest n (``overall``: over every size)."""
        return {p.scenario: p.overall.verdict if overall else p.last.abs_diff.verdict
                for p in self.scenarios}

    def conclusion(self, overall: bool = False) -> str:
        """One line: on which scenarios A is better, B is better, no difference is detectable."""
        found = self.verdicts(overall)
        where = "over all sizes" if overall else f"at n = {max(self.sizes)}"
        parts = []
        for verdict in Verdict:
            names = [s for s, v in found.items() if v is verdict]
            parts.append(f"{verdict.value} on {', '.join(names) or 'none'}")
        return f"{where}: " + "; ".join(parts)

    def table(self) -> str:
        """A readable plain-text table of the paired differences and the verdicts."""
        from divergence_verify.verify.report.prose import error_ci, num

        level = f"{self.confidence:.0%}"
        head = (f"{'scenario':<22} {'n':>6} {'|err| A':>9} {'|err| B':>9} "
                f"{'d = |err A| - |err B| [' + level + ' CI]':>34} "
                f"{'err A² - err B² [' + level + ' CI]':>34}  verdict")
        lines = [f"comparison for {self.divergence}: A = {self.a}, B = {self.b}",
                 f"the same samples at every (scenario, n, seed); {len(self.seeds)} seeds per "
                 f"size; paired Student-t intervals over the seeds (negative d: A is closer to "
                 "the truth)", head, "-" * len(head)]
        for p in self.scenarios:
            for s in p.sizes:
                d, sq = s.abs_diff, s.sq_diff
                lines.append(f"{p.scenario:<22} {s.n:>6} {num(s.abs_a, '.4f'):>9} "
                             f"{num(s.abs_b, '.4f'):>9} {error_ci(d.mean, d.low, d.high):>34} "
                             f"{error_ci(sq.mean, sq.low, sq.high):>34}  {d.verdict.value}")
            o = p.overall
            lines.append(f"{p.scenario:<22} {'all':>6} {'':>9} {'':>9} "
                         f"{error_ci(o.mean, o.low, o.high):>34} {'':>34}  {o.verdict.value} "
                         "(per-seed mean over sizes)")
        unpaired = sum(s.unpaired for p in self.scenarios for s in p.sizes)
        if unpaired:
            lines.append(f"{unpaired} runs whose partner failed are left out (comparison.json "
                         "holds every run and its error)")
        lines += [self.conclusion(), self.conclusion(overall=True)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON form under the suite's policy, with every sweep's records."""
        return jsonio.encode({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "divergence": self.divergence, "confidence": self.confidence,
            "sizes": self.sizes, "seeds": self.seeds,
            "a": {"name": self.a, "config": self.sweeps_a[0].config},
            "b": {"name": self.b, "config": self.sweeps_b[0].config},
            "difference": "|estimate_A - truth| - |estimate_B - truth|, paired by (scenario, n, "
                          "seed): the same samples",
            "verdicts": {"largest_n": {k: v.value for k, v in self.verdicts().items()},
                         "overall": {k: v.value for k, v in self.verdicts(True).items()}},
            "scenarios": [{**p.to_dict(), "sweep_a": ra.to_dict(), "sweep_b": rb.to_dict()}
                          for p, ra, rb in zip(self.scenarios, self.sweeps_a, self.sweeps_b,
                                               strict=True)],
        })

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as strict JSON, atomically, to ``path``."""
        jsonio.write_json_atomic(path, self.to_dict(), indent=2)


def compare(
    a: Any,
    b: Any,
    divergence: str,
    scenarios: Sequence[str] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    *,
    cache: Cache | str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    executor: Any = None,
    confidence: float = 0.95,
) -> Comparison:
    """Run two estimators on the same scenarios, sizes and seeds and pair their errors.

    Parameters
    ----------
    a, b : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        A and B (:func:`divergence_verify.estimators.as_estimator`); they may be the same.
    divergence : str
        The quantity both estimate.
    scenarios : sequence of str, optional
        Scenario names (default: the divergence's,
        :data:`~divergence_verify.verify.design.DEFAULT_SCENARIOS`).
    sizes : sequence of int
        Sample sizes per side.
    seeds : int or sequence of int
        A count (seeds 0..k-1) or the seeds; at least two, for an interval. Seed ``s`` at size
        ``n`` draws the same samples for A and for B.
    cache, progress, executor
        As for :func:`divergence_verify.verify.sweep`; both estimators' runs share one pool
        and one progress bar.
    confidence : float
        Level of the paired intervals, in (0, 1).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        For an unknown divergence or scenario, fewer than two seeds, a confidence outside
        (0, 1), or an estimator of another divergence.
    """
    check_divergence(divergence)
    names = scenarios_for(divergence, scenarios)
    count = seeds if isinstance(seeds, int) else len(list(seeds))
    if count < 2:
        raise ValueError(f"compare needs at least two seeds per size for a paired interval, "
                         f"got {count}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    store = as_cache(cache)
    jobs = [plan_sweep(est, name, divergence, sizes, seeds, cached=store is not None)
            for est in (a, b) for name in names]
    results = run_sweeps(jobs, executor=executor, cache=store, progress=progress)
    sweeps_a, sweeps_b = results[:len(names)], results[len(names):]
    label_a, label_b = sweeps_a[0].estimator, sweeps_b[0].estimator
    if label_a == label_b:
        label_a, label_b = f"{label_a} (A)", f"{label_b} (B)"
    paired = [pair_sweeps(x, y, confidence, (label_a, label_b))
              for x, y in zip(sweeps_a, sweeps_b, strict=True)]
    return Comparison(label_a, label_b, divergence, list(sweeps_a[0].sizes),
                      sorted({r.seed for r in sweeps_a[0].records}), confidence, paired,
                      sweeps_a, sweeps_b)


def compare_command(
    a: str,
    b: str,
    *,
    divergence: str,
    scenarios: Sequence[str] | None = None,
    sizes: Sequence[int] | None = None,
    seeds: int | None = None,
    device: str = "auto",
    settings_a: dict[str, Any] | None = None,
    settings_b: dict[str, Any] | None = None,
    cache: str | None = None,
    quiet: bool = False,
    executor: Any = None,
    out: str | None = None,
) -> int:
    """Run ``python -m divergence_verify compare A B``; print the table; return 0.

    Parameters
    ----------
    a, b : str
        Registry kinds or ``module:attr`` (:func:`~divergence_verify.verify.resolve.
        resolve_estimator`; a module is imported with the working directory on ``sys.path``).
    divergence : str
        The quantity both estimate.
    scenarios : sequence of str, optional
        Default: the divergence's default scenarios.
    sizes, seeds : optional
        Default: the certificate's design (:data:`~divergence_verify.verify.design.
        DEFAULT_SIZES`, :data:`~divergence_verify.verify.design.DEFAULT_SEEDS`).
    device : {"auto", "cpu", "cuda"}
        Device of built-in neural estimators.
    settings_a, settings_b : dict, optional
        Settings of A and of B (the ``--set-a`` / ``--set-b`` values).
    cache : str, optional
        Folder of cached runs; None reads and writes no cache.
    quiet : bool
        No progress bar, no "wrote" line (the table is still printed).
    executor : None, int, Executor or distributed.Client
        Where the runs happen (:func:`divergence_verify.verify.executors.workers_for`).
    out : str, optional
        Folder for ``comparison.json`` (default ``verify-out/compare/<a>-vs-<b>-<divergence>``,
        made path-safe).

    Raises
    ------
    UsageError
        For an estimator that cannot be resolved (:func:`resolve_estimator`'s messages).
    ValueError
        For an unknown divergence or scenario, sizes that do not fit in memory, too few seeds,
        ``--device cuda`` without CUDA.
    OSError
        If the output folder cannot be created (checked before anything runs).
    """
    from divergence_verify.verify.options import check_sizes_fit, default_out, resolve_device
    from divergence_verify.verify.progress import ProgressBar
    from divergence_verify.verify.resolve import resolve_estimator
    from divergence_verify.verify.scenarios import get_scenario

    check_divergence(divergence)
    names = scenarios_for(divergence, scenarios)
    sizes = list(DEFAULT_SIZES) if sizes is None else list(sizes)
    seeds = DEFAULT_SEEDS if seeds is None else seeds
    if device == "cuda":
        resolve_device(device)  # refuses cuda without CUDA, before anything runs
    est_a = resolve_estimator(a, divergence, device, dict(settings_a or {}))
    est_b = resolve_estimator(b, divergence, device, dict(settings_b or {}))
    dim = max(get_scenario(name).dim for name in names)
    for est in (est_a, est_b):
        check_sizes_fit(sizes, dim, est)
    folder = Path(out or default_out("compare", f"{a}-vs-{b}", divergence))
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    result = compare(est_a, est_b, divergence, names, sizes, seeds, cache=cache,
                     progress=None if quiet else ProgressBar(), executor=executor)
    result.save(folder / "comparison.json")
    print(result.table())
    if not quiet:
        print(f"wrote {folder / 'comparison.json'}", file=sys.stderr)
    return 0
