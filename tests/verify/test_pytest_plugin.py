"""The pytest plugin: a user's test file certifies an estimator in a few lines (issue 4)."""

from pathlib import Path

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
