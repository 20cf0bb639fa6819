"""Classical baselines (kNN, plug-in, empirical W1, classifier) against exact values.

Tolerances. Each accuracy test runs one seeded estimate and accepts
``|error| <= |bias| + 3 SE(bias) + 4 SD``, where bias and SD were measured once offline over 200
independent replicates (seeds 1000-1199) of exactly the test's configuration; the figures are kept
next to each case. 4 SD is a false-alarm rate of about 6e-5 per case for a Gaussian error (the
plug-in chi2 error is right-skewed: its largest error in the 200 replicates was 5.4 SD).
"""

from __future__ import annotations

import numpy as np
import pytest

import divergence_verify.estimators.classifier
import divergence_verify.estimators.empirical_w1
import divergence_verify.estimators.knn
import divergence_verify.estimators.plugin  # noqa: F401  (imports register the kinds)
from divergence_verify.estimators import make_estimator
from divergence_verify.reference.fdivergences import DIVERGENCES, get_divergence

OFFLINE_REPLICATES = 200

# 2-D Gaussian pair with correlated, unequal covariances.
MU_P = np.array([0.5, -0.3])
COV_P = np.array([[1.0, 0.3], [0.3, 0.8]])
MU_Q = np.zeros(2)
COV_Q = np.eye(2)

# Categorical pair on 4 categories.
CAT_P = np.array([0.4, 0.3, 0.2, 0.1])
CAT_Q = np.array([0.1, 0.2, 0.3, 0.4])

SHIFT = np.array([1.0, 0.5])


def tolerance(bias: float, sd: float) -> float:
    return abs(bias) + 3 * sd / np.sqrt(OFFLINE_REPLICATES) + 4 * sd


def gaussian_kl(mu_p, cov_p, mu_q, cov_q) -> float:
    d = len(mu_p)
    inv_q = np.linalg.inv(cov_q)
    dm = mu_q - mu_p
    return 0.5 * float(
        np.trace(inv_q @ cov_p)
        + dm @ inv_q @ dm
        - d
        + np.log(np.linalg.det(cov_q) / np.linalg.det(cov_p))
    )


def gaussian_hellinger(mu_p, cov_p, mu_q, cov_q) -> float:
    # 2 - 2 * Bhattacharyya coefficient of two Gaussians.
    cov_m = (cov_p + cov_q) / 2
    dm = mu_p - mu_q
    bc = (np.linalg.det(cov_p) * np.linalg.det(cov_q)) ** 0.25 / np.sqrt(np.linalg.det(cov_m))
    return float(2 - 2 * bc * np.exp(-dm @ np.linalg.solve(cov_m, dm) / 8))


def gaussian_chi2(mu_p, cov_p, mu_q, cov_q) -> float:
    # int p^2/q - 1: a Gaussian integral with precision a = 2 inv(cov_p) - inv(cov_q).
    inv_p, inv_q = np.linalg.inv(cov_p), np.linalg.inv(cov_q)
    a = 2 * inv_p - inv_q
    b = 2 * inv_p @ mu_p - inv_q @ mu_q
    c = 2 * mu_p @ inv_p @ mu_p - mu_q @ inv_q @ mu_q
    log_int = (
        -np.log(np.linalg.det(cov_p))
        + 0.5 * np.log(np.linalg.det(cov_q))
        - 0.5 * np.log(np.linalg.det(a))
        + 0.5 * (b @ np.linalg.solve(a, b) - c)
    )
    return float(np.exp(log_int) - 1)


KL_PQ = gaussian_kl(MU_P, COV_P, MU_Q, COV_Q)
KL_QP = gaussian_kl(MU_Q, COV_Q, MU_P, COV_P)
GAUSSIAN_EXACT = {
    "kl": KL_PQ,
    "reverse_kl": KL_QP,
    "jeffreys": KL_PQ + KL_QP,
    "hellinger": gaussian_hellinger(MU_P, COV_P, MU_Q, COV_Q),
    "chi2": gaussian_chi2(MU_P, COV_P, MU_Q, COV_Q),
}


