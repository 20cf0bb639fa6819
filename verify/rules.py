r"""The certificate rules as stated tests, with three outcomes: pass, fail, inconclusive.

Every rule is a test at a stated level on the runs of one scenario (estimates at each sample
size, over seeds), with thresholds from :class:`~divergence_verify.verify.design.Rules`. Write
``tol = atol + rtol·|truth|``, ``α = (1 - confidence)/2`` (5% by default) and ``z`` the normal
``1 - α`` quantile.

``runs``
    Every run returned a finite number (an exception, an infinity or a NaN fails, never skipped).
``accuracy`` (an equivalence test, two one-sided tests, Schuirmann 1987)
    At the largest n the ``confidence`` Student-t interval of the bias must lie inside
    ``[-tol, tol]``: then ``|bias| <= tol`` is shown at level α. An interval wholly outside fails
    (``|bias| > tol`` shown at level α); one that straddles an edge is inconclusive and the rule
    says how many seeds per size would decide if the bias is as estimated. An estimator whose
    bias exceeds ``tol`` is certified with probability at most α on that scenario.
``spread``
    At the largest n the RMSE must be at most ``spread_factor·tol``: one run, not only the mean,
    lands near the truth. Judged through the chi-square interval of the RMSE (exact for centred
    normal errors): pass when its upper end is within the allowance, fail when its lower end is
    beyond it, inconclusive between.
``convergence`` (per scenario)
    Fails when the error clearly does not shrink: the fitted log-log slope of RMSE against n
    minus ``z`` design standard errors (:func:`predicted_slope_se`) exceeds ``max_slope``.
    Passes at the *precision floor*: when the RMSE's upper confidence bound at the largest n is
    below ``floor_fraction·tol`` the estimator is as precise as the tolerance can see and its
    slope says nothing. A design too noisy to fit a slope (standard error above
    ``max_slope_se``) leaves it inconclusive.
``rate`` (over all the scenarios of a certificate, :func:`rate_rule`)
    The mean of the scenarios' slopes (those not at the precision floor) must be shown below
    ``rate_slope``: its upper confidence bound, with the pooled design standard error, below
    ``rate_slope`` passes; its lower bound above fails; between is inconclusive. This separates
    polynomial rates (a root-n estimator has slope -0.5) from logarithmic ones (bias ∝ 1/log n
    has a local slope of -1/log n, -0.18 ... -0.12 over n = 250 ... 4000) and from n^-0.1.

**Sequential design** (:func:`look_schedule`): a certificate may look at its runs with ``k``
seeds per size, then, while the verdict is inconclusive, with ``2k``, ``4k``, ... up to a stated
budget ``max_seeds``, stopping at the first decisive look. With ``L`` looks every rule runs at
:func:`per_look` confidence ``1 - (1 - confidence)/L`` (Bonferroni over the looks), so the
probability of certifying an estimator whose bias exceeds the tolerance stays at most
``(1 - confidence)/2`` per scenario however the looks depend on each other.

A scenario's outcome is ``fail`` when a rule fails, else ``inconclusive`` when a rule is, else
``pass``; a certificate is CERTIFIED when every scenario and the rate rule pass, NOT CERTIFIED
when any fails, and INCONCLUSIVE otherwise. The rules work on arrays, so
:mod:`~divergence_verify.verify.operating` simulates exactly these decisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from divergence_verify.verify.design import Rules, predicted_slope_se
from divergence_verify.verify.stats import fit_rate, size_stats

__all__ = [
    "FAIL",
    "INCONCLUSIVE",
    "OUTCOMES",
    "PASS",
    "Judgement",
    "RuleResult",
    "combine",
    "judge_estimates",
    "look_schedule",
    "per_look",
    "rate_rule",
    "rmse_interval",
]

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
OUTCOMES = (PASS, FAIL, INCONCLUSIVE)
"""A rule's possible outcomes."""


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome (``pass``, ``fail`` or ``inconclusive``) with the numbers behind it."""

    rule: str
    outcome: str
    detail: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def passed(self) -> bool:
        """Whether the rule passed (an inconclusive rule has not)."""
        return self.outcome == PASS


def combine(outcomes: Sequence[str]) -> str:
    """Fail if any fails, else inconclusive if any is, else pass (an empty list passes)."""
    if FAIL in outcomes:
        return FAIL
    return INCONCLUSIVE if INCONCLUSIVE in outcomes else PASS


@dataclass(frozen=True)
class Judgement:
    """The rules' results on one scenario, and what the certificate's rate rule needs."""

    rules: list[RuleResult]
    slope: float
    slope_se: float
    at_floor: bool

    @property
    def outcome(self) -> str:
        """:func:`combine` of the rules' outcomes."""
        return combine([r.outcome for r in self.rules])


