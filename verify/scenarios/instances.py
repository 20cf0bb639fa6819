"""Fresh instances of any scenario: the pair pushed through a random map that keeps its truth.

A certificate must not be passable by recognising a scenario: with fixed laws and public
seeds, an estimator could match the sample moments of a named scenario and return its exact
value. :func:`fresh_instance` draws, from a seed, an affine map of the coordinates
(:class:`~divergence_verify.reference.transforms.CoordinateAffine`: a permutation, signs,
scales log-uniform over four decades and shifts of a few scales) and applies it to both laws.
Every f-divergence and the mutual information are invariant under one injective map of both
sides, so the instance's truth is the scenario's exactly. For W1 the map is an isometry
(permutation, signs and shifts, no scaling): W1 is kept, and so is the meaning of the absolute
tolerance ``atol``, which is in the data's units (a scale c would multiply W1 by c while
``atol`` stayed put, so a small c would make the certificate blind and a large one stricter
than the named scenario's). Discrete scenarios (category labels) are returned as they
are: relabelling categories leaves nothing for an oracle to miss.

What this cannot hide: an estimator that first standardises each coordinate and then matches
moments still recognises the scenario. The families of
:mod:`~divergence_verify.verify.scenarios.families` draw instances whose truths themselves vary.
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

from divergence_verify.reference import MI, W1, ExactValue
from divergence_verify.reference.composite import Transformed
from divergence_verify.reference.transforms import CoordinateAffine
from divergence_verify.verify.scenarios.core import Scenario

__all__ = ["SCALE_RANGE", "fresh_instance", "instance_map"]

SCALE_RANGE = 100.0
"""Scales of a fresh instance are log-uniform in [1/SCALE_RANGE, SCALE_RANGE]."""


def instance_map(scenario: Scenario, divergence: str, seed: int) -> CoordinateAffine:
    """The map :func:`fresh_instance` applies to ``scenario`` for ``divergence`` and ``seed``.

    The scenario's name is mixed into the seed (``SeedSequence([seed, crc32(name)])``), so the
    scenarios of one certificate, drawn from one seed base, get unrelated maps.
    """
    mixed = int(np.random.SeedSequence([seed, zlib.crc32(scenario.name.encode())])
                .generate_state(1)[0])
    blocks = None if scenario.split is None else (scenario.split, scenario.dim - scenario.split)
    if divergence == W1:  # an isometry: scale range 1 (see the module docstring)
        return CoordinateAffine(scenario.dim, mixed, 1.0, common_scale=True, blocks=blocks)
    return CoordinateAffine(scenario.dim, mixed, SCALE_RANGE, blocks=blocks)


def fresh_instance(scenario: Scenario, divergence: str, seed: int) -> Scenario:
    """Return ``scenario`` pushed through :func:`instance_map` (the name and truth kept).

    Parameters
    ----------
    scenario : Scenario
        The scenario (a named one, a family instance, a user's).
    divergence : str
        What will be certified on it: its truth is carried over. An MI
        scenario keeps both ``"mi"`` and ``"kl"`` (KL estimators are certified on it too).
    seed : int
        Draws the map; the same seed gives the same instance.

    Returns
    -------
    Scenario
        With the given truths only (see :attr:`Scenario.truths`), tagged ``"fresh-instance"``.
    """
    if scenario.discrete:
        return scenario
    t = instance_map(scenario, divergence, seed)
    names = (MI, "kl") if scenario.split is not None and divergence in (MI, "kl") else (divergence,)
    if divergence == W1 and t.similarity_ratio != 1.0:
        raise AssertionError("a W1 instance must be an isometry")  # instance_map's contract
    truths: dict[str, ExactValue] = {name: scenario.truth(name) for name in names}
    moved = "signs and shifts" if divergence == W1 else "signs, scales and shifts"
    return dataclasses.replace(
        scenario, p=Transformed(scenario.p, t), q=Transformed(scenario.q, t), shift=None,
        truths=truths, description=f"{scenario.description}; fresh instance {seed} (random "
                                   f"permutation, {moved} of the coordinates)",
        tags=tuple(dict.fromkeys((*scenario.tags, "fresh-instance"))), _cache={})

