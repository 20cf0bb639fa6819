"""The evidence of a report, built once from its results: rows, rungs, rates and status values.

Every verdict a report shows (tables, prose, the summary grid, the ladder figure) is read from
the objects built here, never from formatted text. Four kinds of judgement:

* **Certificate rows** (:class:`Row`): the certificate rules' own verdicts
  (:func:`verify.certificates.judge`); the report only says how the convergence rule was
  decided: judged on the slope, *waived* (the RMSE at the largest n is below the precision floor
  ``floor_fraction·tol``) or *not judged* (the design's predicted slope standard error exceeds
  ``max_slope_se``; the verdict then rests on the other rules).
* **Rates** (:class:`Rate`): the fitted log-log slope of RMSE against n, its one standard error
  (the design's predicted one, :func:`verify.certificates.predicted_slope_se`), and whether a
  power law describes the points at all: with ``k`` runs at a size, log RMSE has a predicted
  standard error of about ``1/sqrt(2k)``; the fit's residuals in those units give
  ``chi2 = sum (residual_i / se_i)^2`` on ``m - 2`` degrees of freedom for ``m`` sizes, and a
  p-value below :data:`FIT_LEVEL` is a *poor fit*: no speed is claimed from its slope.
* **Ladder rungs** (:class:`Rung`): one size, so no convergence rule; the bias and the RMSE are
  compared with their allowances through their 95% intervals. *Within* when the whole interval
  is inside the allowance, *outside* when the whole interval is beyond it, *borderline* when it
  straddles the allowance's edge (the runs cannot tell; more seeds would).
* **Paired comparisons** (:class:`~divergence_verify.verify.pairing.PairedScenario`): in a
  report of the user's estimators, each of theirs against each baseline (or, in a report of two
  estimators, the one against the other), on every scenario both ran: their errors paired by
  (n, seed), which is the same samples (:mod:`divergence_verify.verify.pairing`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from divergence_verify.verify.certificates import RuleResult, Rules, design_slope_se, judge
from divergence_verify.verify.pairing import PairedScenario, pair_sweeps
from divergence_verify.verify.report.presets import BASELINE, YOURS
from divergence_verify.verify.rules import FAIL, INCONCLUSIVE, rmse_interval
from divergence_verify.verify.stats import SizeStats
from divergence_verify.verify.sweeps import SweepResult

FIT_LEVEL = 0.01
"""Level of the power-law goodness-of-fit test: a p-value below it is a poor fit."""


class Status(Enum):
    """A verdict shown in the report; ``value`` is also its CSS class and grid colour key."""

    PASS = "pass"
    """Every certificate rule passed, convergence judged on the slope."""
    WAIVED = "waived"
    """Every rule passed; convergence waived: the RMSE is below the precision floor."""
    NOT_JUDGED = "not-judged"
    """Every rule judged passed; convergence not judged: the design is too noisy for a slope."""
    FAIL = "fail"
    """A certificate rule failed."""
    INCONCLUSIVE = "inconclusive"
    """No rule failed but one could not be decided: the runs cannot tell (more seeds would)."""
    MIXED = "mixed"
    """Some of an estimator's scenarios pass, some fail (the at-a-glance table)."""
    WITHIN = "within"
    """Ladder: the 95% intervals lie inside the allowances."""
    BORDERLINE = "borderline"
    """Ladder: an interval straddles an allowance's edge; the runs cannot tell."""
    OUTSIDE = "outside"
    """Ladder: an interval lies wholly beyond an allowance (or runs failed)."""

    @property
    def label(self) -> str:
        """The words shown for this status."""
        return _LABELS[self]

    @property
    def passed(self) -> bool:
        """Whether the status counts as a pass (of the rules judged)."""
        return self in (Status.PASS, Status.WAIVED, Status.NOT_JUDGED, Status.WITHIN)


