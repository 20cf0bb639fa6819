"""The batched training loop shared by every neural critic.

E critics (stacked in one :class:`~estimators.critic.BatchedMLP`) are trained together by
minibatch AdamW ascent on their objective, each member on its own data, minibatches and (through
per-member gradient clipping and early stopping) its own schedule. Everything per step stays on
the device; the host synchronises once per evaluation, every ``eval_every`` steps, to run the
early-stopping and divergence checks (and the optional progress callback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from divergence_verify.estimators.base import TrainingDivergedError
from divergence_verify.estimators.critic import BatchedMLP

EVAL_CHUNK = 8192
"""Rows per member per forward pass when evaluating a held-out split (bounds device memory)."""

ProgressFn = Callable[[dict[str, Any]], None]


class Objective(Protocol):
    """A variational objective of E critics; every method returns one value per member, [E]."""

    needs_uniform: bool
    """Whether :meth:`train_terms` needs a U(0, 1) draw per minibatch row (gradient penalty)."""

    def train_terms(
        self, critic: BatchedMLP, x: torch.Tensor, uniform: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(surrogate, bound)`` on a minibatch: ascend the first, log the second.

        ``x`` is [E, 2B, d]: rows ``:B`` are drawn from P, rows ``B:`` from Q, so that one
        forward pass serves both samples.
        """
        ...

    def evaluate(
        self, critic: BatchedMLP, x_p: torch.Tensor, x_q: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(criterion, estimate)`` of each member on full held-out samples.

        Early stopping keeps the evaluation with the highest criterion and reports the estimate
        made there. For most objectives both are the bound itself; an objective trained on a
        surrogate selects on the surrogate, which is smooth where the reported bound may not be.
        """
        ...

    def select_members(self, index: torch.Tensor) -> None:
        """Keep the per-member state (if any) of the members ``index`` only."""
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
        AdamW learning rate.
    eval_every : int
        Steps between held-out evaluations (and host synchronisations).
    patience : int or None
        A member stops after this many evaluations without a new best held-out criterion;
        ``None`` trains every member for ``steps``.
    grad_clip : float or None
        Clip each member's gradient to this Euclidean norm (over all its parameters).
    weight_decay : float
        Decoupled weight decay of AdamW (Loshchilov & Hutter 2019); 0 is plain Adam.
    """

    steps: int
    batch_size: int
    lr: float
    eval_every: int
    patience: int | None
    grad_clip: float | None
    weight_decay: float = 0.0


@dataclass(frozen=True)
class TrainResult:
    """Per-member outcome of :func:`train_critics` (arrays of length E).

    Attributes
    ----------
    best_value : numpy.ndarray
        The held-out estimate at the evaluation with the best criterion (for most objectives
        the best held-out bound; see ``Objective.evaluate``), before any rescaling.
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
    """Train E critics jointly with per-member early stopping on the held-out criterion.

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
        Called after every evaluation with ``{"step", "members", "held_out", "train"}``: the
        indices of the members still training and their held-out and mean training objective.

    Returns
    -------
    TrainResult
        Held-out estimate at the best criterion, its step, steps run and training objective,
        per member.

    Raises
    ------
    TrainingDivergedError
        When a still-training member's objective becomes NaN or infinite; the message names the
        estimator, the member, its seed and the first bad step.

    Notes
    -----
    A member that stops early is removed from the batched model (weights, Adam moments, data,
    generator), so the ensemble costs the sum of its members' steps, not E times the longest.
    Removal does not change the remaining members' arithmetic beyond float32 round-off.
    """
    x_p, x_q = train
    h_p, h_q = held_out
    device = x_p.device
    n_members, n_p, n_q = x_p.shape[0], x_p.shape[1], x_q.shape[1]
    batch = min(config.batch_size, n_p, n_q)
    # P and Q training rows of all members in one [E * (n + m), d] table: a step gathers its
    # whole [E, 2B, d] minibatch with a single index_select.
    table = torch.cat([x_p, x_q], dim=1)

    def optimiser(params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)

    opt = optimiser(critic.parameters())
    gens = list(generators)
    live = list(range(n_members))  # the original member index of each row of the model
    out = {
        "best_value": np.full(n_members, np.nan),
        "best_step": np.zeros(n_members, dtype=int),
        "steps_run": np.full(n_members, config.steps),
        "train_objective": np.full(n_members, np.nan),
    }

    def evaluate() -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            return objective.evaluate(critic, h_p, h_q)

    def both_finite(criterion: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        return torch.isfinite(criterion) & torch.isfinite(value)

    best_criterion, best = evaluate()
    _raise_if_diverged(
        label, seeds, live, torch.where(both_finite(best_criterion, best), -1, 0).tolist(), 0
    )
    best_step = torch.zeros(n_members, dtype=torch.long, device=device)
    best_train = torch.full_like(best, float("nan"))
    since_best = torch.zeros(n_members, dtype=torch.long, device=device)

    def record(rows: list[int], step: int) -> None:
        index = torch.tensor(rows, device=device)
        for row, value, at, train_value in zip(
            rows,
            best[index].tolist(),
            best_step[index].tolist(),
            best_train[index].tolist(),
            strict=True,
        ):
            member = live[row]
            out["best_value"][member] = value
            out["best_step"][member] = at
            out["train_objective"][member] = train_value
            out["steps_run"][member] = step

    patience = float("inf") if config.patience is None else config.patience
    step = 0
    while step < config.steps:
        k = min(config.eval_every, config.steps - step)
        rows, uniform = _draw_minibatches(gens, k, batch, n_p, n_q, objective.needs_uniform)
        flat = table.view(-1, table.shape[2])
        bounds = torch.empty(k, len(live), dtype=best.dtype, device=device)
        for i in range(k):
            critic.before_step()
            surrogate, bound = objective.train_terms(
                critic,
                flat.index_select(0, rows[i]).view(len(live), 2 * batch, -1),
                None if uniform is None else uniform[i],
            )
            opt.zero_grad(set_to_none=True)
            (-surrogate.sum()).backward()
            if config.grad_clip is not None:
                _clip_per_member(critic.parameters(), config.grad_clip)
            opt.step()
            critic.after_step()
            bounds[i] = bound.detach()
        # Divergence check from the stored bounds: the first bad step is exact, with no
        # per-step synchronisation (bounds[i] belongs to step + i + 1).
        finite = torch.isfinite(bounds)
        first_bad = torch.where(finite.all(0), -1, step + 1 + (~finite).int().argmax(0))
        step += k
        criterion, value = evaluate()
        first_bad = torch.where((first_bad < 0) & ~both_finite(criterion, value), step, first_bad)
        train_mean = bounds.mean(0)
        improved = criterion > best_criterion
        best_criterion = torch.where(improved, criterion, best_criterion)
        best = torch.where(improved, value, best)
        best_step = torch.where(improved, step, best_step)
        best_train = torch.where(improved, train_mean, best_train)
        since_best = torch.where(improved, 0, since_best + 1)
        # The one host synchronisation of this evaluation interval.
        bad, stopping = torch.stack([first_bad, (since_best >= patience).long()]).tolist()
        _raise_if_diverged(label, seeds, live, bad, step)
        if progress is not None:
            progress(
                {
                    "step": step,
                    "members": list(live),
                    "held_out": value.tolist(),
                    "train": train_mean.tolist(),
                }
            )
        if step < config.steps and any(stopping):
            record([r for r, stop in enumerate(stopping) if stop], step)
            keep = [r for r, stop in enumerate(stopping) if not stop]
            if not keep:
                return TrainResult(**out)
            index = torch.tensor(keep, device=device)
            opt = _select_members(critic, opt, optimiser, objective, index)
            table, h_p, h_q = table[index], h_p[index], h_q[index]
            best, best_step, best_criterion = best[index], best_step[index], best_criterion[index]
            best_train, since_best = best_train[index], since_best[index]
            gens = [gens[r] for r in keep]
            live = [live[r] for r in keep]
    record(list(range(len(live))), step)
    return TrainResult(**out)


def _select_members(
    critic: BatchedMLP,
    opt: torch.optim.Optimizer,
    optimiser: Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer],
    objective: Objective,
    index: torch.Tensor,
) -> torch.optim.Optimizer:
    """Keep only the members ``index`` of the critic and the objective; return the optimiser.

    The new optimiser holds the old one's per-member state (Adam moments) sliced to ``index``,
    and its step count, so the kept members continue exactly where they were.
    """
    old = critic.n_members
    states = [opt.state[p] for p in critic.parameters()]
    critic.select_members(index)
    new_opt = optimiser(critic.parameters())
    for p, state in zip(critic.parameters(), states, strict=True):
        new_opt.state[p] = {
            # every per-member tensor has the members on dim 0; the step count is a scalar
            key: value[index] if value.dim() > 0 and value.shape[0] == old else value
            for key, value in state.items()
        }
    objective.select_members(index)
    return new_opt


def _draw_minibatches(
    generators: Sequence[torch.Generator],
    steps: int,
    batch: int,
    n_p: int,
    n_q: int,
    with_uniform: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Draw ``steps`` minibatches per member, each from that member's own generator.

    Returns rows of the flattened ``[E * (n_p + n_q), d]`` training table, shape
    [steps, E * 2 * batch] (member-major; per member ``batch`` P rows then ``batch`` Q rows,
    drawn with replacement), and, if asked, uniforms [steps, E, batch, 1]. Member e's draws do
    not depend on E.
    """
    device = generators[0].device
    width = n_p + n_q
    rows, uniform = [], []
    for e, g in enumerate(generators):
        idx_p = torch.randint(n_p, (steps, batch), generator=g, device=device)
        idx_q = torch.randint(n_q, (steps, batch), generator=g, device=device)
        rows.append(torch.cat([idx_p, idx_q + n_p], dim=1) + e * width)
        if with_uniform:
            uniform.append(torch.rand(steps, batch, 1, generator=g, device=device))
    stacked_uniform = torch.stack(uniform, dim=1) if with_uniform else None
    return torch.stack(rows, dim=1).view(steps, -1), stacked_uniform


def _clip_per_member(params: Iterable[torch.Tensor], max_norm: float) -> None:
    """Scale each member's gradient (dim 0 of every parameter) to Euclidean norm <= max_norm.

    Per member, not global: a global norm would couple the members of an ensemble.
    """
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])
    scale = (max_norm / (torch.linalg.vector_norm(norms, dim=0) + 1e-6)).clamp_max(1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


def _raise_if_diverged(
    label: str, seeds: Sequence[int], live: Sequence[int], bad_step: list[int], step: int
) -> None:
    """Raise :class:`TrainingDivergedError` for the first row with ``bad_step >= 0``.

    ``live[row]`` is the row's original member index, the one the message names.
    """
    for row, first in enumerate(bad_step):
        member = live[row]
        if first >= 0:
            raise TrainingDivergedError(
                f"{label}: training diverged in ensemble member {member} (seed {seeds[member]}): "
                f"non-finite objective at step {first} (checked at step {step}); lower lr, "
                "set grad_clip, or bound the critic's output"
            )
