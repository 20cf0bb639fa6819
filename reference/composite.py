r"""Laws built from others: a transformed law, an independent product and a translation.

Their exact divergences are registered with :func:`reference.exact.register_divergence`:

* **Invariance.** For one injective measurable map T applied to both laws, every f-divergence is
  unchanged: :math:`D_f(T_\#P\|T_\#Q) = D_f(P\|Q)` (the density ratio of the images is that of
  the originals composed with :math:`T^{-1}`; Liese & Vajda 2006, Theorem 14, with equality for
  injective T). So a :class:`Transformed` pair with the same map inherits the base pair's value
  and error bound. (W1 is invariant only when T is an isometry; that rule lives with the
  scenarios, which know the translation.)
* **Products.** For independent products :math:`P = \otimes_i P_i`, :math:`Q = \otimes_i Q_i`:
  KL, reverse KL and Jeffreys add; the Bhattacharyya coefficient :math:`1 - H^2/2` multiplies;
  :math:`1 + \chi^2 = \int p^2/q` multiplies. JS, TV and the GAN divergence have no such rule,
  so a product offers no exact value for them. Error bounds propagate: sums add their errors;
  for a product of non-negative factors :math:`b_i` with errors :math:`e_i`, the error is at
  most :math:`\prod(b_i + e_i) - \prod b_i`.
* A :class:`Translated` law has no registered rule: its W1 to the original is the length of
  the translation, which the scenarios use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify.reference.dispatch import exact_divergence
from divergence_verify.reference.distributions import Distribution
from divergence_verify.reference.exact import ExactValue, register_divergence
from divergence_verify.reference.transforms import Transform

__all__ = ["Product", "Transformed", "Translated", "same_transform"]


@dataclass(frozen=True)
class Transformed(Distribution):
    r"""The law of T(X) for X ~ ``base``: the push-forward :math:`T_\#P`.

    ``log_prob`` is the change of variables :math:`\log p(T^{-1}y) - \log|\det J_T(T^{-1}y)|`
    (``-inf`` outside the image); an embedding into more dimensions has no density and raises.
    """

    base: Distribution
    transform: Transform

    def __post_init__(self) -> None:
        if self.transform.dim_in != self.base.dim:
            raise ValueError(f"the map takes {self.transform.dim_in} dimensions, the law has "
                             f"{self.base.dim}")

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension of the image."""
        return self.transform.dim_out

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return T applied to ``n`` draws of the base law."""
        return self.transform.forward(self.base.sample(n, seed))

    def log_prob(self, x: Any) -> np.ndarray:
        """Return the log-density of T(X) at ``x`` by the change of variables."""
        if not self.transform.bijective:
            raise NotImplementedError(
                f"{type(self.transform).__name__} maps {self.transform.dim_in} dimensions into "
                f"{self.transform.dim_out}: the law lives on a manifold and has no density there")
        y = self._points(x)
        # Far in the tails the preimage overflows (sinh of a large y): the density there is 0.
        with np.errstate(over="ignore", invalid="ignore"):
            pre = self.transform.inverse(y)
            bad = ~np.all(np.isfinite(pre), axis=1)
            pre = np.where(bad[:, None], 0.0, pre)
            base = self.base.log_prob(pre)
            out = base - self.transform.log_abs_det_jacobian(pre)
        return np.where(bad | (base == -np.inf), -np.inf, out)

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable recipe: the base law's parameters and the map's."""
        return {"type": "Transformed", "base": describe_distribution(self.base),
                "transform": self.transform.describe()}


@dataclass(frozen=True)
class Product(Distribution):
    """The independent product of ``factors``: coordinates are the factors' blocks in order."""

    factors: tuple[Distribution, ...]
    _cuts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        factors = tuple(self.factors)
        if not factors or not all(isinstance(f, Distribution) for f in factors):
            raise ValueError("Product needs one or more reference Distributions")
        object.__setattr__(self, "factors", factors)
        object.__setattr__(self, "_cuts", np.cumsum([0] + [f.dim for f in factors]))

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Sum of the factors' dimensions."""
        return int(self._cuts[-1])

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw every factor from one generator, in order, and concatenate the blocks."""
        rng = np.random.default_rng(seed)
        return np.concatenate([f.sample(n, rng) for f in self.factors], axis=1)

    def log_prob(self, x: Any) -> np.ndarray:
        """Return the sum of the factors' log-densities on their blocks."""
        pts = self._points(x)
        return np.sum([f.log_prob(pts[:, a:b]) for f, a, b in
                       zip(self.factors, self._cuts, self._cuts[1:], strict=False)], axis=0)

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description: the factors'."""
        return {"type": "Product", "factors": [describe_distribution(f) for f in self.factors]}


