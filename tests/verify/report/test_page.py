"""The page's at-a-glance speeds and its failed-run lines, on sweeps made to order."""

from __future__ import annotations

from divergence_verify.verify.certificates import Rules
from divergence_verify.verify.report.page import _glance, failures
from divergence_verify.verify.report.presets import Preset
from divergence_verify.verify.report.run import ReportData
from divergence_verify.verify.report.summary import build_summary
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.sweeps import Record, SweepResult

SIZES = (250, 500, 1000, 2000, 4000)


def _power_law(scenario: str, slope: float, seeds: int = 8) -> SweepResult:
    """Unbiased errors ±a(n) with a(n) = 0.02 (n/250)^slope: an exact power law of the RMSE."""
    scen = get_scenario(scenario)
    truth = scen.truth("kl")
    records = [Record(n, s, truth.value + (1 if s % 2 else -1) * 0.02 * (n / 250) ** slope, 0.01)
               for n in SIZES for s in range(seeds)]
    return SweepResult("made[kl]", {"name": "made"}, scen.name, "kl", truth, records)


def test_the_glance_gives_the_range_of_fitted_slopes_lowest_first() -> None:
    sweeps = [_power_law("gauss2d-kl0.5", -0.3), _power_law("gauss1d-scale", -0.5),
              _power_law("mixture1d", -0.4)]
    (row,) = _glance(build_summary(sweeps, [], Rules())).rows
    assert row[2].text == "-0.50 to -0.30"
    (one,) = _glance(build_summary(sweeps[:1], [], Rules())).rows
    assert one[2].text == "-0.30"


def test_a_failed_run_line_quotes_the_first_failure() -> None:
    scen = get_scenario("gauss2d-kl0.5")
    truth = scen.truth("kl")
    records = [Record(250, 0, 0.5, 0.01), Record(250, 1, None, 0.01, error="ValueError: one"),
               Record(500, 0, 0.5, 0.01), Record(500, 3, None, 0.01, error="ValueError: two")]
    res = SweepResult("made[kl]", {"name": "made"}, scen.name, "kl", truth, records)
    data = ReportData(Preset("t", "test", (250, 500), 4, entries=()), "2026-01-01", 1.0, "cpu",
                      "cpu", {}, Rules(), [res], [])
    assert failures(data) == ["made[kl] on gauss2d-kl0.5: 2 of 4 runs failed; first (n = 250, "
                              "seed 1): ValueError: one"]
