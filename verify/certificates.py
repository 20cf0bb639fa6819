"""Certificates: an estimator on scenarios, judged by stated tests with three verdicts.

For each scenario the estimator is swept over the sample sizes and seeds and the rules of
:mod:`~divergence_verify.verify.rules` are applied (``runs``, ``accuracy`` as an equivalence
test, ``spread``, ``convergence``), then the ``rate`` rule over all the scenarios. The verdict
is CERTIFIED (every rule passed), NOT CERTIFIED (a rule failed) or INCONCLUSIVE (no rule
failed, but the design cannot decide one: the rule says what to add); the command line exits
0, 1 and 3 for them.

**Fresh randomness.** By default every certificate draws a random *seed base* (the seeds are
``base, base + 1, ...``) and a fresh instance of every scenario
(:func:`~divergence_verify.verify.scenarios.instances.fresh_instance`), both stored in the
certificate: an estimator cannot memorise the answers of known seeds or recognise a scenario
from its moments. ``seed_base=`` (``--seed-base``) or the certificate file
(``certify --reproduce``) replays a run exactly; ``$DIVERGENCE_VERIFY_SEED_BASE`` fixes the base
for a whole session (the test suite sets it).

**What it can see** (:mod:`~divergence_verify.verify.operating` measures it): a bias larger
than the tolerance ``atol + rtol·|truth|`` is certified with probability at most 5% per
scenario, so a 10% bias is caught wherever the truth exceeds ``atol/(0.1 - rtol) = 0.2``. A
relative bias within the tolerance, a 5% one included, **is accepted**: the certificate says so
(:meth:`Certificate.accepts`). One scenario cannot tell a constant equal to its truth from a
perfect estimator (its precision floor); a constant fails every other scenario with a different
truth, which is why certificates use several.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
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
from divergence_verify.verify.rules import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    Judgement,
    RuleResult,
    combine,
    judge_estimates,
    look_schedule,
    per_look,
    rate_rule,
)
from divergence_verify.verify.scenarios import Scenario, get_scenario
from divergence_verify.verify.scenarios.instances import fresh_instance
from divergence_verify.verify.seedbase import SEED_BASE_ENV, resolve_seed_base
from divergence_verify.verify.sweeps import Progress, SweepResult, as_cache, plan_sweep, run_sweeps

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CERTIFIED",
    "DEFAULT_SEEDS",
    "DEFAULT_SIZES",
    "EXIT_CODES",
    "NOT_CERTIFIED",
    "SEED_BASE_ENV",
    "UNDECIDED",
    "Certificate",
    "RuleResult",
    "Rules",
    "ScenarioVerdict",
    "certify",
    "design_slope_se",
    "judge",
    "predicted_slope_se",
    "resolve_seed_base",
]

CERTIFIED, NOT_CERTIFIED, UNDECIDED = "CERTIFIED", "NOT CERTIFIED", "INCONCLUSIVE"
"""The three verdicts of a certificate."""
EXIT_CODES = {CERTIFIED: 0, NOT_CERTIFIED: 1, UNDECIDED: 3}
"""The command line's exit status for each verdict (2 is bad usage)."""
_VERDICTS = {PASS: CERTIFIED, FAIL: NOT_CERTIFIED, INCONCLUSIVE: UNDECIDED}

@dataclass
class ScenarioVerdict:
    """The outcome on one scenario (``pass``, ``fail`` or ``inconclusive``) and its evidence."""

    scenario: str
    truth: float
    outcome: str
    rules: list[RuleResult]
    sweep: SweepResult
    instance: str = ""
    """How the scenario was drawn (its description: the fresh instance's seed and map)."""

    @property
    def passed(self) -> bool:
        """Whether every rule passed on this scenario."""
        return self.outcome == PASS

    def summary(self, confidence: float = 0.95) -> dict[str, Any]:
        """Headline numbers at the largest n (for tables), the bias interval at ``confidence``."""
        last = self.sweep.per_size(confidence)[-1]
        rate = self.sweep.rate()
        return {"scenario": self.scenario, "truth": self.truth, "n": last.n, "mean": last.mean,
                "bias": last.bias, "bias_ci": [last.bias_low, last.bias_high], "rmse": last.rmse,
                "slope": rate.slope, "slope_se": design_slope_se(self.sweep),
                "outcome": self.outcome}

    def resolution(self, rules: Rules) -> float:
        """The largest relative bias the accuracy rule accepts on this scenario."""
        return rules.resolution(self.truth)


