"""parametrize_certification: one test per divergence × scenario, strict xfails, session options.

The estimators are deterministic: an oracle that returns the exact KL of ``gauss2d-kl0.5`` is
certified there (zero error) and fails every scenario with another truth; the design is tiny
(two sizes 64-fold apart, 3 seeds: a predicted slope SE of 0.14, which certify accepts).
"""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from divergence_verify.verify.checks import CertificationCase, parametrize_certification
from divergence_verify.verify.design import DEFAULT_SCENARIOS, DEFAULT_SEEDS, DEFAULT_SIZES
from divergence_verify.verify.pytest_plugin import SMOKE_SEEDS, SMOKE_SIZES
from divergence_verify.verify.scenarios import get_scenario

pytest_plugins = ["pytester"]

TINY = ["--verify-sizes", "50,3200", "--verify-seeds", "3"]

ORACLE = '''
from divergence_verify.verify.checks import parametrize_certification
from divergence_verify.verify.scenarios import get_scenario

TRUTH = get_scenario("gauss2d-kl0.5").truth("kl").value


def oracle(x_p, x_q):
    return TRUTH
'''

USER_TEST = ORACLE + '''

@parametrize_certification(oracle, "kl", ["gauss2d-kl0.5", "gauss1d-scale", "mixture1d"],
                           xfail={"gauss1d-scale": "a constant cannot follow the truth"})
def test_oracle(certification_case):
    certification_case.check()


def test_fixture(certify_estimator):
    certify_estimator(oracle, "kl", scenarios=["gauss2d-kl0.5"])
'''


def _param_ids(mark: pytest.MarkDecorator) -> list[str]:
    return [p.id for p in mark.args[1]]


def test_collection_gives_one_test_per_divergence_and_scenario_with_readable_ids(pytester):
    pytester.makepyfile(test_user=ORACLE + '''

@parametrize_certification(oracle, ["kl", "js"], xfail={("js", "mixture1d"): "known"})
def test_defaults(certification_case):
    certification_case.check()
''')
    result = pytester.runpytest("--collect-only", "-q")
    ids = [f"{div}-{name}" for div in ("kl", "js") for name in DEFAULT_SCENARIOS[div]]
    result.stdout.fnmatch_lines([
        *(f"test_user.py::test_defaults[[]{case}[]]" for case in ids),
        f"*{len(ids)} tests collected*",
    ])


