"""Scenarios: distribution pairs (P, Q) whose exact divergences are known through ``reference``.

A :class:`Scenario` samples both sides with a seed (on a requested torch device when asked) and
answers :meth:`Scenario.truth` with the exact value of a divergence from :mod:`reference`: closed
forms, the discrete formula, quadrature, invariance and product rules, or the W1
translation/isometry identities. Never Monte Carlo: a divergence with no exact method for the
pair is simply not offered by the scenario. A scenario with a ``split`` is a mutual-information
scenario: P is the joint law of (X, Y) (X its first ``split`` coordinates), Q the product of
its marginals, and the truth ``"mi"`` is KL(P||Q).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify import reference
from divergence_verify.reference import MI, W1, Categorical, Distribution, ExactValue
from divergence_verify.reference.composite import Transformed, describe_distribution, same_transform

__all__ = [
    "MI",
    "SAMPLING_VERSION",
    "SCENARIOS",
    "Scenario",
    "get_scenario",
    "register_scenario",
]

SAMPLING_VERSION = 2
"""Version of the sampling scheme, part of every cache key: bump it whenever a seed's samples
change (version 2 seeds each sample size separately), so stale cached runs are not reused."""


@dataclass(frozen=True)
class Scenario:
    """A pair of distributions with known divergences.

    Attributes
    ----------
    name : str
        Registry key.
    description : str
        One line for listings and reports.
    p, q : reference.Distribution
        The two laws; estimators get samples of P as ``x_p`` and of Q as ``x_q``.
    shift : numpy.ndarray or None
        When Q is P translated by ``-shift`` (so P is Q moved by ``shift``), W1 = |shift| exactly.
    tags : tuple of str
        Free labels (``"discrete"``, ``"ladder"``, ``"mi"``, ...).
    split : int or None
        For a mutual-information scenario: X is the first ``split`` coordinates of a sample,
        Y the rest; P is the joint law and Q the product of its marginals.
    truths : mapping, optional
        Truths given with the scenario rather than derived (a user's own,
        :func:`~divergence_verify.verify.scenarios.user.user_scenario`): then the only ones.
    """

    name: str
    description: str
    p: Distribution
    q: Distribution
    shift: np.ndarray | None = None
    tags: tuple[str, ...] = ()
    split: int | None = None
    truths: Mapping[str, ExactValue] | None = None
    _cache: dict[str, ExactValue] = field(default_factory=dict, repr=False, compare=False)

    @property
    def dim(self) -> int:
        """Dimension of the samples."""
        return self.p.dim

    @property
    def discrete(self) -> bool:
        """Whether samples are category labels."""
        return isinstance(self.p, Categorical)

    def truth(self, divergence: str) -> ExactValue:
        """Return the exact value of ``divergence`` (a table name, ``"w1"`` or ``"mi"``).

        Raises
        ------
        NotImplementedError
            If no exact method covers this divergence for this pair.
        """
        if divergence not in self._cache:
            self._cache[divergence] = self._truth(divergence)
        return self._cache[divergence]

    @property
    def cacheable(self) -> bool:
        """Whether runs on this scenario may be cached: its laws are described completely.

        False only for a law known through a sampler whose source cannot be read.
        """
        return all(describe_distribution(d).get("code", True) is not None
                   for d in (self.p, self.q))

    def _truth(self, divergence: str) -> ExactValue:
        if self.truths is not None:
            if divergence not in self.truths:
                raise NotImplementedError(
                    f"scenario {self.name!r} was given truths for "
                    f"{', '.join(sorted(self.truths))} only, not {divergence!r}")
            return self.truths[divergence]
        if divergence == W1:
            if self.shift is not None:
                return ExactValue(float(np.linalg.norm(self.shift)), 0.0, "translation |shift|")
            return _w1(self.p, self.q, self.name)
        if divergence == MI:
            if self.split is None:
                raise NotImplementedError(f"scenario {self.name!r} is not a mutual-information "
                                          "scenario (no split of its coordinates into X and Y)")
            kl = self.truth("kl")
            return ExactValue(kl.value, kl.error, f"MI = KL(P_XY || P_X x P_Y): {kl.method}")
        return reference.exact_divergence(divergence, self.p, self.q)

    def supports(self, divergence: str) -> bool:
        """Whether an exact value of ``divergence`` exists and is finite for this scenario."""
        try:
            return math.isfinite(self.truth(divergence).value)
        except NotImplementedError:
            return False

    def sample(
        self, n: int, seed: int, device: str | None = None, members: int | None = None
    ) -> tuple[Any, Any]:
        """Draw ``n`` points from P and ``n`` from Q.

        Parameters
        ----------
        n : int
            Sample size per side.
        seed : int
            Seed; P and Q use independent streams spawned from ``(seed, n)``, so different sample
            sizes get independent samples (not nested prefixes of one stream), as the
            statistics across sizes assume.
        device : str, optional
            A torch device: return float32 tensors there. Default: float64 numpy arrays.
        members : int, optional
            Draw ``members`` independent pairs for seeds ``seed, seed+1, ...`` stacked as
            [members, n, d] (for ``estimate_many``).
        """
        seeds = [seed] if members is None else [seed + e for e in range(members)]
        xs_p, xs_q = [], []
        for s in seeds:
            rng_p, rng_q = np.random.default_rng(np.random.SeedSequence([s, n])).spawn(2)
            xs_p.append(self.p.sample(n, rng_p))
            xs_q.append(self.q.sample(n, rng_q))
        x_p, x_q = (xs_p[0], xs_q[0]) if members is None else (np.stack(xs_p), np.stack(xs_q))
        if device is None:
            return x_p, x_q
        import torch

        return (
            torch.as_tensor(x_p, dtype=torch.float32, device=device),
            torch.as_tensor(x_q, dtype=torch.float32, device=device),
        )

    def sample_joint(self, n: int, seed: int, device: str | None = None) -> tuple[Any, Any]:
        """Draw ``n`` points (x, y) from the joint law of a mutual-information scenario.

        The joint sample is the one :meth:`sample` gives as its first part (the same stream of
        ``(seed, n)``), split into its first ``split`` coordinates (X) and the rest (Y): an MI
        estimator ``(x, y) -> float`` and a KL estimator on (joint, product of marginals) see the
        same draws.

        Raises
        ------
        ValueError
            If the scenario has no ``split`` (it is not a mutual-information scenario).
        """
        if self.split is None:
            raise ValueError(f"scenario {self.name!r} is not a mutual-information scenario (no "
                             "split of its coordinates into X and Y)")
        rng_p, _ = np.random.default_rng(np.random.SeedSequence([seed, n])).spawn(2)
        joint = self.p.sample(n, rng_p)
        x, y = joint[:, :self.split], joint[:, self.split:]
        if device is None:
            return x, y
        import torch

        return (torch.as_tensor(x, dtype=torch.float32, device=device),
                torch.as_tensor(y, dtype=torch.float32, device=device))

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description (for caches and reports)."""
        out = {"name": self.name, "description": self.description, "dim": self.dim,
               "p": describe_distribution(self.p), "q": describe_distribution(self.q),
               "shift": None if self.shift is None else self.shift.tolist()}
        if self.split is not None:  # only then: the older scenarios' cache keys stay as they were
            out["split"] = self.split
        if self.truths is not None:
            out["truths"] = {k: [v.value, v.error] for k, v in sorted(self.truths.items())}
        return out