_LABELS = {
    Status.PASS: "PASS", Status.WAIVED: "PASS, convergence waived",
    Status.NOT_JUDGED: "PASS, convergence not judged", Status.FAIL: "FAIL",
    Status.INCONCLUSIVE: "INCONCLUSIVE",
    Status.MIXED: "some pass", Status.WITHIN: "within tolerance",
    Status.BORDERLINE: "borderline", Status.OUTSIDE: "outside tolerance",
}


class Fit(Enum):
    """How well a power law describes the RMSE points (see the module docstring)."""

    GOOD = "good"
    """The chi-square test does not reject a straight line in log-log."""
    POOR = "poor"
    """Rejected at :data:`FIT_LEVEL`: no speed is claimed from the slope."""
    UNTESTED = "untested"
    """Two sizes: a line always fits, nothing is left to test it."""
    NONE = "none"
    """No slope: fewer than two sizes with a positive RMSE."""


@dataclass(frozen=True)
class Rate:
    """The log-log slope of RMSE against n, its standard error and its goodness of fit.

    Attributes
    ----------
    slope, intercept : float
        Least-squares line ``log RMSE = intercept + slope · log n``.
    se : float
        The design's predicted standard error of the slope
        (:func:`verify.certificates.predicted_slope_se` with the fewest runs of any size).
    chi2 : float
        ``sum (residual_i · sqrt(2 k_i))^2``: residuals in units of log RMSE's predicted SE.
    dof : int
        Degrees of freedom of ``chi2``: sizes minus two.
    p_value : float
        ``P(chi2_dof > chi2)``; NaN when ``dof`` is 0.
    fit : Fit
        The verdict of the test.
    """

    slope: float
    intercept: float
    se: float
    chi2: float
    dof: int
    p_value: float
    fit: Fit


@dataclass(frozen=True)
class Judged:
    """What was run, and its statistics at the size judged (the largest, or the rung's only n).

    Attributes
    ----------
    estimator, divergence, scenario : str
        What was run.
    truth : float
        The exact value.
    last : SizeStats
        Mean, bias with its interval, RMSE and time at that size.
    tolerance : float
        ``atol + rtol·|truth|``.
    """

    estimator: str
    divergence: str
    scenario: str
    truth: float
    last: SizeStats
    tolerance: float

    @property
    def n(self) -> int:
        """The sample size judged."""
        return self.last.n


@dataclass(frozen=True)
class Row(Judged):
    """One (estimator, scenario) line of the certificate summary, at the largest n.

    Attributes (beyond :class:`Judged`'s)
    -------------------------------------
    rate : Rate
        The RMSE slope and its fit.
    failures : int
        Runs that raised or returned a non-finite value (over all sizes).
    rules : tuple of RuleResult
        :func:`verify.certificates.judge`'s verdicts, without convergence when not judged.
    convergence : Status
        PASS or FAIL (judged on the slope), WAIVED or NOT_JUDGED.
    status : Status
        FAIL when a judged rule failed, else INCONCLUSIVE when one could not be decided,
        otherwise ``convergence`` read as the row's pass kind.
    error_ci : Status
        The error's 95% interval against ``±tolerance`` (:func:`against`): WITHIN, BORDERLINE
        or OUTSIDE. Evidence shown beside the verdict; the accuracy rule itself judges the
        mean error.
    """

    rate: Rate
    failures: int
    rules: tuple[RuleResult, ...]
    convergence: Status
    status: Status
    error_ci: Status

    @property
    def failed(self) -> list[str]:
        """Names of the judged rules that failed."""
        return [r.rule for r in self.rules if r.outcome == FAIL]

    @property
    def undecided(self) -> list[str]:
        """Names of the judged rules that were inconclusive."""
        return [r.rule for r in self.rules if r.outcome == INCONCLUSIVE]