def rmse_interval(rmse: float, runs: int, confidence: float) -> tuple[float, float]:
    """Return the ``confidence`` interval of the RMSE from ``runs`` errors.

    With errors normal around zero, ``runs · rmse² / MSE`` is chi-square with ``runs`` degrees of
    freedom, so ``MSE`` lies in ``[runs·rmse²/q_high, runs·rmse²/q_low]``; the square roots bound
    the RMSE. (A bias makes the errors non-central; the interval is then approximate.)
    """
    if runs < 1 or not math.isfinite(rmse):
        return math.nan, math.nan
    q_low, q_high = stats.chi2.ppf([(1 - confidence) / 2, (1 + confidence) / 2], runs)
    return rmse * math.sqrt(runs / q_high), rmse * math.sqrt(runs / q_low)


def _z(rules: Rules) -> float:
    return float(stats.norm.ppf(0.5 + rules.confidence / 2))


def judge_estimates(
    sizes: Sequence[int], estimates: Sequence[Sequence[float]], truth: float, rules: Rules,
    first_error: str = "",
) -> Judgement:
    """Apply the per-scenario rules to ``estimates[i]``, the runs at ``sizes[i]`` (ascending).

    A run that is not a finite number (NaN for an exception) counts against the ``runs`` rule
    and is left out of the statistics. ``first_error`` is quoted in the ``runs`` rule's detail.
    """
    level = f"{100 * rules.confidence:.4g}%"
    tol = rules.tolerance(truth)
    arrays = [np.asarray(e, dtype=float) for e in estimates]
    finite = [a[np.isfinite(a)] for a in arrays]
    total = sum(a.size for a in arrays)
    failures = total - sum(f.size for f in finite)
    out = [RuleResult("runs", PASS if failures == 0 else FAIL,
                      f"{failures} of {total} runs failed (an exception, inf or NaN)"
                      + (f"; first error: {first_error}" if first_error else ""))]
    rows = [size_stats(n, f, truth, [], confidence=rules.confidence)
            for n, f in zip(sizes, finite, strict=True)]
    last = rows[-1]
    out.append(_accuracy(last, tol, truth, rules, level))
    low, high = rmse_interval(last.rmse, last.runs, rules.confidence)
    allowed = rules.spread_factor * tol
    spread = (PASS if high <= allowed else FAIL if low > allowed else INCONCLUSIVE)
    out.append(RuleResult("spread", spread, f"RMSE {last.rmse:.4g} ({level} CI [{low:.4g}, "
                          f"{high:.4g}]) at n={last.n}, allowed {allowed:.4g}"))
    fit = fit_rate([r.n for r in rows], [r.rmse for r in rows])
    seeds = min((r.runs for r in rows), default=0)
    se = predicted_slope_se([r.n for r in rows], seeds) if seeds >= 1 else math.inf
    floor = rules.floor_fraction * tol
    at_floor = high <= floor
    z = _z(rules)
    if at_floor:
        conv = RuleResult("convergence", PASS,
                          f"RMSE {last.rmse:.3g} (upper {level} bound {high:.3g}) below the "
                          f"precision floor {floor:.3g}: the slope is not judged")
    elif not (math.isfinite(fit.slope) and se <= rules.max_slope_se):
        conv = RuleResult("convergence", INCONCLUSIVE,
                          f"log-log slope {fit.slope:+.3f} with the design's SE {se:.3f} (at "
                          f"most {rules.max_slope_se} judged): add seeds or sizes")
    else:
        lower = fit.slope - z * se
        conv = RuleResult(
            "convergence", FAIL if lower > rules.max_slope else PASS,
            f"log-log slope of RMSE vs n {fit.slope:+.3f} (± {se:.3f}, the design's SE; lower "
            f"{level} bound {lower:+.3f}), failing only above {rules.max_slope}")
    out.append(conv)
    return Judgement(out, fit.slope, se, at_floor)


