"""Running a report preset, and its ``results.json``: the one record a report is drawn from.

:func:`run_preset` runs every sweep of a preset, its ladder and its envelope through
:func:`divergence_verify.verify.sweep` (so runs are cached and an interrupted report resumes);
:class:`ReportData` holds the result with its environment, and is written as strict JSON under
the suite's JSON policy (:mod:`divergence_verify.verify.jsonio`). :func:`load_results` reads it
back, so ``report --from results.json`` redraws a report without running anything (a report of
the user's own ``module:attr`` estimators included: the results name them, nothing imports them).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from divergence_verify.verify import jsonio
from divergence_verify.verify.cache import Cache, library_versions
from divergence_verify.verify.certificates import Rules
from divergence_verify.verify.options import device_name, resolve_device, torch_threads
from divergence_verify.verify.report.presets import YOURS, Entry, Preset
from divergence_verify.verify.sweeps import (
    Progress,
    SweepResult,
    as_cache,
    plan_sweep,
    run_sweeps,
)

FORMAT = "divergence-verify report"
FORMAT_VERSION = 1


@dataclass
class ReportData:
    """Everything a report shows: the preset, the environment and every sweep.

    Attributes
    ----------
    preset : Preset
        What was run (with any ``--sizes`` / ``--seeds`` override applied).
    created : str
        ISO 8601 time (UTC) at which the run finished.
    wall_seconds : float
        Wall time of the whole run (cached runs cost nothing, so a resumed run is faster).
    device, device_name : str
        Where the neural critics ran.
    versions : dict
        :func:`verify.cache.library_versions`.
    rules : Rules
        The certificate rules the verdicts use.
    sweeps, ladder : list of SweepResult
        The sweeps of ``preset.entries`` and of ``preset.ladder`` on the ladder scenarios.
    envelope : list of SweepResult
        The sweeps of ``preset.envelope`` on the envelope's cells (empty in results written
        before the envelope was drawn).
    cached_runs : int or None
        How many of the runs were read from the cache (computed by an earlier invocation);
        None in results written before this was recorded.
    """

    preset: Preset
    created: str
    wall_seconds: float
    device: str
    device_name: str
    versions: dict[str, str]
    rules: Rules
    sweeps: list[SweepResult]
    ladder: list[SweepResult]
    cached_runs: int | None = None
    envelope: list[SweepResult] = dataclasses.field(default_factory=list)

    @property
    def every_sweep(self) -> list[SweepResult]:
        """The sweeps, the ladder and the envelope, in the order run."""
        return [*self.sweeps, *self.ladder, *self.envelope]

    @property
    def runs(self) -> int:
        """Every run of the report (sweeps, ladder and envelope)."""
        return sum(len(r.records) for r in self.every_sweep)

    @property
    def compute_seconds(self) -> float:
        """Sum of the run times: what the report costs from scratch, wherever runs came from."""
        return sum(rec.seconds for r in self.every_sweep for rec in r.records)

    def roles(self) -> dict[str, str]:
        """The role of each estimator that has one (:attr:`Entry.role`), by its sweeps' name.

        The sweeps are in the order of the preset's entries and their scenarios (as run), so
        each sweep's estimator name is matched to its entry; the built-in presets give none.
        """
        p = self.preset
        entries = [e for group in (p.entries, p.ladder, p.envelope) for e in group
                   for _ in e.scenarios]
        return {r.estimator: e.role for r, e in zip(self.every_sweep, entries, strict=True)
                if e.role}

    def to_dict(self) -> dict[str, Any]:
        """JSON form under the suite's policy (``"inf"``/``"-inf"``, ``null`` for NaN)."""
        return jsonio.encode({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "preset": _preset_dict(self.preset), "created": self.created,
            "wall_seconds": self.wall_seconds, "device": self.device,
            "device_name": self.device_name, "versions": self.versions,
            "rules": asdict(self.rules),
            "sweeps": [r.to_dict() for r in self.sweeps],
            "ladder": [r.to_dict() for r in self.ladder],
            "envelope": [r.to_dict() for r in self.envelope],
            "cached_runs": self.cached_runs,
        })

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportData:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            If ``data`` is not a report's ``results.json``.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a report results.json (no \"format\": \"{FORMAT}\" field)")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"results.json has format_version {data.get('format_version')!r}; "
                             f"this version reads {FORMAT_VERSION}")
        try:
            p = data["preset"]
            preset = Preset(
                p["name"], p["description"], tuple(p["sizes"]), int(p["seeds"]),
                tuple(_entry(e) for e in p["entries"]), tuple(_entry(e) for e in p["ladder"]),
                tuple(_entry(e) for e in p.get("envelope", [])))
            rules = Rules(**{k: jsonio.decode_float(v) for k, v in data["rules"].items()})
            return cls(
                preset=preset, created=data["created"],
                wall_seconds=jsonio.decode_float(data["wall_seconds"]),
                device=data["device"], device_name=data["device_name"],
                versions=data["versions"], rules=rules,
                sweeps=[SweepResult.from_dict(r) for r in data["sweeps"]],
                ladder=[SweepResult.from_dict(r) for r in data["ladder"]],
                cached_runs=data.get("cached_runs"),
                envelope=[SweepResult.from_dict(r) for r in data.get("envelope", [])])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed results.json: {type(exc).__name__}: {exc}") from None


