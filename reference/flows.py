r"""A fixed random invertible flow of affine coupling layers (frozen weights drawn from a seed).

Each layer permutes the coordinates (a fixed random permutation), splits them into
:math:`a = x_{1..k}` and :math:`b = x_{k+1..d}` (:math:`k = \lfloor d/2 \rfloor`) and maps
:math:`b \mapsto b \odot e^{s(a)} + t(a)` with :math:`h = \tanh(a W_1 + c_1)`,
:math:`s = \sigma_{\max}\tanh(h W_2 + c_2)`, :math:`t = h W_3 + c_3` (RealNVP; Dinh, Sohl-Dickstein
& Bengio 2017), then applies the sinh-arcsinh map :math:`z \mapsto \sinh(\alpha\,
\operatorname{asinh}(z) + \beta)` per coordinate (Jones & Pewsey 2009), which keeps the flow
non-linear in one dimension too (k = 0: s and t are constants). Every step is invertible in
closed form, so the flow is a bijection of R^d with

.. math:: \log|\det J| = \sum_{\text{layers}} \Big[\sum s(a) + \sum_i \big(\log\alpha_i +
   \log\cosh(\alpha_i\operatorname{asinh} z_i + \beta_i) - \tfrac12\log(1 + z_i^2)\big)\Big].

Its only use here is the invariance argument (every f-divergence is unchanged under it): its
weights are not trained, just drawn, with scales that keep it well-conditioned
(:math:`\sigma_{\max} = 0.5`, :math:`\alpha \in [0.75, 1.33]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from divergence_verify.reference.transforms import Transform

__all__ = ["CouplingFlow"]

_SCALE_BOUND = 0.5


@dataclass(frozen=True)
class _Layer:
    perm: np.ndarray
    w1: np.ndarray
    c1: np.ndarray
    w2: np.ndarray
    c2: np.ndarray
    w3: np.ndarray
    c3: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray

    def conditioner(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.tanh(a @ self.w1 + self.c1)
        return _SCALE_BOUND * np.tanh(h @ self.w2 + self.c2), h @ self.w3 + self.c3


class CouplingFlow(Transform):
    """A bijection of R^dim: ``layers`` affine coupling + sinh-arcsinh layers drawn from ``seed``.

    Parameters
    ----------
    dim : int
        Dimension (any, from 1).
    seed : int
        Seed of the frozen weights.
    layers : int
        Number of coupling layers.
    hidden : int
        Width of each conditioner's hidden layer.
    """

    def __init__(self, dim: int, seed: int, layers: int = 4, hidden: int = 16) -> None:
        if dim < 1 or layers < 1 or hidden < 1:
            raise ValueError(f"need dim, layers, hidden >= 1, got {dim}, {layers}, {hidden}")
        self.dim_in = self.dim_out = dim
        self.seed, self.layers, self.hidden = seed, layers, hidden
        rng = np.random.default_rng(np.random.SeedSequence([seed, dim, layers, hidden]))
        k = dim // 2
        self._k = k
        self._layers = tuple(
            _Layer(
                perm=rng.permutation(dim),
                w1=rng.standard_normal((k, hidden)) / np.sqrt(max(k, 1)),
                c1=0.5 * rng.standard_normal(hidden),
                w2=0.5 * rng.standard_normal((hidden, dim - k)) / np.sqrt(hidden),
                c2=0.5 * rng.standard_normal(dim - k),
                w3=rng.standard_normal((hidden, dim - k)) / np.sqrt(hidden),
                c3=0.5 * rng.standard_normal(dim - k),
                alpha=np.exp(rng.uniform(np.log(0.75), np.log(1.33), dim)),
                beta=rng.uniform(-0.3, 0.3, dim),
            )
            for _ in range(layers)
        )

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.asarray(x, dtype=np.float64)
        log_det = np.zeros(z.shape[0])
        for layer in self._layers:
            z = z[:, layer.perm]
            a, b = z[:, : self._k], z[:, self._k:]
            s, t = layer.conditioner(a)
            z = np.concatenate([a, b * np.exp(s) + t], axis=1)
            log_det += np.sum(s, axis=1)
            u = layer.alpha * np.arcsinh(z) + layer.beta
            log_det += np.sum(np.log(layer.alpha) + np.logaddexp(u, -u) - np.log(2.0)
                              - 0.5 * np.log1p(z * z), axis=1)
            z = np.sinh(u)
        return z, log_det

    def forward(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return self._forward(x)[0]

    def log_abs_det_jacobian(self, x: np.ndarray) -> np.ndarray:  # noqa: D102
        return self._forward(x)[1]

    def inverse(self, y: np.ndarray) -> np.ndarray:  # noqa: D102
        z = np.asarray(y, dtype=np.float64)
        for layer in reversed(self._layers):
            z = np.sinh((np.arcsinh(z) - layer.beta) / layer.alpha)
            a, b = z[:, : self._k], z[:, self._k:]
            s, t = layer.conditioner(a)
            z = np.concatenate([a, (b - t) * np.exp(-s)], axis=1)
            z = z[:, np.argsort(layer.perm)]
        return z

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"type": "CouplingFlow", "dim": self.dim_in, "seed": self.seed,
                "layers": self.layers, "hidden": self.hidden}
