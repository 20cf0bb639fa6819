"""A certificate's design: the rules it applies and what it runs by default.

:class:`Rules` (the thresholds, documented in :mod:`~divergence_verify.verify.certificates`),
:func:`predicted_slope_se` (how precisely a design of sizes and seeds can judge convergence),
the default sample sizes and seeds, the default scenarios of each divergence and the breakdown
ladder, by name. Nothing heavy is imported (not numpy, only the f-divergence table's light
module for :data:`~divergence_verify.reference.W1`): the command line's ``--help`` and the
report presets read these without loading the scenarios themselves
(:mod:`~divergence_verify.verify.scenarios` defines the scenarios these names refer to, and its
tests check that every name is registered and has a finite exact value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from divergence_verify.reference import W1

__all__ = [
    "DEFAULT_SCENARIOS",
    "DEFAULT_SEEDS",
    "DEFAULT_SIZES",
    "DIMENSION_LADDER",
    "ENVELOPE",
    "ENVELOPE_DIMS",
    "ENVELOPE_KLS",
    "LADDER",
    "W1",
    "Rules",
    "envelope_name",
    "predicted_slope_se",
]


DEFAULT_SIZES = (250, 500, 1000, 2000, 4000)
"""Sample sizes per side of :func:`~divergence_verify.verify.certify` and the commands."""
DEFAULT_SEEDS = 8
"""Seeds per size of :func:`~divergence_verify.verify.certify` and the commands."""

LADDER = ("ladder-kl0.1", "ladder-kl1", "ladder-kl5", "ladder-kl10", "ladder-kl20")
"""The divergence ladder: 2-D N(mu, I) vs N(0, I) with KL 0.1, 1, 5, 10 and 20 nats."""

ENVELOPE_DIMS = (1, 2, 8, 32, 128)
"""Dimensions of the validity envelope's grid (and of :data:`DIMENSION_LADDER`)."""
ENVELOPE_KLS = (0.1, 1.0, 5.0, 10.0, 20.0)
"""True KL values (nats) of the validity envelope's grid."""


def envelope_name(dim: int, kl: float) -> str:
    """Name of the envelope scenario N(mu, I) vs N(0, I) in ``dim`` dimensions with KL ``kl``.

    ``envelope-d8-kl5``: mu = sqrt(2 kl / d) (1, ..., 1), so KL(P||Q) = |mu|^2 / 2 = kl and
    every f-divergence depends on the pair only through kl (the one-dimensional reduction of
    equal-covariance Gaussians): the grid separates the dimension from the divergence's size.
    """
    return f"envelope-d{dim}-kl{kl:g}"


ENVELOPE: dict[str, tuple[int, float]] = {
    envelope_name(d, kl): (d, kl) for d in ENVELOPE_DIMS for kl in ENVELOPE_KLS}
"""The validity envelope's grid: scenario name to (dimension, true KL), dimensions outer."""

DIMENSION_LADDER = tuple(envelope_name(d, 1.0) for d in ENVELOPE_DIMS)
"""The dimension ladder: KL 1 nat between N(mu, I) and N(0, I) in 1, 2, 8, 32 and 128
dimensions."""

# Every divergence's defaults hold one non-Gaussian pair of dimension 8: Gaussians pushed
# through a fixed random coupling flow (an invertible map, so every f-divergence is that of the
# Gaussian pair; for W1, a law translated by a unit vector). The low-dimensional pairs alone
# said little about where neural critics are used.
DEFAULT_SCENARIOS: dict[str, tuple[str, ...]] = {
    "kl": ("gauss2d-kl0.5", "gauss1d-scale", "mixture1d", "flow8d-kl1"),
    "reverse_kl": ("gauss2d-kl0.5", "gauss1d-scale", "flow8d-kl1"),
    "jeffreys": ("gauss2d-kl0.5", "gauss1d-scale", "flow8d-kl1"),
    "js": ("gauss2d-kl0.5", "mixture1d", "flow8d-kl1"),
    "tv": ("gauss2d-kl0.5", "mixture1d", "flow8d-kl1"),
    "gan": ("gauss2d-kl0.5", "mixture1d", "flow8d-kl1"),
    "hellinger": ("gauss2d-kl0.5", "gauss1d-scale", "flow8d-kl1"),
    "chi2": ("gauss2d-kl0.5", "flow8d-kl1"),
    W1: ("translate2d", "gauss1d-scale", "flow8d-w1"),
    # Mutual information, for estimators of (x, y): a Gaussian, a heavy-tailed (Student-t, 2
    # degrees of freedom) and a transformed (asinh of a Student-t, 8-D) joint, each of 1 nat.
    "mi": ("mi-gauss-5+5", "mi-student-t2-2+2", "mi-asinh-t3-4+4"),
}
"""Default scenarios per divergence when a command or certificate names none."""


