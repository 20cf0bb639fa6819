"""Paired comparison of two estimators: the same samples, paired intervals, the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from divergence_verify.reference import ExactValue
from divergence_verify.verify.compare import compare, compare_command
from divergence_verify.verify.pairing import Verdict, pair_sweeps, paired_interval
from divergence_verify.verify.resolve import UsageError
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.sweeps import Record, SweepResult
from tests.verify._estimators import gaussian_mle_kl

SCENARIO = "gauss2d-kl0.5"
TRUTH = get_scenario(SCENARIO).truth("kl").value
SIZES = (50, 100)


def exact(x_p, x_q):
    return TRUTH


def exact_plus_tenth(x_p, x_q):
    return TRUTH + 0.1


def _noise(x_p):
    """Large noise, always positive, that is a function of the sample alone."""
    return 0.5 * abs(float(x_p[0, 0]))


def noisy(x_p, x_q):
    return TRUTH + _noise(x_p)


def noisy_plus_tenth(x_p, x_q):
    return TRUTH + 0.1 + _noise(x_p)


def first_mean(x_p, x_q):
    return float(x_p[:, 0].mean())


def first_mean_again(x_p, x_q):
    return float(np.mean(x_p[:, 0]))


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_a_constant_offset_is_found_exactly() -> None:
    result = compare(exact_plus_tenth, exact, "kl", [SCENARIO], SIZES, 3)
    (paired,) = result.scenarios
    for size in paired.sizes:
        assert size.abs_diff.count == 3 and size.unpaired == 0
        assert size.abs_diff.mean == pytest.approx(0.1, abs=1e-12)
        # Deterministic estimators: the same difference at every seed, a degenerate interval.
        assert size.abs_diff.low == pytest.approx(0.1, abs=1e-12)
        assert size.abs_diff.high == pytest.approx(0.1, abs=1e-12)
        assert size.sq_diff.mean == pytest.approx(0.01, abs=1e-12)
        assert size.abs_diff.verdict is Verdict.B_BETTER
    assert paired.overall.mean == pytest.approx(0.1, abs=1e-12)
    assert result.verdicts() == {SCENARIO: Verdict.B_BETTER}
    assert result.verdicts(overall=True) == {SCENARIO: Verdict.B_BETTER}


def test_pairing_cancels_the_noise_both_estimators_share() -> None:
    # The noise (SD ~0.3) is a function of the sample: paired on the same samples, the
    # difference is exactly the 0.1 offset at every seed, so the interval is tight.
    result = compare(noisy, noisy_plus_tenth, "kl", [SCENARIO], SIZES, 4)
    for size in result.scenarios[0].sizes:
        assert size.abs_a > 0.1  # the noise itself is large
        assert size.abs_diff.mean == pytest.approx(-0.1, abs=1e-9)
        assert size.abs_diff.high - size.abs_diff.low < 1e-9
        assert size.abs_diff.verdict is Verdict.A_BETTER


def test_an_estimator_against_itself_sees_the_same_samples() -> None:
    result = compare(first_mean, first_mean, "kl", [SCENARIO], SIZES, 3)
    assert (result.a, result.b) == ("first_mean (A)", "first_mean (B)")
    a, b = result.sweeps_a[0], result.sweeps_b[0]
    assert [(r.n, r.seed, r.estimate) for r in a.records] == \
        [(r.n, r.seed, r.estimate) for r in b.records]
    assert len({r.estimate for r in a.records}) == len(a.records)  # the samples do differ
    for size in result.scenarios[0].sizes:
        assert size.abs_diff.mean == 0 and size.abs_diff.low == size.abs_diff.high == 0
        assert size.abs_diff.verdict is Verdict.NO_DIFFERENCE
    assert result.verdicts(overall=True) == {SCENARIO: Verdict.NO_DIFFERENCE}


def test_two_estimators_with_identical_outputs_show_no_difference() -> None:
    result = compare(first_mean, first_mean_again, "kl", [SCENARIO, "gauss1d-scale"], SIZES, 3)
    assert set(result.verdicts().values()) == {Verdict.NO_DIFFERENCE}
    assert set(result.verdicts(overall=True).values()) == {Verdict.NO_DIFFERENCE}
    assert "no detectable difference on gauss2d-kl0.5, gauss1d-scale" in result.table()


def test_a_real_difference_between_estimators_is_detected() -> None:
    # The Gaussian fit is exact in form on a Gaussian pair, the sample mean of the first
    # coordinate estimates nothing: A is closer at every size.
    result = compare(gaussian_mle_kl, first_mean, "kl", [SCENARIO], (200, 400), 6)
    assert result.verdicts() == {SCENARIO: Verdict.A_BETTER}
    assert result.scenarios[0].last.abs_diff.high < 0


def test_paired_interval_edge_cases() -> None:
    assert math.isnan(paired_interval([]).mean)
    assert paired_interval([]).verdict is Verdict.NO_DIFFERENCE
    one = paired_interval([0.3])
    assert (one.low, one.high) == (-math.inf, math.inf)
    assert one.verdict is Verdict.NO_DIFFERENCE
    # Mean 1, SD 1 over 4 pairs: half-width t(0.975, 3) · 1 / √4.
    differences = [1 - math.sqrt(1.5), 1.0, 1.0, 1 + math.sqrt(1.5)]
    interval = paired_interval(differences)
    assert interval.mean == pytest.approx(1.0)
    assert interval.high - interval.mean == pytest.approx(3.182446305284263 / 2)
    assert interval.verdict is Verdict.NO_DIFFERENCE


def test_failed_runs_are_left_out_of_the_pairs() -> None:
    truth = ExactValue(1.0, 0.0, "test")
    a = SweepResult("a", {}, "s", "kl", truth, [
        Record(10, 0, 1.1, 0.0), Record(10, 1, None, 0.0, "boom"), Record(10, 2, 1.3, 0.0),
        Record(20, 0, 1.1, 0.0), Record(20, 1, 1.1, 0.0), Record(20, 2, 1.1, 0.0)])
    b = SweepResult("b", {}, "s", "kl", truth, [
        Record(n, s, 1.0, 0.0) for n in (10, 20) for s in range(3)])
    paired = pair_sweeps(a, b)
    first, second = paired.sizes
    assert (first.abs_diff.count, first.unpaired) == (2, 1)
    assert first.abs_diff.mean == pytest.approx(0.2)
    assert second.abs_diff.count == 3
    assert paired.overall.count == 2  # seed 1 has no pair at n = 10
    with pytest.raises(ValueError, match="cannot pair"):
        pair_sweeps(a, SweepResult("c", {}, "other", "kl", truth, b.records))


def test_compare_refuses_what_cannot_be_compared() -> None:
    with pytest.raises(ValueError, match="two seeds"):
        compare(exact, exact, "kl", [SCENARIO], SIZES, 1)
    with pytest.raises(ValueError, match="unknown divergence"):
        compare(exact, exact, "kullback", [SCENARIO], SIZES, 3)
    with pytest.raises(ValueError, match="no-such-scenario"):
        compare(exact, exact, "kl", ["no-such-scenario"], SIZES, 3)
    with pytest.raises(ValueError, match="confidence"):
        compare(exact, exact, "kl", [SCENARIO], SIZES, 3, confidence=1.5)


USER = """
import numpy as np

