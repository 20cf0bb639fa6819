"""The built-in estimators, certified through this package's own pytest plugin.

Each test is what a user writes for their own estimator: one call to the ``certify_estimator``
fixture. The verdicts are deterministic (seeded samples and estimators). The slow ones train
neural critics and are marked ``slow``.
"""

import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify.certificates import NOT_CERTIFIED, certify

SIZES = [250, 500, 1000, 2000, 4000]


def test_knn_kl_is_certified(certify_estimator):
    # With 8 seeds kNN's small biases (-0.01 to -0.04 nats at n = 4000) sit near the edges of
    # the tolerances (0.035 and 0.06): the equivalence test is inconclusive. The sequential
    # design adds seeds (16, then 32) until it decides.
    certify_estimator(make_estimator("knn", divergence="kl"), "kl",
                      scenarios=["gauss2d-kl0.5", "ladder-kl1"], sizes=SIZES, max_seeds=32)


def test_knn_kl_is_not_rejected_on_the_mixture():
    # On the 1-D mixture (KL 0.16, tolerance 0.018) kNN's RMSE at n = 4000 (about 0.03) sits
    # close to the spread allowance 2·tol = 0.036: even 32 seeds may not decide, but a
    # consistent estimator must not be rejected.
    cert = certify(make_estimator("knn", divergence="kl"), "kl", scenarios=["mixture1d"])
    assert cert.verdict != NOT_CERTIFIED, cert.table()


def test_knn_kl_bias_on_unequal_variances_is_detected():
    # Measured: k = 1 leaves a bias of -0.17 nats at n = 4000 on N(0.5, 2²) vs N(0, 1), where the
    # likelihood ratio is unbounded (kNN KL converges slowly there; larger k is worse: -0.28 at
    # k = 5). The certificate must say so rather than pass it.
    cert = certify(make_estimator("knn", divergence="kl"), "kl", scenarios=["gauss1d-scale"])
    assert not cert.passed
    assert not next(r for r in cert.verdicts[0].rules if r.rule == "accuracy").passed


def test_plugin_is_certified_on_discrete_scenarios(certify_estimator):
    for divergence in ("kl", "js", "tv", "hellinger"):
        certify_estimator(make_estimator("plugin", divergence=divergence), divergence,
                          scenarios=["bernoulli", "categorical-nested"], sizes=SIZES)


def test_classifier_kl_is_certified_where_its_model_is_right(certify_estimator):
    # Quadratic logistic features make the log-ratio of two Gaussians exact.
    certify_estimator(make_estimator("classifier", divergence="kl"), "kl",
                      scenarios=["gauss2d-kl0.5"], sizes=SIZES)


def test_misspecified_classifier_is_not_certified():
    # The log-ratio of a mixture and a Gaussian is not quadratic: measured bias -0.14 nats.
    cert = certify(make_estimator("classifier", divergence="kl"), "kl", scenarios=["mixture1d"])
    assert not cert.passed


def test_empirical_w1_is_certified(certify_estimator):
    est = make_estimator("empirical_w1", divergence="w1")
    # One dimension takes the CDF formula: the default sizes are cheap, and the sequential
    # design adds seeds while one scenario's slope cannot yet show a polynomial rate.
    certify_estimator(est, "w1", scenarios=["gauss1d-scale"], max_seeds=32)
    # The 2-D LP costs ~0.8 s at n = 2000 and ~7 s at 4000 on 2 cores: stop at 2000 and buy the
    # slope's precision with 16 seeds instead (predicted slope SE 0.11, as for the default).
    # Every per-scenario rule passes; over these four sizes one slope (-0.2 to -0.55 by seed
    # set) cannot always show the rate below -0.2: INCONCLUSIVE is allowed, NOT CERTIFIED not.
    cert = certify(est, "w1", scenarios=["translate2d"], sizes=[250, 500, 1000, 2000], seeds=16)
    assert cert.verdicts[0].passed and cert.verdict != NOT_CERTIFIED, cert.table()


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "issue 14, open: f-GAN KL is biased low on mixture1d (-0.031 at n = 4000, tolerance "
    "0.018; -0.041 before the adaptive map) and so not certified on every default scenario"))
def test_fgan_kl_is_certified_on_the_default_scenarios(certify_estimator):
    certify_estimator(make_estimator("fgan", divergence="kl", device="cpu"), "kl")


@pytest.mark.slow
def test_fgan_tv_is_certified_on_the_default_scenarios(certify_estimator):
    # Including the bimodal mixture, where the direct 1/2 tanh critic was stuck at half the TV.
    certify_estimator(make_estimator("fgan", divergence="tv", device="cpu"), "tv")
