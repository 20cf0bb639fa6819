r"""Injective maps of R^d for transformed laws: elementwise, rotations, spirals, embeddings.

Every f-divergence is invariant under one injective measurable map applied to both laws,
:math:`D_f(T_\#P \| T_\#Q) = D_f(P \| Q)`; so is the mutual information under separate
injective maps of X and of Y. W1 is invariant only under isometries (:attr:`Transform.isometry`:
rotations, embeddings by an orthonormal frame). The elementwise maps and the spiral are those of
Czyż et al. (2023, "Beyond Normal", package ``benchmark-mi``): half-cube
:math:`x\sqrt{|x|}`, asinh, the normal CDF (support (0, 1)) and the spiral
:math:`x \mapsto \exp(v\|x\|^2 A)\,x` with A the generator of rotations in one coordinate plane.

A :class:`Transform` gives ``forward``, its ``inverse`` on the image (NaN outside it) and
:math:`\log|\det J_T(x)|` where the image has a density (``bijective``); an embedding into more
dimensions has no density in the ambient space (``bijective = False``). The coupling flow is in
:mod:`reference.flows`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

__all__ = [
    "Asinh",
    "Blockwise",
    "CoordinateAffine",
    "Embedding",
    "HalfCube",
    "NormalCDF",
    "Rotation",
    "Spiral",
    "Transform",
    "random_orthogonal",
]


def random_orthogonal(rows: int, cols: int, seed: int) -> np.ndarray:
    """Return a [rows, cols] matrix with orthonormal columns, Haar-distributed from ``seed``.

    QR of a standard normal matrix with the signs of R's diagonal moved into Q (Mezzadri 2007),
    so the law is uniform rather than biased by the QR convention.
    """
    if not 1 <= cols <= rows:
        raise ValueError(f"need 1 <= cols <= rows, got rows={rows}, cols={cols}")
    g = np.random.default_rng(np.random.SeedSequence([seed, rows, cols])).standard_normal(
        (rows, cols))
    q, r = np.linalg.qr(g)
    return q * np.sign(np.diag(r))


class Transform:
    """An injective map from R^dim_in to R^dim_out.

    Attributes
    ----------
    dim_in, dim_out : int
        Dimensions of the input and of the output.
    isometry : bool
        Whether Euclidean distances are preserved (then W1 is invariant, and a translation by s
        becomes one by :meth:`push_shift`).
    bijective : bool
        Whether the image is open in R^dim_out, so a transformed density exists (change of
        variables with :meth:`log_abs_det_jacobian`).
    elementwise : bool
        Whether the map acts on each coordinate separately (then it is separate on X and on Y
        for every split of the coordinates, and keeps mutual information).
    """

    dim_in: int
    dim_out: int
    isometry: bool = False
    bijective: bool = True
    elementwise: bool = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return T(x) for points of shape [n, dim_in]."""
        raise NotImplementedError  # pragma: no cover - abstract

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """Return T^{-1}(y) for points of shape [n, dim_out] (NaN rows outside the image)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:
        """Return log|det dT/dx| at points of shape [n, dim_in] (bijective maps only)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def push_shift(self, shift: np.ndarray) -> np.ndarray:
        """Return the translation T(x + s) - T(x) (isometries, which are affine, only)."""
        raise ValueError(f"{type(self).__name__} is not an isometry: it moves no translation")

    def image_split(self, split: int) -> int | None:
        """Where (x, y) = (first ``split`` coordinates, rest) is split in the image.

        Returns the dimension of T_x(x) when T maps (x, y) to (T_x(x), T_y(y)) (separate maps of
        X and of Y: mutual information kept), else None.
        """
        return split if self.elementwise else None

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable recipe of the map (its parameters or the seed that draws them).

        It identifies the map in cache keys and in :func:`reference.composite.same_transform`:
        a subclass must override it (a map that keeps this default is the same only as itself).
        """
        return {"type": type(self).__name__, "dim": self.dim_in}


class _Elementwise(Transform):
    elementwise = True

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim_in = self.dim_out = dim

    def describe(self) -> dict[str, Any]:
        # No parameters besides the dimension: the recipe is complete.
        return {"type": type(self).__name__, "dim": self.dim_in}


class Asinh(_Elementwise):
    r"""Per coordinate :math:`y = \operatorname{asinh}(x)`.

    :math:`\log|J| = -\tfrac12\sum \log(1 + x_i^2)`.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.arcsinh(x)

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.sinh(y)

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return -0.5 * np.sum(np.log1p(x * x), axis=1)