def test_cases_pass_fail_and_xfail_and_every_certificate_is_written(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("-rA", *TINY, "--verify-json", "certs.json",
                                "--junitxml", "junit.xml")
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
    result.stdout.fnmatch_lines([
        "*XFAIL*test_oracle[[]kl-gauss1d-scale[]]*a constant cannot follow the truth*",
        "*FAILED*test_oracle[[]kl-mixture1d[]]*",
    ])
    result.stdout.fnmatch_lines(["*certificate: oracle for kl*", "*mixture1d*FAIL*"])
    certs = json.loads((pytester.path / "certs.json").read_text())
    assert sorted(certs) == [
        "test_user.py::test_fixture",
        "test_user.py::test_oracle[kl-gauss1d-scale]",
        "test_user.py::test_oracle[kl-gauss2d-kl0.5]",
        "test_user.py::test_oracle[kl-mixture1d]",
    ]
    (good,) = certs["test_user.py::test_oracle[kl-gauss2d-kl0.5]"]
    assert good["certified"] and good["sizes"] == [50, 3200] and good["seeds"] == [0, 1, 2]
    assert [s["scenario"] for s in good["scenarios"]] == ["gauss2d-kl0.5"]
    assert not certs["test_user.py::test_oracle[kl-mixture1d]"][0]["certified"]
    # junit keeps each certificate as a property of its test case, the xfailed one included.
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    props = {case.get("name"): [json.loads(p.get("value")) for p in case.iter("property")
                                if p.get("name") == "certificate"] for case in cases}
    assert {name: len(found) for name, found in props.items()} == {
        "test_oracle[kl-gauss2d-kl0.5]": 1, "test_oracle[kl-gauss1d-scale]": 1,
        "test_oracle[kl-mixture1d]": 1, "test_fixture": 1}
    assert props["test_oracle[kl-gauss2d-kl0.5]"][0] == good


def test_a_strict_xfail_that_passes_fails_the_session(pytester):
    pytester.makepyfile(test_user=ORACLE + '''

@parametrize_certification(oracle, "kl", ["gauss2d-kl0.5"], xfail={"gauss2d-kl0.5": "broken"})
def test_fixed(certification_case):
    certification_case.check()
''')
    result = pytester.runpytest(*TINY)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*broken*"])


def test_a_test_certifying_twice_keeps_both_certificates_in_order(pytester):
    pytester.makepyfile(test_user=ORACLE + '''

def test_twice(certify_estimator):
    certify_estimator(oracle, "kl", scenarios=["gauss2d-kl0.5"], seeds=4)
    certify_estimator(oracle, "kl", scenarios=["gauss2d-kl0.5"])
''')
    pytester.runpytest(*TINY, "--verify-json", "certs.json").assert_outcomes(passed=1)
    certs = json.loads((pytester.path / "certs.json").read_text())
    assert [c["seeds"] for c in certs["test_user.py::test_twice"]] == [[0, 1, 2, 3], [0, 1, 2]]


@pytest.mark.parametrize(("options", "sizes", "seeds"), [
    ([], list(DEFAULT_SIZES), DEFAULT_SEEDS),
    (["--verify-preset", "smoke"], list(SMOKE_SIZES), SMOKE_SEEDS),
    (["--verify-preset", "smoke", "--verify-seeds", "7"], list(SMOKE_SIZES), 7),
    (["--verify-preset", "smoke", "--verify-sizes", "3200, 50"], [50, 3200], SMOKE_SEEDS),
])
def test_the_preset_gives_the_design_and_explicit_options_override_it(
    pytester, options, sizes, seeds
):
    pytester.makepyfile(test_user=ORACLE + '''

@parametrize_certification(oracle, "kl", ["gauss2d-kl0.5"])
def test_one(certification_case):
    certification_case.check()
''')
    result = pytester.runpytest(*options, "--verify-json", "certs.json")
    result.assert_outcomes(passed=1)
    certs = json.loads((pytester.path / "certs.json").read_text())
    (cert,) = certs["test_user.py::test_one[kl-gauss2d-kl0.5]"]
    assert cert["sizes"] == sizes and cert["seeds"] == list(range(seeds))


@pytest.mark.parametrize(("options", "message"), [
    (["--verify-sizes", "1,100"], "--verify-sizes: every size must be >= 2"),
    (["--verify-sizes", "100"], "--verify-sizes: give at least two different sizes"),
    (["--verify-sizes", "100,100"], "--verify-sizes: give at least two different sizes"),
    (["--verify-sizes", "100,abc"], "--verify-sizes: expected an integer, got 'abc'"),
    (["--verify-seeds", "1"], "--verify-seeds: at least 2 seeds per size"),
    (["--verify-seeds", "two"], "--verify-seeds: expected an integer, got 'two'"),
    (["--verify-sizes", "200,400", "--verify-seeds", "3"], "*cannot judge convergence*"),
    (["--verify-json", "no/such/folder/out.json"], "*is not a writable folder"),
    (["--verify-json", "."], "--verify-json .: is a folder; name a file"),
])
def test_bad_session_options_are_refused_before_any_test(pytester, options, message):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest(*options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])
    assert "collected" not in result.stdout.str()


def test_an_unknown_preset_is_refused(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("--verify-preset", "fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--verify-preset: invalid choice: 'fast'*"])


def test_the_smoke_design_is_one_a_certificate_accepts():
    from divergence_verify.verify.design import Rules, predicted_slope_se

    assert predicted_slope_se(SMOKE_SIZES, SMOKE_SEEDS) <= Rules().max_slope_se