def gaussians(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x_p = MU_P + rng.standard_normal((n, 2)) @ np.linalg.cholesky(COV_P).T
    x_q = MU_Q + rng.standard_normal((m, 2)) @ np.linalg.cholesky(COV_Q).T
    return x_p, x_q


def categoricals(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.choice(4, size=(n, 1), p=CAT_P), rng.choice(4, size=(m, 1), p=CAT_Q)


def translated(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)), rng.standard_normal((m, 2)) + SHIFT


def categorical_exact(divergence: str) -> float:
    return float(np.sum(get_divergence(divergence).perspective(CAT_P, CAT_Q)))


# (kind, divergence, config, measured bias, measured SD), n = m = 2000, 2-D Gaussians.
GAUSSIAN_CASES = [
    ("knn", "kl", {"k": 5}, 0.0000, 0.0271),
    # Without the digamma correction psi(3) - psi(8) this would be off by 1.09.
    ("knn", "kl", {"k": 3, "k_cross": 8}, -0.0116, 0.0279),
    ("knn", "reverse_kl", {"k": 1}, -0.0322, 0.0579),
    ("knn", "jeffreys", {"k": 3}, -0.0578, 0.0603),
    ("knn", "hellinger", {"k": 5}, 0.0133, 0.0200),
    ("knn", "chi2", {"k": 5}, -0.0345, 0.0698),
    ("classifier", "kl", {"expectation": "p"}, -0.0006, 0.0287),
    ("classifier", "hellinger", {}, 0.0016, 0.0177),
]


@pytest.mark.parametrize(("kind", "divergence", "config", "bias", "sd"), GAUSSIAN_CASES)
def test_gaussian_accuracy(kind, divergence, config, bias, sd):
    estimate = make_estimator(kind, divergence, **config).estimate(*gaussians(2000, 2000, 0))
    assert abs(estimate - GAUSSIAN_EXACT[divergence]) <= tolerance(bias, sd)


# Measured plug-in bias and SD at n = m = 2000 on CAT_P, CAT_Q.
PLUGIN_MEASURED = {
    "kl": (0.0026, 0.0316),
    "reverse_kl": (0.0017, 0.0305),
    "js": (0.0004, 0.0065),
    "tv": (-0.0009, 0.0146),
    "chi2": (0.0161, 0.1278),
    "hellinger": (0.0009, 0.0140),
    "jeffreys": (0.0043, 0.0603),
    "gan": (0.0008, 0.0130),
}


def test_plugin_measured_table_covers_every_divergence():
    assert set(PLUGIN_MEASURED) == set(DIVERGENCES)


@pytest.mark.parametrize("divergence", sorted(DIVERGENCES))
def test_plugin_accuracy(divergence):
    estimate = make_estimator("plugin", divergence).estimate(*categoricals(2000, 2000, 0))
    assert abs(estimate - categorical_exact(divergence)) <= tolerance(*PLUGIN_MEASURED[divergence])


def test_empirical_w1_translated_cloud():
    # Measured at n = m = 1000: bias +0.0026, SD 0.0437; exact value |SHIFT|.
    estimate = make_estimator("empirical_w1", "w1").estimate(*translated(1000, 1000, 0))
    assert abs(estimate - np.linalg.norm(SHIFT)) <= tolerance(0.0026, 0.0437)


def test_empirical_w1_one_dimensional_scale():
    # N(0, 1) vs N(0, 4): the monotone coupling y = 2x costs E|x| = sqrt(2/pi).
    # Measured at n = m = 2000: bias +0.0038, SD 0.0301.
    rng = np.random.default_rng(0)
    x_p, x_q = rng.standard_normal((2000, 1)), 2 * rng.standard_normal((2000, 1))
    estimate = make_estimator("empirical_w1", "w1").estimate(x_p, x_q)
    assert abs(estimate - np.sqrt(2 / np.pi)) <= tolerance(0.0038, 0.0301)


def test_empirical_w1_exact_for_a_translated_copy():
    # y = x + s: the translation coupling is optimal, so the LP returns |s| to rounding.
    x = np.random.default_rng(0).standard_normal((300, 2))
    estimate = make_estimator("empirical_w1", "w1").estimate(x, x + SHIFT)
    assert estimate == pytest.approx(np.linalg.norm(SHIFT), abs=1e-9)


def test_empirical_w1_subsamples_to_max_points():
    x_p, x_q = translated(500, 400, 0)
    est = make_estimator("empirical_w1", "w1", max_points=100, seed=3)
    rng = np.random.default_rng(3)
    sub_p = x_p[rng.choice(500, size=100, replace=False)]
    sub_q = x_q[rng.choice(400, size=100, replace=False)]
    full_sized = make_estimator("empirical_w1", "w1").estimate(sub_p, sub_q)
    assert est.estimate(x_p, x_q) == pytest.approx(full_sized, rel=1e-12)


# (kind, divergence, config, sampler, exact, small n, large n). Offline, over 40 disjoint groups
# of 5 seeds, the large-n mean |error| was below the small-n one in 40/40 groups for each case;
# the largest ratio large/small was 0.88 (knn), 0.56 (classifier), 0.69 (plugin), 0.83 (w1).
SHRINK_CASES = [
    ("knn", "kl", {"k": 5}, gaussians, KL_PQ, 200, 2000),
    ("classifier", "kl", {"expectation": "p"}, gaussians, KL_PQ, 200, 2000),
    ("plugin", "kl", {}, categoricals, categorical_exact("kl"), 100, 2000),
    ("empirical_w1", "w1", {}, translated, float(np.linalg.norm(SHIFT)), 100, 1000),
]


@pytest.mark.parametrize(
    ("kind", "divergence", "config", "sampler", "exact", "small", "large"), SHRINK_CASES
)
def test_error_shrinks_with_sample_size(kind, divergence, config, sampler, exact, small, large):
    est = make_estimator(kind, divergence, **config)

    def mean_abs_error(n: int) -> float:
        return float(np.mean([abs(est.estimate(*sampler(n, n, s)) - exact) for s in range(5)]))

    assert mean_abs_error(large) < mean_abs_error(small)


def test_plugin_bias_correction_removes_first_order_bias():
    # At n = m = 200 the predicted plug-in bias (K-1)/(2n) + (sum p/q - 1)/(2m) is 0.021; over
    # 400 replicates the SE of the mean is about 0.005.
    exact = categorical_exact("kl")
    raw, corrected = [], []
    for seed in range(400):
        x_p, x_q = categoricals(200, 200, seed)
        raw.append(make_estimator("plugin", "kl").estimate(x_p, x_q) - exact)
        corrected.append(
            make_estimator("plugin", "kl", bias_correction=True).estimate(x_p, x_q) - exact
        )
    assert np.mean(raw) > 0.01
    assert abs(np.mean(corrected)) < 0.5 * np.mean(raw)


@pytest.mark.parametrize("divergence", ["kl", "chi2", "jeffreys"])
def test_plugin_reports_inf_when_q_misses_a_category(divergence):
    x_p, x_q = np.array([0, 1, 2]), np.array([0, 1, 1])
    assert make_estimator("plugin", divergence).estimate(x_p, x_q) == np.inf
    assert (
        make_estimator("plugin", divergence, bias_correction=divergence != "chi2").estimate(
            x_p, x_q
        )
        == np.inf
    )
    smoothed = make_estimator("plugin", divergence, pseudo_count=0.5).estimate(x_p, x_q)
    assert np.isfinite(smoothed) and smoothed > 0


def test_plugin_reverse_kl_is_finite_when_p_covers_q():
    assert np.isfinite(make_estimator("plugin", "reverse_kl").estimate([0, 1, 2], [0, 1, 1]))


def test_plugin_treats_rows_as_categories():
    codes_p, codes_q = categoricals(300, 300, 1)
    rows = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.5, -1.0]])
    est = make_estimator("plugin", "js")
    assert est.estimate(rows[codes_p[:, 0]], rows[codes_q[:, 0]]) == est.estimate(codes_p, codes_q)


