"""Certificates: pass or fail an estimator on scenarios against declared, documented rules.

For each scenario the estimator is swept over the sample sizes and seeds, and four rules are
checked on the numbers (every rule and threshold is a field of :class:`Rules`):

``runs``
    Every run returned a finite number (an exception or a NaN is a failure, never skipped).
``accuracy``
    At the largest n, the mean error (the bias) is within ``tol = atol + rtol·|truth|``. Its
    Student-t confidence interval is reported beside the verdict so a reader sees how well the
    bias is pinned down; the ``spread`` rule bounds the noise that widens it.
``spread``
    At the largest n, the RMSE is at most ``spread_factor·tol``: one run, not only the average
    of many, is close to the truth. This rejects an estimator whose noise stays large.
``convergence``
    The fitted log-log slope of RMSE against n is at most ``max_slope`` (-0.1 by default, where
    a root-n consistent estimator has -0.5), i.e. the error shrinks with n; waived when the RMSE
    at the largest n is already below ``floor_fraction·tol`` (an estimator at its precision floor
    cannot shrink further). This rejects constant and non-shrinking estimators even when they are
    close to the truth at the sizes tried. :func:`certify` refuses designs (sizes, seeds) whose
    slope would be too noisy to judge (see :func:`predicted_slope_se` and ``max_slope_se``).

The rules separate good from bad estimators: a consistent estimator passes, while a 10% bias
(accuracy), noise that does not shrink (spread, convergence) and a constant (accuracy,
convergence) fail; the tests in ``tests/verify/test_certify.py`` check exactly this.

**Resolution.** A relative bias ``b`` is rejected on a scenario only where ``b·|truth| > tol``,
that is where ``b`` exceeds :meth:`Rules.resolution` ``= tol/|truth|``; with the defaults a 10%
bias is caught where the truth exceeds ``atol/(0.1 - rtol) = 0.4`` (KL on ``gauss1d-scale``,
0.93 nats, among the default KL scenarios) and is within tolerance on small truths such as JS
on ``mixture1d`` (0.04 nats). Each verdict states its resolution and the certificate lists
the scenarios that cannot see a 10% bias. Likewise one scenario cannot tell a constant equal
to its truth from a perfect estimator (the ``convergence`` rule is waived at the precision
floor); a constant fails every other scenario with a different truth, which is why certificates
use several (every divergence's defaults but ``chi2``'s, which are one scenario).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from divergence_verify.estimators.hooks import BATCH, WITH_SEED
from divergence_verify.reference import MI, get_divergence
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.design import (
    DEFAULT_SCENARIOS,
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    W1,
    Rules,
    predicted_slope_se,
)
from divergence_verify.verify.jsonio import dumps, write_json_atomic
from divergence_verify.verify.scenarios import Scenario, get_scenario
from divergence_verify.verify.sweeps import Progress, SweepResult, as_cache, plan_sweep, run_sweeps

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_SEEDS",
    "DEFAULT_SIZES",
    "Certificate",
    "RuleResult",
    "Rules",
    "ScenarioVerdict",
    "certify",
    "design_slope_se",
    "judge",
    "predicted_slope_se",
]


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict with the numbers behind it."""

    rule: str
    passed: bool
    detail: str


@dataclass
class ScenarioVerdict:
    """The verdict on one scenario."""

    scenario: str
    truth: float
    passed: bool
    rules: list[RuleResult]
    sweep: SweepResult

    def summary(self) -> dict[str, Any]:
        """Headline numbers at the largest n (for tables)."""
        last = self.sweep.per_size()[-1]
        rate = self.sweep.rate()
        return {"scenario": self.scenario, "truth": self.truth, "n": last.n, "mean": last.mean,
                "bias": last.bias, "bias_ci": [last.bias_low, last.bias_high], "rmse": last.rmse,
                "slope": rate.slope, "slope_se": design_slope_se(self.sweep),
                "passed": self.passed}

    def resolution(self, rules: Rules) -> float:
        """The smallest relative bias the accuracy rule rejects on this scenario."""
        return rules.resolution(self.truth)


