"""Bad input to the reference layer: a clear error naming the input, or the right number."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divergence_verify import reference
from divergence_verify.reference.distributions import Categorical, Gaussian, GaussianMixture
from divergence_verify.reference.wasserstein import wasserstein1, wasserstein1_dual


def test_tensors_that_require_grad_are_read_by_value() -> None:
    """They reached torch's own error ("Can't call numpy() on Tensor that requires grad")."""
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.3, 0.7], dtype=torch.float64, requires_grad=True)
    assert reference.divergence("kl", p, [0.5, 0.5]) == reference.divergence(
        "kl", [0.3, 0.7], [0.5, 0.5]
    )
    x = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    assert wasserstein1(x, np.zeros((3, 2))) == wasserstein1(x.detach().numpy(), np.zeros((3, 2)))
    g = Gaussian(torch.zeros(2, requires_grad=True), torch.eye(2, requires_grad=True))
    assert reference.divergence("kl", g, Gaussian(np.zeros(2), np.eye(2))) == 0.0
    assert reference.wasserstein1_translation(torch.ones(2, requires_grad=True)) == math.sqrt(2)


def test_js_between_gaussians_with_mean_1e300_is_log_2() -> None:
    """It raised "mean and cov must be finite" (the input is finite)."""
    p, q = Gaussian([1e300, 0.0], np.eye(2)), Gaussian([0.0, 0.0], np.eye(2))
    assert reference.divergence("js", p, q) == math.log(2)


@pytest.mark.parametrize(
    "dist",
    [Gaussian([0.0], [[1.0]]), Categorical([0.5, 0.5]), GaussianMixture([1.0], [0.0], [1.0])],
)
@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [(-1, ValueError, r"seed must be an integer >= 0, got -1"),
     (1.5, TypeError, r"seed must be None, a numpy Generator or an integer >= 0, got 1\.5"),
     ("0", TypeError, "seed must be None")],
)
def test_sampling_with_a_bad_seed_names_it(
    dist: object, seed: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        dist.sample(3, seed)  # type: ignore[attr-defined]


@pytest.mark.parametrize("solver", [wasserstein1, wasserstein1_dual])
@pytest.mark.parametrize(
    ("value", "error"), [(1.5, TypeError), (True, TypeError), (0, ValueError), (-2, ValueError)]
)
def test_num_iter_max_is_strict(solver: object, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="num_iter_max must be a positive integer"):
        solver([[0.0, 0.0]], [[1.0, 1.0]], num_iter_max=value)  # type: ignore[operator]


def test_non_finite_gaussian_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="mean holds NaN or inf"):
        Gaussian([math.inf], [[1.0]])
    with pytest.raises(ValueError, match="cov holds NaN or inf"):
        Gaussian([0.0], [[math.nan]])
    with pytest.raises(TypeError, match="mean must be a real numeric array"):
        Gaussian(["a"], [[1.0]])
