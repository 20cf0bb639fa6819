"""Convergence reports: ``python -m divergence_verify report``, the suite's main output.

A report runs every estimator of a *preset* over a ladder of sample sizes and seeds on scenarios
with exact values (through :func:`verify.sweep`, so runs are cached and an interrupted
report resumes), judges each sweep with the certificate rules
(:func:`verify.certificates.judge`), runs
the breakdown ladder (:data:`verify.scenarios.LADDER`: KL 0.1 to 10 nats at one n) and writes to
``reports/<name>/``:

``results.json``
    Every estimate with its estimator configuration, seed, time, library versions and device.
    The report is always rendered from this file, so ``report --from results.json`` redraws it
    identically without running any estimator.
``report.md`` and ``index.html``
    Answers ("does it converge, how fast, where does it break"), the certificate summary table,
    the figures, the configuration. The HTML is self-contained (figures as data URIs, inline
    CSS, no network).
``*.png``
    The certificate summary grid (``summary.png``); estimate versus n per (divergence,
    scenario); RMSE versus n per divergence; the ladder.

Presets are data (:data:`PRESETS`): ``default`` finishes in a few minutes on a 2-core CPU,
``full`` uses the certificate's sizes and seeds with the estimators' own training budgets
(meant for a GPU), ``smoke`` runs in seconds (tests, CI). The convergence rule is applied only
where the design (sizes, seeds) can judge it: when the predicted standard error of the RMSE
slope (:func:`verify.certificates.predicted_slope_se`) exceeds ``Rules.max_slope_se``, the
threshold at which :func:`verify.certify` refuses a design, the report shows convergence as
*not judged* and gives its verdict on the other rules. ``default`` and ``full`` meet the
threshold; ``smoke`` does not.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import html
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from divergence_verify import estimators
from divergence_verify.verify.cache import Cache, library_versions, write_json_atomic
from divergence_verify.verify.certificates import (
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    RuleResult,
    Rules,
    judge,
    predicted_slope_se,
)
from divergence_verify.verify.cli import DEFAULT_CACHE
from divergence_verify.verify.progress import ProgressBar
from divergence_verify.verify.scenarios import DEFAULT_SCENARIOS, LADDER, SCENARIOS, W1
from divergence_verify.verify.sweeps import Progress, SweepResult, sweep

FORMAT = "divergence-verify report"
FORMAT_VERSION = 1
DEFAULT_OUT_ROOT = "reports"


@dataclass(frozen=True)
class Entry:
    """One estimator of a preset and the scenarios it is swept on.

    Attributes
    ----------
    kind : str
        Registry key (:data:`estimators.ESTIMATORS`).
    divergence : str
        The quantity estimated.
    scenarios : tuple of str
        Scenario names (:data:`verify.scenarios.SCENARIOS`).
    settings : dict
        Keyword settings of the estimator (JSON values); ``device`` is added for neural kinds.
    """

    kind: str
    divergence: str
    scenarios: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``kind[divergence]``, the name the estimator reports."""
        return f"{self.kind}[{self.divergence}]"


@dataclass(frozen=True)
class Preset:
    """What a report runs.

    Attributes
    ----------
    name : str
        Key of :data:`PRESETS` and default report folder name.
    description : str
        One line for the report's header.
    sizes : tuple of int
        Sample sizes per side of every sweep; the ladder runs at the largest.
    seeds : int
        Seeds per size (0 .. seeds-1).
    entries : tuple of Entry
        The sweeps.
    ladder : tuple of Entry
        KL estimators run on every rung of :data:`verify.scenarios.LADDER`.
    """

    name: str
    description: str
    sizes: tuple[int, ...]
    seeds: int
    entries: tuple[Entry, ...]
    ladder: tuple[Entry, ...] = ()


# Training budget of the neural critics in the CPU preset, so that the whole report fits in a
# few minutes on two cores. It is the budget being judged, and the report shows these settings
# beside every verdict. Measured (default preset, 2-core CPU, one thread): with every default
# the report took 8 min (18 of 22 pairs pass); with 400 steps and batch 256 for every critic
# 1.8 min, but the f-GAN/DV critics were then under-trained on the mixture (f-GAN TV error
# -0.035, KL -0.10 at n = 4000). Half their step budget (early stopping ends most runs sooner)
# keeps them within tolerance there but for KL (-0.030 against 0.028: weight decay's bias,
# see estimators.neural), and the W1 critic passes on the reduced budget.
_CPU_CRITIC = {"steps": 1000}
_CPU_W1_CRITIC = {"steps": 400, "batch_size": 256}
_KL = DEFAULT_SCENARIOS["kl"]

_CLASSICAL = (
    Entry("knn", "kl", _KL),
    Entry("classifier", "kl", _KL, {"expectation": "p"}),  # the form its docstring advises for KL
    Entry("empirical_w1", W1, DEFAULT_SCENARIOS[W1]),
    Entry("plugin", "kl", ("bernoulli", "categorical-nested")),
)
"""The cheap estimators of the default and full presets: kNN and the classifier on the default KL
scenarios, the empirical W1 on the W1 ones, the plug-in on two discrete pairs."""


