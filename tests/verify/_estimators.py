"""Deliberately good and broken estimators for testing certificates and sweeps.

``gaussian_mle_kl`` is a genuine consistent estimator on Gaussian scenarios: it fits a Gaussian
to each sample by maximum likelihood and returns the closed-form KL between the fits (error
O(n^-1/2)). The broken ones are built from it.
"""

import zlib

import numpy as np

from divergence_verify import reference


def gaussian_mle_kl(x_p, x_q):
    fit_p = reference.Gaussian(x_p.mean(0), np.atleast_2d(np.cov(x_p.T)))
    fit_q = reference.Gaussian(x_q.mean(0), np.atleast_2d(np.cov(x_q.T)))
    return reference.divergence("kl", fit_p, fit_q)


def biased_10_percent(x_p, x_q):
    return 1.1 * gaussian_mle_kl(x_p, x_q)


def non_shrinking_noise(x_p, x_q):
    # Noise of SD 0.2 at every n, reproducible from the sample itself.
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(x_p).tobytes()))
    return gaussian_mle_kl(x_p, x_q) + 0.2 * rng.standard_normal()


def constant(x_p, x_q):
    return 0.9


def sometimes_nan(x_p, x_q):
    # Compared with the sample's median, so that about half the runs at n = 250 are NaN on any
    # instance of a scenario (a shift or a scale of the coordinates changes nothing).
    odd = x_p[0, 0] > np.median(x_p[:, 0])
    return float("nan") if x_p.shape[0] == 250 and odd else gaussian_mle_kl(x_p, x_q)
