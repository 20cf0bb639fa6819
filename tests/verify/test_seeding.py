"""The seeding protocol for third-party estimators (issue item 4): with_seed, a seed attribute, a
seed keyword, else the global generators seeded around each run and restored after it."""

# The legacy global generator is what these tests are about: unseeded user code draws from it.
# ruff: noqa: NPY002

import dataclasses
import random

import numpy as np
import pytest

from divergence_verify.estimators import as_estimator, make_estimator
from divergence_verify.estimators.hooks import (
    ATTRIBUTE,
    GLOBAL,
    KEYWORD,
    WITH_SEED,
    global_seed,
    seeded,
    seeding,
    with_seed,
)
from divergence_verify.verify import certify, sweep
from divergence_verify.verify.results import record_from_dict

SCENARIO = "gauss2d-kl0.5"


def _run(est, seeds=(0, 1, 2), sizes=(50,), **kwargs):
    return sweep(est, SCENARIO, "kl", list(sizes), list(seeds), **kwargs)


def _estimates(result):
    return [r.estimate for r in result.records]


class PlainSeeded:  # not a dataclass: a seed attribute set in __init__
    def __init__(self, seed=0):
        self.seed = seed

    def estimate(self, x_p, x_q):
        return float(self.seed)


def test_a_plain_class_with_a_seed_attribute_gets_each_runs_seed():
    user = PlainSeeded(seed=42)
    result = _run(user, seeds=(3, 5, 8))
    assert _estimates(result) == [3.0, 5.0, 8.0]
    assert {r.seeding for r in result.records} == {ATTRIBUTE}
    assert user.seed == 42  # the user's object is not changed: copies are seeded


def test_a_complete_object_and_a_dataclass_are_copied_with_the_seed():
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        name: str = "frozen"
        divergence: str = "kl"
        seed: int = 0

        def estimate(self, x_p, x_q):
            return float(self.seed)

    class Complete(PlainSeeded):
        name, divergence = "complete", "kl"

    for user in (Frozen(), Complete()):
        est, how = seeded(user, 7)
        assert (est.estimate(None, None), how, user.seed) == (7.0, ATTRIBUTE, 0)


def test_a_function_with_a_seed_keyword_receives_the_runs_seed():
    def keyed(x_p, x_q, *, seed=None):
        return float(seed)

    result = _run(keyed, seeds=(4, 9))
    assert _estimates(result) == [4.0, 9.0]
    assert {r.seeding for r in result.records} == {KEYWORD}

    class WithKeyword:  # an object whose estimate takes seed=
        name, divergence = "kw", "kl"

        def estimate(self, x_p, x_q, seed=0):
            return float(seed)

    assert _estimates(_run(WithKeyword(), seeds=(6,))) == [6.0]
    assert seeded(WithKeyword(), 6)[1] == KEYWORD


def test_kwargs_alone_is_not_a_seed_keyword():
    def loose(x_p, x_q, **options):
        assert "seed" not in options
        return 0.0

    assert _run(loose).records[0].seeding == GLOBAL


def test_with_seed_comes_first_and_built_ins_use_it():
    class Own:
        name, divergence = "own", "kl"
        seed = 0  # also an attribute, but with_seed wins

        def __init__(self, offset=0.0):
            self.offset = offset

        def with_seed(self, seed):
            return Own(offset=100.0 + seed)

        def estimate(self, x_p, x_q):
            return self.offset

    assert _estimates(_run(Own(), seeds=(1, 2))) == [101.0, 102.0]
    knn = make_estimator("knn", "kl")
    assert seeded(knn, 3)[1] == WITH_SEED and with_seed(knn, 3).seed == 3
    result = _run(knn, seeds=(0, 1))
    assert result.seeding == [WITH_SEED] and result.to_dict()["seeding"] == [WITH_SEED]


def test_a_wrapped_method_of_a_seeded_object_or_a_callable_object_is_seeded():
    class Callable:
        seed = 0

        def __call__(self, x_p, x_q):
            return float(self.seed)

    for user in (PlainSeeded(), Callable()):
        wrapped = as_estimator(user, divergence="kl")
        est, how = seeded(wrapped, 11)
        assert (how, est.estimate(np.zeros((3, 1)), np.zeros((3, 1)))) == (ATTRIBUTE, 11.0)
        assert user.seed == 0


def test_a_seed_method_is_not_an_attribute():
    class Seeder:
        def seed(self, value):  # a method named seed: not overwritten with a number
            raise AssertionError("not called")

        def estimate(self, x_p, x_q):
            return 0.0

    assert seeded(as_estimator(Seeder(), divergence="kl"), 1)[1] == GLOBAL