@dataclass(frozen=True)
class Translated(Distribution):
    """The law of X + ``shift`` for X ~ ``base``."""

    base: Distribution
    shift: np.ndarray

    def __post_init__(self) -> None:
        shift = np.asarray(self.shift, dtype=np.float64).reshape(-1)
        if shift.size != self.base.dim or not np.all(np.isfinite(shift)):
            raise ValueError(f"shift must be {self.base.dim} finite numbers, got {shift}")
        object.__setattr__(self, "shift", shift)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Dimension of the base law."""
        return self.base.dim

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return base draws moved by ``shift``."""
        return self.base.sample(n, seed) + self.shift

    def log_prob(self, x: Any) -> np.ndarray:
        """Return ``base.log_prob(x - shift)``."""
        return self.base.log_prob(self._points(x) - self.shift)

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description: the base law and the shift."""
        return {"type": "Translated", "base": describe_distribution(self.base),
                "shift": self.shift.tolist()}


def describe_distribution(dist: Distribution) -> dict[str, Any]:
    """Return a JSON-serialisable description of any reference distribution."""
    own = getattr(dist, "describe", None)
    if callable(own):
        return own()
    out: dict[str, Any] = {"type": type(dist).__name__}
    for key in ("probs", "mean", "cov", "weights", "means", "covs", "scale", "dof"):
        if hasattr(dist, key):
            out[key] = np.asarray(getattr(dist, key)).tolist()
    return out


def same_transform(a: Transform, b: Transform) -> bool:
    """Whether two maps are the same one: the same object, or the same recipe.

    A recipe counts only where the class describes its own parameters (overrides
    :meth:`Transform.describe`); otherwise two objects of one class may differ unseen.
    """
    if a is b:
        return True
    described = type(a).describe is not Transform.describe
    return type(a) is type(b) and described and a.describe() == b.describe()


@register_divergence("*", Transformed, Transformed)
def _invariance(name: str, p: Transformed, q: Transformed) -> ExactValue | None:
    if not same_transform(p.transform, q.transform):
        return None
    base = exact_divergence(name, p.base, q.base)
    label = type(p.transform).__name__
    return ExactValue(base.value, base.error, f"{base.method}, invariant under {label}")


def _factor_values(name: str, p: Product, q: Product) -> list[ExactValue] | None:
    if [f.dim for f in p.factors] != [f.dim for f in q.factors]:
        return None
    # A factor pair repeated (the same objects) is computed once: quadrature is the cost here.
    seen: dict[tuple[int, int], ExactValue] = {}
    for a, b in zip(p.factors, q.factors, strict=True):
        if (id(a), id(b)) not in seen:
            seen[id(a), id(b)] = exact_divergence(name, a, b)
    return [seen[id(a), id(b)] for a, b in zip(p.factors, q.factors, strict=True)]


@register_divergence(("kl", "reverse_kl", "jeffreys"), Product, Product)
def _additive(name: str, p: Product, q: Product) -> ExactValue | None:
    parts = _factor_values(name, p, q)
    if parts is None:
        return None
    value = math.fsum(v.value for v in parts)
    error = math.fsum(v.error for v in parts) + len(parts) * math.ulp(abs(value) + 1.0)
    return ExactValue(value, error, "sum over independent factors")


def _multiplied(factors: list[tuple[float, float]]) -> tuple[float, float]:
    """Return log of prod b_i and the bound prod(b_i + e_i) - prod(b_i), for b_i >= 0."""
    log_b = math.fsum(math.log(b) if b > 0 else -math.inf for b, _ in factors)
    upper = math.fsum(math.log(b + e) if b + e > 0 else -math.inf for b, e in factors)
    try:
        if log_b == -math.inf:
            return log_b, math.exp(upper)
        return log_b, math.exp(log_b) * math.expm1(upper - log_b)
    except OverflowError:  # a product beyond float64 (chi2 = inf): no finite bound either
        return log_b, math.inf


@register_divergence(("hellinger", "chi2"), Product, Product)
def _multiplicative(name: str, p: Product, q: Product) -> ExactValue | None:
    parts = _factor_values(name, p, q)
    if parts is None:
        return None
    if name == "chi2":
        if any(math.isinf(v.value) for v in parts):
            return ExactValue(math.inf, 0.0, "product over independent factors")
        log_b, bound = _multiplied([(1.0 + v.value, v.error) for v in parts])
        value = math.expm1(log_b) if log_b < 709.78 else math.inf
        return ExactValue(value, bound + len(parts) * math.ulp(abs(value) + 1.0),
                          "1 + chi2 multiplies over independent factors")
    # Bhattacharyya coefficient BC = 1 - H²/2 multiplies; its error is half that of H².
    log_b, bound = _multiplied([(1.0 - 0.5 * v.value, 0.5 * v.error) for v in parts])
    value = -2.0 * math.expm1(log_b)
    return ExactValue(value, 2.0 * bound + len(parts) * math.ulp(abs(value) + 1.0),
                      "1 - H²/2 multiplies over independent factors")
