"""The command line through ``verify.cli.main``: exit codes, outputs and errors (issue 4).

Every run uses a tiny design (MLE or constant estimators, small sizes) and a temporary cache, so
the whole file takes seconds.
"""

import json
import os

import pytest

from divergence_verify.verify import cli

MLE = "tests.verify._estimators:gaussian_mle_kl"
CONSTANT = "tests.verify._estimators:constant"
# Accepted by certify: 8 seeds over a 16-fold range of n predict a slope SE of 0.13 (<= 0.15).
DESIGN = ["--sizes", "100", "400", "1600", "--seeds", "8"]
SMALL = ["--sizes", "50", "100", "--seeds", "2"]


@pytest.fixture
def run(tmp_path, capsys):
    """``run(*argv) -> (exit status, stdout, stderr)`` with a temporary cache."""

    def go(*argv, cache=True):
        extra = []
        if cache and argv and argv[0] in ("certify", "sweep"):
            extra = ["--cache", str(tmp_path / "cache")]
        status = cli.main([*argv, *extra])
        out, err = capsys.readouterr()
        return status, out, err

    return go


def _one_line_error(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- certify ------------------------------------------------------------------------------------

def test_certify_exits_0_and_writes_the_certificate(run, tmp_path):
    out_dir = tmp_path / "out"
    status, out, err = run("certify", "--estimator", MLE, "--divergence", "kl",
                           "--scenario", "gauss2d-kl0.5", *DESIGN, "--out", str(out_dir))
    assert status == 0, out + err
    assert "certificate: " in out and "gauss2d-kl0.5" in out and "PASS" in out
    assert out.rstrip().endswith("CERTIFIED") and "NOT CERTIFIED" not in out
    cert = json.loads((out_dir / "certificate.json").read_text())
    assert cert["certified"] is True and cert["divergence"] == "kl"
    assert [s["scenario"] for s in cert["scenarios"]] == ["gauss2d-kl0.5"]
    assert cert["config"]["kind"] == "external" and cert["config"]["code"]["qualname"] == (
        "gaussian_mle_kl")
    assert "[" in err and "wrote" in err  # progress and the path, on stderr


def test_certify_exits_1_for_a_broken_estimator(run, tmp_path):
    status, out, err = run("certify", "--estimator", CONSTANT, "--divergence", "kl",
                           "--scenario", "gauss2d-kl0.5", *DESIGN, "--out", str(tmp_path))
    assert status == 1, out + err
    assert "FAIL (" in out and "NOT CERTIFIED" in out
    assert json.loads((tmp_path / "certificate.json").read_text())["certified"] is False


def test_quiet_prints_no_progress(run, tmp_path):
    status, out, err = run("certify", "--estimator", MLE, "--divergence", "kl", "--scenario",
                           "gauss2d-kl0.5", *DESIGN, "--out", str(tmp_path), "--quiet")
    assert status == 0 and err == ""
    assert "CERTIFIED" in out  # the table still is printed


def test_an_estimator_that_cannot_run_says_why(run, tmp_path):
    # kNN on Bernoulli samples: repeated points, every run raises.
    status, out, _ = run("certify", "--estimator", "knn", "--divergence", "kl", "--scenario",
                         "bernoulli", *DESIGN, "--out", str(tmp_path), "--quiet")
    assert status == 1
    assert ("runs (fail): 24 of 24 runs failed (an exception, inf or NaN); first error: "
            "ValueError: x_p has a point repeated") in out
    status, out, _ = run("sweep", "--estimator", "knn", "--divergence", "kl", "--scenario",
                         "bernoulli", *SMALL, "--out", str(tmp_path), "--quiet")
    assert status == 0
    assert "4 of 4 runs failed; first error: ValueError: x_p has a point repeated" in out


# -- bad usage: exit 2, one line ----------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["--estimator", "no_such_kind", "--divergence", "kl"], "unknown estimator 'no_such_kind'"),
    (["--estimator", "knn", "--divergence", "kullback"], "unknown divergence 'kullback'"),
    (["--estimator", "knn", "--divergence", "kl", "--scenario", "nope"],
     "unknown scenario 'nope'"),
    (["--estimator", "knn", "--divergence", "js"], "does not estimate 'js'"),
    (["--estimator", "fgan", "--divergence", "kl", "--set", "hidden=notalist"],
     "bad setting --set hidden=\"notalist\" for estimator 'fgan' (expected tuple[int, ...]"),
    (["--estimator", "fgan", "--divergence", "kl", "--set", "lr=0.1", "--set", "steps=-1"],
     "bad setting --set steps=-1 for estimator 'fgan' (expected int"),
    (["--estimator", "fgan", "--divergence", "kl", "--set", "nope=1"],
     "unknown setting 'nope' for estimator 'fgan'"),
    (["--estimator", "knn", "--divergence", "kl", "--set", "k"], "--set expects KEY=VALUE"),
    (["--estimator", "tests.verify._estimators:nope", "--divergence", "kl"],
     "has no attribute 'nope'"),
    (["--estimator", "no_such_module_xyz:f", "--divergence", "kl"],
     "cannot import module 'no_such_module_xyz'"),
    (["--estimator", MLE, "--divergence", "kl", "--set", "k=1"], "--set applies to a class"),
    (["--estimator", MLE, "--divergence", "kl", "--sizes", "1", "100", "--seeds", "8"],
     "sizes must be integers >= 2"),
])
@pytest.mark.parametrize("command", ["certify", "sweep"])
def test_bad_usage_exits_2_with_one_line(run, tmp_path, command, argv, message):
    status, _, err = run(command, *argv, "--out", str(tmp_path), "--quiet")
    assert status == 2
    assert message in _one_line_error(err)


