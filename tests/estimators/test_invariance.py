"""Units: f-divergence estimates do not depend on the scale of the data; W1 scales linearly.

Every f-divergence is unchanged by one injective map applied to both samples, so multiplying
both samples by c must leave an estimate unchanged from c = 1e-150 to 1e150; W1(cx, cy) =
c W1(x, y). These are deterministic checks (same seed, same data up to the scaling): kNN to
1e-12 relative (bit-identical for powers of two), the others to float32 round-off of the
preprocessed inputs. Before issue 14: fgan/nwj -0.2496 and dv 0.0 at 1e-170 or 1e200, kNN NaN
at 1e155 and a false "repeated point" at 1e-160, w1_critic NaN at 1e300, classifier 0 at
1e-170.
"""

from __future__ import annotations

import numpy as np
import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.estimators.preprocessing import (
    PREPROCESSING,
    fit_preprocessing,
    heavy_tailed,
    power_of_two_scale,
)

SCALES = (1e-150, 1e-100, 1.0, 1e100, 1e150)
EXTREMES = (1e-170, 1e-160, 1e155, 1e200)


def _pair(n: int = 300, m: int = 400, d: int = 2, seed: int = 1234):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) + 0.7, rng.normal(size=(m, d))


@pytest.mark.parametrize("divergence", ["kl", "reverse_kl", "jeffreys", "hellinger", "chi2"])
@pytest.mark.parametrize("preprocess", PREPROCESSING)
def test_knn_is_unit_free(divergence, preprocess):
    est = make_estimator("knn", divergence, k=2, preprocess=preprocess)
    x_p, x_q = _pair()
    ref = est.estimate(x_p, x_q)
    for c in (*SCALES, *EXTREMES, 2.0**-500, 2.0**900):
        value = est.estimate(x_p * c, x_q * c)
        assert np.isfinite(value)
        assert value == pytest.approx(ref, rel=1e-12, abs=1e-12), c
    # A power of two changes no bit.
    assert est.estimate(x_p * 2.0**-600, x_q * 2.0**-600) == ref


@pytest.mark.parametrize("divergence", ["kl", "js", "tv", "hellinger", "reverse_kl"])
def test_classifier_is_unit_free(divergence):
    est = make_estimator("classifier", divergence, seed=3)
    x_p, x_q = _pair()
    ref = est.estimate(x_p, x_q)
    for c in (*SCALES, *EXTREMES):
        assert est.estimate(x_p * c, x_q * c) == pytest.approx(ref, rel=1e-9, abs=1e-9), c


def test_classifier_on_heavy_tails_is_finite():
    # A Student-t sample with 1 dof returned NaN (exp overflow, then inf / inf).
    rng = np.random.default_rng(1001)
    x = rng.standard_t(1, size=(2000, 2)) * 1e4
    y = rng.standard_t(1, size=(2000, 2))
    for divergence in ("kl", "js", "chi2", "reverse_kl"):
        assert np.isfinite(make_estimator("classifier", divergence).estimate(x, y))


@pytest.mark.parametrize("kind", ["fgan", "dv", "nwj"])
def test_neural_kl_is_unit_free(kind):
    est = make_estimator(kind, "kl", steps=100, eval_every=50, device="cpu", seed=1)
    x_p, x_q = _pair(200, 200)
    ref = est.estimate(x_p, x_q)
    assert abs(ref) > 0.01  # the critic learned something: not the constant of a dead input
    for c in (1e-170, 1e-150, 1e150, 1e200):
        assert est.estimate(x_p * c, x_q * c) == pytest.approx(ref, abs=2e-4), c


def test_w1_estimators_scale_linearly():
    x_p, x_q = _pair(150, 150)
    critic = make_estimator("w1_critic", "w1", steps=100, eval_every=50, device="cpu", seed=1)
    empirical = make_estimator("empirical_w1", "w1")
    for est, rel in ((critic, 1e-4), (empirical, 1e-9)):
        ref = est.estimate(x_p, x_q)
        assert ref > 0.1
        for c in (1e-300, 1e-150, 1e150, 1e300):
            assert est.estimate(x_p * c, x_q * c) == pytest.approx(c * ref, rel=rel), (est, c)