@dataclass(frozen=True)
class Rung(Judged):
    """One estimator on one rung of the ladder (a single n), judged through its intervals.

    Attributes (beyond :class:`Judged`'s)
    -------------------------------------
    allowed_rmse : float
        The RMSE allowance ``spread_factor·tol`` (the bias allowance is ``±tolerance``).
    rmse_low, rmse_high : float
        95% interval of the RMSE (:func:`rmse_interval`).
    accuracy, spread : Status
        WITHIN, BORDERLINE or OUTSIDE for the bias and for the RMSE.
    status : Status
        OUTSIDE if runs failed or either is outside, else BORDERLINE if either is, else WITHIN.
    """

    allowed_rmse: float
    rmse_low: float
    rmse_high: float
    accuracy: Status
    spread: Status
    status: Status


def rate_of(result: SweepResult) -> Rate:
    """Fit the RMSE slope of ``result`` and test whether a power law describes it."""
    from scipy import stats  # only when a report is built

    rows = [s for s in result.per_size() if math.isfinite(s.rmse) and s.rmse > 0]
    fit = result.rate()
    se = design_slope_se(result)
    if not math.isfinite(fit.slope):
        return Rate(math.nan, math.nan, se, math.nan, 0, math.nan, Fit.NONE)
    chi2 = sum(((math.log(s.rmse) - fit.intercept - fit.slope * math.log(s.n))
                * math.sqrt(2 * s.runs)) ** 2 for s in rows)
    dof = len(rows) - 2
    if dof == 0:
        return Rate(fit.slope, fit.intercept, se, chi2, 0, math.nan, Fit.UNTESTED)
    p = float(stats.chi2.sf(chi2, dof))
    return Rate(fit.slope, fit.intercept, se, chi2, dof, p,
                Fit.POOR if p < FIT_LEVEL else Fit.GOOD)


def summarize(result: SweepResult, rules: Rules) -> Row:
    """Judge ``result`` with ``rules`` and return its certificate summary at the largest n."""
    per_size = result.per_size(rules.confidence)
    last = per_size[-1]
    tol = rules.tolerance(result.truth.value)
    rate = rate_of(result)
    judgement = judge(result, rules)
    verdicts = tuple(judgement.rules)
    if judgement.at_floor:
        convergence = Status.WAIVED
    elif rate.se > rules.max_slope_se:
        # Reports accept designs too small to fit a slope (the quick preset): the rule is
        # left out and the row says so, where a certificate would be inconclusive.
        convergence = Status.NOT_JUDGED
        verdicts = tuple(r for r in verdicts if r.rule != "convergence")
    else:
        convergence = Status.PASS if all(
            r.passed for r in verdicts if r.rule == "convergence") else Status.FAIL
    if any(r.outcome == FAIL for r in verdicts):
        status = Status.FAIL
    elif any(r.outcome == INCONCLUSIVE for r in verdicts):
        status = Status.INCONCLUSIVE
    else:
        status = convergence
    return Row(result.estimator, result.divergence, result.scenario, result.truth.value, last,
               tol, rate, sum(s.failures for s in per_size), verdicts, convergence, status,
               against(last.bias_low, last.bias_high, -tol, tol))


def against(low: float, high: float, limit_low: float, limit_high: float) -> Status:
    """Place the interval ``[low, high]`` against the allowance ``[limit_low, limit_high]``.

    WITHIN when it lies inside, OUTSIDE when it lies wholly beyond one edge, BORDERLINE when it
    straddles an edge; an interval with a NaN end (too few runs) is BORDERLINE.
    """
    if math.isnan(low) or math.isnan(high):
        return Status.BORDERLINE
    if high < limit_low or low > limit_high:
        return Status.OUTSIDE
    if limit_low <= low and high <= limit_high:
        return Status.WITHIN
    return Status.BORDERLINE