@pytest.mark.parametrize(("design", "message"), [
    (["--sizes", "100", "--seeds", "8"], "at least two sample sizes"),
    (["--sizes", "100", "200", "--seeds", "8"], "cannot judge convergence"),
])
def test_certify_refuses_a_design_that_cannot_judge(run, tmp_path, design, message):
    status, _, err = run("certify", "--estimator", MLE, "--divergence", "kl", *design,
                         "--out", str(tmp_path), "--quiet")
    assert status == 2 and message in _one_line_error(err)


def test_a_broken_user_module_exits_2_with_one_line(run, user_modules, tmp_path):
    user_modules("broken_syntax", "def my_kl(x_p, x_q)\n    return 0.5\n")
    status, _, err = run("certify", "--estimator", "broken_syntax:my_kl", "--divergence", "kl",
                         "--out", str(tmp_path))
    line = _one_line_error(err)
    assert status == 2 and "SyntaxError" in line and "broken_syntax.py, line 1" in line
    user_modules("raises_on_import", "raise RuntimeError('no licence server')\n")
    status, _, err = run("sweep", "--estimator", "raises_on_import:f", "--divergence", "kl",
                         "--out", str(tmp_path))
    assert status == 2 and "RuntimeError: no licence server" in _one_line_error(err)
    user_modules("bad_class", """
        class Est:
            def __init__(self, k=1):
                self.k = int(k)

            def estimate(self, x_p, x_q):
                return 0.5
    """)
    status, _, err = run("sweep", "--estimator", "bad_class:Est", "--divergence", "kl",
                         "--set", "k=\"abc\"", "--out", str(tmp_path))
    line = _one_line_error(err)
    assert status == 2 and "--set k=\"abc\"" in line and "invalid literal for int()" in line


def test_an_unexpected_error_is_one_line_and_debug_shows_it(run, monkeypatch):
    def boom(args):
        raise RuntimeError("internal\nmultiline")

    monkeypatch.setattr(cli, "cmd_list", boom)
    status, _, err = run("list")
    assert status == 2
    assert "unexpected RuntimeError: internal; multiline" in _one_line_error(err)
    for argv in (["--debug", "list"], ["list", "--debug"]):
        with pytest.raises(RuntimeError, match="internal"):
            cli.main(argv)


@pytest.mark.parametrize(("error", "expected"), [(KeyboardInterrupt, 130),
                                               (BrokenPipeError, 141)])
def test_interrupt_and_a_closed_pipe_exit_without_traceback(run, monkeypatch, error, expected):
    def stopped(args):
        raise error

    monkeypatch.setattr(cli, "cmd_list", stopped)
    status, _, err = run("list")
    assert status == expected and "Traceback" not in err
    assert ("run again to resume" in err) == (error is KeyboardInterrupt)


# -- the cache sees edits of the user's estimator -----------------------------------------------

def test_editing_the_users_function_is_not_served_from_the_cache(run, user_modules, tmp_path):
    args = ["sweep", "--estimator", "mymod:f", "--divergence", "kl", "--scenario",
            "gauss2d-kl0.5", *SMALL, "--out", str(tmp_path), "--quiet"]
    user_modules("mymod", "def f(x_p, x_q):\n    return 0.18\n")
    status, out, _ = run(*args)
    assert status == 0 and "0.1800" in out
    user_modules("mymod", "def f(x_p, x_q):\n    return 5.0\n")
    status, out, _ = run(*args)
    assert status == 0 and "5.0000" in out and "0.1800" not in out