PRESETS: dict[str, Preset] = {
    "smoke": Preset(
        "smoke", "seconds: a tiny run of every stage (tests and CI), not evidence of anything",
        sizes=(100, 200, 400), seeds=2,
        entries=(
            Entry("knn", "kl", ("gauss2d-kl0.5", "mixture1d")),
            Entry("empirical_w1", W1, ("translate2d",)),
            Entry("fgan", "js", ("gauss2d-kl0.5",),
                  {"steps": 20, "hidden": [8], "batch_size": 64, "eval_every": 10}),
        ),
        ladder=(Entry("knn", "kl", LADDER),),
    ),
    # The certificate's sizes (a 16-fold range) with 6 seeds: a predicted slope standard error
    # of 0.13, within Rules.max_slope_se = 0.15. Neural critics train a fixed number of steps, so
    # n = 4000 costs them about what n = 2000 does.
    "default": Preset(
        "default", "CPU, a few minutes on 2 cores: every built-in kind on the default scenarios "
        "(neural critics with a reduced training budget)",
        sizes=tuple(DEFAULT_SIZES), seeds=6,
        entries=(
            *_CLASSICAL,
            *(Entry("fgan", div, DEFAULT_SCENARIOS[div], _CPU_CRITIC)
              for div in ("kl", "js", "tv")),
            Entry("dv", "kl", _KL, _CPU_CRITIC),
            Entry("w1_critic", W1, DEFAULT_SCENARIOS[W1], _CPU_W1_CRITIC),
        ),
        ladder=(Entry("knn", "kl", LADDER), Entry("fgan", "kl", LADDER, _CPU_CRITIC),
                Entry("dv", "kl", LADDER, _CPU_CRITIC)),
    ),
    "full": Preset(
        "full", "certification run (GPU advised): the certificate's sizes and seeds, every "
        "default scenario, neural critics with their default training budget",
        sizes=tuple(DEFAULT_SIZES), seeds=DEFAULT_SEEDS,
        entries=(
            *_CLASSICAL,
            *(Entry("fgan", div, DEFAULT_SCENARIOS[div])
              for div in ("kl", "reverse_kl", "js", "tv", "hellinger", "chi2")),
            Entry("dv", "kl", _KL),
            Entry("nwj", "kl", _KL),
            Entry("w1_critic", W1, DEFAULT_SCENARIOS[W1]),
        ),
        ladder=(Entry("knn", "kl", LADDER), Entry("fgan", "kl", LADDER), Entry("dv", "kl", LADDER),
                Entry("nwj", "kl", LADDER), Entry("classifier", "kl", LADDER)),
    ),
}
"""The report presets, by name."""


def resolve_device(device: str) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for ``device`` in {auto, cpu, cuda}.

    Raises
    ------
    ValueError
        For an unknown name, or ``"cuda"`` without a CUDA device.
    """
    import torch  # only here: the CLI's other subcommands should not pay for loading torch

    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}: expected auto, cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but CUDA is not available")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@contextlib.contextmanager
def _one_torch_thread(device: str) -> Iterator[None]:
    """Run torch's CPU kernels on one thread for the duration, then restore the setting.

    The critics are tiny (thousands of weights, hundreds of rows per step), so intra-op threads
    cost more in synchronisation than they gain: one batch of 5 critics took 5 s on one thread
    and 25-60 s on two, on a 2-core machine shared with other work.
    """
    import torch

    before = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    threads = torch.get_num_threads()
    return f"CPU, {os.cpu_count()} cores, {threads} torch thread{'' if threads == 1 else 's'}"


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

    @property
    def runs(self) -> int:
        """Every run of the report (sweeps and ladder)."""
        return sum(len(r.records) for r in [*self.sweeps, *self.ladder])

    @property
    def compute_seconds(self) -> float:
        """Sum of the run times: what the report costs from scratch, wherever runs came from."""
        return sum(rec.seconds for r in [*self.sweeps, *self.ladder] for rec in r.records)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (non-finite floats become null)."""
        return _finite({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "preset": asdict(self.preset), "created": self.created,
            "wall_seconds": self.wall_seconds, "device": self.device,
            "device_name": self.device_name, "versions": self.versions,
            "rules": asdict(self.rules),
            "sweeps": [r.to_dict() for r in self.sweeps],
            "ladder": [r.to_dict() for r in self.ladder],
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
                tuple(_entry(e) for e in p["entries"]), tuple(_entry(e) for e in p["ladder"]))
            return cls(
                preset=preset, created=data["created"], wall_seconds=data["wall_seconds"],
                device=data["device"], device_name=data["device_name"],
                versions=data["versions"], rules=Rules(**data["rules"]),
                sweeps=[SweepResult.from_dict(r) for r in data["sweeps"]],
                ladder=[SweepResult.from_dict(r) for r in data["ladder"]],
                cached_runs=data.get("cached_runs"))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed results.json: {type(exc).__name__}: {exc}") from None


def _entry(data: dict[str, Any]) -> Entry:
    return Entry(data["kind"], data["divergence"], tuple(data["scenarios"]),
                 dict(data["settings"]))


def _finite(obj: Any) -> Any:
    """Replace NaN and infinities by None, so that the file is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def load_results(path: str | os.PathLike[str]) -> ReportData:
    """Read a report's ``results.json``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If it is not valid JSON or not a report's results.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file {str(path)!r}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    return ReportData.from_dict(data)


def with_overrides(
    preset: Preset, sizes: Sequence[int] | None = None, seeds: int | None = None
) -> Preset:
    """Return ``preset`` with its sizes and/or seed count replaced."""
    if sizes:
        preset = dataclasses.replace(preset, sizes=tuple(sorted({int(n) for n in sizes})))
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
) -> ReportData:
    """Run every sweep of ``preset`` and the ladder.

    Parameters
    ----------
    preset : Preset
        What to run.
    device : {"auto", "cpu", "cuda"}
        Device of the neural estimators (classical ones run on the CPU).
    cache : Cache or path, optional
        Finished runs are read from and written to it (so an interrupted report resumes).
    progress : callable, optional
        ``progress(done, total, label)`` over all the runs of the report.

    Returns
    -------
    ReportData
    """
    dev = resolve_device(device)
    counted = _CountingCache(Cache(cache) if isinstance(cache, (str, os.PathLike)) else cache) \
        if cache is not None else None
    start = time.perf_counter()
    top = max(preset.sizes)
    jobs = [(e, s, preset.sizes, False) for e in preset.entries for s in e.scenarios]
    jobs += [(e, s, (top,), True) for e in preset.ladder for s in e.scenarios]
    total = sum(len(sizes) for _, _, sizes, _ in jobs) * preset.seeds
    offset = 0

    def overall(done: int, _total: int, label: str) -> None:
        if progress is not None:
            progress(offset + done, total, label)

    sweeps: list[SweepResult] = []
    ladder: list[SweepResult] = []
    built: dict[tuple[str, str, str], Any] = {}
    with _one_torch_thread(dev):
        for entry, scenario, sizes, on_ladder in jobs:
            key = _entry_key(entry)
            if key not in built:
                built[key] = _make(entry, dev)
            result = sweep(built[key], scenario, entry.divergence, sizes, preset.seeds,
                           cache=counted, progress=overall)
            (ladder if on_ladder else sweeps).append(result)
            offset += len(sizes) * preset.seeds
        name = _device_name(dev)
    return ReportData(
        preset=preset, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wall_seconds=time.perf_counter() - start, device=dev, device_name=name,
        versions=library_versions(), rules=Rules(), sweeps=sweeps, ladder=ladder,
        cached_runs=counted.hits if counted is not None else 0)