def _accuracy(last: object, tol: float, truth: float, rules: Rules, level: str) -> RuleResult:
    bias, low, high = last.bias, last.bias_low, last.bias_high  # type: ignore[attr-defined]
    n = last.n  # type: ignore[attr-defined]
    head = (f"bias {bias:+.4g} ({level} CI [{low:+.4g}, {high:+.4g}]) at n={n}, tolerance "
            f"±{tol:.4g} = {rules.atol:g} + {rules.rtol:g}·|truth| (accepts a relative bias up to "
            f"{100 * rules.resolution(truth):.3g}% here)")
    if not (math.isfinite(low) and math.isfinite(high)):
        return RuleResult("accuracy", FAIL if not math.isfinite(bias) else INCONCLUSIVE,
                          head + ": too few finite runs for an interval")
    if -tol <= low and high <= tol:
        return RuleResult("accuracy", PASS, head + ": inside")
    if low > tol or high < -tol:
        return RuleResult("accuracy", FAIL, head + ": outside")
    margin = tol - abs(bias)
    sd, runs = last.sd, last.runs  # type: ignore[attr-defined]
    need = _seeds_needed(sd, abs(margin), rules.confidence, runs)
    if margin != 0 and need is not None:
        shown = "|bias| <= tol" if margin > 0 else "|bias| > tol"
        hint = f"about {need} seeds per size would show {shown} if the bias and SD are as estimated"
    else:
        hint = "the bias sits on the tolerance's edge"
    return RuleResult("accuracy", INCONCLUSIVE,
                      f"{head}: the interval straddles an edge ({runs} runs); {hint}")


def _seeds_needed(sd: float, margin: float, confidence: float, runs: int,
                  limit: int = 100_000) -> int | None:
    """Fewest runs k whose Student-t interval half-width ``t_{k-1}·sd/√k`` is below ``margin``."""
    if not (sd > 0 and margin > 0 and math.isfinite(sd)):
        return None
    k = max(runs + 1, 2)
    while k <= limit:
        if stats.t.ppf(0.5 + confidence / 2, k - 1) * sd / math.sqrt(k) < margin:
            return k
        k = max(k + 1, int(k * 1.1))
    return None


def rate_rule(judgements: Sequence[Judgement], rules: Rules) -> RuleResult:
    """The certificate's ``rate`` rule over its scenarios (see the module docstring)."""
    level = f"{100 * rules.confidence:.4g}%"
    judged = [j for j in judgements if not j.at_floor]
    if not judged:
        return RuleResult("rate", PASS, "every scenario is at its precision floor: no slope to "
                                        "judge")
    slopes = [j.slope for j in judged]
    ses = [j.slope_se for j in judged]
    if not all(math.isfinite(s) for s in slopes + ses):
        return RuleResult("rate", INCONCLUSIVE, "a slope could not be fitted or the design's SE "
                                                "is unknown: add seeds or sizes")
    slope = float(np.mean(slopes))
    se = math.sqrt(sum(s * s for s in ses)) / len(ses)
    z = _z(rules)
    low, high = slope - z * se, slope + z * se
    outcome = PASS if high < rules.rate_slope else FAIL if low > rules.rate_slope else INCONCLUSIVE
    detail = (f"mean log-log slope of RMSE vs n over {len(judged)} scenario(s) {slope:+.3f} "
              f"(± {se:.3f}; {level} CI [{low:+.3f}, {high:+.3f}]), polynomial convergence "
              f"needs it below {rules.rate_slope}")
    if outcome == INCONCLUSIVE:
        gap = abs(slope - rules.rate_slope)
        factor = math.inf if gap == 0 else (z * se / gap) ** 2
        detail += (f": add seeds (about {factor:.1f}× as many) or scenarios"
                   if math.isfinite(factor) else ": the slope sits on the threshold")
    return RuleResult("rate", outcome, detail)


def look_schedule(seeds: int, max_seeds: int | None = None) -> list[int]:
    """Seeds per size at each look: ``seeds``, doubling, up to ``max_seeds`` (None: one look).

    Raises
    ------
    ValueError
        When ``max_seeds`` is below ``seeds``.
    """
    if max_seeds is None or max_seeds == seeds:
        return [seeds]
    if max_seeds < seeds:
        raise ValueError(f"max_seeds ({max_seeds}) must be at least seeds ({seeds})")
    looks = [seeds]
    while looks[-1] < max_seeds:
        looks.append(min(2 * looks[-1], max_seeds))
    return looks


def per_look(rules: Rules, looks: int) -> Rules:
    """``rules`` with the confidence of each of ``looks`` looks: ``1 - (1 - confidence)/looks``."""
    if looks < 1:
        raise ValueError(f"looks must be >= 1, got {looks}")
    return rules if looks == 1 else replace(rules, confidence=1 - (1 - rules.confidence) / looks)
