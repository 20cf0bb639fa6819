r"""The certificate rules' operating characteristic, measured on synthetic estimators.

A synthetic estimator's runs at sample size ``n`` on a scenario with truth ``θ`` are

.. math::

    \hat θ_n = θ\,(1 + b) + \frac{c}{\log n} + σ\,(n / n_{max})^{-r}\, Z,
    \qquad Z \sim N(0, 1) \text{ independent},

with ``b`` the relative bias, ``c`` the logarithmic bias, ``r`` the noise's rate and ``σ`` its
standard deviation at the largest size ``n_max``, either absolute or ``σ = s·tol(θ)`` with
``tol(θ) = atol + rtol·|θ|`` (:attr:`Synthetic.noise_scale`). A *constant* returns one value on
every run. :func:`operating_characteristic` simulates ``reps`` certificates of each synthetic,
one scenario per truth with independent draws, and judges each with exactly
:func:`~divergence_verify.verify.rules.judge_estimates`, :func:`~.rules.rate_rule` and
:func:`~.rules.combine` (certified when every scenario and the rate rule pass). Each probability
comes with its Monte Carlo standard error ``sqrt(p̂(1 - p̂)/reps)``; a count of 0 (or of
``reps``) comes with the rule of three, ``p < 3/reps`` (``p > 1 - 3/reps``) at 95%, which is
conservative: the exact one-sided bound is ``1 - 0.05^{1/reps} < 3/reps``.

Replicate ``k`` of synthetic ``name`` draws from ``SeedSequence(seed, spawn_key=(crc32(name),
k))`` (:func:`replicate_rng`): the figures are bit-identical for the same design and seed, and
a synthetic's do not depend on which others run beside it.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats as _scipy_stats

from divergence_verify.verify import rules as _rules
from divergence_verify.verify import stats as _stats
from divergence_verify.verify.design import DEFAULT_SEEDS, DEFAULT_SIZES, Rules
from divergence_verify.verify.rules import (
    FAIL,
    INCONCLUSIVE,
    OUTCOMES,
    PASS,
    Judgement,
    RuleResult,
    combine,
    judge_estimates,
    look_schedule,
    per_look,
    rate_rule,
)

__all__ = [
    "CERTIFICATE_SYNTHETICS",
    "RULES",
    "SYNTHETICS",
    "OperatingCharacteristic",
    "Probability",
    "Row",
    "Synthetic",
    "cached_quantiles",
    "certificate_operating",
    "default_truths",
    "operating_characteristic",
    "replicate",
    "replicate_rng",
]

RULES = ("runs", "accuracy", "spread", "convergence", "rate")
"""The rules a certificate applies (``rate`` over its scenarios, the others per scenario)."""


@dataclass(frozen=True)
class Synthetic:
    r"""A synthetic estimator: ``θ(1 + bias) + log_bias/log n + σ (n/n_max)^-rate Z``.

    Attributes
    ----------
    name : str
        Label in the tables.
    bias : float
        Relative bias ``b``, a fraction of the truth.
    log_bias : float
        ``c`` of the bias ``c/log n`` (absolute units), which vanishes slower than any power.
    noise : float
        Standard deviation at the largest size: ``noise·tol(θ)`` when ``noise_scale`` is
        ``"tolerance"``, ``noise`` itself when it is ``"absolute"``.
    rate : float
        The noise's standard deviation is proportional to ``n^-rate``.
    constant : float, "mean" or None
        When set, every run returns this value (``"mean"``: the mean of the certificate's
        truths, resolved by :meth:`resolved`); the other fields are then ignored.
    noise_scale : {"tolerance", "absolute"}
        Unit of ``noise``.
    """

    name: str
    bias: float = 0.0
    log_bias: float = 0.0
    noise: float = 1 / 3
    rate: float = 0.5
    constant: float | str | None = None
    noise_scale: str = "tolerance"

    def __post_init__(self) -> None:
        if self.noise_scale not in ("tolerance", "absolute"):
            raise ValueError(f"noise_scale must be 'tolerance' or 'absolute', got "
                             f"{self.noise_scale!r}")
        values = (self.bias, self.log_bias, self.noise, self.rate)
        if not all(math.isfinite(v) for v in values) or self.noise < 0:
            raise ValueError(f"Synthetic {self.name!r}: bias, log_bias, rate must be finite "
                             "and noise finite and >= 0")
        if isinstance(self.constant, str) and self.constant != "mean":
            raise ValueError(f"constant must be a number, 'mean' or None, got {self.constant!r}")
        if isinstance(self.constant, (int, float)) and not math.isfinite(self.constant):
            raise ValueError(f"constant must be finite, got {self.constant!r}")

    def resolved(self, truths: Sequence[float]) -> Synthetic:
        """Return this synthetic with ``constant="mean"`` replaced by the mean of ``truths``."""
        if self.constant != "mean":
            return self
        return replace(self, constant=float(np.mean(truths)))

    def draw(self, sizes: Sequence[int], seeds: int, truth: float, rules: Rules,
             rng: np.random.Generator) -> list[np.ndarray]:
        """Return ``seeds`` runs at each of ``sizes`` (one array per size) on ``truth``."""
        if self.constant == "mean":
            raise ValueError("resolve constant='mean' with Synthetic.resolved(truths) first")
        if self.constant is not None:
            return [np.full(seeds, float(self.constant)) for _ in sizes]
        sd = self.noise * (rules.tolerance(truth) if self.noise_scale == "tolerance" else 1.0)
        n_max = max(sizes)
        return [truth * (1 + self.bias) + self.log_bias / math.log(n)
                + sd * (n / n_max) ** -self.rate * rng.standard_normal(seeds) for n in sizes]

    def describe(self) -> str:
        """One line: the formula of the runs."""
        if self.constant is not None:
            what = "the mean of the truths" if self.constant == "mean" else f"{self.constant:g}"
            return f"always {what}"
        mean = "θ" if self.bias == 0 else f"θ·(1{self.bias:+g})"
        if self.log_bias:
            mean += f" {self.log_bias:+g}/log n"
        sd = f"{self.noise:.3g}·tol" if self.noise_scale == "tolerance" else f"{self.noise:g}"
        shape = f"(n/n_max)^-{self.rate:g}" if self.rate else "(constant in n)"
        return f"{mean} + N(0, SD {sd} at n_max, ∝ {shape})"


SYNTHETICS: dict[str, Synthetic] = {s.name: s for s in (
    # Root-n and unbiased, SD tol/3 at n_max: a good estimator the default design can certify.
    Synthetic("root-n unbiased"),
    # The same with SD = tol at n_max (within the spread allowance of 2·tol): what 8 seeds
    # cannot resolve, the accuracy interval's half-width is then about 0.67·tol.
    Synthetic("root-n noisy (SD tol)", noise=1.0),
    # Biases with the root-n noise. 5% is accepted (inside the tolerance at every truth), but
    # its edge is near: at truth θ the bias is 0.05θ/(0.01 + 0.05θ) of the tolerance.
    Synthetic("5% bias", bias=0.05),
    Synthetic("10% bias", bias=0.10),
    Synthetic("20% bias", bias=0.20),
    # Logarithmic bias with root-n noise: 0.036 at n = 4000, 0.054 at n = 250.
    Synthetic("bias 0.3/log n", log_bias=0.3),
    # Slow noise, SD tol/2 at n_max: accuracy and spread pass (RMSE upper bound about 0.86·tol
    # against 2·tol), so only the slope rules can catch it.
    Synthetic("noise n^-0.1", noise=0.5, rate=0.1),
    # Noise that does not shrink, 0.15 absolute at every n.
    Synthetic("non-shrinking noise", noise=0.15, rate=0.0, noise_scale="absolute"),
    # One value on every run and scenario: the mean of the certificate's truths.
    Synthetic("constant", constant="mean"),
)}
"""The standard family of synthetic estimators, by name."""


CERTIFICATE_SYNTHETICS = ("root-n unbiased", "5% bias", "10% bias", "bias 0.3/log n",
                          "noise n^-0.1", "non-shrinking noise", "constant")
"""The synthetics whose operating characteristic a certificate stores (``operating_reps``)."""


def certificate_operating(truths: Mapping[str, float], sizes: Sequence[int], seeds: int,
                          rules: Rules, max_seeds: int | None, reps: int,
                          seed: int) -> dict[str, Any]:
    """A certificate's own operating characteristic: P(each verdict) of each synthetic.

    The synthetics are :data:`CERTIFICATE_SYNTHETICS`, simulated with the certificate's truths
    and design; compact (no per-scenario table).
    """
    oc = operating_characteristic(truths, sizes, seeds, rules,
                                  {n: SYNTHETICS[n] for n in CERTIFICATE_SYNTHETICS}, reps, seed,
                                  max_seeds=max_seeds)
    return {"reps": reps, "seed": seed, "looks": look_schedule(seeds, max_seeds),
            "p_certified": {n: oc.certified(n).p for n in CERTIFICATE_SYNTHETICS},
            "verdicts": {n: {o: str(oc.certified(n, o)) for o in OUTCOMES}
                         for n in CERTIFICATE_SYNTHETICS},
            "formulas": {n: SYNTHETICS[n].describe() for n in CERTIFICATE_SYNTHETICS},
            "seconds": oc.seconds}


def default_truths(divergence: str = "kl") -> dict[str, float]:
    """Return ``{scenario: truth}`` of the default scenarios of ``divergence``."""
    from divergence_verify.verify.design import DEFAULT_SCENARIOS
    from divergence_verify.verify.scenarios import get_scenario

    return {name: float(get_scenario(name).truth(divergence).value)
            for name in DEFAULT_SCENARIOS[divergence]}


def replicate_rng(seed: int, name: str, rep: int) -> np.random.Generator:
    """Generator of replicate ``rep`` of synthetic ``name`` (see the module docstring)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(
        name.encode()), rep)))