class _CountingCache(Cache):
    """A view of a cache that counts the records found in it (the runs not recomputed)."""

    def __init__(self, inner: Cache) -> None:
        super().__init__(inner.root)
        self.inner = inner
        self.hits = 0

    def get(self, key: str) -> dict[str, Any] | None:
        record = self.inner.get(key)
        # A stored failure is recomputed by the sweep, not reused: it is not a hit.
        self.hits += record is not None and record.get("error") is None
        return record

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.inner.put(key, record)


def _entry_key(entry: Entry) -> tuple[str, str, str]:
    return (entry.kind, entry.divergence, json.dumps(entry.settings, sort_keys=True))


def _make(entry: Entry, device: str) -> Any:
    kind = estimators.ESTIMATORS.get(entry.kind)
    neural = kind is not None and kind.neural  # an unknown kind: make_estimator says so
    settings = {"device": device, **entry.settings} if neural else dict(entry.settings)
    return estimators.make_estimator(entry.kind, divergence=entry.divergence, **settings)


# -- summaries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryRow:
    """One (estimator, scenario) line of the certificate summary, at the largest n.

    Attributes
    ----------
    estimator, divergence, scenario : str
        What was swept.
    truth : float
        The exact value.
    n : int
        The largest sample size.
    mean, bias, bias_low, bias_high, rmse : float
        Mean estimate, its error with the 95% CI, and the RMSE at ``n``.
    slope, slope_se : float
        Fitted log-log slope of RMSE against n and its standard error.
    seconds : float
        Median wall time of one run at ``n``.
    failures : int
        Runs that raised or returned a non-finite value (over all sizes).
    rules : tuple of RuleResult
        The certificate rules' verdicts (:func:`verify.certificates.judge`), without the
        convergence rule when it is not judged.
    unjudged : str
        Empty, or why the convergence rule is not judged: "design too noisy: predicted slope
        SE 0.51 > 0.15" when the sizes and seeds of the sweep cannot judge a slope (see
        :func:`verify.certificates.predicted_slope_se`).
    """

    estimator: str
    divergence: str
    scenario: str
    truth: float
    n: int
    mean: float
    bias: float
    bias_low: float
    bias_high: float
    rmse: float
    slope: float
    slope_se: float
    seconds: float
    failures: int
    rules: tuple[RuleResult, ...]
    unjudged: str = ""

    @property
    def passed(self) -> bool:
        """Whether every rule judged passed (see ``unjudged`` for one that was not)."""
        return all(r.passed for r in self.rules)

    @property
    def failed(self) -> list[str]:
        """Names of the rules that failed."""
        return [r.rule for r in self.rules if not r.passed]


def summarize(result: SweepResult, rules: Rules) -> SummaryRow:
    """Judge ``result`` with ``rules`` and return its summary at the largest n.

    The convergence rule is left out (and ``unjudged`` says why) when the sweep's design is too
    noisy for it, i.e. :func:`design_slope_se` exceeds ``rules.max_slope_se`` (the threshold at
    which :func:`verify.certify` refuses a design), unless the RMSE is below the precision floor,
    which waives the slope anyway.
    """
    rows = result.per_size(rules.confidence)
    last, fit = rows[-1], result.rate()
    verdicts = tuple(judge(result, rules))
    unjudged = ""
    slope_se = design_slope_se(result)
    below_floor = last.rmse <= rules.floor_fraction * rules.tolerance(result.truth.value)
    if slope_se > rules.max_slope_se and not below_floor:
        unjudged = (f"design too noisy: predicted slope SE {slope_se:.2f} > "
                    f"{rules.max_slope_se:g}")
        verdicts = tuple(r for r in verdicts if r.rule != "convergence")
    return SummaryRow(
        result.estimator, result.divergence, result.scenario, result.truth.value, last.n,
        last.mean, last.bias, last.bias_low, last.bias_high, last.rmse, fit.slope, fit.stderr,
        last.median_seconds, sum(s.failures for s in rows), verdicts, unjudged)


def design_slope_se(result: SweepResult) -> float:
    """Predicted standard error of the RMSE slope for the sizes and seeds ``result`` ran.

    :func:`verify.certificates.predicted_slope_se` with the fewest seeds any size had; infinite
    for a single size (a ladder rung).
    """
    sizes = result.sizes
    if len(sizes) < 2:
        return math.inf
    seeds = min(len({r.seed for r in result.records if r.n == n}) for n in sizes)
    return predicted_slope_se(sizes, seeds)


def within_tolerance(row: SummaryRow) -> bool:
    """Whether a ladder rung passes: every rule but convergence (a rung has only one n)."""
    return all(r.passed for r in row.rules if r.rule != "convergence")


def _speed(slope: float) -> str:
    if not math.isfinite(slope):
        return "no rate fitted"
    if slope <= -0.4:
        return "about root-n or faster"
    if slope <= Rules.max_slope:
        return "slower than root-n"
    return "not shrinking"


