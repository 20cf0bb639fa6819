"""Certificates must pass a consistent estimator and reject broken ones (issue 4).

Everything is seeded (samples and the noise of the broken estimators derive from the seeds), so
verdicts are deterministic. The default rules were checked for false alarms offline: the
consistent Gaussian-MLE estimator passed 40 of 40 independent 8-seed blocks on four scenarios.
"""

import json

import pytest

from divergence_verify.verify.certificates import (
    NOT_CERTIFIED,
    Rules,
    certify,
    predicted_slope_se,
)
from divergence_verify.verify.rules import FAIL
from tests.verify._estimators import (
    biased_10_percent,
    constant,
    gaussian_mle_kl,
    non_shrinking_noise,
    sometimes_nan,
)


def failed_rules(cert):
    return {r.rule for v in cert.verdicts for r in v.rules if not r.passed}


@pytest.mark.parametrize("scenario", ["gauss2d-kl0.5", "ladder-kl1", "gauss3d-cov"])
def test_consistent_estimator_is_certified(scenario):
    cert = certify(gaussian_mle_kl, "kl", scenarios=[scenario])
    assert cert.passed, cert.table()


@pytest.mark.parametrize("scenario", ["ladder-kl1", "ladder-kl5", "gauss1d-scale"])
def test_ten_percent_bias_is_rejected_by_accuracy(scenario):
    # Tolerance 0.01 + 0.05 * truth against the bias 0.1 * truth: truth 1: 0.06 < 0.1; truth 5:
    # 0.26 < 0.5; gauss1d-scale, the default KL scenario with the largest truth (0.93 nats):
    # 0.057 < 0.093. The consistent estimator is never rejected on them (on gauss1d-scale one
    # scenario's slope cannot always show a polynomial rate: it may be inconclusive).
    assert certify(gaussian_mle_kl, "kl", scenarios=[scenario]).verdict != NOT_CERTIFIED
    cert = certify(biased_10_percent, "kl", scenarios=[scenario])
    assert cert.verdict == NOT_CERTIFIED
    assert "accuracy" in failed_rules(cert)


def test_resolution_says_where_a_ten_percent_bias_is_invisible():
    # KL 0.1 nats: tolerance 0.015 is 15% of the truth, so a 10% bias is inside it there (the
    # accuracy rule cannot fail it), and the certificate says so rather than implying it would
    # have been caught.
    cert = certify(biased_10_percent, "kl", scenarios=["ladder-kl0.1", "ladder-kl1"])
    assert [v.outcome == FAIL for v in cert.verdicts] == [False, True]
    assert next(r for r in cert.verdicts[0].rules if r.rule == "accuracy").outcome != FAIL
    assert cert.blind_to(0.1) == ["ladder-kl0.1"]
    assert Rules().resolution(0.1) == pytest.approx(0.15)
    assert "a 10% bias is within tolerance on ladder-kl0.1" in cert.table()
    assert cert.to_dict()["blind_to_10_percent_bias"] == ["ladder-kl0.1"]


def test_noise_that_does_not_shrink_is_rejected():
    cert = certify(non_shrinking_noise, "kl", scenarios=["ladder-kl1"])
    # Its RMSE stays near 0.2 > 2 * tolerance (0.14) at n = 4000. (Convergence alone is not
    # decisive here: the MLE's own error at n = 250 adds to the noise, so RMSE still falls a bit.)
    assert not cert.passed
    assert "spread" in failed_rules(cert)


def test_constant_is_rejected_even_near_the_truth():
    # 0.9 is within 0.1 of the truth 1.0: outside the tolerance 0.06, with an RMSE of 0.1 above
    # 2·tol; the error never shrinks, so the rate rule fails (slope 0, upper 90% bound above -0.2).
    cert = certify(constant, "kl", scenarios=["ladder-kl1"])
    assert cert.verdict == NOT_CERTIFIED
    assert {"accuracy", "spread"} <= failed_rules(cert)
    assert cert.rate.outcome == FAIL


