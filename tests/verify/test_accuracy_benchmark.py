"""accuracy_benchmark: pytest-benchmark's JSON holds bias, RMSE and the rate in n beside speed.

The user's estimator is deterministic: the exact KL plus 1/sqrt(n), so at every size the bias
and the RMSE are 1/sqrt(n), the SD is 0 and the RMSE's log-log slope is -1/2.
"""

import json
import math

import pytest

from divergence_verify.verify.checks import accuracy_info
from divergence_verify.verify.sweeps import sweep

pytest_plugins = ["pytester"]

USER_TEST = '''
import math

from divergence_verify.verify.scenarios import get_scenario

TRUTH = get_scenario("gauss2d-kl0.5").truth("kl").value


def root_n(x_p, x_q):
    return TRUTH + 1 / math.sqrt(len(x_p))


def test_given_design(accuracy_benchmark):
    result = accuracy_benchmark(root_n, "kl", "gauss2d-kl0.5", sizes=[100, 400, 1600], seeds=2)
    assert result.sizes == [100, 400, 1600]


def test_session_design(accuracy_benchmark):
    accuracy_benchmark(root_n, "kl", "gauss2d-kl0.5")
'''


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_benchmark_json_holds_accuracy_per_size_and_the_rate(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("--benchmark-json", "bench.json", "--verify-sizes", "50,3200",
                                "--verify-seeds", "3")
    result.assert_outcomes(passed=2)
    benchmarks = {b["name"]: b for b in _strict((pytester.path / "bench.json").read_text())
                  ["benchmarks"]}
    given = benchmarks["test_given_design"]
    assert given["stats"]["rounds"] == 1 and given["stats"]["mean"] > 0  # the speed
    info = given["extra_info"]
    assert {k: info[k] for k in ("estimator", "divergence", "scenario", "seeds")} == {
        "estimator": "root_n", "divergence": "kl", "scenario": "gauss2d-kl0.5", "seeds": 2}
    assert info["truth"] == pytest.approx(0.5)
    assert [row["n"] for row in info["per_size"]] == [100, 400, 1600]
    for row in info["per_size"]:
        assert row["bias"] == pytest.approx(1 / math.sqrt(row["n"]))
        assert row["rmse"] == pytest.approx(1 / math.sqrt(row["n"]))
        assert row["sd"] == pytest.approx(0, abs=1e-12)
        assert (row["runs"], row["failures"]) == (2, 0) and row["mean_seconds"] >= 0
    assert info["rmse_slope"] == pytest.approx(-0.5)
    assert info["rmse_slope_se"] > 0
    session = benchmarks["test_session_design"]["extra_info"]
    assert [row["n"] for row in session["per_size"]] == [50, 3200] and session["seeds"] == 3


def test_failed_runs_are_counted_and_missing_numbers_are_null():
    def fails_when_small(x_p, x_q):
        if len(x_p) < 100:
            raise RuntimeError("too few points")
        return 0.5

    result = sweep(fails_when_small, "gauss2d-kl0.5", "kl", [50, 200, 800], 2)
    info = accuracy_info(result)
    small, *rest = info["per_size"]
    assert small == {"n": 50, "runs": 0, "failures": 2, "mean": None, "bias": None, "sd": None,
                     "rmse": None, "mean_seconds": None}
    assert [row["rmse"] for row in rest] == [0.0, 0.0]
    assert info["rmse_slope"] is None  # no RMSE above zero to fit: no value, written null
    _strict(json.dumps(info))