def _num(x: float | None, spec: str = ".4g") -> str:
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return format(x, spec)


def _slope(row: SummaryRow) -> str:
    if not math.isfinite(row.slope):
        return "n/a"
    se = f" ± {row.slope_se:.2f}" if math.isfinite(row.slope_se) else ""
    return f"{row.slope:+.2f}{se}"


def _unit(divergence: str) -> str:
    from divergence_verify.verify.figures import unit_label

    unit = unit_label(divergence)
    return f" {unit}" if unit else ""


def findings(
    rows: Sequence[SummaryRow], ladder_rows: Sequence[SummaryRow], rules: Rules
) -> list[tuple[str, str]]:
    """Answer, per estimator: does it converge, how fast, and where does it break.

    Parameters
    ----------
    rows : sequence of SummaryRow
        The certificate summary of the sweeps.
    ladder_rows : sequence of SummaryRow
        The summary of the ladder sweeps (one n per rung).
    rules : Rules
        The rules of the verdicts (for the ladder's allowance).

    Returns
    -------
    list of (str, str)
        ``(estimator, plain-text paragraph)``, in the order the estimators first appear.
    """
    labels = list(dict.fromkeys([r.estimator for r in rows] + [r.estimator for r in ladder_rows]))
    out = []
    for label in labels:
        mine = [r for r in rows if r.estimator == label]
        parts = []
        if mine:
            failed = [r for r in mine if not r.passed]
            verdict = f"PASS on {len(mine) - len(failed)} of {len(mine)} scenarios"
            if any(r.unjudged for r in mine):
                verdict += "; convergence not judged (" + "; ".join(
                    dict.fromkeys(r.unjudged for r in mine if r.unjudged)) + ")"
            if failed:
                verdict += "; fails on " + "; ".join(
                    f"{r.scenario} ({', '.join(r.failed)}: error {_num(r.bias, '+.3g')}, RMSE "
                    f"{_num(r.rmse, '.3g')} at n = {r.n})" for r in failed)
            parts.append(verdict + ".")
            rates = [f"n^{r.slope:.2f} on {r.scenario} ({_speed(r.slope)})"
                     if math.isfinite(r.slope) else f"no rate on {r.scenario}" for r in mine]
            parts.append("RMSE falls like " + ", ".join(rates) + ".")
        rungs = sorted((r for r in ladder_rows if r.estimator == label), key=lambda r: r.truth)
        if rungs:
            parts.append(_ladder_sentence(rungs, rules))
        out.append((label, " ".join(parts)))
    return out


def _ladder_split(
    rungs: Sequence[SummaryRow],
) -> tuple[list[SummaryRow], SummaryRow | None, list[SummaryRow]]:
    """Split ladder rungs (ascending truth) into passing, the breaking point, and early failures.

    The breaking point is the first rung of the failing tail (every larger rung fails too), None
    when the top rung passes; a failing rung below a passing one is an early failure, reported
    on its own so that a non-monotone ladder is not hidden.
    """
    ok = [within_tolerance(r) for r in rungs]
    tail = len(rungs)
    while tail > 0 and not ok[tail - 1]:
        tail -= 1
    good = [r for r, g in zip(rungs, ok, strict=True) if g]
    early = [r for r, g in zip(rungs[:tail], ok[:tail], strict=True) if not g]
    return good, (rungs[tail] if tail < len(rungs) else None), early


def _ladder_sentence(rungs: Sequence[SummaryRow], rules: Rules) -> str:
    """Say at which rungs the estimator is within tolerance and where it breaks."""
    from divergence_verify.verify.figures import divergence_label

    name, unit = divergence_label(rungs[0].divergence), _unit(rungs[0].divergence)

    def values(rows: Sequence[SummaryRow]) -> str:
        return f"{name} = " + ", ".join(f"{r.truth:g}" for r in rows) + unit

    def detail(row: SummaryRow) -> str:
        tol = rules.tolerance(row.truth)
        failed = [r for r in row.failed if r != "convergence"]
        return (f"mean {_num(row.mean, '.3g')} for {row.truth:g}: error "
                f"{_num(row.bias, '+.3g')} against a tolerance of ±{tol:.3g}, RMSE "
                f"{_num(row.rmse, '.3g')} against {rules.spread_factor * tol:.3g} allowed"
                + (f"; fails {', '.join(failed)}" if failed else ""))

    good, broken, early = _ladder_split(rungs)
    where = f"On the ladder at n = {rungs[0].n}"
    if not good:
        return (f"{where} it is outside tolerance on every rung ({values(rungs)}; at the "
                f"smallest: {detail(rungs[0])}).")
    text = f"{where} it is within tolerance at {values(good)}"
    if broken is not None:
        text += f" and breaks at {name} = {broken.truth:g}{unit} ({detail(broken)})"
    else:
        text += " (the top of the ladder)"
    if early:
        text += f"; it is also outside tolerance at {values(early)} ({detail(early[0])})"
    return text + "."


def _ladder_short(rungs: Sequence[SummaryRow]) -> str:
    from divergence_verify.verify.figures import divergence_label

    name = divergence_label(rungs[0].divergence)
    good, broken, early = _ladder_split(rungs)
    if not good:
        return f"ladder: outside tolerance from {name} {rungs[0].truth:g} on"
    text = f"ladder: within tolerance at {name} " + ", ".join(f"{r.truth:g}" for r in good)
    if broken is not None:
        text += f", breaks at {broken.truth:g}"
    if early:
        text += " (outside at " + ", ".join(f"{r.truth:g}" for r in early) + ")"
    return text


_GLANCE_HEAD = ("estimator", "converges? (certificate)", "how fast? (RMSE slope)",
                "where does it break?")


