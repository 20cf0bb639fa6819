"""The view-model's status values: convergence judged, waived or not judged; fit; ladder."""

from __future__ import annotations

import dataclasses
import math

import pytest

from divergence_verify.verify.certificates import Rules, predicted_slope_se
from divergence_verify.verify.report import prose
from divergence_verify.verify.report.page import grid_cells
from divergence_verify.verify.report.summary import (
    Fit,
    Rung,
    Status,
    Summary,
    against,
    rmse_interval,
    rung_of,
    summarize,
)
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.stats import size_stats
from divergence_verify.verify.sweeps import Record, SweepResult

SIZES = (250, 500, 1000, 2000, 4000)


def _sweep(errors: dict[int, list[float]], scenario: str = "gauss2d-kl0.5") -> SweepResult:
    """A sweep whose estimate at size n and seed s is truth + errors[n][s]."""
    scen = get_scenario(scenario)
    truth = scen.truth("kl")
    records = [Record(n, s, truth.value + e, 0.01) for n, errs in errors.items()
               for s, e in enumerate(errs)]
    return SweepResult("made[kl]", {"name": "made"}, scen.name, "kl", truth, records)


def _alternating(rmse_at: dict[int, float], seeds: int) -> SweepResult:
    """Unbiased errors ±a at each size: the RMSE at n is exactly rmse_at[n]."""
    return _sweep({n: [a if s % 2 else -a for s in range(seeds)] for n, a in rmse_at.items()})


def test_convergence_is_judged_on_a_design_that_can_judge_it() -> None:
    # The RMSE grows like n^0.2 (0.035 at n = 4000, where accuracy and spread are shown within
    # the tolerance 0.035 of KL 0.5): the slope is shown above -0.1 with the design's SE 0.114.
    row = summarize(_alternating({n: 0.02 * (n / 250) ** 0.2 for n in SIZES}, 8), Rules())
    assert row.convergence is Status.FAIL
    assert row.status is Status.FAIL
    assert row.failed == ["convergence"]
    assert prose.verdict_text(row, Rules()) == "FAIL (convergence)"


def test_convergence_is_not_judged_on_a_noisy_design() -> None:
    rules = Rules()
    sizes, seeds = (250, 500, 1000, 2000), 4
    se = predicted_slope_se(sizes, seeds)
    assert se > rules.max_slope_se
    # RMSE 0.01 at every size: accuracy and spread are shown within the tolerance (0.035) with
    # 4 seeds, and the RMSE's upper bound (0.024) is above the precision floor (0.009).
    row = summarize(_alternating({n: 0.01 for n in sizes}, seeds), rules)
    assert "convergence" not in {r.rule for r in row.rules}
    assert row.status is Status.NOT_JUDGED and row.status.passed  # on runs, accuracy, spread
    verdict = prose.verdict_text(row, rules)
    assert verdict.startswith("PASS")
    assert f"not judged (design too noisy: predicted slope SE {se:.2f} > 0.15)" in verdict
    (cell,) = grid_cells([row])
    assert cell.status is Status.NOT_JUDGED
    assert "conv. not judged" in cell.lines


def test_convergence_below_the_precision_floor_is_waived_not_passed() -> None:
    rules = Rules()
    # A flat RMSE of 0.002, far below 0.25 * tolerance(0.5) = 0.011: judge() waives the slope.
    row = summarize(_alternating({n: 0.002 for n in SIZES}, 8), rules)
    assert row.rate.slope == pytest.approx(0.0, abs=1e-9)  # the slope would fail the rule
    assert row.convergence is Status.WAIVED
    assert row.status is Status.WAIVED and row.status is not Status.PASS
    assert "convergence waived (RMSE 0.002 below the precision floor" in prose.verdict_text(
        row, rules)
    (cell,) = grid_cells([row])
    assert cell.status is Status.WAIVED and "conv. waived" in cell.lines


def test_a_power_law_fits_and_a_step_does_not() -> None:
    rules = Rules()
    line = summarize(_alternating({n: 2.0 * n ** -0.5 for n in SIZES}, 8), rules)
    assert line.rate.fit is Fit.GOOD
    assert line.rate.slope == pytest.approx(-0.5)
    assert line.rate.se == pytest.approx(predicted_slope_se(SIZES, 8))
    assert prose.speed(line.rate) == "consistent with root-n"
    # The words follow the slope's 95% interval: within 1.96 SE of -0.5 is consistent with it.
    se = line.rate.se
    near = dataclasses.replace(line.rate, slope=-0.5 + 1.9 * se)
    slower = dataclasses.replace(line.rate, slope=-0.5 + 2.1 * se)
    faster = dataclasses.replace(line.rate, slope=-0.5 - 2.1 * se)
    assert prose.speed(near) == "consistent with root-n"
    assert prose.speed(slower) == "slower than root-n"
    assert prose.speed(faster) == "faster than root-n"
    # Two plateaus: a fitted slope of about -1.1 that describes no trend.
    step = summarize(_alternating({250: 0.9, 500: 0.95, 1000: 0.05, 2000: 0.07, 4000: 0.065},
                                  6), rules)
    assert step.rate.slope < -0.8
    assert step.rate.fit is Fit.POOR
    assert step.rate.p_value < 0.01
    assert "root-n" not in prose.speed(step.rate)
    assert "poor fit" in prose.speed(step.rate)
    (cell,) = grid_cells([step])
    assert "slope: poor fit" in cell.lines


def test_two_sizes_leave_the_fit_untested() -> None:
    row = summarize(_alternating({250: 0.1, 4000: 0.025}, 8), Rules())
    assert row.rate.fit is Fit.UNTESTED
    assert "untested" in prose.speed(row.rate)


