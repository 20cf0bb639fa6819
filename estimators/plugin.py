r"""Plug-in estimator of any f-divergence of the table between two *discrete* samples.

Each row of a sample is one category label (``[n, 1]`` integer codes, or ``[n, d]`` rows
compared as whole tuples). With counts :math:`N_j` (of n draws from P) and :math:`M_j` (of m
draws from Q) on the union :math:`\mathcal K` of the categories seen in either sample, the
estimate is the exact formula evaluated at the empirical frequencies,

.. math::
    \hat D_f = \sum_{j \in \mathcal K} \hat q_j\, f(\hat p_j / \hat q_j),
    \qquad \hat p_j = \frac{N_j + a}{n + |\mathcal K| a}, \quad
    \hat q_j = \frac{M_j + a}{m + |\mathcal K| a},

computed with the table's ``perspective`` (``reference.fdivergences``), which carries the
limits at :math:`\hat p_j = 0` and :math:`\hat q_j = 0`. Categories seen in neither sample
contribute 0 to every divergence of the table and are not known to the estimator anyway.

**Infinite estimates.** With ``pseudo_count`` a = 0 the plug-in of ``kl``, ``chi2`` and
``jeffreys`` is ``+inf`` as soon as one category is seen in the P sample and not in the Q sample
(:math:`\hat q_j = 0 < \hat p_j`; ``reverse_kl`` and ``jeffreys`` likewise when
:math:`\hat p_j = 0 < \hat q_j`), even when the true value is finite: this is the plug-in's known
failure on large alphabets or small samples, reported as ``inf`` rather than hidden. Additive
(Laplace, a = 1; Jeffreys-Perks, a = ½) smoothing with a > 0 makes every frequency positive and
every estimate finite, at the price of a bias towards the uniform law on :math:`\mathcal K`.

**Bias correction** (``bias_correction=True``, KL family only, a = 0). A second-order Taylor
expansion of the plug-in around the true frequencies, the argument of Miller (1955, "Note on the
bias of information estimates") for the entropy (see Paninski 2003, Neural Computation 15(6),
on the Miller-Madow estimator), gives to order 1/n + 1/m

.. math::
    \mathbb E\,\widehat{KL} - KL(P\|Q) \approx \frac{K_P - 1}{2n}
    + \frac{1}{2m}\Big(\sum_{j:\,p_j > 0} \frac{p_j}{q_j} - 1\Big),

where :math:`K_P` is the number of categories of positive P-probability. The first term is
exactly the Miller-Madow correction of the entropy part :math:`-H(P)`; the second is the same
order term of the cross-entropy :math:`-\sum_j p_j \log q_j` (from
:math:`\mathbb E \log \hat q_j \approx \log q_j - (1 - q_j)/(2 m q_j)`). The corrected estimate
subtracts it with :math:`K_P` the number of categories *seen* in the P sample and the ratios
:math:`\hat p_j/\hat q_j` plugged in; ``reverse_kl`` swaps the roles, ``jeffreys`` subtracts both.
It is not offered for the other divergences (their generators are not entropy-type, and TV's is
not differentiable at 1), nor together with smoothing (the expansion is for raw frequencies). An
infinite plug-in stays infinite.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from divergence_verify.estimators.base import BaseEstimator
from divergence_verify.estimators.validation import check_bool, check_seed
from divergence_verify.reference.fdivergences import get_divergence

_BIAS_CORRECTED = ("kl", "reverse_kl", "jeffreys")


def _kl_plugin_bias(p_hat: np.ndarray, q_hat: np.ndarray, n: int, m: int) -> float:
    """First-order bias of the plug-in KL(P||Q) with frequencies plugged in (module docstring)."""
    seen = p_hat > 0
    k_p = int(np.count_nonzero(seen))
    return (k_p - 1) / (2 * n) + (float(np.sum(p_hat[seen] / q_hat[seen])) - 1.0) / (2 * m)


@dataclasses.dataclass
class PluginEstimator(BaseEstimator):
    r"""Plug-in estimate :math:`\sum_j \hat q_j f(\hat p_j/\hat q_j)` for categorical samples.

    Formula, infinite cases, smoothing and bias correction: see the module docstring.
    Deterministic: ``seed`` is unused. Continuous data make every row its own category, so that
    the supports are disjoint and the estimate is the table's upper bound (or ``inf``).

    Attributes
    ----------
    pseudo_count : float
        Additive smoothing a >= 0 given to every category of the union support (0: raw
        frequencies).
    bias_correction : bool
        Subtract the first-order (Miller-Madow type) bias; ``kl``, ``reverse_kl`` and
        ``jeffreys`` only, and only with ``pseudo_count = 0``.
    """

    pseudo_count: float = 0.0
    bias_correction: bool = False

    kind = "plugin"

    def __post_init__(self) -> None:
        self.seed = check_seed(self.seed)  # strict: 1.5, -1 or 2**70 is refused here
        get_divergence(self.divergence)  # raises ValueError, listing the known names
        self.bias_correction = check_bool(self.bias_correction, "bias_correction")
        if not np.isfinite(self.pseudo_count) or self.pseudo_count < 0:
            raise ValueError(f"pseudo_count must be finite and >= 0, got {self.pseudo_count!r}")
        if self.bias_correction and self.divergence not in _BIAS_CORRECTED:
            raise ValueError(
                f"bias_correction applies to {', '.join(_BIAS_CORRECTED)} only, "
                f"not {self.divergence!r}"
            )
        if self.bias_correction and self.pseudo_count > 0:
            raise ValueError(
                "bias_correction is derived for raw frequencies: use it with pseudo_count = 0"
            )

    def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
        n, m = x_p.shape[0], x_q.shape[0]
        _, codes = np.unique(np.concatenate([x_p, x_q]), axis=0, return_inverse=True)
        codes = codes.reshape(-1)  # its shape with axis=0 differs across numpy 2.x releases
        n_categories = int(codes.max()) + 1
        a = self.pseudo_count
        p_hat = (np.bincount(codes[:n], minlength=n_categories) + a) / (n + n_categories * a)
        q_hat = (np.bincount(codes[n:], minlength=n_categories) + a) / (m + n_categories * a)
        # The table takes log 0 (then masks it) where a frequency is 0: silence numpy's warning.
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(np.sum(get_divergence(self.divergence).perspective(p_hat, q_hat)))
        if not self.bias_correction or not np.isfinite(value):
            return value
        if self.divergence in ("kl", "jeffreys"):
            value -= _kl_plugin_bias(p_hat, q_hat, n, m)
        if self.divergence in ("reverse_kl", "jeffreys"):
            value -= _kl_plugin_bias(q_hat, p_hat, m, n)
        return value