def glance(rows: Sequence[SummaryRow], ladder_rows: Sequence[SummaryRow]) -> list[list[str]]:
    """One line per estimator: certificate count, RMSE slopes, failing scenarios and ladder.

    Parameters
    ----------
    rows, ladder_rows : sequence of SummaryRow
        The certificate summary of the sweeps and of the ladder.

    Returns
    -------
    list of list of str
        Cells under :data:`_GLANCE_HEAD`, in the order the estimators first appear.
    """
    out = []
    labels = list(dict.fromkeys([r.estimator for r in rows] + [r.estimator for r in ladder_rows]))
    for label in labels:
        mine = [r for r in rows if r.estimator == label]
        passed = sum(r.passed for r in mine)
        cert = f"{passed} of {len(mine)} PASS" if mine else "not swept"
        if any(r.unjudged for r in mine):
            cert += " (convergence not judged)"
        slopes = sorted(r.slope for r in mine if math.isfinite(r.slope))
        if not slopes:
            speed = "n/a"
        elif len(slopes) == 1:
            speed = f"{slopes[0]:+.2f}"
        else:
            speed = f"{slopes[0]:+.2f} to {slopes[-1]:+.2f}"
        where = [f"fails on {', '.join(r.scenario for r in mine if not r.passed)}"] \
            if passed < len(mine) else []
        rungs = sorted((r for r in ladder_rows if r.estimator == label), key=lambda r: r.truth)
        if rungs:
            where.append(_ladder_short(rungs))
        out.append([label, cert, speed, "; ".join(where) or "no failure here (not on the ladder)"])
    return out


# -- rendering ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """A PNG of the report: its section, file name (in the report folder) and caption."""

    section: str
    filename: str
    caption: str


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def draw_figures(data: ReportData, out: Path) -> list[Figure]:
    """Draw every figure of ``data`` into ``out``; return them in report order."""
    from divergence_verify.verify import figures  # matplotlib loads only when a report is drawn

    # One colour per estimator name across every figure.
    order = list(dict.fromkeys(r.estimator for r in [*data.sweeps, *data.ladder]))
    figs = []
    rows = [summarize(r, data.rules) for r in data.sweeps]
    if rows:
        top = max(r.n for r in rows)
        unjudged = any(r.unjudged for r in rows)
        figures.certificate_grid(
            [_grid_cell(r) for r in rows], out / "summary.png",
            title=f"Certificate summary at n = {top} ({data.preset.seeds} seeds per size): "
                  "PASS when every rule holds",
            note="error: mean estimate minus the exact value at the largest n; slope: RMSE "
                 "against n on log-log axes (root-n: -0.5)"
                 + ("; conv. not judged: design too noisy for the slope" if unjudged else ""))
        figs.append(Figure("summary", "summary.png",
                           "Certificate summary: one cell per estimator and scenario, green "
                           "PASS, red FAIL with the failed rules, with the error at the largest "
                           "n and the RMSE slope."))
    if data.ladder:
        figures.ladder(data.ladder, out / "ladder.png", data.rules, order)
        figs.append(Figure("ladder", "ladder.png",
                           "The breakdown ladder: 2-D Gaussians N(μ, I) vs N(0, I) with growing "
                           "KL, at one sample size. A rung breaks where the RMSE is above the "
                           "dashed allowance or the bias exceeds the tolerance (the table below "
                           "says which)."))
    by_div: dict[str, list[SweepResult]] = {}
    by_pair: dict[tuple[str, str], list[SweepResult]] = {}
    for res in data.sweeps:
        by_div.setdefault(res.divergence, []).append(res)
        by_pair.setdefault((res.divergence, res.scenario), []).append(res)
    for div, group in by_div.items():
        name = f"rmse_{_safe(div)}.png"
        figures.rmse_vs_n(group, out / name, order)
        figs.append(Figure("rate", name, f"RMSE of {figures.divergence_label(div)} versus n "
                                         "(log-log), one panel per scenario, with fitted slopes "
                                         "and the n^-1/2 reference."))
    for (div, scen), group in by_pair.items():
        name = f"estimate_{_safe(div)}_{_safe(scen)}.png"
        label = figures.divergence_label(div)
        desc = SCENARIOS[scen].description if scen in SCENARIOS else scen
        figures.estimate_vs_n(group, out / name, title=f"{label} on {scen}: {desc}", order=order)
        figs.append(Figure("estimate", name, f"{label} on {scen} ({desc}): mean estimate with "
                                             "95% CI band, single runs as dots, exact value "
                                             "dashed."))
    return figs


_SHORT_RULE = {"accuracy": "accuracy", "spread": "spread", "convergence": "conv.", "runs": "runs"}


def _grid_cell(row: SummaryRow) -> Any:
    """The cell of ``row`` in the certificate summary grid (:func:`figures.certificate_grid`)."""
    from divergence_verify.verify.figures import GridCell

    if row.passed:
        status, lines = ("partial", ["PASS", "(conv. not judged)"]) if row.unjudged else (
            "pass", ["PASS"])
    else:
        failed = ", ".join(_SHORT_RULE.get(r, r) for r in row.failed)
        status, lines = "fail", ["FAIL", failed + ("; conv. not judged" if row.unjudged else "")]
    lines += [f"error {_num(row.bias, '+.3g')}", f"slope {_slope(row)}"]
    return GridCell(row.estimator, row.scenario, status, tuple(lines))