@pytest.mark.parametrize(
    ("divergence", "config"),
    [
        ("js", {"bias_correction": True}),
        ("kl", {"bias_correction": True, "pseudo_count": 1.0}),
        ("kl", {"pseudo_count": -1.0}),
    ],
)
def test_plugin_rejects_unsupported_configurations(divergence, config):
    with pytest.raises(ValueError, match=r"bias_correction|pseudo_count"):
        make_estimator("plugin", divergence, **config)


def test_knn_rejects_repeated_points():
    x_q = np.random.default_rng(0).standard_normal((50, 2))
    x_p = np.repeat(x_q[:10], 3, axis=0)  # every point three times
    with pytest.raises(ValueError, match="repeated more than k = 1"):
        make_estimator("knn", "kl", k=1).estimate(x_p, x_q)
    with pytest.raises(ValueError, match="coincides"):
        make_estimator("knn", "kl", k=1).estimate(x_q[:20], x_q)
    # Three copies of each point: k = 3 reaches a distinct neighbour, so it is defined.
    assert np.isfinite(make_estimator("knn", "kl", k=3).estimate(x_p, x_q))


@pytest.mark.parametrize(
    ("divergence", "config", "match"),
    [
        ("js", {}, "does not estimate"),
        ("kl", {"k": 0}, "k must be"),
        ("chi2", {"k": 1}, "k > 1"),
        ("kl", {"k_cross": 2.5}, "k_cross must be"),
    ],
)
def test_knn_rejects_bad_configuration(divergence, config, match):
    with pytest.raises(ValueError, match=match):
        make_estimator("knn", divergence, **config)


def test_knn_needs_more_points_than_k():
    x_p, x_q = gaussians(5, 50, 0)
    with pytest.raises(ValueError, match="needs at least k \\+ 1 = 6"):
        make_estimator("knn", "kl", k=5).estimate(x_p, x_q)


