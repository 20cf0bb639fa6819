"""Paired differences of two estimators' errors on the same samples, with paired intervals.

**Same samples.** A run's samples are a function of (scenario, n, seed) alone
(:meth:`~divergence_verify.verify.scenarios.Scenario.sample` draws them from
``SeedSequence([seed, n])``), so two estimators swept with the same scenarios, sizes and seeds
see the same samples (an estimator that samples on a GPU gets the same draws as float32
tensors). Their runs are therefore paired by (scenario, n, seed): the difference of one pair
cancels the luck of its sample, which both estimators share, so a paired interval is much
narrower than one comparing two independent means.

**Statistics.** At each sample size ``n``, over the seeds ``s`` at which both runs returned a
number, with ``e = estimate - truth``:

* ``d_s = |e_A(n, s)| - |e_B(n, s)|`` (and, beside it, ``e_A² - e_B²``);
* their mean and the paired Student-t interval ``mean ± t_{k-1} · sd / √k`` over the ``k``
  pairs. Assumption: the seeds' differences are independent (every seed and size draws
  independent samples) and roughly normal, or numerous enough for their mean to be; the
  interval is exact for normal differences. One pair gives an infinite interval.
* **Overall** (every size at once): per seed, the mean of ``d`` over the sizes (a seed counts
  only if it has a pair at every size), then the same interval over the seeds.

**Verdict** (:class:`Verdict`), from the interval of ``|e_A| - |e_B|``: *A better* when it lies
below zero (A's error is smaller), *B better* when it lies above, *no detectable difference*
when it contains zero (or there are too few pairs). Each interval is at its own level: with
many scenarios and sizes, some interval will miss zero by chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from divergence_verify.verify.design import DEFAULT_SCENARIOS
from divergence_verify.verify.results import SweepResult


class Verdict(Enum):
    """Which of two estimators has the smaller absolute error, as a paired interval says."""

    A_BETTER = "A better"
    """The interval of ``|e_A| - |e_B|`` lies below zero."""
    B_BETTER = "B better"
    """It lies above zero."""
    NO_DIFFERENCE = "no detectable difference"
    """It contains zero, or there are too few pairs to tell."""


@dataclass(frozen=True)
class Interval:
    """The mean of paired differences with its Student-t interval.

    Attributes
    ----------
    mean : float
        Mean difference (NaN without pairs).
    low, high : float
        The interval's ends (infinite with one pair, NaN with none).
    count : int
        Pairs (or seeds, for the overall interval) it is computed from.
    """

    mean: float
    low: float
    high: float
    count: int

    @property
    def verdict(self) -> Verdict:
        """A better below zero, B better above, else no detectable difference."""
        if self.high < 0:
            return Verdict.A_BETTER
        if self.low > 0:
            return Verdict.B_BETTER
        return Verdict.NO_DIFFERENCE


def paired_interval(differences: Sequence[float], confidence: float = 0.95) -> Interval:
    """Return the mean of ``differences`` and its paired Student-t interval at ``confidence``.

    ``mean ± t_{k-1}((1 + confidence)/2) · sd / √k`` with ``sd`` the standard deviation (ddof
    1) of the ``k`` differences: exact when they are independent and normal. Identical
    differences give a degenerate interval (``sd = 0``); one difference an infinite one.
    """
    from scipy import stats

    k = len(differences)
    if k == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = math.fsum(differences) / k
    if k == 1:
        return Interval(mean, -math.inf, math.inf, 1)
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in differences) / (k - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, k - 1)) * sd / math.sqrt(k)
    return Interval(mean, mean - half, mean + half, k)


@dataclass(frozen=True)
class PairedSize:
    """The paired comparison at one sample size.

    Attributes
    ----------
    n : int
        Sample size per side.
    abs_a, abs_b : float
        Mean absolute error of A and of B over the pairs.
    abs_diff : Interval
        Of ``|e_A| - |e_B|``: negative when A is closer to the truth.
    sq_diff : Interval
        Of ``e_A² - e_B²``: the difference of squared errors (its mean is the MSE difference).
    unpaired : int
        Seeds at which only one of the two runs returned a number (left out).
    """

    n: int
    abs_a: float
    abs_b: float
    abs_diff: Interval
    sq_diff: Interval
    unpaired: int


@dataclass(frozen=True)
class PairedScenario:
    """Two estimators on one scenario: the paired comparison at every size and overall.

    Attributes
    ----------
    a, b : str
        The two estimators' names.
    divergence, scenario : str
        What both estimated, and on which pair of laws.
    truth : float
        The exact value.
    sizes : tuple of PairedSize
        One per common sample size, ascending.
    overall : Interval
        Per-seed means of ``|e_A| - |e_B|`` over the sizes, as one interval over the seeds.
    """

    a: str
    b: str
    divergence: str
    scenario: str
    truth: float
    sizes: tuple[PairedSize, ...]
    overall: Interval

    @property
    def last(self) -> PairedSize:
        """The comparison at the largest sample size."""
        return self.sizes[-1]

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values, with the verdicts at the largest n and overall.

        Floats are left as they are: the writers encode them under the suite's JSON policy.
        """
        return {**asdict(self), "verdict_largest_n": self.last.abs_diff.verdict.value,
                "verdict_overall": self.overall.verdict.value}


