r"""Building blocks: scenarios made from others, each with its exact truths and seeded sampling.

* :func:`transformed` pushes both laws through one injective map T: every f-divergence (and
  the mutual information, when T is separate on X and Y) is the base pair's; W1 is the base
  pair's only when T is an isometry (a rotation, an embedding by an orthonormal frame), and a
  known translation s becomes T's image of s.
* :func:`product` pairs independent scenarios: KL, reverse KL and Jeffreys add,
  1 - H²/2 and 1 + chi2 multiply (:mod:`reference.composite`); W1 = |(s_1, ..., s_k)| when every
  part is a translation by s_i.
* :func:`translated` is any law against itself moved by s: W1 = |s| in any dimension.
* :func:`gaussian_pair` is two Gaussians with arbitrary covariances (closed forms for KL,
  reverse KL, Jeffreys, squared Hellinger and chi2; all f-divergences for equal covariances,
  which are a translation, so W1 = |mu_p - mu_q| too).
* :func:`mutual_information` is a joint law of (X, Y) against the product of its marginals,
  with the truth ``"mi"`` (= KL of the pair).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from divergence_verify.reference import Distribution, Gaussian
from divergence_verify.reference.composite import Product, Transformed, Translated
from divergence_verify.reference.mutual_information import (
    ProductOfMarginals,
    product_of_marginals,
)
from divergence_verify.reference.transforms import Transform
from divergence_verify.verify.scenarios.core import Scenario

__all__ = [
    "gaussian_pair",
    "mutual_information",
    "product",
    "transformed",
    "translated",
]

Base = Scenario | tuple[Distribution, Distribution]


def _as_scenario(base: Base) -> Scenario:
    if isinstance(base, Scenario):
        return base
    p, q = base
    return Scenario(f"{type(p).__name__}-vs-{type(q).__name__}", "a pair of laws", p, q)


def transformed(
    base: Base, transform: Transform, *, name: str | None = None,
    description: str | None = None, tags: Sequence[str] = (),
) -> Scenario:
    """Return the pair (T#P, T#Q) of a base scenario (or pair of laws) under one injective map.

    Parameters
    ----------
    base : Scenario or (Distribution, Distribution)
        The pair before the map.
    transform : reference.transforms.Transform
        The map T, applied to both sides.
    name, description : str, optional
        Default: the base's, with the map's name appended.
    tags : sequence of str
        Added to the base's tags.
    """
    scen = _as_scenario(base)
    if transform.dim_in != scen.dim:
        raise ValueError(f"the map takes {transform.dim_in} dimensions, scenario "
                         f"{scen.name!r} has {scen.dim}")
    label = type(transform).__name__
    shift = None
    if scen.shift is not None and transform.isometry:
        shift = transform.push_shift(scen.shift)
    split = None if scen.split is None else transform.image_split(scen.split)
    return Scenario(
        name or f"{scen.name}-{label.lower()}",
        description or f"{scen.description}, pushed through {label} "
                       f"({transform.dim_in}->{transform.dim_out} dims)",
        Transformed(scen.p, transform), Transformed(scen.q, transform), shift=shift,
        tags=tuple(dict.fromkeys((*scen.tags, *tags, "transformed"))), split=split,
    )


def product(
    *parts: Base, name: str | None = None, description: str | None = None,
    tags: Sequence[str] = (),
) -> Scenario:
    """Return the independent product of pairs: P = P_1 x ... x P_k against Q = Q_1 x ... x Q_k."""
    if len(parts) < 2:
        raise ValueError("a product needs at least two pairs")
    scens = [_as_scenario(b) for b in parts]
    shifts = [s.shift for s in scens]
    shift = None if any(s is None for s in shifts) else np.concatenate(shifts)
    dims = "+".join(str(s.dim) for s in scens)
    return Scenario(
        name or "-and-".join(s.name for s in scens),
        description or f"independent product of {len(scens)} pairs ({dims} dims)",
        Product(tuple(s.p for s in scens)), Product(tuple(s.q for s in scens)), shift=shift,
        tags=tuple(dict.fromkeys((*tags, "product"))),
    )


def translated(
    dist: Distribution, shift: Any, *, name: str | None = None, description: str | None = None,
    tags: Sequence[str] = (),
) -> Scenario:
    """Return (law moved by ``shift``, law): W1 = |shift| exactly, for any law in any dimension.

    A Gaussian stays a Gaussian (so its f-divergences are known too); another law becomes a
    :class:`~reference.composite.Translated` one (only W1 known).
    """
    moved = Translated(dist, shift)
    p = Gaussian(dist.mean + moved.shift, dist.cov) if isinstance(dist, Gaussian) else moved
    return Scenario(name or f"translated-{type(dist).__name__}-{dist.dim}d",
                    description or f"{type(dist).__name__} in {dist.dim} dims translated by "
                                   f"|s| = {np.linalg.norm(moved.shift):.4g}",
                    p, dist, shift=moved.shift, tags=tuple(dict.fromkeys((*tags, "w1"))))


def gaussian_pair(
    mean_p: Any, cov_p: Any, mean_q: Any, cov_q: Any, *, name: str | None = None,
    description: str | None = None, tags: Sequence[str] = (),
) -> Scenario:
    """Return N(mean_p, cov_p) against N(mean_q, cov_q) (any dimension; closed forms)."""
    p, q = Gaussian(mean_p, cov_p), Gaussian(mean_q, cov_q)
    if p.dim != q.dim:
        raise ValueError(f"P and Q must have the same dimension, got {p.dim} and {q.dim}")
    # Equal covariances: P is Q translated by the difference of the means, so W1 is its length.
    shift = p.mean - q.mean if np.array_equal(p.cov, q.cov) else None
    return Scenario(name or f"gaussian{p.dim}d", description or f"{p.dim}-D Gaussian pair",
                    p, q, shift=shift, tags=tuple(dict.fromkeys((*tags, "gaussian"))))


def mutual_information(
    joint: Distribution, split: int, marginals: tuple[Distribution, Distribution] | None = None,
    *, name: str | None = None, description: str | None = None, tags: Sequence[str] = (),
) -> Scenario:
    """Return (P_XY, P_X x P_Y) for a joint law of (X, Y), X its first ``split`` coordinates.

    The truth ``"mi"`` is I(X; Y) = KL(P_XY || P_X x P_Y); samples of Q take X and Y from
    independent joint draws. ``marginals`` (the laws of X and of Y) give Q its log-density;
    they are derived for Gaussian and Student-t joint laws.
    """
    q = (product_of_marginals(joint, split) if marginals is None
         else ProductOfMarginals(joint, split, *marginals))
    dx, dy = q.split, joint.dim - q.split
    return Scenario(name or f"mi-{type(joint).__name__}-{dx}+{dy}",
                    description or f"I(X; Y) of a {type(joint).__name__} law, {dx}+{dy} dims",
                    joint, q, tags=tuple(dict.fromkeys((*tags, "mi"))), split=q.split)
