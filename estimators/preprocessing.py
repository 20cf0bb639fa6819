r"""Invariance-aware preprocessing: one injective map fitted on pooled rows, applied to both.

Every f-divergence is unchanged when one injective map :math:`\phi` is applied to both laws,
:math:`D_f(P\circ\phi^{-1}\,\|\,Q\circ\phi^{-1}) = D_f(P\|Q)` (the data-processing inequality
holds with equality for an invertible map; Liese & Vajda 2006, IEEE Trans. Inf. Theory 52(10),
Theorem 14). An estimator may therefore fit :math:`\phi` on its pooled *training* rows (P and Q
together, so that :math:`\phi` does not depend on which law a row came from) and estimate the
divergence between the mapped samples. W1 is invariant only under isometries and is
1-homogeneous, :math:`W_1(cP, cQ) = |c|\,W_1(P, Q)`, so W1 estimators use one scalar scale and
multiply back.

The maps (``method``):

* ``"none"``: the identity.
* ``"standard"``: per coordinate :math:`(x - \bar x)/s` with the pooled mean and SD (the
  neural estimators' map before issue 14; it squashes the bulk of heavy-tailed data).
* ``"robust"``: per coordinate :math:`(x - \operatorname{med})/(\operatorname{IQR}/1.349)`,
  so that a Gaussian coordinate gets unit scale; a coordinate with zero IQR falls back to its
  mean absolute deviation from the median, then to 1 (Huber & Ronchetti 2009, Sec. 5.1).
* ``"copula"``: rank-Gaussianisation per coordinate (a smoothed empirical copula transform;
  for mutual information, Kraskov et al. 2004 and Czyż et al. 2023 use the same device): the
  pooled quantile at level :math:`u_i = (i + \tfrac12)/K`, :math:`K` = :data:`COPULA_KNOTS`,
  goes to :math:`\Phi^{-1}(u_i)` (with fewer than K rows, the value of mid-rank :math:`r` goes
  to :math:`\Phi^{-1}((r - \tfrac12)/N)`), values in between are interpolated linearly, and values
  beyond the training range continue as :math:`z_{\max} + \operatorname{asinh}((x -
  x_{\max})/s)` (:math:`s` the robust scale), so the map stays strictly increasing, i.e.
  injective, on the whole line.
* ``"adaptive"``: ``"copula"`` on the heavy-tailed coordinates, ``"robust"`` on the others. A
  coordinate is heavy-tailed when its pooled tail ratio :math:`(x_{(0.99)} - x_{(0.01)}) /
  \operatorname{IQR}` exceeds :data:`HEAVY_TAIL_RATIO`, twice a Gaussian's 3.45 (Student-t
  with 1 and 2 degrees of freedom: 31.8 and 8.5; 3 dof: 5.9; a two-component mixture stays
  below a Gaussian's). A per-coordinate choice of increasing maps is still one injective map of
  the rows, so every f-divergence is kept; an affine coordinate keeps a Gaussian log-ratio
  quadratic (which the copula map of a well-separated pooled sample bends), and a squashed
  heavy tail no longer dominates the scale of the others.

Every map first multiplies the data by a power of two, :math:`2^{-e}` with :math:`e` the binary
exponent of the largest :math:`|x|` of the pooled rows (:func:`power_of_two_scale`): exact in
floating point, it makes the later arithmetic safe from overflow and underflow at any scale from
1e-300 to 1e300, and leaves data whose scale is itself a power of two bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

PREPROCESSING = ("none", "standard", "robust", "copula", "adaptive")
"""The per-coordinate maps :func:`fit_preprocessing` knows."""

COPULA_KNOTS = 128
"""Knots of the copula map: quantiles of the pooled rows at levels (i + 1/2)/128, or every
distinct value when there are fewer rows (see :func:`fit_preprocessing`)."""

_IQR_TO_SD = 1.3489795003921634  # 2 * ndtri(0.75): the IQR of a standard normal

HEAVY_TAIL_RATIO = 2.0 * 2.0 * float(ndtri(0.99)) / _IQR_TO_SD
r"""Tail ratio :math:`(x_{(0.99)} - x_{(0.01)})/\operatorname{IQR}` above which ``"adaptive"``
rank-Gaussianises a coordinate: twice a Gaussian's (3.449), i.e. 6.90."""

_COPULA_MAPS = ("copula", "adaptive")


def power_of_two_scale(pooled: np.ndarray) -> float:
    """Return :math:`2^{e}` with :math:`e` the binary exponent of ``max |pooled|`` (1 if all 0).

    Dividing by it is exact (no rounding) and brings every entry into [-1, 1].
    """
    top = float(np.max(np.abs(pooled))) if pooled.size else 0.0
    if top == 0.0 or not math.isfinite(top):
        return 1.0
    return math.ldexp(1.0, math.frexp(top)[1])