def my_kl(x_p, x_q):
    return float(np.log(np.var(x_q[:, 0]) / np.var(x_p[:, 0])) / 2 + 0.5)
"""


def test_compare_command_writes_comparison_json_and_prints_the_table(
    user_modules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user_modules("dv_compare_user", USER)
    monkeypatch.chdir(tmp_path)
    status = compare_command("dv_compare_user:my_kl", "knn", divergence="kl",
                             scenarios=[SCENARIO], sizes=[50, 100], seeds=3, device="cpu",
                             cache=None, quiet=True)
    assert status == 0
    out = capsys.readouterr().out
    assert "comparison for kl: A = dv_compare_user:my_kl, B = knn[kl]" in out
    assert "95% CI" in out and "at n = 100:" in out and "over all sizes:" in out
    path = tmp_path / "verify-out" / "compare" / "dv_compare_user_my_kl-vs-knn-kl" / \
        "comparison.json"
    data = json.loads(path.read_text(), parse_constant=_reject)
    assert data["format"] == "divergence-verify comparison"
    assert (data["a"]["name"], data["b"]["name"]) == ("dv_compare_user:my_kl", "knn[kl]")
    (scenario,) = data["scenarios"]
    assert [s["n"] for s in scenario["sizes"]] == [50, 100]
    assert scenario["verdict_largest_n"] in {v.value for v in Verdict}
    assert data["verdicts"]["largest_n"] == {SCENARIO: scenario["verdict_largest_n"]}
    assert len(scenario["sweep_a"]["records"]) == len(scenario["sweep_b"]["records"]) == 6


def test_compare_command_takes_settings_and_an_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    assert compare_command("knn", "knn", divergence="kl", scenarios=[SCENARIO], sizes=[50, 100],
                           seeds=2, device="cpu", settings_a={"k": 1}, settings_b={"k": 5},
                           cache=None, quiet=True, out=str(out)) == 0
    data = json.loads((out / "comparison.json").read_text())
    assert (data["a"]["config"]["k"], data["b"]["config"]["k"]) == (1, 5)
    assert data["a"]["name"] == "knn[kl] (A)"


def test_compare_command_refuses_bad_input_before_running(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown estimator"):
        compare_command("no_such_kind", "knn", divergence="kl", cache=None, quiet=True,
                        out=str(tmp_path / "x"))
    afile = tmp_path / "a-file"
    afile.write_text("")
    with pytest.raises(UsageError, match="not a folder"):
        compare_command("knn", "classifier", divergence="kl", cache=None, quiet=True,
                        out=str(afile))
    assert not (tmp_path / "x").exists()


def test_compare_command_refuses_sizes_that_cannot_fit_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine with 64 KiB free: n = 400 in 8-D does not fit. (Small sizes, so that a check
    # that is skipped runs a quick comparison and fails the test, instead of exhausting memory.)
    from divergence_verify.reference import memory

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 64 * 1024)
    with pytest.raises(ValueError, match=r"--sizes 400: a run needs about .* GiB"):
        compare_command("knn", "classifier", divergence="kl", cache=None, quiet=True,
                        sizes=[200, 400], seeds=2, out=str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