def replicate(synthetic: Synthetic, truths: Sequence[float], sizes: Sequence[int], seeds: int,
              rules: Rules, rng: np.random.Generator, max_seeds: int | None = None,
              ) -> tuple[list[Judgement], RuleResult, str]:
    """Simulate one certificate: the scenarios' judgements, the rate rule and its outcome.

    The outcome is :func:`~divergence_verify.verify.rules.combine` of every scenario's outcome
    and the rate rule's: ``pass`` is CERTIFIED, ``fail`` NOT CERTIFIED. With ``max_seeds``, the
    sequential design of :func:`~divergence_verify.verify.certify`: the runs of all the looks
    are drawn at once and each look judges the first ``k`` seeds with the per-look rules.
    """
    synthetic = synthetic.resolved(truths)
    schedule = look_schedule(seeds, max_seeds)
    rules = per_look(rules, len(schedule))
    draws = [synthetic.draw(sizes, schedule[-1], t, rules, rng) for t in truths]
    for k in schedule:
        judgements = [judge_estimates(sizes, [a[:k] for a in runs], t, rules)
                      for runs, t in zip(draws, truths, strict=True)]
        rate = rate_rule(judgements, rules)
        outcome = combine([j.outcome for j in judgements] + [rate.outcome])
        if outcome != INCONCLUSIVE:
            break
    return judgements, rate, outcome


