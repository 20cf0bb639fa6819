"""Sweeps: run an estimator over sample sizes and seeds on a scenario, with resumable caching."""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from divergence_verify.estimators import (
    as_estimator,
    device_of,
    is_builtin,
    sample_device_of,
    unwrap_estimator,
    with_seed,
)
from divergence_verify.reference import ExactValue
from divergence_verify.verify.cache import Cache, library_versions, record_key
from divergence_verify.verify.fingerprint import code_identity
from divergence_verify.verify.jsonio import decode_float, decode_optional
from divergence_verify.verify.scenarios import SAMPLING_VERSION, Scenario, get_scenario
from divergence_verify.verify.stats import SizeStats, SlopeFit, fit_rate, size_stats

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called after each batch of runs."""


@dataclass(frozen=True)
class Record:
    """One run of an estimator.

    ``estimate`` is None when the run raised; ``error`` then holds the message (also set, to
    ``"non-finite"``, when the run returned an infinite number). ``seconds`` is the wall time of
    the run (for a batched ensemble, the batch's time divided by its size).
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
        """Configuration, truth, every record and the summaries, as plain Python values.

        Floats are left as they are (NaN and infinities included): the writers encode them under
        the suite's JSON policy (:func:`divergence_verify.verify.jsonio.write_json_atomic`).
        """
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
        """Rebuild from :meth:`to_dict` output, as is or read back from JSON.

        Numbers encoded by the JSON policy (``"inf"``, ``"-inf"``, ``null``) are decoded; the
        summaries are recomputed from the records.
        """
        truth = data["truth"]
        return cls(
            estimator=data["estimator"], config=data["config"], scenario=data["scenario"],
            divergence=data["divergence"],
            truth=ExactValue(decode_float(truth["value"]), decode_float(truth["error"]),
                             truth["method"]),
            records=[_record_from_dict(r) for r in data["records"]],
            versions=data.get("versions", {}), device=data.get("device", "cpu"),
        )


def _record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a :class:`Record` (from a sweep's JSON or a cache file): numbers decoded."""
    return Record(**{**data, "estimate": decode_optional(data["estimate"]),
                     "seconds": decode_float(data["seconds"])})


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
    cache: Cache | str | os.PathLike[str] | None = None,
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
        estimator, so a run is reproducible from (size, seed). Samples are float64 numpy
        arrays, unless the estimator's ``sample_device()`` names a device (a neural estimator
        that trains on a GPU): then float32 tensors made there (:meth:`Scenario.sample` with
        ``device``).
    cache : Cache or path, optional
        Where finished runs are stored; runs found there are not repeated. A run is stored under
        the estimator's configuration (for a user's own estimator, a fingerprint of its code and
        settings: :func:`verify.fingerprint.code_identity`), the scenario, divergence, size, seed,
        library versions and sampling scheme. Failed runs are kept in the result but never
        stored, so a transient failure (CUDA out of memory, say) is retried on resume. An
        estimator whose source code cannot be read (defined in a REPL, a C extension) is never
        cached, with a warning: an edited version of it could not be told apart.
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
    config, cacheable = _identity(est)
    versions = library_versions()
    store = cache if cache is None or isinstance(cache, Cache) else Cache(cache)
    if store is not None and not cacheable:
        warnings.warn(f"not caching the runs of {est.name!r}: its source code cannot be read "
                      "(defined in a REPL or a C extension?), so an edited version of it could "
                      "not be told apart from this one", UserWarning, stacklevel=2)
        store = None
    seed_list, size_list = _seed_list(seeds), _size_list(sizes)
    device = device_of(est)
    # The estimator says where it wants its samples (the estimator protocol's sample_device()):
    # a neural estimator on a GPU gets float32 tensors made there; everything else (a neural
    # estimator on the CPU included) gets float64 numpy arrays, as before.
    sample_device = sample_device_of(est)
    result = SweepResult(est.name, config, scen.name, divergence, truth, versions=versions,
                         device=device)
    total, done = len(seed_list) * len(size_list), 0
    fields: dict[str, Any] = {"config": config, "scenario": scen.describe(),
                              "divergence": divergence, "versions": versions,
                              "sampling": SAMPLING_VERSION}
    if sample_device is not None:
        # Samples made on a GPU are float32 (on the CPU, float64), so they are different data:
        # keyed apart. CPU keys are unchanged, so existing caches stay valid.
        fields["sample_device"] = sample_device

    def key(n: int, seed: int) -> str:
        return record_key({**fields, "n": n, "seed": seed})

    def load(n: int, seed: int) -> dict[str, Any] | None:
        # A record that does not decode to a run is corrupt: the cache warns, moves it aside,
        # and it is recomputed like a missing one.
        found = store.get(key(n, seed), check=_record_from_dict) if store is not None else None
        # A failure stored by an older version is ignored, like a missing run: it is retried.
        return found if found is not None and found.get("error") is None else None

    def save(rec: Record) -> None:
        # Each run is stored the moment it finishes, so an interruption loses at most the run in
        # flight (a batched ensemble is one unit). Failures are not stored: they may be
        # transient (out of memory, a killed worker) and are recomputed on resume.
        if store is not None and rec.error is None:
            store.put(key(rec.n, rec.seed), asdict(rec))

    for n in size_list:
        found = {s: load(n, s) for s in seed_list}
        todo = [s for s in seed_list if found[s] is None]
        fresh = _run(est, scen, n, todo, batched, save, sample_device) if todo else {}
        result.records.extend(
            _record_from_dict(found[s]) if found[s] is not None else fresh[s] for s in seed_list
        )
        done += len(seed_list)
        if progress is not None:
            progress(done, total, f"{est.name} {scen.name} n={n}")
    return result