def rung_of(result: SweepResult, rules: Rules) -> Rung:
    """Judge one ladder sweep (a single n) through the intervals of its bias and RMSE."""
    last = result.per_size(rules.confidence)[-1]
    tol = rules.tolerance(result.truth.value)
    allowed = rules.spread_factor * tol
    rmse_low, rmse_high = rmse_interval(last.rmse, last.runs, rules.confidence)
    accuracy = against(last.bias_low, last.bias_high, -tol, tol)
    spread = against(rmse_low, rmse_high, 0.0, allowed)
    if last.failures or Status.OUTSIDE in (accuracy, spread):
        status = Status.OUTSIDE
    elif Status.BORDERLINE in (accuracy, spread):
        status = Status.BORDERLINE
    else:
        status = Status.WITHIN
    return Rung(result.estimator, result.divergence, result.scenario, result.truth.value, last,
                tol, allowed, rmse_low, rmse_high, accuracy, spread, status)


@dataclass(frozen=True)
class Summary:
    """Every verdict of a report, built once from its results.

    Attributes
    ----------
    rows : list of Row
        The certificate summary, one per sweep.
    rungs : list of Rung
        The ladder, one per (estimator, rung), in the order run.
    cells : list of Rung
        The validity envelope, one per (estimator, cell), judged as the rungs are.
    comparisons : list of PairedScenario
        The paired comparisons (:func:`comparison_pairs`), pair by pair: the scenarios, then
        the ladder rungs.
    roles : dict
        Estimator name to role (:data:`~.presets.YOURS` or :data:`~.presets.BASELINE`), for the
        estimators that have one.
    """

    rows: list[Row]
    rungs: list[Rung]
    comparisons: list[PairedScenario] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    cells: list[Rung] = field(default_factory=list)

    @property
    def estimators(self) -> list[str]:
        """Estimator names in the order they first appear (sweeps, ladder, envelope)."""
        return list(dict.fromkeys([r.estimator for r in self.rows]
                                  + [r.estimator for r in self.rungs]
                                  + [r.estimator for r in self.cells]))

    def rungs_of(self, estimator: str) -> list[Rung]:
        """The ladder rungs of ``estimator``, by ascending truth."""
        return sorted((r for r in self.rungs if r.estimator == estimator), key=lambda r: r.truth)


def comparison_pairs(names: Sequence[str], roles: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (A, B) pairs a report compares, from its estimator names (in order) and roles.

    Each of the user's estimators against each baseline when there are both; otherwise, when
    the report has exactly two estimators, the first against the second; else none.
    """
    yours = [n for n in names if roles.get(n) == YOURS]
    baselines = [n for n in names if roles.get(n) == BASELINE]
    if yours and baselines:
        return [(a, b) for a in yours for b in baselines]
    return [(names[0], names[1])] if len(names) == 2 else []


def compare_sweeps(sweeps: Sequence[SweepResult], pairs: Sequence[tuple[str, str]],
                   confidence: float = 0.95) -> list[PairedScenario]:
    """Pair the sweeps of each (A, B) on every (divergence, scenario) both ran, in order."""
    at = {(r.estimator, r.divergence, r.scenario): r for r in sweeps}
    return [pair_sweeps(r, at[b, r.divergence, r.scenario], confidence)
            for a, b in pairs for r in sweeps
            if r.estimator == a and (b, r.divergence, r.scenario) in at]


def build_summary(sweeps: Sequence[SweepResult], ladder: Sequence[SweepResult],
                  rules: Rules, roles: Mapping[str, str] | None = None,
                  envelope: Sequence[SweepResult] = ()) -> Summary:
    """Judge every sweep, ladder rung and envelope cell of a report; make its comparisons.

    ``roles`` (:meth:`~divergence_verify.verify.report.run.ReportData.roles`) marks the user's
    estimators and the baselines; the comparisons are computed from the runs already made.
    """
    roles = dict(roles or {})
    names = list(dict.fromkeys(r.estimator for r in [*sweeps, *ladder]))
    comparisons = [c for pair in comparison_pairs(names, roles) for group in (sweeps, ladder)
                   for c in compare_sweeps(group, [pair], rules.confidence)]
    return Summary([summarize(r, rules) for r in sweeps], [rung_of(r, rules) for r in ladder],
                   comparisons, roles, [rung_of(r, rules) for r in envelope])