def _robust_scale(x: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Per-coordinate IQR / 1.349, falling back to the mean |x - centre|, then to 1."""
    q25, q75 = np.percentile(x, [25.0, 75.0], axis=0)
    scale = (q75 - q25) / _IQR_TO_SD
    mad = np.mean(np.abs(x - centre), axis=0)
    scale = np.where(scale > 0, scale, mad)
    return np.where(scale > 0, scale, 1.0)


def heavy_tailed(pooled: np.ndarray) -> np.ndarray:
    """Return, per coordinate, whether its tail ratio exceeds :data:`HEAVY_TAIL_RATIO`.

    A coordinate of zero IQR counts as heavy-tailed when its 1%-99% range is not zero.
    """
    q01, q25, q75, q99 = np.percentile(pooled, [1.0, 25.0, 75.0, 99.0], axis=0)
    return (q99 - q01) > HEAVY_TAIL_RATIO * (q75 - q25)


def check_preprocessing(value: object, label: str = "preprocess") -> str:
    """Return ``value`` if it names a map of :data:`PREPROCESSING`; raise otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a string, got {value!r} ({type(value).__name__})")
    if value not in PREPROCESSING:
        raise ValueError(f"{label} must be one of {', '.join(PREPROCESSING)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Preprocessing:
    """A fitted map; :meth:`apply` maps rows, :attr:`unit` is the scalar of a 1-homogeneous map.

    Attributes
    ----------
    method : str
        One of :data:`PREPROCESSING`.
    binary_scale : float
        The power of two the data are first divided by.
    shift, scale : numpy.ndarray
        Per coordinate, after the binary scaling: ``(x - shift) / scale`` ("standard",
        "robust"; zeros and ones otherwise, and the robust centre and scale for the copula's
        tails).
    knots_x, knots_z : list of numpy.ndarray
        The copula's interpolation knots per coordinate (empty for the other maps; with
        "adaptive", an empty pair marks an affine coordinate).
    """

    method: str
    binary_scale: float
    shift: np.ndarray
    scale: np.ndarray
    knots_x: tuple[np.ndarray, ...] = ()
    knots_z: tuple[np.ndarray, ...] = ()

    @property
    def unit(self) -> float:
        """The data units of one unit after the map (for an isotropic map; W1 multiplies by it)."""
        return float(self.binary_scale * self.scale[0]) if self.scale.size else self.binary_scale

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Map the rows of ``x`` [n, d] (float64)."""
        y = x / self.binary_scale
        if self.method not in _COPULA_MAPS:
            return (y - self.shift) / self.scale
        out = np.empty_like(y)
        for j, (kx, kz) in enumerate(zip(self.knots_x, self.knots_z, strict=True)):
            col = y[:, j]
            if kx.size == 0:
                out[:, j] = (col - self.shift[j]) / self.scale[j]
                continue
            if kx.size == 1:
                out[:, j] = np.arcsinh((col - kx[0]) / self.scale[j])
                continue
            z = np.interp(col, kx, kz)
            above, below = col > kx[-1], col < kx[0]
            z[above] = kz[-1] + np.arcsinh((col[above] - kx[-1]) / self.scale[j])
            z[below] = kz[0] + np.arcsinh((col[below] - kx[0]) / self.scale[j])
            out[:, j] = z
        return out


def fit_preprocessing(pooled: np.ndarray, method: str, isotropic: bool = False) -> Preprocessing:
    """Fit ``method`` on the pooled training rows [N, d] (P and Q together).

    Parameters
    ----------
    pooled : numpy.ndarray
        The rows the map is fitted on.
    method : str
        One of :data:`PREPROCESSING`.
    isotropic : bool
        One scalar scale for every coordinate (the RMS of the per-coordinate scales), so that
        the map is a similarity and a 1-homogeneous quantity (W1) scales back by :attr:`unit`;
        only with "none", "standard" or "robust".
    """
    check_preprocessing(method, "method")
    if isotropic and method in _COPULA_MAPS:
        raise ValueError(f"the {method} map is not a similarity: not for a W1 estimator")
    dim = pooled.shape[1]
    binary = power_of_two_scale(pooled)
    y = pooled / binary
    if method == "none":
        return Preprocessing(method, binary, np.zeros(dim), np.ones(dim))
    if method == "standard":
        shift = y.mean(axis=0)
        scale = y.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    else:
        shift = np.median(y, axis=0)
        scale = _robust_scale(y, shift)
    if isotropic:
        scale = np.full(dim, float(np.sqrt(np.mean(scale**2))))
    if method not in _COPULA_MAPS:
        return Preprocessing(method, binary, shift, scale)
    knots_x, knots_z = [], []
    n = y.shape[0]
    levels = (np.arange(COPULA_KNOTS) + 0.5) / COPULA_KNOTS
    heavy = heavy_tailed(y) if method == "adaptive" else np.ones(dim, dtype=bool)
    for j in range(dim):
        if not heavy[j]:
            knots_x.append(np.zeros(0))
            knots_z.append(np.zeros(0))
            continue
        if n > COPULA_KNOTS:
            # Quantile knots: the map is affine between them, so the local statistics of the
            # points (their spacings, which kNN reads) are kept; through every point it is not.
            values = np.unique(np.quantile(y[:, j], levels))
            z = ndtri(np.interp(values, np.quantile(y[:, j], levels), levels))
        else:
            values, counts = np.unique(y[:, j], return_counts=True)
            start = np.cumsum(counts) - counts  # rank (0-based) of each value's first copy
            z = ndtri((start + (counts + 1) / 2.0 - 0.5) / n)  # mid-ranks of tied copies
        knots_x.append(values)
        knots_z.append(z)
    return Preprocessing(method, binary, shift, scale, tuple(knots_x), tuple(knots_z))