@dataclass(frozen=True)
class Rules:
    """Thresholds of the certificate rules (their tests: :mod:`~divergence_verify.verify.rules`).

    The defaults, and why:

    * ``tol = atol + rtol·|truth|`` with ``atol = 0.01`` and ``rtol = 0.05``. A relative bias of
      5% is **accepted** everywhere (it is inside the tolerance); the tolerance is below 10% of
      the truth wherever the truth exceeds ``atol/(0.1 - rtol) = 0.2``, so a 10% bias fails the
      accuracy test there (certified with probability at most 5% per scenario at truths where
      ``0.1·|truth| > tol``). ``atol`` keeps truths near 0 judgeable: 0.01 nats is below what
      the sample sizes of the default design can resolve for most estimators.
    * ``confidence = 0.90``: the accuracy rule is Schuirmann's two one-sided tests at 5% each,
      which use the 90% interval; every other interval of the rules has the same level.
    * ``spread_factor = 2``: one run at the largest n lands within two tolerances (RMSE).
    * ``max_slope = -0.1``: a scenario fails when its RMSE slope is shown above -0.1 (the error
      does not shrink there); ``rate_slope = -0.2``: the certificate needs the mean slope shown
      below -0.2, a polynomial rate, which 1/log n (local slope -0.12 ... -0.18 over the default
      sizes) and n^-0.1 are not, and root-n (-0.5) is.
    * ``floor_fraction = 0.25``: an RMSE shown below a quarter of the tolerance is at the
      precision floor, where a slope says nothing.
    * ``max_slope_se = 0.15``: :func:`certify` refuses designs whose predicted slope standard
      error is larger (a slope that noisy cannot separate -0.5 from -0.2).

    Attributes
    ----------
    atol : float
        Absolute part of the tolerance, in nats (or distance units for W1).
    rtol : float
        Relative part of the tolerance, as a fraction of the true value.
    confidence : float
        Two-sided level of every interval of the rules; each one-sided test is at
        ``(1 - confidence)/2``.
    spread_factor : float
        RMSE allowance at the largest n, in units of the tolerance.
    max_slope : float
        A scenario fails when its RMSE slope is shown above this.
    rate_slope : float
        The certificate needs the mean RMSE slope over its scenarios shown below this.
    floor_fraction : float
        An RMSE shown below ``floor_fraction·tol`` is at the precision floor.
    max_slope_se : float
        Largest predicted standard error of the fitted slope that :func:`certify` accepts from
        its design (sizes and seeds); see :func:`predicted_slope_se`.
    """

    atol: float = 0.01
    rtol: float = 0.05
    confidence: float = 0.90
    spread_factor: float = 2.0
    max_slope: float = -0.1
    rate_slope: float = -0.2
    floor_fraction: float = 0.25
    max_slope_se: float = 0.15

    def __post_init__(self) -> None:
        checks = {"atol": self.atol >= 0, "rtol": self.rtol >= 0,
                  "confidence": 0 < self.confidence < 1, "spread_factor": self.spread_factor > 0,
                  "floor_fraction": self.floor_fraction >= 0, "max_slope_se": self.max_slope_se > 0}
        for name, ok in checks.items():
            value = getattr(self, name)
            if not (ok and math.isfinite(value)):
                raise ValueError(f"Rules.{name} = {value!r} is out of range")
        if self.atol == 0 and self.rtol == 0:
            raise ValueError("Rules: atol and rtol are both 0, a tolerance of 0 passes nothing")

    def tolerance(self, truth: float) -> float:
        """Return ``atol + rtol·|truth|``."""
        return self.atol + self.rtol * abs(truth)

    def resolution(self, truth: float) -> float:
        """Return ``tol/|truth|``: the largest relative bias the accuracy rule accepts."""
        return math.inf if truth == 0 else self.tolerance(truth) / abs(truth)


def predicted_slope_se(sizes: Sequence[int], seeds: int) -> float:
    """Standard error of the fitted log-log RMSE slope that a design of sizes and seeds gives.

    With k seeds, the RMSE at one size estimates sqrt(MSE) from k squared errors; for roughly
    normal errors its log has a standard error of about 1/sqrt(2k). Least squares over the sizes
    then gives a slope with standard error (1/sqrt(2k)) / sqrt(sum_i (log n_i - mean)^2).
    """
    logs = [math.log(n) for n in sorted(set(sizes))]
    mean = sum(logs) / len(logs)
    sxx = sum((x - mean) ** 2 for x in logs)
    return math.inf if sxx == 0 else 1.0 / math.sqrt(2 * seeds) / math.sqrt(sxx)