@pytest.mark.parametrize(("interval", "status"), [
    ((-0.03, 0.05), Status.WITHIN), ((-0.03, 0.18), Status.BORDERLINE),
    ((0.08, 0.2), Status.OUTSIDE), ((-0.2, -0.08), Status.OUTSIDE),
    ((-math.inf, math.inf), Status.BORDERLINE), ((math.nan, 0.0), Status.BORDERLINE),
])
def test_an_interval_against_its_allowance(interval: tuple[float, float],
                                           status: Status) -> None:
    assert against(*interval, -0.07, 0.07) is status


def test_rmse_interval_holds_the_rmse_and_narrows_with_runs() -> None:
    low, high = rmse_interval(0.1, 6, 0.95)
    assert low < 0.1 < high
    low_many, high_many = rmse_interval(0.1, 200, 0.95)
    assert low < low_many < 0.1 < high_many < high


def _rung_sweep(errors: list[float]) -> SweepResult:
    scen = get_scenario("ladder-kl1")
    truth = scen.truth("kl")
    records = [Record(4000, s, truth.value + e, 0.01) for s, e in enumerate(errors)]
    return SweepResult("made[kl]", {"name": "made"}, scen.name, "kl", truth, records)


def test_ladder_rung_is_borderline_when_the_interval_straddles_the_tolerance() -> None:
    rules = Rules()  # tolerance at KL = 1: 0.07
    # The case of the issue: a mean error of +0.075 whose 95% interval contains 0.
    rung = rung_of(_rung_sweep([0.0, 0.15, 0.05, 0.10]), rules)
    assert rung.last.bias == pytest.approx(0.075)
    assert rung.last.bias_low < 0 < rules.tolerance(1.0) < rung.last.bias_high
    assert rung.accuracy is Status.BORDERLINE and rung.status is Status.BORDERLINE
    assert prose.rung_verdict(rung).startswith("borderline")
    # The same mean error, pinned down by many tight runs: outside.
    tight = rung_of(_rung_sweep([0.075 + 0.002 * (-1) ** s for s in range(40)]), rules)
    assert tight.accuracy is Status.OUTSIDE and tight.status is Status.OUTSIDE
    # A small error, pinned down: within.
    good = rung_of(_rung_sweep([0.01 + 0.002 * (-1) ** s for s in range(40)]), rules)
    assert good.status is Status.WITHIN


def _rung(truth: float, status: Status) -> Rung:
    last = size_stats(1000, [truth, truth], truth, [0.1, 0.1])
    return Rung("est[kl]", "kl", f"ladder-kl{truth:g}", truth, last, 0.05, 0.1, 0.0, 0.01,
                status, Status.WITHIN, status)


W, B, X = Status.WITHIN, Status.BORDERLINE, Status.OUTSIDE


@pytest.mark.parametrize(("pattern", "expected"), [
    ((W, W, W, W), "within tolerance at KL = 0.1, 1, 5, 10 nats (the top"),
    ((W, W, X, X), "within tolerance at KL = 0.1, 1 nats and breaks at KL = 5 nats"),
    ((X, W, X, X), "also outside tolerance at KL = 0.1 nats"),
    ((X, X, X, X), "outside tolerance on every rung"),
    ((W, B, X, X), "within tolerance at KL = 0.1 nats; borderline at KL = 1 nats"),
])
def test_ladder_sentence_says_where_it_breaks(pattern: tuple[Status, ...], expected: str) -> None:
    rungs = [_rung(t, s) for t, s in zip((0.1, 1.0, 5.0, 10.0), pattern, strict=True)]
    ((label, text),) = prose.findings(Summary([], rungs), Rules())
    assert label == "est[kl]"
    assert expected in text
    if B in pattern:
        assert "cannot tell" in text
        assert "breaks at KL = 1" not in text  # a borderline rung is not a breaking point


def test_a_certificate_verdict_says_when_its_accuracy_evidence_is_borderline() -> None:
    rules = Rules()
    tol = rules.tolerance(get_scenario("gauss2d-kl0.5").truth("kl").value)
    # At the largest n the errors average 1.1 tolerances with a spread that puts the 95%
    # interval across the tolerance's edge; smaller sizes converge at root-n.
    spread = [tol * (1.1 + 0.8 * (1 if s % 2 else -1)) for s in range(8)]
    errors = {n: [tol * 4 * (250 / n) ** 0.5 * (1 if s % 2 else -1) for s in range(8)]
              for n in SIZES[:-1]}
    row = summarize(_sweep({**errors, SIZES[-1]: spread}), rules)
    # The equivalence test cannot decide an interval across the edge: inconclusive, not a fail.
    assert "accuracy" in row.undecided and not row.failed
    assert row.status is Status.INCONCLUSIVE and not row.status.passed
    assert row.error_ci is Status.BORDERLINE
    verdict = prose.verdict_text(row, rules)
    assert verdict.startswith("INCONCLUSIVE (") and "accuracy" in verdict.split(")")[0]
    assert "accuracy borderline" in verdict
    (cell,) = grid_cells([row])
    assert cell.lines[0] == "INCONCL." and "error CI borderline" in cell.lines
    # A clear failure (the whole interval beyond the tolerance) carries no such caveat.
    clear = summarize(_sweep({**errors, SIZES[-1]: [3 * tol] * 8}), rules)
    assert "accuracy" in clear.failed and clear.error_ci is Status.OUTSIDE
    assert "borderline" not in prose.verdict_text(clear, rules)
