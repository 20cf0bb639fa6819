"""Sweeps: run an estimator over sample sizes and seeds on a scenario, with resumable caching."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from estimators import as_estimator
from reference import ExactValue
from verify.cache import Cache, library_versions, record_key
from verify.scenarios import SAMPLING_VERSION, Scenario, get_scenario
from verify.stats import SizeStats, SlopeFit, fit_rate, size_stats

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called after each batch of runs."""


@dataclass(frozen=True)
class Record:
    """One run of an estimator.

    ``estimate`` is None when the run raised; ``error`` then holds the message. ``seconds`` is the
    wall time of the run (for a batched ensemble, the batch's time divided by its size).
    """

    n: int
    seed: int
    estimate: float | None
    seconds: float
    error: str | None = None
    batched: bool = False

    @property
    def ok(self) -> bool:
        """Whether the run returned a finite number."""
        return self.estimate is not None and math.isfinite(self.estimate)


@dataclass
class SweepResult:
    """Every run of one estimator on one scenario and divergence, with its summaries."""

    estimator: str
    config: dict[str, Any]
    scenario: str
    divergence: str
    truth: ExactValue
    records: list[Record] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    device: str = "cpu"

    @property
    def sizes(self) -> list[int]:
        """The sample sizes, ascending."""
        return sorted({r.n for r in self.records})

    def per_size(self, confidence: float = 0.95) -> list[SizeStats]:
        """Return :class:`~verify.stats.SizeStats` for each sample size."""
        out = []
        for n in self.sizes:
            runs = [r for r in self.records if r.n == n]
            good = [r for r in runs if r.ok]
            out.append(size_stats(
                n, [r.estimate for r in good], self.truth.value,
                [r.seconds for r in good], failures=len(runs) - len(good), confidence=confidence,
            ))
        return out

    def rate(self) -> SlopeFit:
        """Fit the log-log slope of RMSE against n."""
        rows = self.per_size()
        return fit_rate([s.n for s in rows], [s.rmse for s in rows])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: configuration, truth, every record and the summaries."""
        return {
            "estimator": self.estimator,
            "config": self.config,
            "scenario": self.scenario,
            "divergence": self.divergence,
            "truth": asdict(self.truth),
            "device": self.device,
            "versions": self.versions,
            "records": [asdict(r) for r in self.records],
            "per_size": [s.to_dict() for s in self.per_size()],
            "rate": self.rate().to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepResult:
        """Rebuild from :meth:`to_dict` output (the summaries are recomputed)."""
        return cls(
            estimator=data["estimator"], config=data["config"], scenario=data["scenario"],
            divergence=data["divergence"], truth=ExactValue(**data["truth"]),
            records=[Record(**r) for r in data["records"]],
            versions=data.get("versions", {}), device=data.get("device", "cpu"),
        )


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty: give a positive count or a list of seeds")
    return out


def _size_list(sizes: Sequence[int]) -> list[int]:
    out = sorted({int(n) for n in sizes})
    if not out or out[0] < 2:
        raise ValueError(f"sizes must be integers >= 2, got {list(sizes)}")
    return out


def sweep(
    estimator: Any,
    scenario: Scenario | str,
    divergence: str,
    sizes: Sequence[int],
    seeds: int | Sequence[int],
    *,
    cache: Cache | str | None = None,
    progress: Progress | None = None,
    batched: bool = True,
) -> SweepResult:
    """Run ``estimator`` at each sample size for each seed and record every estimate.

    Parameters
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        Wrapped with :func:`estimators.as_estimator` (a callable needs ``divergence``).
    scenario : Scenario or str
        The pair (P, Q) with its exact value.
    divergence : str
        The quantity estimated (table name or ``"w1"``).
    sizes : sequence of int
        Sample sizes per side.
    seeds : int or sequence of int
        A count (seeds 0..k-1) or explicit seeds. Seed s draws the samples *and* seeds the
        estimator, so a run is reproducible from (size, seed).
    cache : Cache or path, optional
        Where finished runs are stored; runs found there are not repeated.
    progress : callable, optional
        Called as ``progress(done, total, label)``.
    batched : bool
        Use the estimator's ``estimate_many`` (all seeds of a size in one batched model) when it
        has one.

    Returns
    -------
    SweepResult
    """
    scen = get_scenario(scenario) if isinstance(scenario, str) else scenario
    est = as_estimator(estimator, divergence=divergence)  # raises on a divergence mismatch
    truth = scen.truth(divergence)
    if not math.isfinite(truth.value):
        raise ValueError(f"{divergence} is infinite on scenario {scen.name!r}: nothing to estimate")
    config = est.config() if hasattr(est, "config") else {"name": est.name}
    versions = library_versions()
    store = Cache(cache) if isinstance(cache, str) else cache
    seed_list, size_list = _seed_list(seeds), _size_list(sizes)
    device = str(getattr(est, "device", "cpu"))
    result = SweepResult(est.name, config, scen.name, divergence, truth, versions=versions,
                         device=device)
    total, done = len(seed_list) * len(size_list), 0

    def key(n: int, seed: int) -> str:
        return record_key({"config": config, "scenario": scen.describe(), "divergence": divergence,
                           "n": n, "seed": seed, "versions": versions,
                           "sampling": SAMPLING_VERSION})

    def save(rec: Record) -> None:
        # Each run is stored the moment it finishes, so an interruption loses at most the run in
        # flight (a batched ensemble is one unit).
        if store is not None:
            store.put(key(rec.n, rec.seed), asdict(rec))

    for n in size_list:
        found = {s: store.get(key(n, s)) if store else None for s in seed_list}
        todo = [s for s in seed_list if found[s] is None]
        fresh = _run(est, scen, n, todo, batched, save) if todo else {}
        result.records.extend(
            Record(**found[s]) if found[s] is not None else fresh[s] for s in seed_list
        )
        done += len(seed_list)
        if progress is not None:
            progress(done, total, f"{est.name} {scen.name} n={n}")
    return result


def _run(
    est: Any, scen: Scenario, n: int, seeds: list[int], batched: bool,
    save: Callable[[Record], None],
) -> dict[int, Record]:
    many = getattr(est, "estimate_many", None)
    out: dict[int, Record] = {}
    if batched and callable(many) and len(seeds) > 1:
        pairs = [scen.sample(n, s) for s in seeds]
        x_p = np.stack([p for p, _ in pairs])
        x_q = np.stack([q for _, q in pairs])
        start = time.perf_counter()
        try:
            values = np.asarray(many(x_p, x_q, seeds=seeds), dtype=float)
        except Exception:  # one bad member fails the batch: rerun one by one to attribute it
            values = None
        if values is not None:
            per_run = (time.perf_counter() - start) / len(seeds)
            for s, v in zip(seeds, values, strict=True):
                out[s] = Record(n, s, float(v), per_run,
                                None if math.isfinite(v) else "non-finite", batched=True)
                save(out[s])
            return out
    for s in seeds:
        out[s] = _run_one(est, scen, n, s)
        save(out[s])
    return out


def _run_one(est: Any, scen: Scenario, n: int, seed: int) -> Record:
    x_p, x_q = scen.sample(n, seed)
    if hasattr(est, "seed"):
        est = _with_seed(est, seed)
    start = time.perf_counter()
    try:
        value = float(est.estimate(x_p, x_q))
    except Exception as exc:  # recorded, counted as a failure and shown in reports
        return Record(n, seed, None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    return Record(n, seed, value, seconds, None if math.isfinite(value) else "non-finite")


def _with_seed(est: Any, seed: int) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(est):
        return dataclasses.replace(est, seed=seed)
    return est