def test_copula_map_is_injective_and_fitted_on_pooled_rows():
    rng = np.random.default_rng(7)
    pooled = rng.standard_t(1, size=(1000, 3))
    transform = fit_preprocessing(pooled, "copula")
    # Strictly increasing per coordinate, also beyond the fitted range.
    grid = np.sort(np.concatenate([pooled[:, 0], [-1e12, -1e6, 1e6, 1e12]]))
    column = np.column_stack([grid, grid, grid])
    mapped = transform.apply(column)
    assert np.all(np.diff(mapped[:, 0]) > 0)
    # The bulk is near-Gaussian after the map, however heavy the tails before.
    bulk = transform.apply(pooled)
    assert abs(np.median(bulk[:, 1])) < 0.1
    assert np.percentile(bulk[:, 2], 75) - np.percentile(bulk[:, 2], 25) == pytest.approx(
        1.349, abs=0.1
    )


def test_adaptive_map_squashes_only_heavy_tailed_coordinates():
    rng = np.random.default_rng(8)
    pooled = np.column_stack([
        rng.normal(size=4000),                            # Gaussian: ratio 3.45
        rng.standard_t(1, size=4000),                     # Cauchy: 31.8
        rng.standard_t(2, size=4000),                     # t2: 8.5
        rng.standard_t(5, size=4000),                     # t5: 4.6, under the threshold
        np.r_[rng.normal(size=2000), rng.normal(size=2000) + 4.5],  # well-separated mixture
    ])
    assert heavy_tailed(pooled).tolist() == [False, True, True, False, False]
    adaptive = fit_preprocessing(pooled, "adaptive")
    robust = fit_preprocessing(pooled, "robust")
    copula = fit_preprocessing(pooled, "copula")
    grid = np.sort(np.concatenate([pooled[:, 1], [-1e12, -1e6, 1e6, 1e12]]))
    rows = np.column_stack([grid] * 5)
    mapped = adaptive.apply(rows)
    # Light-tailed coordinates are the robust affine map, heavy ones the copula map.
    light = [0, 3, 4]
    np.testing.assert_array_equal(mapped[:, light], robust.apply(rows)[:, light])
    np.testing.assert_array_equal(mapped[:, [1, 2]], copula.apply(rows)[:, [1, 2]])
    assert np.all(np.diff(mapped, axis=0) > 0)  # strictly increasing in every coordinate
    # A Gaussian pair's KL stays quadratic-exact for the classifier: no coordinate is bent.
    assert not heavy_tailed(rng.normal(size=(2000, 3)) * 1e-200).any()


def test_heavy_tail_rule_with_ties():
    # Zero IQR: heavy when the tails spread, not when the column is constant.
    ties = np.zeros((100, 2))
    ties[:3, 0] = [5.0, -7.0, 9.0]
    assert heavy_tailed(ties).tolist() == [True, False]


def test_power_of_two_scale():
    assert power_of_two_scale(np.array([[3.0, -5.0]])) == 8.0
    assert power_of_two_scale(np.zeros((2, 2))) == 1.0
    x = np.array([[1e-300, 2e300]])
    assert np.all(np.abs(x / power_of_two_scale(x)) <= 1.0)


def test_preprocess_setting_is_checked():
    with pytest.raises(ValueError, match="preprocess must be one of"):
        make_estimator("knn", "kl", preprocess="rank")
    with pytest.raises(TypeError, match="preprocess must be a string"):
        make_estimator("classifier", "kl", preprocess=1)
    with pytest.raises(ValueError, match="copula map does not keep"):
        make_estimator("w1_critic", "w1", preprocess="copula")
    with pytest.raises(ValueError, match="adaptive map does not keep"):
        make_estimator("w1_critic", "w1", preprocess="adaptive")
    with pytest.raises(ValueError, match="not a similarity"):
        fit_preprocessing(np.ones((4, 2)), "adaptive", isotropic=True)
    with pytest.raises(ValueError, match="preprocess must be one of"):
        make_estimator("fgan", "kl", preprocess="zscore")