def test_a_constant_equal_to_the_truth_passes_only_through_the_precision_floor():
    cert = certify(lambda x_p, x_q: 1.0, "kl", scenarios=["ladder-kl1"])
    verdict = cert.verdicts[0]
    conv = next(r for r in verdict.rules if r.rule == "convergence")
    assert cert.passed and "precision floor" in conv.detail


@pytest.mark.parametrize("scenario", ["gauss2d-kl0.5", "gauss1d-scale", "mixture1d"])
def test_a_constant_equal_to_one_default_truth_is_not_certified(scenario):
    # One scenario cannot tell a constant equal to its truth from a perfect estimator; the
    # default scenarios have different truths, so the certificate as a whole rejects it.
    from divergence_verify.verify.scenarios import get_scenario

    value = get_scenario(scenario).truth("kl").value
    cert = certify(lambda x_p, x_q: value, "kl")
    assert not cert.passed
    assert [v.passed for v in cert.verdicts].count(True) == 1


def test_nan_runs_fail_the_runs_rule():
    cert = certify(sometimes_nan, "kl", scenarios=["gauss2d-kl0.5"])
    assert not cert.passed
    assert "runs" in failed_rules(cert)


def test_certificate_serialises_with_numbers_and_configuration(tmp_path):
    cert = certify(biased_10_percent, "kl", scenarios=["ladder-kl1"], sizes=[250, 1000], seeds=3,
                   rules=Rules(max_slope_se=1.0))
    path = tmp_path / "certificate.json"
    cert.save(str(path))
    data = json.loads(path.read_text())
    assert data["certified"] is False
    assert data["rules"]["rtol"] == Rules().rtol
    scen = data["scenarios"][0]
    assert scen["scenario"] == "ladder-kl1" and scen["truth"] == pytest.approx(1.0)
    assert len(scen["sweep"]["records"]) == 2 * 3
    assert data["rules"]["max_slope_se"] == 1.0
    assert {r["rule"] for r in scen["rules"]} == {"runs", "accuracy", "spread", "convergence"}
    assert "NOT CERTIFIED" in cert.table()
    # One slope uncertainty everywhere: the design's predicted SE, in the JSON and the table.
    se = predicted_slope_se([250, 1000], 3)
    assert scen["slope_se"] == cert.verdicts[0].summary()["slope_se"] == pytest.approx(se)
    convergence = next(r for r in cert.verdicts[0].rules if r.rule == "convergence")
    assert f"± {se:.3f}, the design's SE" in convergence.detail


def test_predicted_slope_se_of_the_default_design():
    from divergence_verify.verify.certificates import (
        DEFAULT_SEEDS,
        DEFAULT_SIZES,
        predicted_slope_se,
    )

    # 1/sqrt(16) / sqrt(sum of squared log deviations over 250..4000) = 0.25 / 2.19.
    assert predicted_slope_se(DEFAULT_SIZES, DEFAULT_SEEDS) == pytest.approx(0.114, abs=1e-3)


def test_certify_refuses_designs_too_small_to_judge_convergence():
    with pytest.raises(ValueError, match="cannot judge convergence"):
        certify(gaussian_mle_kl, "kl", scenarios=["ladder-kl1"], sizes=[250, 500, 1000, 2000],
                seeds=8)


def test_certify_rejects_unusable_arguments():
    with pytest.raises(ValueError, match="two sample sizes"):
        certify(gaussian_mle_kl, "kl", scenarios=["ladder-kl1"], sizes=[500])
    with pytest.raises(ValueError, match="two seeds"):
        certify(gaussian_mle_kl, "kl", scenarios=["ladder-kl1"], seeds=1)
    with pytest.raises(ValueError, match="unknown scenario"):
        certify(gaussian_mle_kl, "kl", scenarios=["nope"])
    with pytest.raises(ValueError, match="unknown divergence"):
        certify(gaussian_mle_kl, "kl2")
    with pytest.raises(TypeError, match="must be a str"):
        certify(gaussian_mle_kl, None)
