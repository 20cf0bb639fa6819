"""A third-party estimator's prints and warnings (issue item 7): captured per run into its record,
never mixed into the tables the suite prints."""

import json
import sys
import threading
import warnings

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.estimators.hooks import BATCH
from divergence_verify.verify import cli, sweep
from divergence_verify.verify.capture import MAX_CHARS, MAX_WARNINGS, capture

SCENARIO = "gauss2d-kl0.5"
DESIGN = ["--sizes", "100", "400", "1600", "--seeds", "8"]

CHATTY = """
import sys
import warnings

import numpy as np

from divergence_verify import reference


def chatty_kl(x_p, x_q):
    print(f"[Info] fitting {x_p.shape[0]} points")
    print("[Debug] on stderr", file=sys.stderr)
    warnings.warn("covariance nearly singular", RuntimeWarning)
    fit_p = reference.Gaussian(x_p.mean(0), np.atleast_2d(np.cov(x_p.T)))
    fit_q = reference.Gaussian(x_q.mean(0), np.atleast_2d(np.cov(x_q.T)))
    return reference.divergence("kl", fit_p, fit_q)
"""


@pytest.fixture
def chatty(user_modules):
    user_modules("dvchatty", CHATTY)
    return "dvchatty:chatty_kl"


def test_certify_keeps_an_estimators_prints_out_of_the_table(chatty, tmp_path, capsys):
    status = cli.main(["certify", "--estimator", chatty, "--divergence", "kl", "--scenario",
                       SCENARIO, *DESIGN, "--out", str(tmp_path), "--no-cache"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "certificate: dvchatty:chatty_kl for kl" in out and out.rstrip().endswith("CERTIFIED")
    assert "[Info]" not in out + err and "[Debug]" not in out + err
    assert "nearly singular" not in out + err
    assert "24 of 24 runs printed output or warned" in out and "certificate JSON" in out
    cert = json.loads((tmp_path / "certificate.json").read_text())
    assert cert["printed_runs"] == 24 and cert["seeding"] == ["global"]
    records = cert["scenarios"][0]["sweep"]["records"]
    assert {r["stdout"] for r in records if r["n"] == 400} == {"[Info] fitting 400 points\n"}
    assert all(r["stderr"] == "[Debug] on stderr\n" for r in records)
    assert all(r["warnings"] == ["RuntimeWarning: covariance nearly singular"] for r in records)
    assert "[Info]" not in (tmp_path / "runs.csv").read_text()


def test_sweep_command_keeps_prints_out_of_its_table(chatty, tmp_path, capsys):
    status = cli.main(["sweep", "--estimator", chatty, "--divergence", "kl", "--scenario",
                       SCENARIO, "--sizes", "50", "100", "--seeds", "2", "--out", str(tmp_path),
                       "--no-cache"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "[Info]" not in out + err and "bias 95% CI" in out
    assert "4 of 4 runs printed output or warned (kept in sweep.json" in out
    (data,) = json.loads((tmp_path / "sweep.json").read_text())
    assert data["printed_runs"] == 4
    assert data["records"][0]["stdout"] == "[Info] fitting 50 points\n"


def test_captured_text_survives_the_cache(chatty, tmp_path):
    import dvchatty

    first = sweep(dvchatty.chatty_kl, SCENARIO, "kl", [50], 2, cache=tmp_path)
    again = sweep(dvchatty.chatty_kl, SCENARIO, "kl", [50], 2, cache=tmp_path)
    assert again.cached_runs == 2 and again.records == first.records
    assert again.records[0].warnings == ("RuntimeWarning: covariance nearly singular",)


def test_long_output_is_cut_and_repeated_warnings_are_counted():
    def noisy(x_p, x_q):
        # More than twice what is kept, so that the count of what was cut is not also the
        # remainder of a division (a planted `total % kept` gave 500 for MAX_CHARS + 500).
        print("x" * (2 * MAX_CHARS + 500), end="")
        for k in range(MAX_WARNINGS + 3):
            warnings.warn(f"warning {k}", stacklevel=2)
        for _ in range(3):
            warnings.warn("again", DeprecationWarning, stacklevel=2)
        return 0.0

    (record,) = sweep(noisy, SCENARIO, "kl", [50], 1).records
    assert record.stdout == "x" * MAX_CHARS + f"\n[... {MAX_CHARS + 500} more characters not kept]"
    assert record.warnings[0] == "UserWarning: warning 0"
    assert len(record.warnings) == MAX_WARNINGS + 1
    assert record.warnings[-1] == "... 4 more distinct warnings not kept"
    assert record.printed and record.stderr is None


def test_a_warning_is_captured_in_every_run_not_only_the_first():
    def warns(x_p, x_q):
        warnings.warn("same place every time", stacklevel=2)
        return 0.0

    records = sweep(warns, SCENARIO, "kl", [50, 100], 3).records
    assert all(r.warnings == ("UserWarning: same place every time",) for r in records)


def test_streams_and_warning_filters_are_restored_after_runs():
    def prints(x_p, x_q):
        print("hello")
        raise ValueError("after printing")

    stdout, stderr, show = sys.stdout, sys.stderr, warnings.showwarning
    filters = list(warnings.filters)
    (record,) = sweep(prints, SCENARIO, "kl", [50], 1).records
    assert record.error == "ValueError: after printing" and record.stdout == "hello\n"
    assert (sys.stdout, sys.stderr, warnings.showwarning) == (stdout, stderr, show)
    assert warnings.filters == filters


def test_a_built_in_estimators_runs_capture_nothing():
    records = sweep(make_estimator("knn", "kl"), SCENARIO, "kl", [50], 2).records
    assert all(r.stdout is None and r.warnings == () and not r.printed for r in records)


def test_a_batched_third_party_ensemble_is_captured_and_seeded_for_the_batch():
    class Ensemble:
        name, divergence = "ensemble", "kl"

        def estimate(self, x_p, x_q):
            return 0.0

        def estimate_many(self, x_p, x_q, seeds=None):
            print(f"[Info] {len(seeds)} members")
            return np.asarray(seeds, dtype=float) + np.random.normal()  # noqa: NPY002

    first, second = (sweep(Ensemble(), SCENARIO, "kl", [50], 3).records for _ in range(2))
    assert [(r.batched, r.seeding, r.stdout) for r in first] == [
        (True, BATCH, "[Info] 3 members\n")] * 3
    # The global generators are seeded for the batch (with its first seed), so it reproduces.
    assert [r.estimate for r in first] == [r.estimate for r in second]


def test_captures_on_threads_keep_their_own_output():
    barrier = threading.Barrier(4)
    seen = {}

    def run(k):
        with capture() as out:
            barrier.wait()
            for _ in range(50):
                print(f"thread {k}")
            warnings.warn(f"from {k}", stacklevel=2)
            barrier.wait()
        seen[k] = (out.stdout, out.warnings)

    stdout = sys.stdout
    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sys.stdout is stdout
    for k in range(4):
        assert seen[k] == (f"thread {k}\n" * 50, (f"UserWarning: from {k}",))


def test_other_threads_write_through_while_a_run_captures(capsys):
    inside, go = threading.Event(), threading.Event()

    def run():
        with capture() as out:
            print("captured")
            inside.set()
            go.wait()
        run.out = out.stdout

    thread = threading.Thread(target=run)
    thread.start()
    inside.wait()
    print("not captured")  # this thread has no capture: its text reaches the real stdout
    go.set()
    thread.join()
    assert run.out == "captured\n" and capsys.readouterr().out == "not captured\n"