class HalfCube(_Elementwise):
    r"""Per coordinate :math:`y = x\sqrt{|x|}` (bmi's ``half_cube``).

    :math:`\log|J| = \sum \log(\tfrac32\sqrt{|x_i|})` (-inf on the null set x_i = 0).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return x * np.sqrt(np.abs(x))

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.sign(y) * np.abs(y) ** (2.0 / 3.0)

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        with np.errstate(divide="ignore"):
            return np.sum(math.log(1.5) + 0.5 * np.log(np.abs(x)), axis=1)


class NormalCDF(_Elementwise):
    r"""Per coordinate :math:`y = \Phi(x)`, onto the cube (0, 1)^d.

    :math:`\log|J| = \sum \log\varphi(x_i)`.

    In float64 :math:`\Phi(x)` rounds to 1 for x > 8.3, so samples beyond 8.3 standard units
    lose injectivity; scenarios keep their coordinates near unit scale (P(|x| > 8.3) < 1e-16).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        from scipy import special  # here: importing the reference layer loads no scipy

        return special.ndtr(x)

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        from scipy import special

        inside = (y > 0) & (y < 1)
        return np.where(inside, special.ndtri(np.where(inside, y, 0.5)), np.nan)

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.sum(-0.5 * x * x - 0.5 * math.log(2 * math.pi), axis=1)


class Rotation(Transform):
    """``y = x R^T`` with R a Haar-random orthogonal matrix drawn from ``seed``: an isometry."""

    isometry = True

    def __init__(self, dim: int, seed: int) -> None:
        self.dim_in = self.dim_out = dim
        self.seed = seed
        self.matrix = random_orthogonal(dim, dim, seed)

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return x @ self.matrix.T

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return y @ self.matrix

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.zeros(x.shape[0])

    def push_shift(self, shift: np.ndarray) -> np.ndarray:  # noqa: D102
        return self.matrix @ shift

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "Rotation", "dim": self.dim_in, "seed": self.seed}


class CoordinateAffine(Transform):
    r"""``y = a ⊙ x[perm] + b``: coordinates permuted, then scaled (with signs) and shifted.

    Drawn from ``seed``: a random permutation (within each block of ``blocks``, so a split into
    X and Y is kept), random signs, scales log-uniform in ``[1/scale_range, scale_range]`` (one
    common scale when ``common_scale``) and shifts of a few scales. An affine bijection, so every
    f-divergence and the mutual information are unchanged; with one common scale ``c`` it is a
    similarity and W1 becomes ``c·W1``. :math:`\log|J| = \sum_i \log|a_i|`.
    """

    def __init__(self, dim: int, seed: int, scale_range: float = 100.0,
                 common_scale: bool = False, blocks: tuple[int, ...] | None = None) -> None:
        if dim < 1 or scale_range < 1:
            raise ValueError(f"need dim >= 1 and scale_range >= 1, got {dim}, {scale_range}")
        blocks = (dim,) if blocks is None else tuple(blocks)
        if sum(blocks) != dim or min(blocks) < 1:
            raise ValueError(f"blocks {blocks} do not cover {dim} dimensions")
        self.dim_in = self.dim_out = dim
        self.seed, self.scale_range, self.common_scale, self.blocks = (
            seed, float(scale_range), bool(common_scale), blocks)
        rng = np.random.default_rng(np.random.SeedSequence([seed, dim, 0xAFF1]))
        cuts = np.cumsum((0, *blocks))
        self.perm = np.concatenate([a + rng.permutation(b - a)
                                    for a, b in itertools.pairwise(cuts)])
        log_r = math.log(self.scale_range)
        logs = rng.uniform(-log_r, log_r, 1 if common_scale else dim) * np.ones(dim)
        self.scale = np.exp(logs) * rng.choice([-1.0, 1.0], dim)
        self.offset = np.abs(self.scale) * rng.normal(0.0, 3.0, dim)
        self.isometry = bool(np.all(np.abs(self.scale) == 1.0))

    @property
    def similarity_ratio(self) -> float | None:
        """The factor ``c`` by which all distances are multiplied, when there is one."""
        ratios = np.abs(self.scale)
        return float(ratios[0]) if np.all(ratios == ratios[0]) else None

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return x[:, self.perm] * self.scale + self.offset

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        out = np.empty_like(y, dtype=float)
        out[:, self.perm] = (y - self.offset) / self.scale
        return out

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.full(x.shape[0], float(np.sum(np.log(np.abs(self.scale)))))

    def push_shift(self, shift: np.ndarray) -> np.ndarray:  # noqa: D102
        if not self.isometry:
            return super().push_shift(shift)
        return shift[self.perm] * self.scale

    def image_split(self, split: int) -> int | None:  # noqa: D102
        return split if split in np.cumsum((0, *self.blocks)).tolist() else None

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "CoordinateAffine", "dim": self.dim_in, "seed": self.seed,
                "scale_range": self.scale_range, "common_scale": self.common_scale,
                "blocks": list(self.blocks)}