def unseeded(x_p, x_q):
    return float(np.random.normal() + random.random())


def test_global_seeding_makes_unseeded_code_reproducible_and_restores_the_state():
    np.random.seed(2024)
    random.seed(2024)
    numpy_before, python_before = np.random.get_state(), random.getstate()
    first, second = _run(unseeded, sizes=(50, 100)), _run(unseeded, sizes=(50, 100))
    assert _estimates(first) == _estimates(second)
    # Each seed its own draws (the same at every size, as a built-in estimator's seed).
    assert len({r.estimate for r in first.records}) == len({r.seed for r in first.records})
    assert first.seeding == [GLOBAL]
    numpy_after = np.random.get_state()
    assert numpy_after[0] == numpy_before[0] and np.array_equal(numpy_after[1], numpy_before[1])
    assert numpy_after[2:] == numpy_before[2:]
    assert random.getstate() == python_before
    # The run's seed, as if the user had seeded it themselves.
    with global_seed(5):
        expected = unseeded(None, None)
    assert _run(unseeded, seeds=(5,)).records[0].estimate == expected


def test_global_seeding_seeds_numpy_with_the_run_seed_itself():
    # Each generator on its own (an unseeded estimator may draw from numpy's alone): seed s is
    # numpy's seed s, so seeds never share draws (a planted `seed % 2*32` gave seeds 0 and 2
    # the same numbers while Python's generator still told them apart).
    draws = []
    for seed in (0, 1, 2, 3, 2**32 + 1):
        with global_seed(seed):
            draws.append(np.random.normal(size=3).tolist())
        np.random.seed(seed % 2**32)
        assert draws[-1] == np.random.normal(size=3).tolist()
    assert len({tuple(d) for d in draws[:4]}) == 4 and draws[4] == draws[1]


def test_global_seeding_seeds_torch_and_restores_it():
    torch = pytest.importorskip("torch")

    def draws(x_p, x_q):
        return float(torch.randn(()))

    torch.manual_seed(77)
    before = torch.get_rng_state()
    first, second = _run(draws), _run(draws)
    assert _estimates(first) == _estimates(second) and len(set(_estimates(first))) == 3
    assert torch.equal(torch.get_rng_state(), before)
    with seeding(as_estimator(draws, divergence="kl"), 1) as (_, how):
        assert how == GLOBAL and float(torch.randn(())) == _estimates(first)[1]


def test_global_seeding_restores_the_state_when_the_run_raises():
    def failing(x_p, x_q):
        np.random.normal()
        raise RuntimeError("boom")

    np.random.seed(3)
    before = np.random.get_state()[1].copy()
    record = _run(failing, seeds=(0,)).records[0]
    assert record.error == "RuntimeError: boom" and record.seeding == GLOBAL
    assert np.array_equal(np.random.get_state()[1], before)


GLOBAL_USER = """
import numpy as np

def unseeded(x_p, x_q):
    return float(np.random.normal())
"""


def test_global_seeding_gives_the_same_numbers_on_a_pool_of_workers(user_modules):
    user_modules("dvglobal", GLOBAL_USER)
    import dvglobal

    inline = _run(dvglobal.unseeded, seeds=(0, 1, 2, 3))
    pooled = _run(dvglobal.unseeded, seeds=(0, 1, 2, 3), executor=2)
    assert _estimates(inline) == _estimates(pooled)
    assert [r.seeding for r in pooled.records] == [GLOBAL] * 4


def test_the_certificate_says_how_its_runs_were_seeded():
    cert = certify(PlainSeeded(), "kl", scenarios=[SCENARIO], sizes=[100, 400, 1600], seeds=8)
    assert cert.seeding == [ATTRIBUTE] and cert.to_dict()["seeding"] == [ATTRIBUTE]
    assert "seeding: attribute" in cert.table()
    builtin = certify(make_estimator("knn", "kl"), "kl", scenarios=[SCENARIO],
                      sizes=[100, 400, 1600], seeds=8)
    assert builtin.seeding == [WITH_SEED] and "seeding:" not in builtin.table()


def test_a_record_cached_by_an_older_version_has_no_seeding():
    old = {"n": 50, "seed": 0, "estimate": 0.5, "seconds": 0.01, "error": None,
           "batched": False}
    record = record_from_dict(old)
    assert (record.seeding, record.stdout, record.stderr, record.warnings) == (None, None,
                                                                                None, ())
    assert not record.printed