def _identity(est: Any) -> tuple[dict[str, Any], bool]:
    """Return the configuration that keys ``est``'s cached runs, and whether they may be cached.

    A built-in estimator is identified by its ``config()`` (its code by the package version, in
    every key). A user's own estimator (a wrapped callable, or an object of a class outside this
    suite) gets a fingerprint of its code and settings as well, ``config["code"]``: its name
    alone would let an edited function reuse the numbers of the old one.
    """
    config = dict(est.config()) if callable(getattr(est, "config", None)) else {"name": est.name}
    if is_builtin(est):
        return config, True
    code = code_identity(unwrap_estimator(est))
    if code is None:
        return config, False
    config["code"] = code
    return config, True


def _sample(scen: Scenario, n: int, seed: int, device: str | None) -> tuple[Any, Any]:
    return scen.sample(n, seed) if device is None else scen.sample(n, seed, device=device)


def _run(
    est: Any, scen: Scenario, n: int, seeds: list[int], batched: bool,
    save: Callable[[Record], None], device: str | None = None,
) -> dict[int, Record]:
    many = getattr(est, "estimate_many", None)
    out: dict[int, Record] = {}
    if batched and callable(many) and len(seeds) > 1:
        pairs = [_sample(scen, n, s, device) for s in seeds]
        if device is None:
            x_p = np.stack([p for p, _ in pairs])
            x_q = np.stack([q for _, q in pairs])
        else:
            import torch

            x_p = torch.stack([p for p, _ in pairs])
            x_q = torch.stack([q for _, q in pairs])
        del pairs  # the stacks are copies: free the per-seed samples (device memory)
        start = time.perf_counter()
        try:
            values = np.asarray(many(x_p, x_q, seeds=seeds), dtype=float)
        except Exception:  # one bad member fails the batch: rerun one by one to attribute it
            values = None
        del x_p, x_q
        if values is not None:
            per_run = (time.perf_counter() - start) / len(seeds)
            for s, v in zip(seeds, values, strict=True):
                out[s] = Record(n, s, float(v), per_run,
                                None if math.isfinite(v) else "non-finite", batched=True)
                save(out[s])
            return out
    for s in seeds:
        out[s] = _run_one(est, scen, n, s, device)
        save(out[s])
    return out


def _run_one(est: Any, scen: Scenario, n: int, seed: int, device: str | None = None) -> Record:
    x_p, x_q = _sample(scen, n, seed, device)
    est = with_seed(est, seed)
    start = time.perf_counter()
    try:
        value = float(est.estimate(x_p, x_q))
    except Exception as exc:  # recorded, counted as a failure and shown in reports
        return Record(n, seed, None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    return Record(n, seed, value, seconds, None if math.isfinite(value) else "non-finite")
