"""Scenarios of the user's own samplers with truths the user supplies."""

import math

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify import sweep
from divergence_verify.verify.resolve import UsageError, resolve_scenario
from divergence_verify.verify.scenarios import USER_SUPPLIED, user_scenario

MODULE = """
import numpy as np
from divergence_verify.verify.scenarios import user_scenario

def sample_p(n, rng):
    return rng.laplace(0.0, 1.0, size=(n, 1))

def sample_q(n, rng):
    return rng.laplace(0.0, {scale}, size=(n, 1))

LAPLACE = user_scenario("laplace-scale", sample_p, sample_q, dim=1,
                        truths={{"kl": np.log({scale}) + 1 / {scale} - 1}},
                        source="closed form")

def make():
    return LAPLACE

NOT_A_SCENARIO = 3
"""


def test_truths_are_marked_as_supplied_and_only_those_are_offered():
    scen = user_scenario("pair", lambda n, rng: rng.normal(size=(n, 2)),
                         lambda n, rng: rng.normal(size=(n, 2)), dim=2,
                         truths={"kl": 0.0, "js": (0.0, 1e-9)}, source="same law")
    assert scen.truth("kl").method == f"{USER_SUPPLIED} (same law)"
    assert scen.truth("js").error == 1e-9 and "user-truth" in scen.tags
    assert not scen.supports("tv")
    with pytest.raises(NotImplementedError, match="given truths for js, kl only"):
        scen.truth("tv")
    x_p, x_q = scen.sample(10, 3)
    again = scen.sample(10, 3)
    assert x_p.shape == (10, 2) and np.array_equal(x_p, again[0]) and not np.array_equal(x_p, x_q)


def test_bad_truths_and_samplers_are_refused():
    def normal(n, rng):
        return rng.normal(size=(n, 1))

    with pytest.raises(ValueError, match="at least one truth"):
        user_scenario("a", normal, normal, dim=1, truths={})
    with pytest.raises(ValueError, match="unknown divergence 'kll'"):
        user_scenario("a", normal, normal, dim=1, truths={"kll": 1.0})
    with pytest.raises(ValueError, match="must not be NaN"):
        user_scenario("a", normal, normal, dim=1, truths={"kl": math.nan})
    with pytest.raises(TypeError, match="a number or"):
        user_scenario("a", normal, normal, dim=1, truths={"kl": "big"})
    with pytest.raises(ValueError, match="split"):
        user_scenario("a", normal, normal, dim=1, truths={"mi": 1.0}, split=1)
    wrong = user_scenario("a", normal, lambda n, rng: rng.normal(size=(n, 3)), dim=1,
                          truths={"kl": 0.0})
    with pytest.raises(ValueError, match=r"returned shape \(5, 3\) for n = 5; expected \(5, 1\)"):
        wrong.sample(5, 0)
    nan = user_scenario("a", normal, lambda n, rng: np.full((n, 1), np.nan), dim=1,
                        truths={"kl": 0.0})
    with pytest.raises(ValueError, match="non-finite"):
        nan.sample(5, 0)


def test_a_scenario_of_a_module_is_resolved_cached_and_rekeyed_when_edited(
        user_modules, tmp_path):
    user_modules("my_scenarios", MODULE.format(scale=2.0))
    scen = resolve_scenario("my_scenarios:LAPLACE")
    assert resolve_scenario("my_scenarios:make") is scen
    assert scen.cacheable
    assert scen.truth("kl").value == pytest.approx(math.log(2) - 0.5)
    knn = make_estimator("knn", divergence="kl")
    first = sweep(knn, scen, "kl", [200, 400], 2, cache=tmp_path)
    again = sweep(knn, scen, "kl", [200, 400], 2, cache=tmp_path)
    assert again.cached_runs == 4 and first.records == again.records
    user_modules("my_scenarios", MODULE.format(scale=3.0))  # an edited sampler: a new scenario
    edited = resolve_scenario("my_scenarios:LAPLACE")
    assert sweep(knn, edited, "kl", [200, 400], 2, cache=tmp_path).cached_runs == 0
    for bad, message in (("my_scenarios:NOT_A_SCENARIO", "is a int, not a Scenario"),
                         ("my_scenarios:missing", "has no attribute"),
                         ("no_such_module:x", "cannot import module"),
                         ("no-such-scenario", "unknown scenario")):
        with pytest.raises(UsageError, match=message):
            resolve_scenario(bad)
