"""Common machinery of the neural-critic estimators: splits, scaling, the batched fit.

:class:`NeuralEstimator` turns E sample pairs into a train / held-out split per member, moves
them to the device once, builds E stacked critics and their objective (the subclass's job),
trains them with :func:`estimators.training.train_critics` and reports each member's best
held-out objective. :meth:`estimate` is the E = 1 case of the same code, so an ensemble gives
the same numbers as its seeds run one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from estimators._torch import device_generator, host_generator, resolve_device, to_device
from estimators.base import ArrayLike, BaseEstimator, _member_seeds, check_batched_samples
from estimators.critic import BatchedMLP
from estimators.training import Objective, ProgressFn, TrainConfig, train_critics


@dataclasses.dataclass
class NeuralEstimator(BaseEstimator):
    """Base of the estimators that train a torch critic; not registered itself.

    Attributes
    ----------
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    hidden : tuple of int
        Hidden-layer widths of the critic MLP.
    activation : {"relu", "elu", "tanh"}
        Hidden activation.
    lr : float
        Adam learning rate.
    batch_size : int
        Rows per side per step (capped at the training-split size).
    steps : int
        Maximum optimiser steps.
    eval_every : int
        Steps between held-out evaluations (the only host synchronisations).
    patience : int or None
        Evaluations without improvement before a member stops; ``None``: never.
    grad_clip : float or None
        Per-member gradient-norm clipping threshold.
    holdout : float
        Fraction of each sample held out; the estimate is computed on it.
    standardize : bool
        Centre and scale the inputs with statistics of the pooled training split (subclasses
        say how, so that the estimated quantity is unchanged).
    progress : callable, optional (init-only)
        Called after every evaluation with ``{"step", "held_out", "train", "active"}``.

    Notes
    -----
    After each call, :attr:`last_details` holds the split sizes, steps run, best step, training
    and held-out objective per member.
    """

    device: str = "auto"
    hidden: tuple[int, ...] = (128, 128)
    activation: str = "relu"
    lr: float = 1e-3
    batch_size: int = 512
    steps: int = 2000
    eval_every: int = 50
    patience: int | None = 10
    grad_clip: float | None = 1.0
    holdout: float = 0.2
    standardize: bool = True
    progress: dataclasses.InitVar[ProgressFn | None] = None

    isotropic_scaling = False
    """Class attribute: standardise with one scalar scale and multiply the estimate by it (for
    a quantity homogeneous of degree 1 in the data, W1); otherwise per-coordinate scaling,
    under which every f-divergence is invariant."""

    def __post_init__(self, progress: ProgressFn | None) -> None:
        self._progress = progress
        self.last_details: dict[str, Any] = {}
        self.hidden = tuple(int(h) for h in self.hidden)
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(
                f"hidden must be a non-empty tuple of positive widths, got {self.hidden}"
            )
        for name in ("steps", "batch_size", "eval_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be a positive integer or None, got {self.patience}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive or None, got {self.grad_clip}")
        if not 0 < self.holdout < 1:
            raise ValueError(f"holdout must lie in (0, 1), got {self.holdout}")
        resolve_device(self.device)

    # -- what a subclass provides -------------------------------------------------------------
    def _build(
        self, generators: Sequence[torch.Generator], dim: int
    ) -> tuple[BatchedMLP, Objective]:
        """Return E stacked critics (initialised from ``generators``) and their objective."""
        raise NotImplementedError  # pragma: no cover - abstract

    # -- the estimator interface --------------------------------------------------------------
    def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
        return float(self._fit(x_p[None], x_q[None], [seed])[0])

    def estimate_many(
        self, x_p: ArrayLike, x_q: ArrayLike, seeds: Sequence[int] | None = None
    ) -> np.ndarray:
        """Train E critics as one batched model; return their E held-out estimates.

        Parameters
        ----------
        x_p, x_q : array, shape [E, n, d] and [E, m, d]
            E sample pairs; member ``e`` trains and is evaluated on ``x_p[e]``, ``x_q[e]`` only.
        seeds : sequence of int, optional
            One seed per member (split, initialisation, minibatches); defaults to
            ``seed, seed + 1, ...``. Member ``e`` returns what :meth:`estimate` returns on the
            same data with ``seed = seeds[e]`` (to float32 round-off).
        """
        p, q = check_batched_samples(x_p, x_q)
        return self._fit(p, q, _member_seeds(self.seed, p.shape[0], seeds))

    def _fit(self, p: np.ndarray, q: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        device = resolve_device(self.device)
        n, m = p.shape[1], q.shape[1]
        n_ho, m_ho = _held_out_size(n, self.holdout, "x_p"), _held_out_size(m, self.holdout, "x_q")
        hosts = [host_generator(s) for s in seeds]
        splits_p, splits_q, scales = [], [], []
        for e, g in enumerate(hosts):
            perm_p = torch.randperm(n, generator=g).numpy()
            perm_q = torch.randperm(m, generator=g).numpy()
            tr_p, ho_p = p[e, perm_p[n_ho:]], p[e, perm_p[:n_ho]]
            tr_q, ho_q = q[e, perm_q[m_ho:]], q[e, perm_q[:m_ho]]
            shift, scale = self._standardisation(np.concatenate([tr_p, tr_q]))
            splits_p.append(((tr_p - shift) / scale, (ho_p - shift) / scale))
            splits_q.append(((tr_q - shift) / scale, (ho_q - shift) / scale))
            scales.append(scale)
        train = (
            to_device(np.stack([s[0] for s in splits_p]), device),
            to_device(np.stack([s[0] for s in splits_q]), device),
        )
        held_out = (
            to_device(np.stack([s[1] for s in splits_p]), device),
            to_device(np.stack([s[1] for s in splits_q]), device),
        )
        device_gens = [device_generator(g, device) for g in hosts]
        critic, objective = self._build(hosts, p.shape[2])
        config = TrainConfig(
            steps=int(self.steps),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            eval_every=int(self.eval_every),
            patience=self.patience,
            grad_clip=self.grad_clip,
        )
        result = train_critics(
            critic.to(device),
            objective,
            train,
            held_out,
            device_gens,
            config,
            self.name,
            seeds,
            self._progress,
        )
        estimates = result.best_value
        if self.isotropic_scaling:
            estimates = estimates * np.array([float(np.ravel(s)[0]) for s in scales])
        self.last_details = {
            "estimate_on": "held-out split (best held-out objective over training)",
            "device": str(device),
            "seeds": list(seeds),
            "n_train": (n - n_ho, m - m_ho),
            "n_held_out": (n_ho, m_ho),
            "steps_run": result.steps_run.tolist(),
            "best_step": result.best_step.tolist(),
            "train_objective": result.train_objective.tolist(),
            "held_out_objective": estimates.tolist(),
        }
        return estimates

    def _standardisation(self, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(shift, scale)`` for the pooled training rows (identity if disabled)."""
        dim = pooled.shape[1]
        if not self.standardize:
            return np.zeros(dim), np.ones(dim)
        shift = pooled.mean(axis=0)
        if self.isotropic_scaling:
            rms = float(np.sqrt(np.mean(pooled.var(axis=0))))
            return shift, np.full(dim, rms if rms > 0 else 1.0)
        std = pooled.std(axis=0)
        return shift, np.where(std > 0, std, 1.0)

    def _critic(
        self, generators: Sequence[torch.Generator], dim: int, **options: Any
    ) -> BatchedMLP:
        """Build the stacked critic with this estimator's architecture and extra ``options``."""
        return BatchedMLP(generators, dim, self.hidden, self.activation, **options)


def _held_out_size(n: int, fraction: float, label: str) -> int:
    """Rows held out of ``n``: ``round(fraction * n)``, at least 1, leaving at least 1 to train."""
    if n < 2:
        raise ValueError(f"{label} has {n} sample(s): a neural critic needs at least 2 per side")
    return min(max(1, round(fraction * n)), n - 1)