def _preset_dict(preset: Preset) -> dict[str, Any]:
    """Return ``asdict(preset)`` without the roles of entries that have none.

    The built-in presets' entries have no role, so their ``results.json`` stays as it was.
    """
    out = asdict(preset)
    for entry in [*out["entries"], *out["ladder"], *out["envelope"]]:
        if entry["role"] is None:
            del entry["role"]
    return out


def _entry(data: dict[str, Any]) -> Entry:
    return Entry(data["kind"], data["divergence"], tuple(data["scenarios"]),
                 dict(data["settings"]), data.get("role"))


def load_results(path: str | os.PathLike[str]) -> ReportData:
    """Read a report's ``results.json``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If it is not valid strict JSON or not a report's results.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file {str(path)!r}")
    try:
        data = jsonio.read_json(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    return ReportData.from_dict(data)


def with_overrides(
    preset: Preset, sizes: Sequence[int] | None = None, seeds: int | None = None
) -> Preset:
    """Return ``preset`` with its sizes and/or seed count replaced.

    Raises
    ------
    ValueError
        For a seed count below 1 or a size below 2.
    """
    if sizes:
        chosen = tuple(sorted({int(n) for n in sizes}))
        if chosen[0] < 2:
            raise ValueError(f"--sizes must be integers >= 2, got {list(sizes)}")
        preset = dataclasses.replace(preset, sizes=chosen)
    if seeds is not None:
        if seeds < 1:
            raise ValueError(f"--seeds must be a positive count, got {seeds}")
        preset = dataclasses.replace(preset, seeds=int(seeds))
    return preset


def run_preset(
    preset: Preset,
    *,
    device: str = "auto",
    cache: Cache | str | None = None,
    progress: Progress | None = None,
    executor: Any = None,
) -> ReportData:
    """Run every sweep of ``preset``, its ladder and its envelope.

    Parameters
    ----------
    preset : Preset
        What to run.
    device : {"auto", "cpu", "cuda"}
        Device of the neural estimators (classical ones run on the CPU); the thread policy is
        :func:`verify.options.torch_threads`.
    cache : Cache or path, optional
        Finished runs are read from and written to it (so an interrupted report resumes).
    progress : callable, optional
        ``progress(done, total, label)`` over all the runs of the report.
    executor : None, int, Executor or distributed.Client
        Where the runs happen (:func:`divergence_verify.verify.executors.workers_for`); None:
        in this process. Every run of the report is submitted at once, largest sizes first.

    Returns
    -------
    ReportData

    Raises
    ------
    UsageError
        For a user's estimator (role :data:`~.presets.YOURS`) that cannot be resolved; raised
        before any run.
    """
    dev = resolve_device(device)
    store = as_cache(cache)
    start = time.perf_counter()
    top = max(preset.sizes)
    # Each planned sweep is (entry, scenario, sizes, group): 0 the sweeps, 1 the ladder and
    # 2 the envelope, both of the latter at the largest size alone.
    planned = [(e, s, preset.sizes, 0) for e in preset.entries for s in e.scenarios]
    planned += [(e, s, (top,), 1) for e in preset.ladder for s in e.scenarios]
    planned += [(e, s, (top,), 2) for e in preset.envelope for s in e.scenarios]
    built: dict[tuple[str, str, str], Any] = {}
    jobs = []
    # Every estimator is built before anything runs, so a user's estimator that cannot be
    # resolved stops the report at once. A run's samples depend on (scenario, n, seed) alone:
    # the entries of one preset see the same samples, which pairs their errors.
    for entry, scenario, sizes, _ in planned:
        key = (entry.kind, entry.divergence, json.dumps(entry.settings, sort_keys=True))
        if key not in built:
            built[key] = _make(entry, dev)
        jobs.append(plan_sweep(built[key], scenario, entry.divergence, sizes, preset.seeds,
                               cached=store is not None))
    with torch_threads(dev):
        results = run_sweeps(jobs, executor=executor, cache=store, progress=progress)
        name = device_name(dev)
    sweeps, ladder, envelope = ([r for r, plan in zip(results, planned, strict=True)
                                 if plan[3] == group] for group in range(3))
    return ReportData(
        preset=preset, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wall_seconds=time.perf_counter() - start, device=dev, device_name=name,
        versions=library_versions(), rules=Rules(), sweeps=sweeps, ladder=ladder,
        cached_runs=sum(r.cached_runs for r in results), envelope=envelope)


def _make(entry: Entry, device: str) -> Any:
    """Build an entry's estimator: a user's through :func:`resolve_estimator`, else the kind."""
    from divergence_verify import estimators
    from divergence_verify.verify.resolve import resolve_estimator

    if entry.role == YOURS:
        return resolve_estimator(entry.kind, entry.divergence, device, dict(entry.settings))
    kind = estimators.ESTIMATORS.get(entry.kind)
    neural = kind is not None and kind.neural  # an unknown kind: make_estimator says so
    settings = {"device": device, **entry.settings} if neural else dict(entry.settings)
    return estimators.make_estimator(entry.kind, divergence=entry.divergence, **settings)