def test_classifier_needs_both_splits():
    x_p, x_q = gaussians(1, 50, 0)
    with pytest.raises(ValueError, match="empty training or held-out part"):
        make_estimator("classifier", "kl").estimate(x_p, x_q)


KIND_DIVERGENCE = [
    ("knn", "kl"),
    ("plugin", "kl"),
    ("empirical_w1", "w1"),
    ("classifier", "kl"),
]
BAD_INPUTS = [
    (np.empty((0, 2)), np.zeros((5, 2)), "empty"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), np.zeros((5, 2)), "NaN"),
    (np.zeros((5, 2)), np.zeros((5, 3)), "same dimension"),
    (np.empty((5, 0)), np.empty((5, 0)), "d = 0"),
]


@pytest.mark.parametrize(("kind", "divergence"), KIND_DIVERGENCE)
@pytest.mark.parametrize(("x_p", "x_q", "match"), BAD_INPUTS)
def test_bad_input_gets_a_clear_error(kind, divergence, x_p, x_q, match):
    with pytest.raises(ValueError, match=match):
        make_estimator(kind, divergence).estimate(x_p, x_q)


@pytest.mark.parametrize(
    ("kind", "divergence", "config", "sampler"),
    [
        ("knn", "kl", {"k": 2}, gaussians),
        ("plugin", "js", {"pseudo_count": 0.5}, categoricals),
        ("empirical_w1", "w1", {"max_points": 60}, translated),
        ("classifier", "hellinger", {}, gaussians),
    ],
)
def test_estimate_many_matches_looped_estimate(kind, divergence, config, sampler):
    pairs = [sampler(80, 70, 10 + e) for e in range(3)]
    x_p = np.stack([p for p, _ in pairs])
    x_q = np.stack([q for _, q in pairs])
    seeds = [5, 9, 2]
    batched = make_estimator(kind, divergence, **config).estimate_many(x_p, x_q, seeds=seeds)
    looped = [
        make_estimator(kind, divergence, seed=s, **config).estimate(x_p[e], x_q[e])
        for e, s in enumerate(seeds)
    ]
    assert batched.shape == (3,)
    np.testing.assert_array_equal(batched, looped)


def test_classifier_features_follow_the_tails():
    rng = np.random.default_rng(21)
    est = make_estimator("classifier", "kl", seed=0)
    est.estimate(rng.normal(size=(400, 2)) + 0.5, rng.normal(size=(400, 2)))
    assert est.last_features == "quadratic"  # a Gaussian pair keeps its exact model
    est.estimate(rng.standard_t(1, size=(400, 2)), rng.standard_t(1, size=(400, 2)))
    assert est.last_features == "log"
    for features in ("quadratic", "linear", "log"):
        fixed = make_estimator("classifier", "kl", seed=0, features=features)
        fixed.estimate(rng.normal(size=(100, 2)), rng.normal(size=(100, 2)))
        assert fixed.last_features == features
    with pytest.raises(ValueError, match="features must be one of auto, quadratic"):
        make_estimator("classifier", "kl", features="cubic")


def test_classifier_log_columns():
    from divergence_verify.estimators.classifier import _features

    x = np.array([[0.5, -2.0], [1e300, 3.0]])
    columns = _features(x[:1], "log")
    # x, the 3 products, log(1 + x_a^2) per coordinate, log(1 + |x|^2).
    np.testing.assert_allclose(
        columns[0], [0.5, -2.0, 0.25, -1.0, 4.0, np.log1p(0.25), np.log1p(4.0), np.log1p(4.25)]
    )
    with np.errstate(over="ignore"):  # the product column overflows; the log columns must not
        far = _features(x[1:], "log")[0, -3:]
    assert np.all(np.isfinite(far))  # 2 log|x|, not log(inf)
    np.testing.assert_allclose(far, [2 * np.log(1e300), np.log1p(9.0), 2 * np.log(1e300)])


def test_classifier_reaches_half_of_a_cauchy_mi():
    # Issue 14: no built-in estimator below half the truth on Student-t with 1 dof. Held-out
    # instance (seed 1010; defaults were chosen on 1000-1004). Measured at n = 2000 over 20
    # seeds: mean 0.770 of the truth, SD 0.140 (the quadratic model: 0.404, SD 0.103). The mean
    # of 4 seeds has SE 0.070, so 0.5 lies 3.9 SE below it (one-sided false alarm < 1e-4).
    from divergence_verify.verify.scenarios import get_scenario

    scenario = get_scenario("student-t-mi@1010,dof=1.0")
    truth = scenario.truth("mi").value
    values = []
    for seed in range(4):
        x, y = scenario.sample(2000, 100 + seed)
        values.append(make_estimator("classifier", "kl", seed=seed).estimate(x, y))
    assert np.mean(values) >= 0.5 * truth
