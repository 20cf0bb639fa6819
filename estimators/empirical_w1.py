r"""Empirical Wasserstein-1: the exact W1 between the two empirical measures.

.. math::
    \widehat W_1 = W_1\Big(\frac1n\sum_i \delta_{x_i}, \frac1m\sum_j \delta_{y_j}\Big)
    = \min_{\pi \in \Pi(\frac1n \mathbf 1, \frac1m \mathbf 1)} \sum_{ij} \pi_{ij}\|x_i - y_j\|_2,

computed by :func:`reference.wasserstein.wasserstein1`: POT's exact network simplex in
d >= 2, and the CDF formula :math:`\int|F_n - G_m|` when d = 1 (Villani 2009, Rem. 2.19). The
estimator is consistent but biased upwards: for P = Q it is of order :math:`n^{-1/2}` for d = 1,
:math:`n^{-1/2}\log n` for d = 2 and :math:`n^{-1/d}` for d >= 3 (Dudley 1969; Fournier &
Guillin 2015, Probab. Theory Relat. Fields 162, Thm 1), so that at
moderate n its error is dominated by this bias rather than by its variance.

Cost (measured on this project's 2-core CPU with the reference LP, equal sample sizes n = m):
the network simplex on the dense :math:`n \times m` Euclidean cost matrix (8 nm bytes) took
about 0.1-0.2 s at n = 1000, 0.5-0.7 s at n = 2000 and 4.6 s at n = 4000 for d = 2, and 0.3 s,
2.6 s and 8 s for d = 10: roughly cubic growth, hence the optional subsampling ``max_points``.
In one dimension the sort-based formula takes about 0.03 s at n = 100 000.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from divergence_verify.estimators.base import BaseEstimator
from divergence_verify.estimators.validation import check_seed
from divergence_verify.reference.wasserstein import wasserstein1


def _subsample(x: np.ndarray, max_points: int | None, rng: np.random.Generator) -> np.ndarray:
    """Return at most ``max_points`` rows of ``x`` drawn without replacement (all if fewer)."""
    if max_points is None or x.shape[0] <= max_points:
        return x
    return x[rng.choice(x.shape[0], size=max_points, replace=False)]


@dataclasses.dataclass
class EmpiricalW1Estimator(BaseEstimator):
    """Exact optimal-transport cost between the two samples with uniform weights.

    Formula, bias and measured cost: see the module docstring. Deterministic unless
    ``max_points`` subsamples, which draws from ``seed``.

    Attributes
    ----------
    max_points : int or None
        If set, each sample larger than this is replaced by a uniform subsample of
        ``max_points`` rows (without replacement) before the LP, to bound its roughly cubic
        cost. The result is then the empirical W1 at the smaller size, with that size's larger
        upward bias and variance. ``None`` (default) uses every point.
    """

    max_points: int | None = None

    kind = "empirical_w1"

    def __post_init__(self) -> None:
        self.seed = check_seed(self.seed)  # strict: 1.5, -1 or 2**70 is refused here
        if self.divergence != "w1":
            raise ValueError(f"the empirical W1 estimator estimates 'w1', not {self.divergence!r}")
        if self.max_points is not None and (
            isinstance(self.max_points, bool)
            or not isinstance(self.max_points, int)
            or self.max_points < 2
        ):
            # One point per side is not a distribution's W1 but the distance of two draws.
            raise ValueError(f"max_points must be None or an integer >= 2, got {self.max_points!r}")

    def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
        rng = np.random.default_rng(seed)
        x_p = _subsample(x_p, self.max_points, rng)
        return wasserstein1(x_p, _subsample(x_q, self.max_points, rng))