def test_set_values_are_part_of_the_cache_key(run, user_modules, tmp_path):
    # A class without config(): the --set values must still tell its runs apart.
    user_modules("scaled_est", """
        class Scaled:
            def __init__(self, factor=1.0):
                self._f = factor

            def estimate(self, x_p, x_q):
                return 0.25 * self._f
    """)
    base = ["sweep", "--estimator", "scaled_est:Scaled", "--divergence", "kl", "--scenario",
            "gauss2d-kl0.5", *SMALL, "--out", str(tmp_path), "--quiet"]
    for factor, expected in ((1, 0.25), (2, 0.5)):
        assert run(*base, "--set", f"factor={factor}")[0] == 0
        (data,) = json.loads((tmp_path / "sweep.json").read_text())
        assert {r["estimate"] for r in data["records"]} == {expected}
        assert data["config"]["settings"] == {"factor": factor}


# -- sweep and list -----------------------------------------------------------------------------

def test_sweep_prints_per_size_statistics_with_the_bias_interval(run, tmp_path):
    status, out, err = run("sweep", "--estimator", MLE, "--divergence", "kl", "--scenario",
                           "gauss2d-kl0.5", "--scenario", "gauss1d-shift", *SMALL,
                           "--out", str(tmp_path))
    assert status == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if "bias 95% CI" in line)
    assert header.split()[:4] == ["n", "mean", "bias", "bias"]
    assert "RMSE" in header and "fails" in header
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert [d["scenario"] for d in data] == ["gauss2d-kl0.5", "gauss1d-shift"]
    for d in data:
        for row in d["per_size"]:  # each printed row holds the interval of sweep.json
            ci = f"[{row['bias_low']:+.4f}, {row['bias_high']:+.4f}]"
            assert sum(ci in line and line.split()[0] == str(row["n"]) for line in lines) >= 1
    assert out.count("log-log slope of RMSE vs n") == 2
    assert "runs failed" not in out
    assert "[" in err  # progress


def test_list_prints_divergences_scenarios_and_estimators(run):
    status, out, _ = run("list")
    assert status == 0
    for section in ("divergences:", "scenarios (exact values known for):", "estimators:"):
        assert section in out
    for name in ("kl", "js", "w1", "gauss2d-kl0.5", "bernoulli", "fgan", "knn", "plugin"):
        assert f"  {name} " in out


# -- outputs: strict JSON, the default folder, --out checked before running ---------------------

def _strict(text):
    def reject(name):
        raise AssertionError(f"bare {name} in JSON output")

    return json.loads(text, parse_constant=reject)


def test_a_one_seed_sweep_writes_strict_json(run, tmp_path):
    # One seed: no spread, no interval (infinite or missing numbers) -- still valid JSON.
    status, _, err = run("sweep", "--estimator", MLE, "--divergence", "kl", "--scenario",
                         "gauss2d-kl0.5", "--sizes", "50", "100", "--seeds", "1",
                         "--out", str(tmp_path), "--quiet")
    assert status == 0, err
    (data,) = _strict((tmp_path / "sweep.json").read_text())
    assert len(data["records"]) == 2


@pytest.mark.parametrize(("command", "written"), [("certify", "certificate.json"),
                                                  ("sweep", "sweep.json")])
def test_outputs_go_under_the_default_folder_not_the_working_directory(
        run, tmp_path, monkeypatch, command, written):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(command, "--estimator", MLE, "--divergence", "kl", "--scenario",
                         "gauss2d-kl0.5", *DESIGN)
    assert status == 0, err
    expected = tmp_path / "verify-out" / command / f"{MLE.replace(':', '_')}-kl" / written
    assert expected.is_file() and f"wrote {expected.relative_to(tmp_path)}" in err
    assert not (tmp_path / written).exists()
    _strict(expected.read_text())


@pytest.fixture
def marking_estimator(user_modules, tmp_path):
    """``module:attr`` of an estimator that leaves a file behind when it runs."""
    marker = tmp_path / "ran"
    user_modules("marking_est", f"""
        import pathlib

        def f(x_p, x_q):
            pathlib.Path({str(marker)!r}).touch()
            return 0.5
    """)
    return "marking_est:f", marker


@pytest.mark.parametrize("command", ["certify", "sweep"])
def test_an_out_that_is_a_file_is_an_error_before_anything_runs(
        run, tmp_path, marking_estimator, command):
    spec, marker = marking_estimator
    target = tmp_path / "taken"
    target.write_text("mine")
    for out in (target, target / "below"):
        status, _, err = run(command, "--estimator", spec, "--divergence", "kl", *DESIGN,
                             "--out", str(out), "--quiet")
        assert status == 2 and "is not a folder" in _one_line_error(err)
    assert not marker.exists() and target.read_text() == "mine"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that apply (not root)")
def test_an_unwritable_out_is_an_error_before_anything_runs(run, tmp_path, marking_estimator):
    spec, marker = marking_estimator
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = run("sweep", "--estimator", spec, "--divergence", "kl", *SMALL,
                             "--out", str(locked / "new"), "--quiet")
    finally:
        locked.chmod(0o700)
    assert status == 2 and "is not writable" in _one_line_error(err)
    assert not marker.exists()
