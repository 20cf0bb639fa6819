"""Scenarios of your own: laws known only through your samplers, with truths you supply.

The building blocks (:mod:`.blocks`) derive every truth from the reference layer. When a pair
of laws is outside it (a simulator, a data generator of your field) but you know its divergence
(a closed form of your own, a published value), :func:`user_scenario` makes a scenario of it:

.. code-block:: python

    import numpy as np
    from divergence_verify.verify.scenarios import user_scenario

    def sample_p(n, rng):
        return rng.laplace(0.0, 1.0, size=(n, 1))

    def sample_q(n, rng):
        return rng.laplace(0.0, 2.0, size=(n, 1))

    # KL(Laplace(0, 1) || Laplace(0, 2)) = log 2 - 1/2 (nats)
    laplace = user_scenario("laplace-scale", sample_p, sample_q, dim=1,
                            truths={"kl": np.log(2) - 0.5}, source="closed form, by hand")

A sampler is called as ``sampler(n, rng)`` with a :class:`numpy.random.Generator` and returns
``n`` points, shape ``[n, dim]``; P and Q get independent generators spawned from the run's
(seed, n), as for every scenario. Its points are checked (shape, finite values). A truth is a
number or ``(value, error bound)``; its method reads ``user-supplied (<source>)``, which reports
and certificates show, so a reader can tell your truths from the suite's.

The cache keys a user scenario by its samplers' code fingerprints
(:func:`~divergence_verify.verify.fingerprint.code_identity`) and its truths: an edited sampler
is a new scenario. A sampler whose source cannot be read (defined in a REPL) makes the scenario
uncacheable (:attr:`Scenario.cacheable`); its runs are then computed each time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from divergence_verify.reference import Distribution, ExactValue
from divergence_verify.verify.fingerprint import code_identity
from divergence_verify.verify.scenarios.core import MI, Scenario

__all__ = ["USER_SUPPLIED", "Sampled", "user_scenario"]

USER_SUPPLIED = "user-supplied"
"""How the method of a truth given to :func:`user_scenario` begins."""

Sampler = Callable[[int, np.random.Generator], Any]


@dataclass(frozen=True, eq=False)
class Sampled(Distribution):
    """A law known only through a sampler ``sampler(n, rng) -> [n, dim]`` (no density).

    Attributes
    ----------
    sampler : callable
        ``(n, rng) -> array [n, dim]``.
    dim : int
        Dimension of the points.
    label : str
        Names the law in error messages.
    """

    sampler: Sampler
    dim: int
    label: str = "sampler"

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Return ``n`` points from the sampler, checked: shape [n, dim], finite float64."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        points = np.asarray(self.sampler(n, rng), dtype=np.float64)
        if points.ndim == 1 and self.dim == 1:
            points = points[:, None]
        if points.shape != (n, self.dim):
            raise ValueError(f"{self.label} returned shape {points.shape} for n = {n}; "
                             f"expected ({n}, {self.dim})")
        if not np.isfinite(points).all():
            raise ValueError(f"{self.label} returned non-finite points (NaN or inf)")
        return points

    def describe(self) -> dict[str, Any]:
        """The sampler's code fingerprint (its source, settings and closure), for cache keys."""
        return {"type": "Sampled", "dim": self.dim, "label": self.label,
                "code": code_identity(self.sampler)}


def _truth(name: str, given: float | tuple[float, float], source: str) -> ExactValue:
    value, error = (given, 0.0) if not isinstance(given, (tuple, list)) else given
    try:
        value, error = float(value), float(error)
    except (TypeError, ValueError):
        raise TypeError(f"truth {name!r} must be a number or (value, error), got {given!r}") \
            from None
    if math.isnan(value) or not (math.isfinite(error) and error >= 0):
        raise ValueError(f"truth {name!r}: value must not be NaN and the error bound must be "
                         f"finite and >= 0, got ({value}, {error})")
    return ExactValue(value, error, f"{USER_SUPPLIED} ({source})")


def user_scenario(
    name: str,
    sample_p: Sampler,
    sample_q: Sampler,
    truths: Mapping[str, float | tuple[float, float]],
    *,
    dim: int,
    description: str | None = None,
    source: str = "no source given",
    tags: Sequence[str] = (),
    split: int | None = None,
) -> Scenario:
    """Return a scenario of your samplers and your truths (see the module docstring).

    Parameters
    ----------
    name : str
        The scenario's name (register it with :func:`register_scenario` to use it by name).
    sample_p, sample_q : callable
        ``(n, rng) -> array [n, dim]``: the samplers of P and Q.
    truths : mapping
        Divergence name (``"kl"``, ``"js"``, ..., ``"w1"``, ``"mi"``) to its value, or to
        ``(value, error bound)``.
    dim : int
        Dimension of the points.
    description : str, optional
        One line for listings and reports.
    source : str
        Where the truths come from (shown with every truth).
    tags : sequence of str
        Free labels; ``"user-truth"`` is added.
    split : int, optional
        For a mutual-information pair: X is the first ``split`` coordinates, and P the joint
        law, Q the product of its marginals; a truth ``"mi"`` is then also the KL.

    Raises
    ------
    ValueError, TypeError
        For an empty or malformed truth, a bad dimension or split.
    """
    from divergence_verify.reference import quantity_names

    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    if split is not None and not 0 < split < dim:
        raise ValueError(f"split must be between 1 and dim - 1 = {dim - 1}, got {split}")
    known = set(quantity_names())
    if not truths:
        raise ValueError("give at least one truth, e.g. truths={'kl': 0.5}")
    unknown = sorted(set(truths) - known)
    if unknown:
        raise ValueError(f"unknown divergence {unknown[0]!r} in truths; expected one of: "
                         f"{', '.join(sorted(known))}")
    exact = {k: _truth(k, v, source) for k, v in truths.items()}
    if split is not None and MI in exact:
        exact.setdefault("kl", exact[MI])
    return Scenario(name, description or f"{name}: your samplers, truths {USER_SUPPLIED}",
                    Sampled(sample_p, dim, f"sampler of P of {name!r}"),
                    Sampled(sample_q, dim, f"sampler of Q of {name!r}"),
                    tags=(*tags, "user-truth"), split=split, truths=exact)
