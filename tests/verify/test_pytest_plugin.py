"""The pytest plugin: a user's test file certifies an estimator in a few lines (issue 4)."""

import json
from pathlib import Path

# Loaded here, before pytester's in-process runs: each run drops the modules it imported, and a
# scenario module imported anew would not match the reference classes that the lazy package
# attributes kept from an earlier run.
import divergence_verify.verify.certificates  # noqa: F401

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"

USER_TEST = '''
import numpy as np
from divergence_verify import reference
def mle_kl(x_p, x_q):
    fit_p = reference.Gaussian(x_p.mean(0), np.atleast_2d(np.cov(x_p.T)))
    fit_q = reference.Gaussian(x_q.mean(0), np.atleast_2d(np.cov(x_q.T)))
    return reference.divergence("kl", fit_p, fit_q)


def test_good(certify_estimator):
    cert = certify_estimator(mle_kl, "kl", scenarios=["gauss2d-kl0.5"])
    assert cert.passed


def test_bad(certify_estimator):
    certify_estimator(lambda x_p, x_q: 0.3, "kl", scenarios=["gauss2d-kl0.5"])
'''


def test_fixture_passes_a_good_estimator_and_fails_a_bad_one_with_the_table(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("-q")  # the plugin loads through its pytest11 entry point
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*certificate: <lambda> for kl*", "*NOT CERTIFIED*"])


def readme_example() -> str:
    """The README's plugin example, verbatim (the block that starts with its file name)."""
    text = README.read_text()
    start = text.index("```python\n# test_my_estimator.py") + len("```python\n")
    return text[start:text.index("```", start)]


def test_the_readme_example_runs_as_documented(pytester):
    pytester.makepyfile(test_my_estimator=readme_example())
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*certificate: my_kl for kl*", "*mixture1d*FAIL*", "*NOT CERTIFIED*"]
    )


SESSION_TEST = '''
from divergence_verify.verify.scenarios import get_scenario

TRUTH = get_scenario("gauss2d-kl0.5").truth("kl").value


def test_session_design(certify_estimator):
    cert = certify_estimator(lambda x_p, x_q: TRUTH, "kl", scenarios=["gauss2d-kl0.5"])
    assert cert.sizes == [50, 3200] and cert.seeds == [0, 1, 2]


def test_own_design(certify_estimator):
    cert = certify_estimator(lambda x_p, x_q: TRUTH, "kl", scenarios=["gauss2d-kl0.5"],
                             sizes=[40, 2560], seeds=4)
    assert cert.sizes == [40, 2560] and cert.seeds == [0, 1, 2, 3]
'''


def test_the_fixture_takes_the_session_design_unless_the_test_gives_one(pytester):
    pytester.makepyfile(test_user=SESSION_TEST)
    result = pytester.runpytest("--verify-sizes", "50,3200", "--verify-seeds", "3",
                                "--verify-cache", "cache")
    result.assert_outcomes(passed=2)
    assert any(path.is_file() for path in (pytester.path / "cache").rglob("*"))


# The README's examples of parametrize_certification and accuracy_benchmark (in the draft of
# its pytest section), run with the command lines it gives.
def readme_block(first_line: str) -> str:
    """The README's Python block that starts with ``first_line`` (a file-name comment), verbatim."""
    text = README.read_text()
    start = text.index(f"```python\n{first_line}") + len("```python\n")
    return text[start:text.index("```", start)]


CASES_EXAMPLE = readme_block("# test_my_kl_cases.py")
ACCURACY_EXAMPLE = readme_block("# test_my_kl_accuracy.py")
# The command lines the README gives for them.
CASES_COMMAND = ["--verify-max-seeds", "32", "--verify-json", "certificates.json",
                 "--junitxml", "junit.xml"]
ACCURACY_COMMAND = ["--benchmark-json", "bench.json"]


def test_the_cases_example_runs_as_documented(pytester):
    assert "pytest test_my_kl_cases.py " + " ".join(CASES_COMMAND) in README.read_text()
    pytester.makepyfile(test_my_kl_cases=CASES_EXAMPLE)
    result = pytester.runpytest("-rx", *CASES_COMMAND)
    result.assert_outcomes(passed=2, xfailed=2)
    result.stdout.fnmatch_lines(["*XFAIL*test_my_kl[[]kl-mixture1d[]]*misspecified*"])
    certs = json.loads((pytester.path / "certificates.json").read_text())
    assert len(certs) == 4 and (pytester.path / "junit.xml").is_file()


def test_the_accuracy_example_runs_as_documented(pytester):
    assert "pytest test_my_kl_accuracy.py " + " ".join(ACCURACY_COMMAND) in README.read_text()
    pytester.makepyfile(test_my_kl_accuracy=ACCURACY_EXAMPLE)
    pytester.runpytest(*ACCURACY_COMMAND).assert_outcomes(passed=1)
    (bench,) = json.loads((pytester.path / "bench.json").read_text())["benchmarks"]
    assert bench["stats"]["rounds"] == 1 and bench["stats"]["mean"] > 0  # the speed
    info = bench["extra_info"]  # beside it, the accuracy: the fields the README shows
    shown = readme_bench_json()
    assert info.keys() == shown.keys()
    assert {k: info[k] for k in ("estimator", "divergence", "scenario", "seeds")} == \
        {k: shown[k] for k in ("estimator", "divergence", "scenario", "seeds")}
    assert info["truth"] == shown["truth"] == 0.5
    assert [row["n"] for row in info["per_size"]] == [row["n"] for row in shown["per_size"]] \
        == [250, 1000, 4000]
    assert all(row.keys() == shown["per_size"][0].keys() for row in info["per_size"])
    assert info["rmse_slope"] < -0.25 and info["rmse_slope_se"] > 0


def readme_bench_json() -> dict:
    """The README's example of bench.json's extra_info (the JSON block after the command)."""
    text = README.read_text()
    start = text.index("```json\n", text.index("pytest test_my_kl_accuracy.py ")) + len("```json\n")
    return json.loads(text[start:text.index("```", start)])
