"""The batched training loop shared by every neural critic.

E critics (stacked in one :class:`~estimators.critic.BatchedMLP`) are trained together by
minibatch Adam ascent on their objective, each member on its own data, minibatches and (through
per-member gradient clipping and early stopping) its own schedule. Everything per step stays on
the device; the host synchronises once per evaluation, every ``eval_every`` steps, to run the
early-stopping and divergence checks (and the optional progress callback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from estimators.base import TrainingDivergedError
from estimators.critic import BatchedMLP

EVAL_CHUNK = 8192
"""Rows per member per forward pass when evaluating a held-out split (bounds device memory)."""

ProgressFn = Callable[[dict[str, Any]], None]


class Objective(Protocol):
    """A variational objective of E critics; every method returns one value per member, [E]."""

    needs_uniform: bool
    """Whether :meth:`train_terms` needs a U(0, 1) draw per minibatch row (gradient penalty)."""

    def train_terms(
        self,
        critic: BatchedMLP,
        x_p: torch.Tensor,
        x_q: torch.Tensor,
        uniform: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(surrogate, bound)`` on a minibatch: ascend the first, log the second."""
        ...

    def evaluate(self, critic: BatchedMLP, x_p: torch.Tensor, x_q: torch.Tensor) -> torch.Tensor:
        """Return the objective (the estimate) of each member on full held-out samples."""
        ...


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`train_critics` (the estimators document the defaults they pass).

    Attributes
    ----------
    steps : int
        Maximum number of optimiser steps.
    batch_size : int
        Rows drawn (with replacement) from each training sample per step.
    lr : float
        Adam learning rate.
    eval_every : int
        Steps between held-out evaluations (and host synchronisations).
    patience : int or None
        A member stops after this many evaluations without a new best held-out value;
        ``None`` trains every member for ``steps``.
    grad_clip : float or None
        Clip each member's gradient to this Euclidean norm (over all its parameters).
    """

    steps: int
    batch_size: int
    lr: float
    eval_every: int
    patience: int | None
    grad_clip: float | None


@dataclass(frozen=True)
class TrainResult:
    """Per-member outcome of :func:`train_critics` (arrays of length E).

    Attributes
    ----------
    best_value : numpy.ndarray
        Best held-out objective over the evaluations (the estimate, before any rescaling).
    best_step : numpy.ndarray
        Step of that evaluation (0 = the initial critic).
    steps_run : numpy.ndarray
        Steps trained before early stopping (or ``steps``).
    train_objective : numpy.ndarray
        Mean minibatch bound over the evaluation interval that ended at ``best_step``
        (NaN when ``best_step`` is 0).
    """

    best_value: np.ndarray
    best_step: np.ndarray
    steps_run: np.ndarray
    train_objective: np.ndarray


def critic_outputs(critic: BatchedMLP, x: torch.Tensor) -> torch.Tensor:
    """Evaluate ``critic`` on ``x`` [E, n, d] in row chunks of :data:`EVAL_CHUNK`; return [E, n]."""
    return torch.cat(
        [critic(x[:, i : i + EVAL_CHUNK]) for i in range(0, x.shape[1], EVAL_CHUNK)], dim=1
    )


def train_critics(
    critic: BatchedMLP,
    objective: Objective,
    train: tuple[torch.Tensor, torch.Tensor],
    held_out: tuple[torch.Tensor, torch.Tensor],
    generators: Sequence[torch.Generator],
    config: TrainConfig,
    label: str,
    seeds: Sequence[int],
    progress: ProgressFn | None = None,
) -> TrainResult:
    """Train E critics jointly with per-member early stopping on the held-out objective.

    Parameters
    ----------
    critic : BatchedMLP
        E stacked critics, already on the data's device.
    objective : Objective
        What is maximised (its ``train_terms``) and reported (its ``evaluate``).
    train, held_out : pair of torch.Tensor
        ``(x_p, x_q)`` of shapes [E, n, d] and [E, m, d] on the device.
    generators : sequence of torch.Generator
        One device generator per member: its minibatch indices (and uniforms).
    config : TrainConfig
        Steps, batch size, learning rate, evaluation interval, patience, gradient clipping.
    label, seeds
        Estimator name and member seeds, for error messages.
    progress : callable, optional
        Called after every evaluation with ``{"step", "held_out", "train", "active"}``.

    Returns
    -------
    TrainResult
        Best held-out value, its step, steps run and training objective, per member.

    Raises
    ------
    TrainingDivergedError
        When a still-training member's objective becomes NaN or infinite; the message names the
        estimator, the member, its seed and the first bad step.

    Notes
    -----
    A member that has stopped keeps being updated (its stacked weights share each batched
    matmul) but its best value is frozen and its divergence is ignored, so its result equals a
    run of that member alone.
    """
    x_p, x_q = train
    device = x_p.device
    n_members = x_p.shape[0]
    batch = min(config.batch_size, x_p.shape[1], x_q.shape[1])
    rows = torch.arange(n_members, device=device)[:, None]
    params = list(critic.parameters())
    opt = torch.optim.Adam(params, lr=config.lr, fused=True)

    def evaluate() -> torch.Tensor:
        with torch.no_grad():
            return objective.evaluate(critic, *held_out)

    best = evaluate()
    best_step = torch.zeros(n_members, dtype=torch.long, device=device)
    best_train = torch.full_like(best, float("nan"))
    since_best = torch.zeros(n_members, dtype=torch.long, device=device)
    active = torch.ones(n_members, dtype=torch.bool, device=device)
    stop_step = torch.full((n_members,), config.steps, dtype=torch.long, device=device)
    bad_step = torch.full((n_members,), -1, dtype=torch.long, device=device)
    _raise_if_diverged(label, seeds, torch.where(torch.isfinite(best), -1, 0).tolist(), 0)

    step = 0
    while step < config.steps:
        k = min(config.eval_every, config.steps - step)
        idx_p, idx_q, uniform = _draw_minibatches(
            generators, k, batch, x_p.shape[1], x_q.shape[1], objective.needs_uniform
        )
        bounds = torch.empty(k, n_members, dtype=best.dtype, device=device)
        for i in range(k):
            critic.before_step()
            surrogate, bound = objective.train_terms(
                critic,
                x_p[rows, idx_p[:, i]],
                x_q[rows, idx_q[:, i]],
                None if uniform is None else uniform[:, i],
            )
            opt.zero_grad(set_to_none=True)
            (-surrogate.sum()).backward()
            if config.grad_clip is not None:
                _clip_per_member(params, config.grad_clip)
            opt.step()
            critic.after_step()
            bounds[i] = bound.detach()
        # Divergence check from the stored bounds: the first bad step is exact, with no
        # per-step synchronisation (bounds[i] belongs to step + i + 1).
        finite = torch.isfinite(bounds)
        first_bad = torch.where(finite.all(0), -1, step + 1 + (~finite).int().argmax(0))
        step += k
        value = evaluate()
        first_bad = torch.where((first_bad < 0) & ~torch.isfinite(value), step, first_bad)
        bad_step = torch.where(active & (bad_step < 0), first_bad, bad_step)
        train_mean = bounds.mean(0)
        improved = active & (value > best)
        best = torch.where(improved, value, best)
        best_step = torch.where(improved, step, best_step)
        best_train = torch.where(improved, train_mean, best_train)
        since_best = torch.where(improved, 0, since_best + 1)
        if config.patience is not None:
            stopping = active & (since_best >= config.patience)
            stop_step = torch.where(stopping, step, stop_step)
            active = active & ~stopping
        # The one host synchronisation of this evaluation interval.
        bad, still_active = torch.stack([bad_step, active.long()]).tolist()
        _raise_if_diverged(label, seeds, bad, step)
        if progress is not None:
            progress(
                {
                    "step": step,
                    "held_out": value.tolist(),
                    "train": train_mean.tolist(),
                    "active": sum(still_active),
                }
            )
        if not any(still_active):
            break

    return TrainResult(
        best_value=best.cpu().numpy().astype(float),
        best_step=best_step.cpu().numpy(),
        steps_run=stop_step.clamp_max(step).cpu().numpy(),
        train_objective=best_train.cpu().numpy().astype(float),
    )


def _draw_minibatches(
    generators: Sequence[torch.Generator],
    steps: int,
    batch: int,
    n_p: int,
    n_q: int,
    with_uniform: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Draw ``steps`` minibatches per member from that member's own generator.

    Returns row indices into the P and Q training samples, [E, steps, batch] each, and, if
    asked, uniforms [E, steps, batch, 1]; member e's draws do not depend on E.
    """
    device = generators[0].device
    idx_p, idx_q, uniform = [], [], []
    for g in generators:
        idx_p.append(torch.randint(n_p, (steps, batch), generator=g, device=device))
        idx_q.append(torch.randint(n_q, (steps, batch), generator=g, device=device))
        if with_uniform:
            uniform.append(torch.rand(steps, batch, 1, generator=g, device=device))
    return torch.stack(idx_p), torch.stack(idx_q), torch.stack(uniform) if with_uniform else None


def _clip_per_member(params: Sequence[torch.Tensor], max_norm: float) -> None:
    """Scale each member's gradient (dim 0 of every parameter) to Euclidean norm <= max_norm.

    Per member, not global: a global norm would couple the members of an ensemble.
    """
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])
    scale = (max_norm / (torch.linalg.vector_norm(norms, dim=0) + 1e-6)).clamp_max(1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


def _raise_if_diverged(label: str, seeds: Sequence[int], bad_step: list[int], step: int) -> None:
    """Raise :class:`TrainingDivergedError` for the first member with ``bad_step >= 0``."""
    for member, first in enumerate(bad_step):
        if first >= 0:
            raise TrainingDivergedError(
                f"{label}: training diverged in ensemble member {member} (seed {seeds[member]}): "
                f"non-finite objective at step {first} (checked at step {step}); lower lr, "
                "set grad_clip, or bound the critic's output"
            )