def _w1(p: Distribution, q: Distribution, name: str) -> ExactValue:
    """W1 without a known translation: isometry invariance, the 1-D integral, the discrete LP."""
    if (isinstance(p, Transformed) and isinstance(q, Transformed) and p.transform.isometry
            and same_transform(p.transform, q.transform)):
        # W1 is invariant under one isometry of both laws (not under other injective maps).
        base = _w1(p.base, q.base, name)
        label = type(p.transform).__name__
        return ExactValue(base.value, base.error, f"{base.method}, invariant under {label}")
    discrete = isinstance(p, Categorical)
    if p.dim == 1 and not discrete and all(hasattr(d, "breakpoints") for d in (p, q)):
        return reference.wasserstein1_quadrature(p, q)
    if discrete:
        support = np.arange(max(p.probs.size, q.probs.size), dtype=float)
        a = np.pad(p.probs, (0, support.size - p.probs.size))
        b = np.pad(q.probs, (0, support.size - q.probs.size))
        return ExactValue(reference.wasserstein1_1d(support, support, a, b), 0.0, "1-D LP")
    raise NotImplementedError(f"no exact W1 for scenario {name!r}")


SCENARIOS: dict[str, Scenario] = {}
"""Every registered scenario, by name."""


def add_unique(table: dict[str, Any], name: str, item: Any, kind: str) -> Any:
    """Add ``item`` to a registry ``table`` under ``name``, refusing a name already taken."""
    if name in table:
        raise ValueError(f"{kind} {name!r} is already registered")
    table[name] = item
    return item


def lookup_named(table: dict[str, Any], name: str, kind: str) -> Any:
    """Return ``table[name]``, or raise a ValueError listing the known names."""
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; expected one of: {known}") from None


def register_scenario(scenario: Scenario) -> Scenario:
    """Add ``scenario`` to :data:`SCENARIOS` (names are unique)."""
    return add_unique(SCENARIOS, scenario.name, scenario, "scenario")


Resolver = Callable[[str], "Scenario | None"]
_RESOLVERS: list[Resolver] = []


def add_resolver(resolver: Resolver) -> Resolver:
    """Let :func:`get_scenario` build scenarios that are not registered (e.g. family instances).

    A resolver returns the scenario a name describes, or None when the name is not its kind;
    it raises a ValueError for a name of its kind that is malformed.
    """
    _RESOLVERS.append(resolver)
    return resolver


def get_scenario(name: str) -> Scenario:
    """Return the scenario called ``name``, or raise a ValueError listing the known ones.

    Besides the registered names, a resolver may know the name: the families resolve
    ``FAMILY@SEED`` and ``FAMILY@SEED,KEY=VALUE,...`` to that instance.
    """
    if name in SCENARIOS:
        return SCENARIOS[name]
    for resolve in _RESOLVERS:
        found = resolve(name)
        if found is not None:
            return found
    return lookup_named(SCENARIOS, name, "scenario")
