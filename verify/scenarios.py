"""Scenarios: distribution pairs (P, Q) whose exact divergences are known through ``reference``.

A :class:`Scenario` samples both sides with a seed (on a requested torch device when asked) and
answers :meth:`Scenario.truth` with the exact value of a divergence from :mod:`reference`: closed
forms, the discrete formula, quadrature, or the W1 LP/translation identities. Never Monte Carlo:
a divergence with no exact method for the pair is simply not offered by the scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify import reference
from divergence_verify.reference import (
    W1,
    Categorical,
    Distribution,
    ExactValue,
    Gaussian,
    GaussianMixture,
)
from divergence_verify.verify.design import DEFAULT_SCENARIOS, LADDER

__all__ = [
    "DEFAULT_SCENARIOS",
    "LADDER",
    "SAMPLING_VERSION",
    "SCENARIOS",
    "W1",
    "Scenario",
    "gaussian_mean_shift",
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
        Free labels (``"discrete"``, ``"ladder"``, ...).
    """

    name: str
    description: str
    p: Distribution
    q: Distribution
    shift: np.ndarray | None = None
    tags: tuple[str, ...] = ()
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
        """Return the exact value of ``divergence`` (a table name or ``"w1"``) for this pair.

        Raises
        ------
        NotImplementedError
            If no exact method covers this divergence for this pair.
        """
        if divergence not in self._cache:
            self._cache[divergence] = self._truth(divergence)
        return self._cache[divergence]

    def _truth(self, divergence: str) -> ExactValue:
        if divergence == W1:
            if self.shift is not None:
                return ExactValue(float(np.linalg.norm(self.shift)), 0.0, "translation |shift|")
            if self.dim == 1 and not self.discrete:
                return reference.wasserstein1_quadrature(self.p, self.q)
            if self.discrete:
                support = np.arange(max(self.p.probs.size, self.q.probs.size), dtype=float)
                a = np.pad(self.p.probs, (0, support.size - self.p.probs.size))
                b = np.pad(self.q.probs, (0, support.size - self.q.probs.size))
                return ExactValue(reference.wasserstein1_1d(support, support, a, b), 0.0, "1-D LP")
            raise NotImplementedError(f"no exact W1 for scenario {self.name!r}")
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

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description (for caches and reports)."""
        return {"name": self.name, "description": self.description, "dim": self.dim,
                "p": _describe(self.p), "q": _describe(self.q),
                "shift": None if self.shift is None else self.shift.tolist()}


def _describe(dist: Distribution) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(dist).__name__}
    for key in ("probs", "mean", "cov", "weights", "means", "covs"):
        if hasattr(dist, key):
            out[key] = np.asarray(getattr(dist, key)).tolist()
    return out


SCENARIOS: dict[str, Scenario] = {}
"""Every registered scenario, by name."""


def register_scenario(scenario: Scenario) -> Scenario:
    """Add ``scenario`` to :data:`SCENARIOS` (names are unique)."""
    if scenario.name in SCENARIOS:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    SCENARIOS[scenario.name] = scenario
    return scenario


def get_scenario(name: str) -> Scenario:
    """Return the scenario called ``name``, or raise a ValueError listing the known ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(f"unknown scenario {name!r}; expected one of: {known}") from None


def gaussian_mean_shift(dim: int, kl: float) -> tuple[Gaussian, Gaussian]:
    """Return P = N(mu, I), Q = N(0, I) in ``dim`` dimensions with KL(P||Q) = |mu|²/2 = ``kl``."""
    mu = np.full(dim, math.sqrt(2.0 * kl / dim))
    return Gaussian(mu, np.eye(dim)), Gaussian(np.zeros(dim), np.eye(dim))


def _register_defaults() -> None:
    add = register_scenario
    add(Scenario("bernoulli", "Bernoulli(0.7) vs Bernoulli(0.4) (the seed's example)",
                 Categorical([0.3, 0.7]), Categorical([0.6, 0.4]), tags=("discrete",)))
    add(Scenario("categorical-nested", "categorical, supp P ⊂ supp Q (KL finite, reverse KL inf)",
                 Categorical([0.5, 0.3, 0.2, 0.0, 0.0]), Categorical([0.2, 0.2, 0.2, 0.2, 0.2]),
                 tags=("discrete",)))
    add(Scenario("categorical-disjoint", "categorical, disjoint supports (JS = log 2, TV = 1)",
                 Categorical([0.5, 0.5, 0.0, 0.0]), Categorical([0.0, 0.0, 0.25, 0.75]),
                 tags=("discrete",)))
    add(Scenario("gauss1d-shift", "N(1, 1) vs N(0, 1)",
                 Gaussian([1.0], [[1.0]]), Gaussian([0.0], [[1.0]]), shift=np.array([1.0]),
                 tags=("gaussian",)))
    add(Scenario("gauss1d-scale", "N(0.5, 2²) vs N(0, 1): different variances",
                 Gaussian([0.5], [[4.0]]), Gaussian([0.0], [[1.0]]), tags=("gaussian",)))
    p2, q2 = gaussian_mean_shift(2, 0.5)
    add(Scenario("gauss2d-kl0.5", "2-D N(mu, I) vs N(0, I), KL 0.5 (equal covariance)",
                 p2, q2, shift=p2.mean, tags=("gaussian", "default")))
    cov_p = np.array([[1.5, 0.4, 0.0], [0.4, 1.0, 0.2], [0.0, 0.2, 0.8]])
    add(Scenario("gauss3d-cov", "3-D Gaussians with different means and covariances",
                 Gaussian([0.5, -0.3, 0.2], cov_p), Gaussian(np.zeros(3), np.eye(3)),
                 tags=("gaussian",)))
    p10, q10 = gaussian_mean_shift(10, 0.5)
    add(Scenario("gauss10d-kl0.5", "10-D N(mu, I) vs N(0, I), KL 0.5",
                 p10, q10, shift=p10.mean, tags=("gaussian",)))
    add(Scenario("mixture1d", "1-D mixture 0.3 N(-2, 0.5²) + 0.7 N(1, 1) vs N(0, 1.5²)",
                 GaussianMixture([0.3, 0.7], [-2.0, 1.0], [0.25, 1.0]), Gaussian([0.0], [[2.25]]),
                 tags=("mixture",)))
    shift = np.array([2.0, -1.0])
    add(Scenario("translate2d", "2-D N(0, diag(1, 2)) translated by (2, -1): W1 = √5",
                 Gaussian(shift, np.diag([1.0, 2.0])), Gaussian([0.0, 0.0], np.diag([1.0, 2.0])),
                 shift=shift, tags=("w1",)))
    for kl in (0.1, 1.0, 5.0, 10.0):
        p, q = gaussian_mean_shift(2, kl)
        add(Scenario(f"ladder-kl{kl:g}", f"2-D N(mu, I) vs N(0, I) with KL {kl:g} (ladder)",
                     p, q, shift=p.mean, tags=("ladder",)))


_register_defaults()
