"""The command line on a user's own code: an MI estimator (x, y) -> float certified on MI
scenarios, a scenario given as module:attr in a list after one --scenario, and compare."""

import json

from divergence_verify.verify.cli import main

MI_MODULE = """
import numpy as np

def gaussian_mi(x, y):
    # Fit one Gaussian to (x, y): I = (log det S_x + log det S_y - log det S) / 2 (consistent on
    # Gaussian joints, misspecified elsewhere).
    joint = np.hstack([x, y])
    cov = np.cov(joint.T)
    k = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(np.atleast_2d(m))[1]
    return 0.5 * (logdet(cov[:k, :k]) + logdet(cov[k:, k:]) - logdet(cov))
"""

SCENARIO_MODULE = """
import numpy as np
from divergence_verify.verify.scenarios import user_scenario

LAPLACE = user_scenario("laplace-scale", lambda n, rng: rng.laplace(0.0, 1.0, size=(n, 1)),
                        lambda n, rng: rng.laplace(0.0, 2.0, size=(n, 1)), dim=1,
                        truths={"kl": np.log(2) - 0.5}, source="closed form")
"""


def test_an_mi_estimator_of_a_user_module_is_certified(user_modules, tmp_path, capsys):
    user_modules("my_mi", MI_MODULE)
    status = main(["certify", "--estimator", "my_mi:gaussian_mi", "--divergence", "mi",
                   "--scenario", "mi-gauss-5+5", "--no-cache", "--quiet",
                   "--out", str(tmp_path / "cert")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "CERTIFIED" in out
    cert = json.loads((tmp_path / "cert" / "certificate.json").read_text())
    assert cert["divergence"] == "mi" and cert["certified"]
    # A scenario without a split of X and Y cannot be given to an MI estimator.
    assert main(["certify", "--estimator", "my_mi:gaussian_mi", "--divergence", "mi",
                 "--scenario", "gauss2d-kl0.5", "--quiet", "--no-cache",
                 "--out", str(tmp_path / "bad")]) == 2


def test_a_list_after_one_scenario_option_and_a_module_scenario(user_modules, tmp_path, capsys):
    user_modules("my_scenarios", SCENARIO_MODULE)
    status = main(["sweep", "--estimator", "knn", "--divergence", "kl", "--scenario",
                   "gauss2d-kl0.5", "my_scenarios:LAPLACE", "--sizes", "200", "400",
                   "--seeds", "2", "--no-cache", "--quiet", "--out", str(tmp_path / "s")])
    assert status == 0
    out = capsys.readouterr().out
    assert "on gauss2d-kl0.5" in out and "on laplace-scale" in out and "user-supplied" in out
    swept = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert [s["scenario"] for s in swept] == ["gauss2d-kl0.5", "laplace-scale"]


def test_compare_prints_paired_intervals(tmp_path, capsys):
    status = main(["compare", "knn", "classifier", "--divergence", "kl", "--scenario",
                   "gauss2d-kl0.5", "--sizes", "200", "800", "--seeds", "3", "--no-cache",
                   "--quiet", "--out", str(tmp_path / "c")])
    assert status == 0
    assert (tmp_path / "c" / "comparison.json").is_file()
    assert "gauss2d-kl0.5" in capsys.readouterr().out