@dataclass(frozen=True)
class Probability:
    """An estimated probability: ``count`` of ``reps`` replicates."""

    count: int
    reps: int

    @property
    def p(self) -> float:
        """``count/reps``."""
        return self.count / self.reps

    @property
    def se(self) -> float:
        """Monte Carlo standard error ``sqrt(p(1 - p)/reps)`` (0 at a count of 0 or reps)."""
        return math.sqrt(self.p * (1 - self.p) / self.reps)

    @property
    def bound(self) -> float | None:
        """The rule of three at 95%: ``3/reps`` above a count of 0, ``1 - 3/reps`` below all."""
        if self.count == 0:
            return 3 / self.reps
        return 1 - 3 / self.reps if self.count == self.reps else None

    def __str__(self) -> str:
        if self.count == 0:
            return f"0 (<{self.bound:.2g})"
        if self.count == self.reps:
            return f"1 (>{self.bound:.3g})"
        return f"{self.p:.3f}±{self.se:.3f}"


@dataclass
class Row:
    """Counts of one synthetic over the replicates (each dict maps an outcome to a count)."""

    synthetic: Synthetic
    certificate: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    scenarios: list[dict[str, int]] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    """Replicates where the rule failed (in at least one scenario)."""


@dataclass
class OperatingCharacteristic:
    """Measured probabilities of each outcome, per synthetic, and the design behind them."""

    truths: dict[str, float]
    sizes: tuple[int, ...]
    seeds: int
    rules: Rules
    reps: int
    seed: int
    rows: dict[str, Row]
    seconds: float = 0.0
    max_seeds: int | None = None
    """The sequential design's budget (None: one look with ``seeds``)."""

    @property
    def _looks(self) -> list[int]:
        return look_schedule(self.seeds, self.max_seeds)

    def certified(self, name: str, outcome: str = PASS) -> Probability:
        """P(the certificate's outcome is ``outcome``); ``pass`` is CERTIFIED."""
        return Probability(self.rows[name].certificate[outcome], self.reps)

    def scenario(self, name: str, scenario: str, outcome: str = PASS) -> Probability:
        """P(scenario ``scenario``'s outcome is ``outcome``) for synthetic ``name``."""
        index = list(self.truths).index(scenario)
        return Probability(self.rows[name].scenarios[index][outcome], self.reps)

    def failed(self, name: str, rule: str) -> Probability:
        """P(rule ``rule`` fails in at least one scenario) for synthetic ``name``."""
        return Probability(self.rows[name].failed[rule], self.reps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: the design, and per synthetic the counts and probabilities."""
        def prob(count: int) -> dict[str, Any]:
            p = Probability(count, self.reps)
            return {"count": count, "p": p.p, "se": p.se, "bound": p.bound}

        rows = {name: {
            "synthetic": asdict(row.synthetic), "formula": row.synthetic.describe(),
            "certificate": {o: prob(c) for o, c in row.certificate.items()},
            "scenarios": {s: {o: prob(c) for o, c in counts.items()}
                          for s, counts in zip(self.truths, row.scenarios, strict=True)},
            "rule_failed": {r: prob(c) for r, c in row.failed.items()},
        } for name, row in self.rows.items()}
        return {"design": {"truths": dict(self.truths), "sizes": list(self.sizes),
                           "seeds": self.seeds, "max_seeds": self.max_seeds,
                           "looks": look_schedule(self.seeds, self.max_seeds),
                           "rules": asdict(self.rules), "reps": self.reps, "seed": self.seed},
                "outcomes": {"pass": "CERTIFIED", "fail": "NOT CERTIFIED",
                             "inconclusive": "INCONCLUSIVE"},
                "synthetics": rows, "seconds": self.seconds}

    def table(self) -> str:
        """Plain text: P(each verdict) and P(each scenario passes), with Monte Carlo errors."""
        r = self.rules
        lines = [f"Operating characteristic of the certificate rules: {self.reps} simulated "
                 f"certificates per synthetic estimator (seed {self.seed})",
                 f"design: sizes {', '.join(map(str, self.sizes))}; {self.seeds} seeds per "
                 f"size; atol {r.atol:g}, rtol {r.rtol:g}, confidence {r.confidence:g}"
                 + ("" if self.max_seeds is None else
                    f"; sequential: looks at {', '.join(map(str, self._looks))} seeds, each at "
                    f"confidence {per_look(r, len(self._looks)).confidence:.4g}"),
                 "p ± Monte Carlo SE sqrt(p(1-p)/reps); a count of 0 (all): 95% bound "
                 "3/reps (1 - 3/reps), the rule of three", ""]
        names = list(self.rows)
        width = max(len(n) for n in [*names, "synthetic"]) + 2
        head = f"{'synthetic':<{width}}{'CERTIFIED':>16}{'NOT CERTIFIED':>16}{'INCONCLUSIVE':>16}"
        lines += [head + "   failed (P >= 0.01 of some scenario's rule)", "-" * len(head)]
        for name in names:
            cells = "".join(f"{self.certified(name, o)!s:>16}" for o in OUTCOMES)
            fails = ", ".join(f"{rule} {self.failed(name, rule).p:.2f}" for rule in RULES
                              if self.failed(name, rule).p >= 0.01)
            lines.append(f"{name:<{width}}{cells}   {fails or '-'}")
        cols = [f"{s} θ={t:.4g}" for s, t in self.truths.items()]
        lines += ["", "P(scenario passes) (tol = atol + rtol·θ accepts a relative bias up to "
                  + ", ".join(f"{100 * r.resolution(t):.3g}%" for t in self.truths.values())
                  + ")", ""]
        cw = max(16, *(len(c) + 2 for c in cols))
        head = f"{'synthetic':<{width}}" + "".join(f"{c:>{cw}}" for c in cols)
        lines += [head, "-" * len(head)]
        lines += [f"{name:<{width}}" + "".join(f"{self.scenario(name, s)!s:>{cw}}"
                                              for s in self.truths) for name in names]
        lines += ["", "synthetic estimators:"]
        lines += [f"  {name}: {row.synthetic.describe()}" for name, row in self.rows.items()]
        return "\n".join(lines)


def operating_characteristic(
    truths: Sequence[float] | Mapping[str, float],
    sizes: Sequence[int] = DEFAULT_SIZES,
    seeds: int = DEFAULT_SEEDS,
    rules: Rules | None = None,
    synthetics: Sequence[Synthetic] | Mapping[str, Synthetic] | None = None,
    reps: int = 1000,
    seed: int = 0,
    cache: bool = True,
    max_seeds: int | None = None,
) -> OperatingCharacteristic:
    """Simulate ``reps`` certificates of each synthetic over ``truths`` (one scenario each).

    Parameters
    ----------
    truths : sequence of float or mapping of scenario name to truth
        One scenario per truth (named ``θ<i>=<truth>`` when not a mapping).
    sizes, seeds, rules
        The design (default: the certificates' defaults).
    synthetics : sequence or mapping of Synthetic, optional
        Default :data:`SYNTHETICS`.
    reps : int
        Simulated certificates per synthetic.
    seed : int
        Root of every replicate's :func:`replicate_rng`.
    cache : bool
        Judge inside :func:`cached_quantiles` (the same decisions, about twice as fast).
    max_seeds : int, optional
        Simulate the sequential design of :func:`~divergence_verify.verify.certify` with this
        budget (see :func:`replicate`).
    """
    if isinstance(truths, Mapping):
        named = dict(truths)
    else:  # named by position too, so that equal truths stay separate scenarios
        named = {f"θ{i + 1}={t:g}": float(t) for i, t in enumerate(truths)}
    if not named:
        raise ValueError("operating_characteristic needs at least one truth")
    if not all(math.isfinite(t) for t in named.values()):
        raise ValueError(f"truths must be finite, got {list(named.values())}")
    if reps < 1 or seeds < 1:
        raise ValueError(f"reps and seeds must be >= 1, got reps={reps}, seeds={seeds}")
    sizes = tuple(int(n) for n in sizes)
    if not sizes or list(sizes) != sorted(set(sizes)) or sizes[0] < 2:
        raise ValueError(f"sizes must be distinct, ascending and >= 2, got {sizes}")
    rules = rules or Rules()
    look_schedule(seeds, max_seeds)  # a budget below seeds raises here
    given = SYNTHETICS if synthetics is None else synthetics
    chosen = list(given.values() if isinstance(given, Mapping) else given)
    if not chosen:
        raise ValueError("synthetics is empty: name at least one (None runs SYNTHETICS)")
    if len({s.name for s in chosen}) != len(chosen):
        raise ValueError("synthetics need distinct names")
    values = list(named.values())
    start = time.perf_counter()
    rows: dict[str, Row] = {}
    with cached_quantiles() if cache else nullcontext():
        for synthetic in chosen:
            row = rows[synthetic.name] = Row(synthetic)
            row.scenarios = [dict.fromkeys(OUTCOMES, 0) for _ in values]
            for k in range(reps):
                rng = replicate_rng(seed, synthetic.name, k)
                judgements, rate, outcome = replicate(synthetic, values, sizes, seeds, rules, rng,
                                                      max_seeds)
                row.certificate[outcome] += 1
                failed = {rate.rule} if rate.outcome == FAIL else set()
                for counts, j in zip(row.scenarios, judgements, strict=True):
                    counts[j.outcome] += 1
                    failed |= {r.rule for r in j.rules if r.outcome == FAIL}
                for rule in failed:
                    row.failed[rule] += 1
    return OperatingCharacteristic(named, sizes, seeds, rules, reps, seed, rows,
                                   time.perf_counter() - start, max_seeds)


class _CachedPpf:
    """A scipy distribution whose ``ppf`` is memoised (the same values, computed once)."""

    def __init__(self, dist: Any) -> None:
        self._dist, self._cache = dist, {}

    def ppf(self, q: Any, *args: Any) -> Any:
        key = (np.shape(q), tuple(np.ravel(q).tolist()), tuple(float(a) for a in args))
        if key not in self._cache:
            self._cache[key] = self._dist.ppf(q, *args)
        value = self._cache[key]
        return value.copy() if isinstance(value, np.ndarray) else value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dist, name)


class _CachedStats:
    """:mod:`scipy.stats` with memoised ``t``, ``chi2`` and ``norm`` quantiles."""

    def __init__(self) -> None:
        self.t, self.chi2, self.norm = (_CachedPpf(d) for d in (
            _scipy_stats.t, _scipy_stats.chi2, _scipy_stats.norm))

    def __getattr__(self, name: str) -> Any:
        return getattr(_scipy_stats, name)


_LOCK = threading.Lock()
_DEPTH = [0]


@contextmanager
def cached_quantiles() -> Iterator[None]:
    """Let :mod:`~.rules` and :mod:`~.stats` reuse their scipy quantiles while inside.

    The rules call ``ppf`` with the same few arguments on every judgement (about 40% of its
    time); the proxy returns scipy's own values, so every decision is unchanged (a test checks
    that the figures are bit-identical without it). Modules that no longer use ``scipy.stats``
    under the name ``stats`` are left alone.
    """
    modules = [m for m in (_rules, _stats) if getattr(m, "stats", None) is _scipy_stats]
    with _LOCK:
        if _DEPTH[0] == 0:
            proxy = _CachedStats()
            for module in modules:
                module.stats = proxy  # type: ignore[attr-defined]
        _DEPTH[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                for module in (_rules, _stats):
                    if isinstance(getattr(module, "stats", None), _CachedStats):
                        module.stats = _scipy_stats  # type: ignore[attr-defined]