def test_the_readme_states_the_smoke_design():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `--verify-preset"))
    sizes = ", ".join(map(str, SMOKE_SIZES))
    runs = len(SMOKE_SIZES) * SMOKE_SEEDS
    assert f"`smoke` is n = {sizes} with {SMOKE_SEEDS} seeds ({runs} runs per scenario" in row


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"xfail": {"nope": "why"}}, "xfail names scenario 'nope', which is not among the cases' "
                                 "scenarios: " + ", ".join(sorted(DEFAULT_SCENARIOS["kl"]))),
    ({"xfail": {("js", "mixture1d"): "why"}}, "xfail key ('js', 'mixture1d') is not a case"),
    ({"xfail": {"mixture1d": ""}}, "xfail['mixture1d'] must be a reason"),
    ({"scenarios": ["no-such-scenario"]}, "unknown scenario 'no-such-scenario'"),
    ({"scenarios": ["gauss2d-kl0.5", "gauss2d-kl0.5"]}, "repeated cases kl-gauss2d-kl0.5"),
    ({"divergences": "kullback"}, "kullback"),
    ({"divergences": []}, "no divergences given"),
    ({"divergences": "chi2", "scenarios": ["gauss1d-scale"]}, "scenario 'gauss1d-scale' has no "
                                                              "finite exact 'chi2'"),
])
def test_bad_cases_are_refused_at_collection(kwargs, message):
    kwargs = {"divergences": "kl", **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        parametrize_certification(lambda x_p, x_q: 0.5, **kwargs)


def test_an_unknown_xfail_scenario_is_a_collection_error(pytester):
    pytester.makepyfile(test_user=ORACLE + '''

@parametrize_certification(oracle, "kl", xfail={"mixture-1d": "typo"})
def test_typo(certification_case):
    certification_case.check()
''')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ValueError: parametrize_certification: xfail names scenario "
                                 "'mixture-1d'*"])


def test_a_pair_reason_wins_over_a_scenario_reason_and_marks_are_strict():
    mark = parametrize_certification(lambda x_p, x_q: 0.5, ["kl", "js"],
                                     xfail={"mixture1d": "any", ("js", "mixture1d"): "js only"})
    assert mark.args[0] == "certification_case" and mark.kwargs == {"indirect": True}
    reasons = {p.id: [(m.kwargs["reason"], m.kwargs["strict"]) for m in p.marks]
               for p in mark.args[1]}
    expected = {f"{div}-{name}": [] for div in ("kl", "js") for name in DEFAULT_SCENARIOS[div]}
    expected["kl-mixture1d"] = [("any", True)]
    expected["js-mixture1d"] = [("js only", True)]
    assert reasons == expected


def test_scenario_objects_are_accepted_and_named_by_their_name():
    scen = get_scenario("gauss2d-kl0.5")
    mark = parametrize_certification(lambda x_p, x_q: 0.5, "kl", [scen, "mixture1d"])
    assert _param_ids(mark) == ["kl-gauss2d-kl0.5", "kl-mixture1d"]
    case = mark.args[1][0].values[0]
    assert isinstance(case, CertificationCase) and case.scenario is scen


def test_an_unbound_case_checks_with_a_request_or_with_the_defaults(request):
    truth = get_scenario("gauss2d-kl0.5").truth("kl").value
    mark = parametrize_certification(lambda x_p, x_q: truth, "kl", ["gauss2d-kl0.5"])
    case = mark.args[1][0].values[0]
    assert case.request is None
    before = len(request.node.user_properties)
    cert = case.check(request)  # this session's design: the defaults
    assert cert.passed and cert.sizes == list(DEFAULT_SIZES)
    assert len(request.node.user_properties) == before + 1
    assert case.check().passed  # no test: the certificate's defaults, nothing recorded
    assert len(request.node.user_properties) == before + 1


def test_the_fixture_without_the_decorator_says_what_gives_it(pytester):
    pytester.makepyfile(test_user="def test_lost(certification_case):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*certification_case fixture is given by "
                                 "@parametrize_certification*"])


def test_importing_the_decorator_and_the_plugin_loads_nothing_heavy():
    heavy = ["numpy", "scipy", "torch", "ot", "matplotlib",
             "divergence_verify.verify.scenarios", "divergence_verify.verify.certificates"]
    code = ("import sys, divergence_verify.verify.checks, divergence_verify.verify.pytest_plugin;"
            f"print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