@dataclass
class Certificate:
    """The result of :func:`certify`: per-scenario verdicts, the rules and the configuration."""

    estimator: str
    divergence: str
    config: dict[str, Any]
    rules: Rules
    sizes: list[int]
    seeds: list[int]
    verdicts: list[ScenarioVerdict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Certified: every scenario passes every rule."""
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def blind_to(self, relative_bias: float = 0.1) -> list[str]:
        """Return the scenarios on which a relative bias of this size is within tolerance."""
        return [v.scenario for v in self.verdicts if v.resolution(self.rules) >= relative_bias]

    @property
    def seeding(self) -> list[str]:
        """How the seeds reached the estimator, over every run (:attr:`SweepResult.seeding`)."""
        return sorted({m for v in self.verdicts for m in v.sweep.seeding})

    @property
    def printed_runs(self) -> int:
        """How many runs printed or warned; their text is in the records of :meth:`to_dict`."""
        return sum(v.sweep.printed_runs for v in self.verdicts)

    def to_frame(self) -> pd.DataFrame:
        """Return every run of every scenario as a pandas DataFrame, one row per run.

        The columns of :func:`~divergence_verify.verify.exports.runs_rows`.

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install 'divergence-verify[pandas]'``).
        """
        from divergence_verify.verify.exports import runs_frame

        return runs_frame([v.sweep for v in self.verdicts])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, with every sweep's records."""
        return {
            "certified": self.passed,
            "estimator": self.estimator,
            "divergence": self.divergence,
            "config": self.config,
            "rules": asdict(self.rules),
            "sizes": self.sizes,
            "seeds": self.seeds,
            "blind_to_10_percent_bias": self.blind_to(0.1),
            "seeding": self.seeding,
            "printed_runs": self.printed_runs,
            "scenarios": [
                {**v.summary(), "tolerance": self.rules.tolerance(v.truth),
                 "resolution": v.resolution(self.rules), "rules": [asdict(r) for r in v.rules],
                 "sweep": v.sweep.to_dict()}
                for v in self.verdicts
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as strict JSON (:mod:`~divergence_verify.verify.jsonio`).

        An infinite number is written ``"inf"`` or ``"-inf"``, a NaN (no value) ``null``.
        """
        return dumps(self.to_dict(), indent=indent)

    def save(self, path: str) -> None:
        """Write :meth:`to_json` atomically to ``path``."""
        write_json_atomic(path, self.to_dict(), indent=2)

    def table(self) -> str:
        """A readable plain-text table of the verdicts."""
        head = (f"{'scenario':<22} {'truth':>9} {'n':>6} {'mean':>9} {'bias':>9} "
                f"{'bias 95% CI':>21} {'RMSE':>8} {'slope':>6}  verdict")
        lines = [f"certificate: {self.estimator} for {self.divergence}", head, "-" * len(head)]
        for v in self.verdicts:
            s = v.summary()
            ci = f"[{s['bias_ci'][0]:+.4f}, {s['bias_ci'][1]:+.4f}]"
            failed = [r.rule for r in v.rules if not r.passed]
            verdict = "PASS" if v.passed else "FAIL (" + ", ".join(failed) + ")"
            lines.append(f"{v.scenario:<22} {s['truth']:>9.4f} {s['n']:>6} {s['mean']:>9.4f} "
                         f"{s['bias']:>+9.4f} {ci:>21} {s['rmse']:>8.4f} {s['slope']:>6.2f}  "
                         f"{verdict}")
            lines.extend(f"    {r.rule}: {r.detail}" for r in v.rules if not r.passed)
        blind = self.blind_to(0.1)
        if blind:
            lines.append(f"note: a 10% bias is within tolerance on {', '.join(blind)} (small "
                         "truth; see Rules.resolution)")
        if set(self.seeding) - {WITH_SEED, BATCH}:  # a third-party estimator's own way
            lines.append(f"seeding: {', '.join(self.seeding)} (how each run's seed reached the "
                         "estimator; see divergence_verify.estimators.hooks)")
        if self.printed_runs:
            runs = sum(len(v.sweep.records) for v in self.verdicts)
            lines.append(f"note: {self.printed_runs} of {runs} runs printed output or warned; the "
                         "text is kept with each run's record in the certificate JSON (stdout, "
                         "stderr, warnings)")
        lines.append("CERTIFIED" if self.passed else "NOT CERTIFIED")
        return "\n".join(lines)


def judge(result: SweepResult, rules: Rules) -> list[RuleResult]:
    """Apply the rules to one sweep."""
    rows = result.per_size(rules.confidence)
    last = rows[-1]
    truth = result.truth.value
    tol = rules.tolerance(truth)
    failures = sum(r.failures for r in rows)
    out = [RuleResult("runs", failures == 0,
                      f"{failures} of {len(result.records)} runs failed" + _first_error(result))]
    level = f"{100 * rules.confidence:g}%"
    out.append(RuleResult(
        "accuracy", abs(last.bias) <= tol,
        f"bias {last.bias:+.4g} ({level} CI [{last.bias_low:+.4g}, {last.bias_high:+.4g}]) at "
        f"n={last.n}, tolerance ±{tol:.4g} (rejects a relative bias above "
        f"{100 * rules.resolution(truth):.3g}% here)"))
    out.append(RuleResult(
        "spread", last.rmse <= rules.spread_factor * tol,
        f"RMSE {last.rmse:.4g} at n={last.n}, allowed {rules.spread_factor * tol:.4g}"))
    rate = result.rate()
    floor = rules.floor_fraction * tol
    if last.rmse <= floor:
        out.append(RuleResult("convergence", True,
                              f"RMSE {last.rmse:.3g} below the precision floor {floor:.3g}"))
    else:
        ok = math.isfinite(rate.slope) and rate.slope <= rules.max_slope
        out.append(RuleResult(
            "convergence", ok,
            f"log-log slope of RMSE vs n {rate.slope:+.3f} (± {design_slope_se(result):.3f}, "
            "the design's SE), "
            f"required <= {rules.max_slope}"))
    return out


def design_slope_se(result: SweepResult) -> float:
    """The one standard error of a sweep's RMSE slope: the design's, not the fit residuals'.

    :func:`predicted_slope_se` for the sizes ``result`` ran, with the fewest seeds any size had
    (log RMSE over k runs has a standard error of about 1/√(2k)); infinite for a single size.
    Certificates, sweeps and reports all quote this one.
    """
    sizes = result.sizes
    if len(sizes) < 2:
        return math.inf
    seeds = min(len({r.seed for r in result.records if r.n == n}) for n in sizes)
    return predicted_slope_se(sizes, seeds)


def _first_error(result: SweepResult) -> str:
    errors = [r.error for r in result.records if r.error]
    return f"; first error: {errors[0]}" if errors else ""


def certify(
    estimator: Any,
    divergence: str,
    scenarios: Sequence[str | Scenario] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    rules: Rules | None = None,
    *,
    cache: Cache | str | None = None,
    progress: Progress | None = None,
    executor: Any = None,
) -> Certificate:
    """Certify ``estimator`` for ``divergence`` on ``scenarios``.

    Parameters
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
    divergence : str
        A table name or ``"w1"``.
    scenarios : sequence of names or Scenario, optional
        Default: :data:`~divergence_verify.verify.design.DEFAULT_SCENARIOS` for the divergence.
    sizes : sequence of int
        Sample sizes per side (at least two, for the convergence rule).
    seeds : int or sequence of int
        Seeds per size (at least two, for the confidence interval).
    rules : Rules, optional
        Thresholds; defaults documented on :class:`Rules`.
    cache, progress, executor
        As for :func:`verify.sweep`; the sweeps of all the scenarios run together (one pool of
        workers, one progress bar over every run).

    Returns
    -------
    Certificate
    """
    rules = rules or Rules()
    if divergence not in (W1, MI):
        get_divergence(divergence)  # unknown names raise here, naming the known ones
    if scenarios is None:
        if divergence not in DEFAULT_SCENARIOS:
            raise ValueError(f"no default scenarios for {divergence!r}; name them (scenarios=...)")
        scenarios = DEFAULT_SCENARIOS[divergence]
    scens = [get_scenario(s) if isinstance(s, str) else s for s in scenarios]
    if len(set(sizes)) < 2:
        raise ValueError("certify needs at least two sample sizes to judge convergence")
    seed_count = seeds if isinstance(seeds, int) else len(list(seeds))
    if seed_count < 2:
        raise ValueError("certify needs at least two seeds per size for a confidence interval")
    slope_se = predicted_slope_se(sizes, seed_count)
    if slope_se > rules.max_slope_se:
        raise ValueError(
            f"{seed_count} seeds at sizes {sorted(set(sizes))} cannot judge convergence: the "
            f"fitted slope's standard error would be about {slope_se:.2f} (at most "
            f"{rules.max_slope_se} needed); use more seeds or sizes spanning a wider range"
        )
    jobs = [plan_sweep(estimator, scen, divergence, sizes, seeds, cached=cache is not None)
            for scen in scens]
    if not jobs:
        raise ValueError("no scenarios to certify on")
    results = run_sweeps(jobs, executor=executor, cache=as_cache(cache), progress=progress)
    first = results[0]
    cert = Certificate(first.estimator, divergence, first.config, rules, first.sizes,
                       sorted({r.seed for r in first.records}))
    verdicts: list[ScenarioVerdict] = []
    for scen, result in zip(scens, results, strict=True):
        rule_results = judge(result, rules)
        verdicts.append(ScenarioVerdict(scen.name, result.truth.value,
                                        all(r.passed for r in rule_results), rule_results, result))
    cert.verdicts = verdicts
    return cert