_HOW_TO_READ = (
    "Each estimator runs on pairs of distributions (P, Q) whose divergence is known exactly, at "
    "every sample size n (points per side) with several seeds; every number below comes from "
    "those runs. Estimate versus n: the mean estimate with its 95% confidence band and each run "
    "as a faint dot; a converging estimator closes in on the dashed exact value. RMSE versus n: "
    "log-log axes, where a power law n^slope is a straight line; a root-n consistent estimator "
    "has slope -0.5 (dashed reference) and a slope near 0 means the error does not shrink. "
    "Certificate: PASS when every run returned a number (runs), the error at the largest n is "
    "within tolerance (accuracy; its confidence interval is shown beside it), the "
    "RMSE is within {spread:g} tolerances (spread), and the slope is at most {slope:g} "
    "(convergence; waived below the precision floor). Ladder: the KL estimators on 2-D "
    "Gaussians of growing KL at one n; where the RMSE rises above the dashed allowance, or the "
    "bias exceeds the tolerance, the estimator breaks. With {seeds} seeds per size a "
    "borderline verdict can flip from one run to the next: read it with the figures, and "
    "settle it with more seeds (--seeds, or the full preset)."
)


def _how_to_read(data: ReportData) -> str:
    return _HOW_TO_READ.format(spread=data.rules.spread_factor, slope=data.rules.max_slope,
                               seeds=data.preset.seeds)


def _rules_line(rules: Rules) -> str:
    return (f"Rules (verify.Rules): tolerance = {rules.atol:g} + {rules.rtol:g}·|truth|; "
            f"RMSE allowed {rules.spread_factor:g}·tolerance; slope at most {rules.max_slope:g} "
            f"unless RMSE < {rules.floor_fraction:g}·tolerance, judged only when the design's "
            f"predicted slope standard error is at most {rules.max_slope_se:g}; "
            f"{rules.confidence:.0%} Student-t intervals.")


def _verdict(row: SummaryRow) -> str:
    verdict = "PASS" if row.passed else "FAIL (" + ", ".join(row.failed) + ")"
    if row.unjudged:
        verdict += f"; convergence not judged ({row.unjudged})"
    return verdict


def _unjudged_note(rows: Sequence[SummaryRow]) -> str:
    """One sentence on the pairs whose convergence was not judged, or ""."""
    notes = list(dict.fromkeys(r.unjudged for r in rows if r.unjudged))
    if not notes:
        return ""
    count = sum(bool(r.unjudged) for r in rows)
    which = "every pair" if count == len(rows) else f"{count} of {len(rows)} pairs"
    return (f"Convergence is not judged for {which} ({'; '.join(notes)}): with these sizes and "
            "seeds a fitted slope says too little, so those verdicts rest on the other rules. "
            "Use more seeds or a wider range of sizes to judge it.")


def _error_ci(row: SummaryRow) -> str:
    return (f"{_num(row.bias, '+.3g')} [{_num(row.bias_low, '+.3g')}, "
            f"{_num(row.bias_high, '+.3g')}]")


_SUMMARY_HEAD = ("estimator", "scenario", "truth", "n", "mean", "error [95% CI]", "RMSE",
                 "slope ± se", "s/run", "verdict")
_LADDER_HEAD = ("estimator", "truth", "n", "mean", "error [95% CI]", "RMSE", "allowed RMSE",
                "verdict")


def _summary_cells(row: SummaryRow) -> list[str]:
    return [row.estimator, row.scenario, _num(row.truth), str(row.n), _num(row.mean),
            _error_ci(row), _num(row.rmse, ".3g"), _slope(row), _num(row.seconds, ".3g"),
            _verdict(row)]


def _ladder_cells(row: SummaryRow, rules: Rules) -> list[str]:
    allowed = rules.spread_factor * rules.tolerance(row.truth)
    verdict = "within tolerance" if within_tolerance(row) else "broken (" + ", ".join(
        r for r in row.failed if r != "convergence") + ")"
    return [row.estimator, _num(row.truth, "g"), str(row.n), _num(row.mean), _error_ci(row),
            _num(row.rmse, ".3g"), _num(allowed, ".3g"), verdict]


def _failures(data: ReportData) -> list[str]:
    out = []
    for res in [*data.sweeps, *data.ladder]:
        bad = [r for r in res.records if not r.ok]
        if bad:
            out.append(f"{res.estimator} on {res.scenario}: {len(bad)} of {len(res.records)} "
                       f"runs failed; first (n = {bad[0].n}, seed {bad[0].seed}): {bad[0].error}")
    return out


def _header_facts(data: ReportData) -> list[str]:
    p = data.preset
    versions = ", ".join(f"{k} {v}" for k, v in data.versions.items())
    if data.cached_runs is None:
        cached = "whether runs came from the cache was not recorded"
    elif data.cached_runs == 0:
        cached = "none read from the cache"
    else:
        cached = (f"{data.cached_runs} of them read from the cache, computed by an earlier "
                  "invocation")
    slope_se = predicted_slope_se(p.sizes, p.seeds) if len(set(p.sizes)) > 1 else math.inf
    return [
        f"Created {data.created} on {data.device_name} (device {data.device}).",
        f"{data.runs} runs ({cached}); computing time {data.compute_seconds:.0f} s (the sum of "
        f"the run times); this invocation took {data.wall_seconds:.0f} s of wall time.",
        f"Sample sizes n = {', '.join(map(str, p.sizes))} per side, {p.seeds} seeds each "
        f"(predicted RMSE-slope standard error {_num(slope_se, '.2f')}; the convergence rule "
        f"needs at most {data.rules.max_slope_se:g}); the ladder runs at n = {max(p.sizes)}.",
        f"Versions: {versions}.",
    ]


def _entry_line(entry: Entry, ladder: bool) -> str:
    settings = json.dumps(entry.settings) if entry.settings else "defaults"
    where = "the ladder" if ladder else ", ".join(entry.scenarios)
    return f"{entry.label} on {where}; settings: {settings}"


def _headline(rows: Sequence[SummaryRow]) -> str:
    passed = sum(r.passed for r in rows)
    top = max((r.n for r in rows), default=0)
    if any(r.unjudged for r in rows):
        return (f"{passed} of {len(rows)} estimator-scenario pairs pass every certificate rule "
                f"judged (sizes up to n = {top}); convergence not judged where the design is "
                "too noisy.")
    return (f"{passed} of {len(rows)} estimator-scenario pairs pass every certificate rule "
            f"(sizes up to n = {top}).")


