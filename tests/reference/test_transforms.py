"""Injective maps: inverses, log-Jacobians against finite differences, isometries, splits."""

import math

import numpy as np
import pytest
from scipy import integrate

from divergence_verify.reference import Gaussian
from divergence_verify.reference.composite import Transformed
from divergence_verify.reference.flows import CouplingFlow
from divergence_verify.reference.transforms import (
    Asinh,
    Blockwise,
    Embedding,
    HalfCube,
    NormalCDF,
    Rotation,
    Spiral,
    random_orthogonal,
)

BIJECTIONS = [
    Asinh(3), HalfCube(3), NormalCDF(3), Spiral(3, speed=0.7), Rotation(4, seed=1),
    CouplingFlow(1, seed=2), CouplingFlow(3, seed=3), CouplingFlow(6, seed=4, layers=6),
    Blockwise(Spiral(2), HalfCube(1), Asinh(2)),
]


def _numerical_log_det(t, x, eps=1e-6):
    jac = np.empty((t.dim_out, t.dim_in))
    for i in range(t.dim_in):
        step = np.zeros((1, t.dim_in))
        step[0, i] = eps
        jac[:, i] = (t.forward(x + step) - t.forward(x - step))[0] / (2 * eps)
    return np.linalg.slogdet(jac)[1]


@pytest.mark.parametrize("t", BIJECTIONS, ids=lambda t: f"{type(t).__name__}{t.dim_in}")
def test_inverse_undoes_forward(t):
    x = np.random.default_rng(0).standard_normal((200, t.dim_in))
    assert np.max(np.abs(t.inverse(t.forward(x)) - x)) < 1e-10


@pytest.mark.parametrize("t", BIJECTIONS, ids=lambda t: f"{type(t).__name__}{t.dim_in}")
def test_log_abs_det_jacobian_matches_central_differences(t):
    x = np.random.default_rng(1).standard_normal((5, t.dim_in))
    for row in x:
        row = row[None, :]
        assert t.log_abs_det_jacobian(row)[0] == pytest.approx(_numerical_log_det(t, row),
                                                               abs=1e-6)


@pytest.mark.parametrize("t", [Asinh(1), HalfCube(1), NormalCDF(1), CouplingFlow(1, seed=5)],
                         ids=lambda t: type(t).__name__)
def test_a_transformed_density_integrates_to_one(t):
    # The change of variables, integrated over the image by quadrature (the normal CDF's image
    # is (0, 1), the others' the line): an error in the Jacobian's sign or factor shows here.
    law = Transformed(Gaussian([0.3], [[0.8]]), t)
    lo, hi = (0.0, 1.0) if isinstance(t, NormalCDF) else (-np.inf, np.inf)
    total, _ = integrate.quad(lambda y: math.exp(law.log_prob(np.array([y]))[0]), lo, hi,
                                limit=400, points=None if lo == -np.inf else [0.5])
    assert total == pytest.approx(1.0, abs=1e-7)


def test_outside_the_image_the_density_is_zero():
    law = Transformed(Gaussian([0.0], [[1.0]]), NormalCDF(1))
    assert np.all(law.log_prob(np.array([-0.1, 1.0, 1.5])) == -np.inf)


def test_rotations_and_flat_embeddings_are_isometries_and_curved_ones_are_not():
    x = np.random.default_rng(2).standard_normal((50, 3))
    dist = np.linalg.norm(x[:, None] - x[None], axis=-1)
    for t in (Rotation(3, seed=0), Embedding(3, 7, seed=0)):
        y = t.forward(x)
        assert t.isometry
        assert np.allclose(np.linalg.norm(y[:, None] - y[None], axis=-1), dist, atol=1e-12)
        s = np.array([0.3, -1.0, 2.0])
        assert np.allclose(t.forward(x + s) - t.forward(x), t.push_shift(s), atol=1e-12)
    curved = Embedding(3, 7, seed=0, curvature=1.0)
    y = curved.forward(x)
    assert not curved.isometry and not curved.bijective
    assert np.allclose(curved.inverse(y), x, atol=1e-12)  # still injective
    assert not np.allclose(np.linalg.norm(y[:, None] - y[None], axis=-1), dist, atol=1e-3)
    with pytest.raises(ValueError, match="not an isometry"):
        curved.push_shift(np.zeros(3))
    with pytest.raises(NotImplementedError, match="manifold"):
        Transformed(Gaussian(np.zeros(3), np.eye(3)), curved).log_prob(y)


def test_spiral_is_volume_preserving_but_not_an_isometry():
    s = Spiral(2, speed=1.0)
    x = np.array([[1.0, 0.0], [2.0, 0.0]])
    y = s.forward(x)
    assert np.allclose(np.linalg.norm(y, axis=1), [1.0, 2.0])  # norms kept ...
    assert abs(np.linalg.norm(y[0] - y[1]) - 1.0) > 0.1  # ... distances not
    assert not s.isometry


def test_image_split_says_which_maps_are_separate_on_x_and_y():
    assert Asinh(5).image_split(2) == 2
    block = Blockwise(Spiral(2), Embedding(3, 6, seed=0))
    assert block.image_split(2) == 2 and block.image_split(1) is None
    assert Rotation(4, seed=0).image_split(2) is None
    assert CouplingFlow(4, seed=0).image_split(2) is None


def test_random_orthogonal_has_orthonormal_columns_and_bad_shapes_are_refused():
    q = random_orthogonal(6, 4, seed=3)
    assert np.allclose(q.T @ q, np.eye(4), atol=1e-12)
    with pytest.raises(ValueError):
        random_orthogonal(3, 4, seed=0)
    with pytest.raises(ValueError):
        Spiral(1)
    with pytest.raises(ValueError):
        Embedding(3, 3, seed=0)
    with pytest.raises(ValueError):
        Transformed(Gaussian([0.0], [[1.0]]), Asinh(2))


def test_the_flow_is_seeded():
    x = np.random.default_rng(4).standard_normal((10, 5))
    assert np.array_equal(CouplingFlow(5, seed=1).forward(x), CouplingFlow(5, seed=1).forward(x))
    assert not np.allclose(CouplingFlow(5, seed=1).forward(x), CouplingFlow(5, seed=2).forward(x))
