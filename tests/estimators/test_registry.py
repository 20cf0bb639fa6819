"""The estimator registry: declared kinds, light imports, settings checks, protocol hooks."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys

import numpy as np
import pytest

from divergence_verify import estimators
from divergence_verify.estimators import (
    ESTIMATORS,
    BaseEstimator,
    as_estimator,
    device_of,
    is_builtin,
    list_estimators,
    make_estimator,
    register_estimator,
    sample_device_of,
    unwrap_estimator,
    with_seed,
)
from divergence_verify.reference import DIVERGENCES, W1

HEAVY = ("torch", "ot", "scipy", "matplotlib")
QUICK = {"hidden": (8,), "steps": 50, "eval_every": 25, "batch_size": 16}


def test_importing_the_layers_loads_no_heavy_library() -> None:
    # A fresh interpreter: this one has long imported torch and scipy.
    code = (
        "import json, sys\n"
        "import divergence_verify.reference, divergence_verify.estimators as e\n"
        "kinds = e.list_estimators()\n"
        "divs = e.ESTIMATORS['fgan'].divergences\n"
        "neural = sorted(k for k, v in e.ESTIMATORS.items() if v.neural)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'kinds': sorted(kinds), 'divs': list(divs),"
        " 'neural': neural}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    seen = json.loads(out.stdout)
    assert seen["heavy"] == []
    # ... and the answers are those of the fully imported registry.
    assert seen["kinds"] == sorted(list_estimators())
    assert seen["divs"] == list(ESTIMATORS["fgan"].divergences)
    assert seen["neural"] == sorted(k for k, v in ESTIMATORS.items() if v.neural)


def test_building_an_estimator_imports_its_module() -> None:
    code = (
        "import sys\n"
        "import divergence_verify.estimators as e\n"
        "e.make_estimator('knn', 'kl')\n"
        "print('scipy' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_declared_kind_matches_its_class(kind: str) -> None:
    entry = ESTIMATORS[kind]
    factory = entry.factory
    assert factory.kind == kind
    assert issubclass(factory, BaseEstimator)
    assert entry.neural == issubclass(factory, estimators.neural.NeuralEstimator)
    assert factory.__module__ == entry.target.partition(":")[0]
    # A quantity the table does not declare is refused by the class itself.
    for name in (*DIVERGENCES, W1):
        if name not in entry.divergences:
            with pytest.raises(ValueError):
                factory(divergence=name)


def test_knn_declares_the_divergences_its_module_implements() -> None:
    assert set(ESTIMATORS["knn"].divergences) == set(estimators.knn.KNN_DIVERGENCES)


def test_submodules_are_attributes_of_the_package() -> None:
    assert estimators.variational is importlib.import_module(
        "divergence_verify.estimators.variational")
    with pytest.raises(AttributeError, match="no_such_module"):
        estimators.no_such_module  # noqa: B018


# --------------------------------------------------------------------------------------------
# make_estimator: settings are checked against the factory's signature, nothing else is caught
def test_unknown_setting_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown setting 'kk'; its settings are: seed, k, "
                                         r"k_cross") as info:
        make_estimator("knn", "kl", kk=3)
    assert info.value.__cause__ is None


@pytest.fixture
def third_party_kind():
    """Register kinds for one test and remove them afterwards."""
    added: list[str] = []

    def register(kind: str, **kw):
        added.append(kind)
        return register_estimator(kind, f"test kind {kind}", ("kl",), **kw)

    yield register
    for kind in added:
        ESTIMATORS.pop(kind, None)


def test_missing_setting_is_named(third_party_kind) -> None:
    @third_party_kind("_test_needs_width")
    def build(divergence: str, width: int) -> BaseEstimator:
        return BaseEstimator(divergence)

    with pytest.raises(ValueError, match=r"missing setting 'width'; its settings are: width"):
        make_estimator("_test_needs_width", "kl")
    assert make_estimator("_test_needs_width", "kl", width=2).divergence == "kl"


def test_a_type_error_inside_the_factory_is_not_a_bad_configuration(third_party_kind) -> None:
    @third_party_kind("_test_buggy")
    @dataclasses.dataclass
    class Buggy(BaseEstimator):
        width: int = 1

        def __post_init__(self) -> None:
            self.width + "1"  # a bug of the estimator, not of its configuration

    with pytest.raises(TypeError, match="unsupported operand"):
        make_estimator("_test_buggy", "kl", width=2)


def test_register_estimator_adds_a_kind_and_refuses_a_taken_key(third_party_kind) -> None:
    @third_party_kind("_test_const")
    @dataclasses.dataclass
    class Const(BaseEstimator):
        value: float = 1.0
        kind = "_test_const"

        def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
            return self.value

    assert ESTIMATORS["_test_const"].factory is Const
    assert "_test_const" in list_estimators()
    assert make_estimator("_test_const", "kl", value=2.5).estimate([[0.0]], [[1.0]]) == 2.5
    with pytest.raises(ValueError, match="already registered"):
        register_estimator("knn", "again", ("kl",))(Const)


# --------------------------------------------------------------------------------------------
# the protocol hooks a sweep reads
def test_hooks_of_a_classical_estimator() -> None:
    est = make_estimator("knn", "kl", seed=1)
    assert is_builtin(est)
    assert device_of(est) == "cpu"
    assert sample_device_of(est) is None
    assert unwrap_estimator(est) is est
    reseeded = with_seed(est, 7)
    assert (reseeded.seed, est.seed, reseeded.k) == (7, 1, est.k)


def test_hooks_of_a_neural_estimator() -> None:
    torch = pytest.importorskip("torch")
    est = make_estimator("fgan", "kl", device="cpu")
    assert is_builtin(est)
    assert (device_of(est), sample_device_of(est)) == ("cpu", None)
    seen: list[dict] = []
    reseeded = with_seed(make_estimator("fgan", "kl", progress=seen.append, **QUICK), 4)
    assert reseeded.seed == 4
    reseeded.estimate(np.zeros((40, 1)), np.ones((40, 1)))
    assert seen  # the progress callback survives reseeding
    auto = make_estimator("fgan", "kl")  # "auto" is resolved
    gpu = torch.cuda.is_available()
    assert device_of(auto) == ("cuda" if gpu else "cpu")
    assert sample_device_of(auto) == ("cuda" if gpu else None)


def test_hooks_of_user_estimators() -> None:
    def mine(x_p, x_q):
        return 0.0

    wrapped = as_estimator(mine, divergence="kl")
    assert not is_builtin(wrapped)
    assert unwrap_estimator(wrapped) is mine
    assert (device_of(wrapped), sample_device_of(wrapped)) == ("cpu", None)
    assert with_seed(wrapped, 3) is wrapped

    @dataclasses.dataclass
    class OnDevice:  # a user's class with a device attribute and its own sample hook
        name: str = "mine"
        divergence: str = "kl"
        device: str = "cuda:1"
        seed: int = 0

        def sample_device(self) -> str:
            return "cuda"

        def estimate(self, x_p, x_q) -> float:
            return 0.0

    user = OnDevice()
    assert not is_builtin(user)
    assert (device_of(user), sample_device_of(user)) == ("cuda:1", "cuda")
    assert with_seed(user, 5).seed == 5

    @dataclasses.dataclass
    class Subclass(BaseEstimator):  # subclassing the base does not make it the suite's own
        kind = "sub"

    assert not is_builtin(Subclass("kl"))