def pair_sweeps(
    a: SweepResult,
    b: SweepResult,
    confidence: float = 0.95,
    names: tuple[str, str] | None = None,
) -> PairedScenario:
    """Pair the runs of two sweeps by (n, seed) and compare their errors.

    Parameters
    ----------
    a, b : SweepResult
        Sweeps of the same divergence on the same scenario; sizes and seeds they do not share
        are left out.
    confidence : float
        Level of the paired intervals.
    names : (str, str), optional
        The names to show for A and B (default: the sweeps' estimator names).

    Returns
    -------
    PairedScenario

    Raises
    ------
    ValueError
        If the sweeps are of different scenarios or divergences, or share no size.
    """
    if (a.scenario, a.divergence) != (b.scenario, b.divergence):
        raise ValueError(f"cannot pair a sweep of {a.divergence} on {a.scenario} with one of "
                         f"{b.divergence} on {b.scenario}")
    truth = a.truth.value
    err_a = {(r.n, r.seed): r.estimate - truth for r in a.records if r.ok}
    err_b = {(r.n, r.seed): r.estimate - truth for r in b.records if r.ok}
    sizes = sorted(set(a.sizes) & set(b.sizes))
    if not sizes:
        raise ValueError(f"the sweeps of {a.estimator} and {b.estimator} on {a.scenario} share "
                         "no sample size")
    seeds = sorted({r.seed for r in a.records} & {r.seed for r in b.records})
    per_size = []
    by_seed: dict[int, list[float]] = {s: [] for s in seeds}
    for n in sizes:
        both = [s for s in seeds if (n, s) in err_a and (n, s) in err_b]
        abs_d = [abs(err_a[n, s]) - abs(err_b[n, s]) for s in both]
        for s, d in zip(both, abs_d, strict=True):
            by_seed[s].append(d)
        one = sum(((n, s) in err_a) != ((n, s) in err_b) for s in seeds)
        per_size.append(PairedSize(
            n, _mean([abs(err_a[n, s]) for s in both]), _mean([abs(err_b[n, s]) for s in both]),
            paired_interval(abs_d, confidence),
            paired_interval([err_a[n, s] ** 2 - err_b[n, s] ** 2 for s in both], confidence),
            one))
    complete = [math.fsum(d) / len(d) for d in by_seed.values() if len(d) == len(sizes)]
    first, second = names or (a.estimator, b.estimator)
    return PairedScenario(first, second, a.divergence, a.scenario, truth, tuple(per_size),
                          paired_interval(complete, confidence))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def check_divergence(name: str) -> str:
    """Return ``name`` if it is a divergence the suite knows, else raise ValueError naming them."""
    from divergence_verify.reference import quantity_names

    if name not in quantity_names():
        raise ValueError(f"unknown divergence {name!r}; expected one of: "
                         f"{', '.join(quantity_names())}")
    return name


def scenarios_for(divergence: str, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """Return ``names``, or the divergence's default scenarios, once each is checked.

    Raises
    ------
    ValueError
        For an unknown scenario, one without a finite exact value of ``divergence``, or no
        scenarios at all (none named and no defaults for the divergence).
    """
    from divergence_verify.verify.scenarios import get_scenario

    chosen = tuple(names) if names else DEFAULT_SCENARIOS.get(divergence, ())
    if not chosen:
        raise ValueError(f"no default scenarios for {divergence!r}; name them (--scenario)")
    for name in chosen:
        if not get_scenario(name).supports(divergence):
            raise ValueError(f"scenario {name!r} has no finite exact {divergence!r}")
    if len(set(chosen)) < len(chosen):
        raise ValueError(f"a scenario is named twice: {', '.join(chosen)}")
    return chosen