class Spiral(Transform):
    r"""The spiral :math:`y = \exp(v\|x\|^2 A)\,x` (bmi's), A generating rotations of ``plane``.

    Volume-preserving: :math:`J = R(I + 2v A x x^T)` and :math:`\det(I + 2vAxx^T) = 1 +
    2v\,x^TAx = 1` for skew A, so :math:`\log|J| = 0`; :math:`\|y\| = \|x\|` gives the inverse.
    Not an isometry (it bends straight lines), so W1 is not preserved.
    """

    def __init__(self, dim: int, speed: float = 0.5, plane: tuple[int, int] = (0, 1)) -> None:
        if dim < 2 or not (0 <= plane[0] < dim and 0 <= plane[1] < dim and plane[0] != plane[1]):
            raise ValueError(f"a spiral needs dim >= 2 and a plane of two coordinates, got "
                             f"dim={dim}, plane={plane}")
        self.dim_in = self.dim_out = dim
        self.speed = float(speed)
        self.plane = plane

    def _rotate(self, x: np.ndarray, sign: float) -> np.ndarray:
        theta = sign * self.speed * np.sum(x * x, axis=1)
        i, j = self.plane
        out = x.copy()
        c, s = np.cos(theta), np.sin(theta)
        out[:, i] = c * x[:, i] - s * x[:, j]
        out[:, j] = s * x[:, i] + c * x[:, j]
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return self._rotate(x, 1.0)

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return self._rotate(y, -1.0)  # the angle depends on |x| = |y| only

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.zeros(x.shape[0])

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "Spiral", "dim": self.dim_in, "speed": self.speed,
                "plane": list(self.plane)}


class Embedding(Transform):
    r"""Embed R^d into R^D (D > d): :math:`y = F x + c\,\sin(w^T x)\,u`.

    F is a [D, d] orthonormal frame drawn from ``seed``; with ``curvature`` c = 0 the image is a
    d-flat and the map an isometry (W1 preserved); with c != 0 the image is a curved d-manifold
    (the graph of :math:`\sin(w^T x)` along a unit u orthogonal to the frame, D >= d + 1), and
    only f-divergences are preserved. The data have no density on R^D (``bijective = False``);
    :meth:`inverse` recovers x as :math:`F^T y`.
    """

    bijective = False

    def __init__(self, dim_in: int, dim_out: int, seed: int, curvature: float = 0.0) -> None:
        if dim_out <= dim_in:
            raise ValueError(f"an embedding needs dim_out > dim_in, got {dim_in} -> {dim_out}")
        self.dim_in, self.dim_out = dim_in, dim_out
        self.seed, self.curvature = seed, float(curvature)
        basis = random_orthogonal(dim_out, dim_in + 1, seed)
        self.frame, self.normal = basis[:, :dim_in], basis[:, dim_in]
        w = np.random.default_rng(np.random.SeedSequence([seed, dim_in])).standard_normal(dim_in)
        self.direction = w / np.linalg.norm(w)
        self.isometry = self.curvature == 0.0

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        flat = x @ self.frame.T
        if self.curvature == 0.0:
            return flat
        return flat + self.curvature * np.sin(x @ self.direction)[:, None] * self.normal

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return y @ self.frame  # F^T F = I and F^T u = 0

    def push_shift(self, shift: np.ndarray) -> np.ndarray:  # noqa: D102
        if not self.isometry:
            return super().push_shift(shift)
        return self.frame @ shift

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "Embedding", "dim": self.dim_in, "dim_out": self.dim_out,
                "seed": self.seed, "curvature": self.curvature}


class Blockwise(Transform):
    """Separate maps of consecutive coordinate blocks: (x, y) -> (T_x(x), T_y(y)), ...

    Separate injective maps of X and of Y keep the mutual information I(X; Y).
    """

    def __init__(self, *parts: Transform) -> None:
        if not parts:
            raise ValueError("Blockwise needs at least one map")
        self.parts = parts
        self.dim_in = sum(t.dim_in for t in parts)
        self.dim_out = sum(t.dim_out for t in parts)
        self.bijective = all(t.bijective for t in parts)
        self.isometry = all(t.isometry for t in parts)
        self._cuts_in = np.cumsum([0] + [t.dim_in for t in parts])
        self._cuts_out = np.cumsum([0] + [t.dim_out for t in parts])

    def _apply(self, x: np.ndarray, cuts: np.ndarray, fn: str) -> list[np.ndarray]:
        return [getattr(t, fn)(x[:, a:b]) for t, a, b in zip(self.parts, cuts, cuts[1:],
                                                               strict=False)]

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.concatenate(self._apply(x, self._cuts_in, "forward"), axis=1)

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.concatenate(self._apply(y, self._cuts_out, "inverse"), axis=1)

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.sum(self._apply(x, self._cuts_in, "log_abs_det_jacobian"), axis=0)

    def push_shift(self, shift: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.concatenate([t.push_shift(shift[a:b]) for t, a, b in
                               zip(self.parts, self._cuts_in, self._cuts_in[1:], strict=False)])

    def image_split(self, split: int) -> int | None:  # noqa: D102
        cuts = self._cuts_in.tolist()
        if split in cuts:
            return int(self._cuts_out[cuts.index(split)])
        return split if all(t.elementwise for t in self.parts) else None

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "Blockwise", "parts": [t.describe() for t in self.parts]}