def render_markdown(
    data: ReportData, rows: Sequence[SummaryRow], ladder_rows: Sequence[SummaryRow],
    figs: Sequence[Figure],
) -> str:
    """Return ``report.md``: the same content as the HTML, figures linked by file name."""

    def table(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        return [line(head), "|" + "---|" * len(head), *(line(c) for c in body), ""]

    def images(section: str) -> list[str]:
        return [f"![{f.caption}]({f.filename})\n" for f in figs if f.section == section]

    p = data.preset
    md = [f"# Convergence report: {p.name}", "", p.description, ""]
    md += [*(f"- {fact}" for fact in _header_facts(data)), ""]
    md += ["## Answers at a glance", "", f"**{_headline(rows)}**", ""]
    md += table(_GLANCE_HEAD, glance(rows, ladder_rows))
    md += [f"- **{label}**: {text}" for label, text in findings(rows, ladder_rows, data.rules)]
    md += [""]
    md += ["## How to read this", "", _how_to_read(data), ""]
    md += ["## Does it converge? Certificate summary", "", *images("summary")]
    md += table(_SUMMARY_HEAD, [_summary_cells(r) for r in rows])
    md += [_rules_line(data.rules), ""]
    if _unjudged_note(rows):
        md += [f"**{_unjudged_note(rows)}**", ""]
    if ladder_rows:
        md += ["## Where does it break? The KL ladder", "", *images("ladder")]
        md += table(_LADDER_HEAD, [_ladder_cells(r, data.rules) for r in ladder_rows])
    md += ["## How fast? RMSE versus n", "", *images("rate")]
    md += ["## Estimates versus n", "", *images("estimate")]
    fails = _failures(data)
    if fails:
        md += ["## Failed runs", "", *(f"- {f}" for f in fails), ""]
    md += ["## Configuration", "", f"Preset `{p.name}`:", ""]
    md += [f"- {_entry_line(e, False)}" for e in p.entries]
    md += [f"- {_entry_line(e, True)}" for e in p.ladder]
    md += ["", "Every estimator's full configuration, every estimate, seed and time are in "
           "`results.json`; `python -m divergence_verify report --from results.json` redraws this report "
           "without running anything.", ""]
    return "\n".join(md)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1280px; padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.facts { color: #555; font-size: 0.92em; } .headline { font-size: 1.15em; font-weight: 600; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; white-space: nowrap; }
th { background: #f2f2f2; text-align: center; } td.text { text-align: left; }
td.pass { background: #d9f2d9; color: #145214; font-weight: 600; text-align: left; }
td.fail { background: #f8d7d7; color: #8a1414; font-weight: 600; text-align: left; }
td.mixed { background: #fdf0c8; color: #6b4d00; font-weight: 600; text-align: left; }
td.partial { background: #eef3c8; color: #4a5200; font-weight: 600; text-align: left; }
td.text, td.pass, td.fail, td.mixed, td.partial { white-space: normal; }
figure { display: inline-block; margin: 0.5em 0.8em 1em 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 600px; }
figure.wide figcaption { max-width: 1000px; }
.note { font-size: 0.9em; color: #444; } code { background: #f4f4f4; padding: 0 3px; }
"""


def _status_class(cell: str) -> str:
    """CSS class of a verdict cell: pass (green), fail (red) or mixed (amber)."""
    counted = re.match(r"(\d+) of (\d+) PASS", cell)
    if counted:
        passed, total = int(counted[1]), int(counted[2])
        if passed < total:
            return "fail" if passed == 0 else "mixed"
        return "partial" if "not judged" in cell else "pass"
    if cell.startswith("PASS") and "not judged" in cell:
        return "partial"
    return "pass" if cell.startswith(("PASS", "within")) else "fail"


def render_html(
    data: ReportData, rows: Sequence[SummaryRow], ladder_rows: Sequence[SummaryRow],
    figs: Sequence[Figure], out: Path,
) -> str:
    """Return ``index.html``: self-contained (inline CSS, figures as base64 data URIs)."""
    esc = html.escape

    def table(
        head: Sequence[str], body: Sequence[Sequence[str]], text_columns: int, status: int
    ) -> str:
        """HTML table: the first ``text_columns`` left-aligned, column ``status`` coloured."""
        lines = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
        for cells in body:
            tds = []
            for i, cell in enumerate(cells):
                css = _status_class(cell) if i == status else "text" if i < text_columns else ""
                attr = f' class="{css}"' if css else ""
                tds.append(f"<td{attr}>{esc(cell)}</td>")
            lines.append("<tr>" + "".join(tds) + "</tr>")
        return "\n".join([*lines, "</table>"])

    def images(section: str) -> str:
        parts = []
        for f in figs:
            if f.section != section:
                continue
            b64 = base64.b64encode((out / f.filename).read_bytes()).decode("ascii")
            wide = ' class="wide"' if section in ("ladder", "rate", "summary") else ""
            parts.append(f'<figure{wide}><img src="data:image/png;base64,{b64}" '
                         f'alt="{esc(f.caption)}"><figcaption>{esc(f.caption)}</figcaption>'
                         "</figure>")
        return "\n".join(parts)

    p = data.preset
    body = [f"<h1>Convergence report: {esc(p.name)}</h1>", f"<p>{esc(p.description)}</p>",
            '<ul class="facts">', *(f"<li>{esc(f)}</li>" for f in _header_facts(data)), "</ul>",
            "<h2>Answers at a glance</h2>", f'<p class="headline">{esc(_headline(rows))}</p>',
            table(_GLANCE_HEAD, glance(rows, ladder_rows), 4, 1),
            "<ul>", *(f"<li><b>{esc(label)}</b>: {esc(text)}</li>"
                      for label, text in findings(rows, ladder_rows, data.rules)), "</ul>",
            "<h2>How to read this</h2>",
            f'<p class="note">{esc(_how_to_read(data))}</p>',
            "<h2>Does it converge? Certificate summary</h2>", images("summary"),
            table(_SUMMARY_HEAD, [_summary_cells(r) for r in rows], 2, len(_SUMMARY_HEAD) - 1),
            f'<p class="note">{esc(_rules_line(data.rules))}</p>']
    if _unjudged_note(rows):
        body += [f'<p class="note"><b>{esc(_unjudged_note(rows))}</b></p>']
    if ladder_rows:
        body += ["<h2>Where does it break? The KL ladder</h2>", images("ladder"),
                 table(_LADDER_HEAD, [_ladder_cells(r, data.rules) for r in ladder_rows], 1,
                       len(_LADDER_HEAD) - 1)]
    body += ["<h2>How fast? RMSE versus n</h2>", images("rate"),
             "<h2>Estimates versus n</h2>", images("estimate")]
    fails = _failures(data)
    if fails:
        body += ["<h2>Failed runs</h2>", "<ul>", *(f"<li>{esc(f)}</li>" for f in fails), "</ul>"]
    body += ["<h2>Configuration</h2>", f"<p>Preset <code>{esc(p.name)}</code>:</p>", "<ul>",
             *(f"<li>{esc(_entry_line(e, False))}</li>" for e in p.entries),
             *(f"<li>{esc(_entry_line(e, True))}</li>" for e in p.ladder), "</ul>",
             '<p class="note">Every estimator\'s full configuration, every estimate, seed and '
             "time are in <code>results.json</code>; <code>python -m divergence_verify report --from "
             "results.json</code> redraws this report without running anything.</p>"]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>Convergence report: {esc(p.name)}</title>", f"<style>{_CSS}</style>",
        "</head>", "<body>", *body, "</body>", "</html>", ""])


def write_report(data: ReportData, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``results.json``, the figures, ``report.md`` and ``index.html`` into ``out``.

    The report is drawn from ``results.json`` as read back, so a report regenerated with
    ``--from`` is identical to the one written after the run.

    Returns
    -------
    list of Path
        The files written (``index.html`` first).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "results.json", data.to_dict(), indent=1)
    data = load_results(out / "results.json")
    rows = [summarize(r, data.rules) for r in data.sweeps]
    ladder_rows = [summarize(r, data.rules) for r in data.ladder]
    figs = draw_figures(data, out)
    drawn = {f.filename for f in figs}
    for stale in out.glob("*.png"):  # figures of an earlier run into this folder
        if stale.name not in drawn and stale.name.startswith(
                ("estimate_", "rmse_", "ladder", "summary")):
            stale.unlink()
    (out / "report.md").write_text(render_markdown(data, rows, ladder_rows, figs))
    (out / "index.html").write_text(render_html(data, rows, ladder_rows, figs, out))
    return [out / "index.html", out / "report.md", out / "results.json",
            *(out / f.filename for f in figs)]


# -- command line ---------------------------------------------------------------------------------
def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``python -m divergence_verify report`` to ``parser``."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="what to run: default (CPU, a few minutes), full (certification, "
                             "GPU advised), smoke (seconds); default: default")
    parser.add_argument("--name", default=None,
                        help="report folder name under --out-root (default: the preset's name; "
                             "with --from: the folder of the results file)")
    parser.add_argument("--out-root", default=None,
                        help=f"parent folder of reports (default {DEFAULT_OUT_ROOT})")
    parser.add_argument("--from", dest="from_path", default=None, metavar="RESULTS_JSON",
                        help="redraw a report from its results.json without running anything")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="device of the neural estimators (default auto: CUDA when present)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="sample sizes per side, replacing the preset's")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per size, replacing the preset's")
    parser.add_argument("--cache", default=DEFAULT_CACHE,
                        help=f"folder of cached runs, so an interrupted report resumes "
                             f"({DEFAULT_CACHE})")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _out_dir(args: argparse.Namespace, preset_name: str) -> Path:
    if args.from_path and args.name is None and args.out_root is None:
        return Path(args.from_path).parent
    return Path(args.out_root or DEFAULT_OUT_ROOT) / (args.name or preset_name)


def run_report_command(args: argparse.Namespace) -> int:
    """Run ``python -m divergence_verify report`` with parsed ``args``; return the exit status (0).

    Raises
    ------
    ValueError
        For contradictory options or a bad preset; FileNotFoundError for a missing ``--from``.
    """
    if args.from_path:
        given = [o for o, v in (("--preset", args.preset), ("--sizes", args.sizes),
                                ("--seeds", args.seeds)) if v is not None]
        if given:
            raise ValueError(f"{', '.join(given)} cannot be combined with --from: the results "
                             "file holds what was run")
        data = load_results(args.from_path)
    else:
        preset = with_overrides(PRESETS[args.preset or "default"], args.sizes, args.seeds)
        data = run_preset(preset, device=args.device,
                          cache=None if args.no_cache else Cache(args.cache),
                          progress=None if args.quiet else ProgressBar())
    out = _out_dir(args, data.preset.name)
    paths = write_report(data, out)
    data = load_results(out / "results.json")
    rows = [summarize(r, data.rules) for r in data.sweeps]
    print(_headline(rows))
    for row in rows:
        print(f"  {row.estimator:<18} {row.scenario:<20} error {_num(row.bias, '+.3g'):>9} "
              f"RMSE {_num(row.rmse, '.3g'):>8} slope {_slope(row):>13}  {_verdict(row)}")
    ladder_rows = [summarize(r, data.rules) for r in data.ladder]
    for label, text in findings([], ladder_rows, data.rules):
        print(f"  {label}: {text}")
    print(f"wrote {paths[0]} (and report.md, results.json, {len(paths) - 3} figures)",
          file=sys.stderr)
    return 0