@dataclass
class Certificate:
    """The result of :func:`certify`: verdicts per scenario, the rate rule and the record.

    Attributes
    ----------
    estimator, divergence, config
        The estimator's name, what it was certified for, and its identity (settings and code
        fingerprint, as in the cache key).
    rules : Rules
        The thresholds, tolerance policy included.
    sizes, seeds
        The design: sample sizes per side, and the seeds each size ran.
    verdicts : list of ScenarioVerdict
    rate : RuleResult
        The rate rule over every scenario.
    seed_base : int or None
        The seeds are ``seed_base + i`` (unless given explicitly) and the fresh instances are
        drawn from it; None only for explicit seeds without fresh instances.
    fresh : bool
        Whether the scenarios were fresh instances drawn from the seed base.
    versions : dict
        Library versions of the run.
    invocation : dict or None
        The command line's arguments, which ``certify --reproduce`` replays (None from Python).
    operating : dict or None
        The rules' operating characteristic for this design, when computed
        (:mod:`~divergence_verify.verify.operating`).
    looks : list of (int, str)
        Seeds per size and verdict at each look of a sequential design (one look without
        ``max_seeds``); ``rules`` are the per-look rules that judged them.
    """

    estimator: str
    divergence: str
    config: dict[str, Any]
    rules: Rules
    sizes: list[int]
    seeds: list[int]
    verdicts: list[ScenarioVerdict] = field(default_factory=list)
    rate: RuleResult = field(default_factory=lambda: RuleResult("rate", INCONCLUSIVE,
                                                                "not judged"))
    seed_base: int | None = None
    fresh: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    invocation: dict[str, Any] | None = None
    operating: dict[str, Any] | None = None
    looks: list[tuple[int, str]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """:func:`~divergence_verify.verify.rules.combine` of the scenarios and the rate rule."""
        if not self.verdicts:
            return INCONCLUSIVE
        return combine([v.outcome for v in self.verdicts] + [self.rate.outcome])

    @property
    def verdict(self) -> str:
        """CERTIFIED, NOT CERTIFIED or INCONCLUSIVE."""
        return _VERDICTS[self.outcome]

    @property
    def passed(self) -> bool:
        """Certified: every scenario passes every rule, and the rate rule passes."""
        return self.verdict == CERTIFIED

    @property
    def exit_code(self) -> int:
        """The command line's exit status: 0 certified, 1 not certified, 3 inconclusive."""
        return EXIT_CODES[self.verdict]

    def blind_to(self, relative_bias: float = 0.1) -> list[str]:
        """Return the scenarios on which a relative bias of this size is within tolerance."""
        return [v.scenario for v in self.verdicts if v.resolution(self.rules) >= relative_bias]

    def accepts(self) -> str:
        """What the certificate accepts: the tolerance, and the biases inside it, plainly."""
        r = self.rules
        per = ", ".join(f"{v.scenario} {100 * v.resolution(r):.3g}%" for v in self.verdicts)
        text = (f"tolerance = {r.atol:g} + {r.rtol:g}·|truth|: a bias inside it is accepted and "
                f"certified like no bias at all; the largest relative bias accepted per "
                f"scenario: {per}")
        return text

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
        """JSON-serialisable form: the verdict, the record to replay it, every run."""
        r = self.rules
        return {
            "verdict": self.verdict,
            "certified": self.passed,
            "exit_code": self.exit_code,
            "estimator": self.estimator,
            "divergence": self.divergence,
            "config": self.config,
            "versions": self.versions,
            "seed_base": self.seed_base,
            "fresh_instances": self.fresh,
            "tolerance_policy": {
                "atol": r.atol, "rtol": r.rtol, "tolerance": "atol + rtol * |truth|",
                "reason": "see divergence_verify.verify.design.Rules",
                "accepts": self.accepts()},
            "rules": asdict(r),
            "sizes": self.sizes,
            "seeds": self.seeds,
            "rate": asdict(self.rate),
            "blind_to_10_percent_bias": self.blind_to(0.1),
            "seeding": self.seeding,
            "printed_runs": self.printed_runs,
            "invocation": self.invocation,
            "operating_characteristic": self.operating,
            "looks": [{"seeds": k, "verdict": v} for k, v in self.looks],
            "scenarios": [
                {**v.summary(r.confidence), "instance": v.instance,
                 "tolerance": r.tolerance(v.truth), "resolution": v.resolution(r),
                 "rules": [asdict(x) for x in v.rules], "sweep": v.sweep.to_dict()}
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
        """A readable plain-text table of the verdicts, the rate rule and the record."""
        level = f"{100 * self.rules.confidence:.4g}%"
        head = (f"{'scenario':<22} {'truth':>9} {'n':>6} {'mean':>9} {'bias':>9} "
                f"{'bias ' + level + ' CI':>21} {'RMSE':>8} {'slope':>6}  verdict")
        lines = [f"certificate: {self.estimator} for {self.divergence}", head, "-" * len(head)]
        for v in self.verdicts:
            s = v.summary(self.rules.confidence)
            ci = f"[{s['bias_ci'][0]:+.4f}, {s['bias_ci'][1]:+.4f}]"
            lines.append(f"{v.scenario:<22} {s['truth']:>9.4f} {s['n']:>6} {s['mean']:>9.4f} "
                         f"{s['bias']:>+9.4f} {ci:>21} {s['rmse']:>8.4f} {s['slope']:>6.2f}  "
                         f"{_verdict_text(v.outcome, v.rules)}")
            lines.extend(f"    {r.rule} ({r.outcome}): {r.detail}" for r in v.rules
                         if not r.passed)
        lines.append(f"rate ({self.rate.outcome}): {self.rate.detail}")
        lines.append(f"tolerance: {self.accepts()}")
        blind = self.blind_to(0.1)
        if blind:
            lines.append(f"note: a 10% bias is within tolerance on {', '.join(blind)} (small "
                         "truth; see Rules.resolution)")
        if self.seed_base is not None:
            fresh = ("fresh instances of the scenarios drawn from it" if self.fresh else
                     "the scenarios as named (no fresh instances)")
            lines.append(f"seed base {self.seed_base} (seeds {_span(self.seeds)}), "
                         f"{fresh}; --seed-base {self.seed_base} or --reproduce replays it")
        if self.operating:
            probs = ", ".join(f"{name} {p:.3g}" for name, p in
                              self.operating["p_certified"].items())
            lines.append(f"operating characteristic ({self.operating['reps']} simulated "
                         f"certificates of this design per synthetic estimator): P(CERTIFIED) "
                         f"{probs}")
        if len(self.looks) > 1:
            steps = ", ".join(f"{k} seeds {v}" for k, v in self.looks)
            lines.append(f"sequential design: {steps} (every rule at {level} per look, "
                         "Bonferroni over the looks)")
        if set(self.seeding) - {WITH_SEED, BATCH}:  # a third-party estimator's own way
            lines.append(f"seeding: {', '.join(self.seeding)} (how each run's seed reached the "
                         "estimator; see divergence_verify.estimators.hooks)")
        if self.printed_runs:
            runs = sum(len(v.sweep.records) for v in self.verdicts)
            lines.append(f"note: {self.printed_runs} of {runs} runs printed output or warned; the "
                         "text is kept with each run's record in the certificate JSON (stdout, "
                         "stderr, warnings)")
        lines.append(self.verdict)
        return "\n".join(lines)


def _span(seeds: Sequence[int]) -> str:
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _verdict_text(outcome: str, rules: Sequence[RuleResult]) -> str:
    if outcome == PASS:
        return "PASS"
    which = ", ".join(r.rule for r in rules if r.outcome == outcome)
    return f"{'FAIL' if outcome == FAIL else 'INCONCLUSIVE'} ({which})"


def judge(result: SweepResult, rules: Rules) -> Judgement:
    """Apply the per-scenario rules (:func:`~divergence_verify.verify.rules.judge_estimates`).

    A run that raised counts as a run without a finite number.
    """
    sizes = result.sizes
    estimates = [[r.estimate if r.error is None else math.nan for r in result.records
                  if r.n == n] for n in sizes]
    errors = [r.error for r in result.records if r.error]
    return judge_estimates(sizes, estimates, result.truth.value, rules,
                           first_error=errors[0] if errors else "")


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


def certify(
    estimator: Any,
    divergence: str,
    scenarios: Sequence[str | Scenario] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    rules: Rules | None = None,
    *,
    seed_base: int | None = None,
    fresh: bool = True,
    max_seeds: int | None = None,
    operating_reps: int = 0,
    cache: Cache | str | None = None,
    progress: Progress | None = None,
    executor: Any = None,
) -> Certificate:
    """Certify ``estimator`` for ``divergence`` on ``scenarios``.

    Parameters
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
    divergence : str
        A table name, ``"w1"`` or ``"mi"``.
    scenarios : sequence of names or Scenario, optional
        Default: :data:`~divergence_verify.verify.design.DEFAULT_SCENARIOS` for the divergence.
    sizes : sequence of int
        Sample sizes per side (at least two, for the convergence rule).
    seeds : int or sequence of int
        Seeds per size (at least two, for the confidence interval): a count ``k`` runs the
        seeds ``seed_base, ..., seed_base + k - 1``; explicit seeds are used as given (then no
        seed base is drawn and, unless ``fresh`` says otherwise, the instances still are).
    rules : Rules, optional
        Thresholds and tolerance; defaults documented on :class:`Rules`.
    seed_base : int, optional
        Default: ``$DIVERGENCE_VERIFY_SEED_BASE``, else drawn at random (and stored).
    fresh : bool
        Certify on a fresh instance of every scenario, drawn from the seed base
        (:func:`~divergence_verify.verify.scenarios.instances.fresh_instance`); False runs the
        scenarios as named (what the reports do, with seed base 0).
    max_seeds : int, optional
        A sequential design: while the verdict is INCONCLUSIVE, double the seeds per size (the
        new seeds continue the old ones) up to ``max_seeds``, and stop at the first decisive
        look; every look runs the rules at :func:`~divergence_verify.verify.rules.per_look`
        confidence. Default: one look with ``seeds`` (needs ``seeds`` as a count).
    operating_reps : int
        When positive, simulate this many certificates of each synthetic estimator of
        :data:`~divergence_verify.verify.operating.CERTIFICATE_SYNTHETICS` with this design
        (these truths, sizes, seeds, rules and looks) and store the probabilities of each
        verdict in :attr:`Certificate.operating`: what this certificate can and cannot see.
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
    if not scens:
        raise ValueError("no scenarios to certify on")
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
    base = resolve_seed_base(seed_base) if isinstance(seeds, int) or fresh else None
    if max_seeds is not None and not isinstance(seeds, int):
        raise ValueError("max_seeds needs seeds as a count (the looks add seeds after them)")
    if operating_reps < 0:
        raise ValueError(f"operating_reps must be >= 0, got {operating_reps}")
    schedule = look_schedule(seed_count, max_seeds)
    given_rules, rules = rules, per_look(rules, len(schedule))
    seed_list = (list(range(base, base + schedule[-1])) if isinstance(seeds, int)
                 and base is not None else list(seeds))  # type: ignore[arg-type]
    if fresh:
        assert base is not None
        scens = [fresh_instance(s, divergence, base) for s in scens]
    results: list[SweepResult] = []
    looks: list[tuple[int, str]] = []
    for done, k in zip([0, *schedule], schedule, strict=False):
        jobs = [plan_sweep(estimator, scen, divergence, sizes, seed_list[done:k],
                           cached=cache is not None) for scen in scens]
        new = run_sweeps(jobs, executor=executor, cache=as_cache(cache), progress=progress)
        results = new if not results else [_merged(a, b) for a, b in zip(results, new,
                                                                          strict=True)]
        judgements = [judge(result, rules) for result in results]
        rate = rate_rule(judgements, rules)
        outcome = combine([j.outcome for j in judgements] + [rate.outcome])
        looks.append((k, _VERDICTS[outcome]))
        if outcome != INCONCLUSIVE:
            break
    first = results[0]
    verdicts = [ScenarioVerdict(scen.name, result.truth.value, j.outcome, j.rules, result,
                                scen.description)
                for scen, result, j in zip(scens, results, judgements, strict=True)]
    cert = Certificate(first.estimator, divergence, first.config, rules, first.sizes,
                       sorted({r.seed for r in first.records}), verdicts, rate, base, fresh,
                       dict(first.versions), looks=looks)
    if operating_reps > 0:
        from divergence_verify.verify.operating import certificate_operating

        cert.operating = certificate_operating(
            {v.scenario: v.truth for v in verdicts}, first.sizes, seed_count, given_rules,
            max_seeds, operating_reps, 0 if base is None else base)
    return cert


def _merged(old: SweepResult, new: SweepResult) -> SweepResult:
    """The runs of two looks of one sweep as one result (ordered by size, then seed)."""
    records = sorted([*old.records, *new.records], key=lambda r: (r.n, r.seed))
    return replace(old, records=records, cached_runs=old.cached_runs + new.cached_runs)
