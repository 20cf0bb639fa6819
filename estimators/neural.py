"""Common machinery of the neural-critic estimators: splits, scaling, the batched fit.

:class:`NeuralEstimator` turns E sample pairs into a train / held-out split per member, moves
them to the device once, builds E stacked critics and their objective (the subclass's job),
trains them with :func:`estimators.training.train_critics` and reports each member's best
held-out objective. :meth:`estimate` is the E = 1 case of the same code, so an ensemble gives
the same numbers as its seeds run one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from divergence_verify.estimators._torch import device_generator, host_generator, to_device
from divergence_verify.estimators.base import BaseEstimator
from divergence_verify.estimators.critic import ACTIVATIONS, BatchedMLP
from divergence_verify.estimators.devices import resolve_device
from divergence_verify.estimators.preprocessing import (
    PREPROCESSING,
    Preprocessing,
    check_preprocessing,
    fit_preprocessing,
)
from divergence_verify.estimators.splits import (
    child_generator,
    fold_size,
    held_out_size,
    split_rows,
)
from divergence_verify.estimators.training import Objective, ProgressFn, TrainConfig, train_critics
from divergence_verify.estimators.validation import (
    ArrayLike,
    check_batched_samples,
    check_bool,
    check_seed,
    is_positive_int,
    member_seeds,
)


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
        AdamW learning rate.
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
    weight_decay : float
        Decoupled (AdamW) weight decay.
    holdout : float
        Fraction of each sample held out; the estimate is computed on it (``folds = 1``).
    folds : int
        1: one train / held-out split (``holdout``). K >= 2: K-fold cross-fitting (Chernozhukov
        et al. 2018, Sec. 3): each sample is cut into K equal folds (the ``n mod K`` rows
        left over only ever train), K critics are trained, critic k on every fold but k, and
        the estimate is the mean of their held-out values, so every row is held out once.
        ``holdout`` is then unused. Costs K trainings (one batched model of E x K critics).
    standardize : bool
        Map the inputs with ``preprocess`` fitted on the pooled training split; False: no map
        (only an exact power-of-two rescaling, :mod:`estimators.preprocessing`).
    preprocess : {"auto", "copula", "robust", "standard", "none"}
        The injective map of the inputs (:mod:`estimators.preprocessing`), fitted per member and
        fold on its pooled training rows. ``"auto"``: :attr:`AUTO_PREPROCESS` for the
        f-divergences; for W1 (``isotropic_scaling``) always one scalar, the RMS of the
        per-coordinate robust scales, multiplied back into the estimate.
    progress : callable, optional (init-only)
        Called after every evaluation with ``{"step", "members", "held_out", "train"}``
        (see :func:`~estimators.training.train_critics`).

    Notes
    -----
    After each call, :attr:`last_details` holds the split sizes, steps run, best step, training
    and held-out objective per member.

    **The estimate is held-out.** Each sample is split once per member (seeded): 80% trains the
    critic, 20% is held out. Every ``eval_every`` steps the objective is evaluated on the
    held-out split; the estimate is the best such value, and a member stops after ``patience``
    evaluations without a new best. Selecting on the split that is reported biases upward; we
    measured that bias (the best held-out value minus the same critic's value on 20,000 fresh
    points per side, f-GAN KL, 10-D, n = 10,000, 8 seeds) at -0.005 to +0.006 nats across the
    configurations below, under the estimate's SD (0.02), so a third split, which would cost
    training data, was not worth it.

    **Cross-fitting** (``folds``) spends more compute for less variance: every row is held
    out once instead of 20% of them. f-GAN KL, 10-D, KL = 0.5, n = 10,000 per side, 10 seeds
    (``benchmarks/bench_neural.py --sections accuracy``, 2-core CPU): one split: bias +0.010,
    SD 0.023, largest |error| 0.059, 1.3 s median; ``folds=5``: bias +0.004, SD 0.017,
    largest |error| 0.027, 2.9 s median. The SD falls less than sqrt(5)-fold because part of
    it is the critics' own training noise. The default stays one split here: it halves the cost
    of every sweep, and the certificates judge bias with the spread over seeds either way.
    ``ratio_critic`` cross-fits by default, where the lower SD decided certificates
    (:class:`~estimators.ratio_critic.RatioCriticEstimator`).

    **Defaults, by measurement** (f-GAN KL, P = N(mu, I), Q = N(0, I), KL = 0.5, float32 CPU,
    8 seeds trained as one ensemble; bias and SD of the estimate; "gap" = mean held-out value of
    the true optimal critic minus the estimate, i.e. the training shortfall without the
    held-out sampling noise). 10-D, n = 10,000 per side (first block 2 x 128 hidden):

    ===========================  =======  =====  ======  =============
    configuration                bias     SD     gap     steps (mean)
    ===========================  =======  =====  ======  =============
    ReLU 2x128, lr 1e-3, b 512   -0.017   0.030  0.023   650
    ELU 2x128                    -0.001   0.024  0.008   681
    tanh 2x128                   -0.005   0.021  0.012   763
    ELU 2x128, batch 256         -0.002   0.024  0.009   856
    ELU 2x128, lr 3e-4           +0.001   0.025  0.006   731
    ELU 2x128, patience 20       -0.001   0.024  0.008   1181
    ELU 2x64 (default)           +0.003   0.022  0.004   831
    ===========================  =======  =====  ======  =============

    2-D, n = 2000: ReLU 2x128 -0.005 +- 0.080, ELU 2x128 +0.015 +- 0.104, ELU 2x64 (default)
    -0.001 +- 0.070 (these rows without weight decay). Gradient clipping at 1 (or 10, or none)
    did not change any estimate here
    (the norm stays below 1); it is kept as a guard for unstable objectives. The smaller
    network is as accurate and about 2.5x cheaper per step; lr 3e-4 was no more accurate and
    slower; patience 20 only trained longer. At KL = 5 nats (10-D) every configuration's
    estimate has SD ~1-1.6 nats, the variance of E_Q[exp(T - 1)] at the optimum
    (Song & Ermon 2020), so accuracy there is not a criterion for the defaults.

    **Weight decay 1.0** (decoupled, AdamW: weights shrink by lr x 1.0 = 1e-3 per step). With
    only early stopping, a critic trained for many epochs on a small sample can grow steep
    where the held-out Q sample has no points; the held-out value then rises above the truth
    (heavy-tailed :math:`e^T` terms whose sample mean is typically too small) and early
    stopping follows it. 2-D, mu = (0.6, 0.8), KL = 0.5, n = 2000, 8 seeds, mean +- SD (max):

    ===========  =========================  =========================
    estimator    no decay                   weight decay 1.0
    ===========  =========================  =========================
    fgan (KL)    0.508 +- 0.131 (0.778)     0.476 +- 0.073 (0.630)
    dv           0.595 +- 0.346 (1.432)     0.486 +- 0.077 (0.629)
    dv, MINE     0.520 +- 0.145 (0.833)     0.479 +- 0.072 (0.626)
    ===========  =========================  =========================

    At 10-D, n = 10,000 decay changed nothing material (fgan 0.489 +- 0.025 -> 0.494 +-
    0.023, dv 0.492 +- 0.026 -> 0.494 +- 0.025). Decay 0.01 or 0.1 had no effect (too
    small a shrink per step); capping steps at 1000 worked as well in 2-D but depends on n.
    """

    device: str = "auto"
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "elu"
    lr: float = 1e-3
    batch_size: int = 512
    steps: int = 2000
    eval_every: int = 50
    patience: int | None = 10
    grad_clip: float | None = 1.0
    weight_decay: float = 1.0
    holdout: float = 0.2
    folds: int = 1
    standardize: bool = True
    preprocess: str = "auto"
    progress: dataclasses.InitVar[ProgressFn | None] = None

    AUTO_PREPROCESS = "adaptive"
    """Class attribute: the map of ``preprocess="auto"`` for f-divergences: median/IQR per
    coordinate, rank-Gaussianisation on the heavy-tailed ones (:mod:`estimators.preprocessing`;
    unit free from 1e-300 to 1e300 either way). Measured with f-GAN KL, defaults otherwise, on
    held-out MI instances (n = 5000, sampling seeds 1000-1001;
    ``benchmarks/bench_estimator_targets.py``), mean of the estimates (truth 1 in each), for
    ``"standard"`` (the mean/SD map before issue 14) / ``"robust"`` / ``"copula"``:
    ``student-t-mi@1000,dof=1.0`` -0.000 / 0.140 / 0.649; ``transformed-mi@1001`` (asinh of a
    Student-t) 0.790 / 0.787 / 0.838; ``gaussian-mi@1000`` 0.907 / 0.908 / 0.907;
    ``gaussian-mean-shift@1001,dim=2`` 0.955 / 0.956 / 0.953. The copula map is the best on
    heavy tails but bends nearly separable pairs (KL = 10 nats, 2-D, n = 2000, 500 steps;
    ``test_large_kl_stays_finite``): it steepens the critic's task where the pooled sample has
    a gap, and the f-GAN/NWJ held-out bound rose to 17.5 (8.0 robust, 8.4 standard); on the
    held-out 2-D ladder (n = 4000) f-GAN with copula gave 29.9 for 10 nats. ``"adaptive"``
    takes each where it helps: on those instances it is the copula map for Student-t with 1 or
    2 dof (f-GAN 0.649 at dof 1) and the robust map for the Gaussian ladder, where no
    coordinate is heavy-tailed (the same estimates as ``"robust"``)."""

    isotropic_scaling = False
    """Class attribute: standardise with one scalar scale and multiply the estimate by it (for
    a quantity homogeneous of degree 1 in the data, W1); otherwise per-coordinate scaling,
    under which every f-divergence is invariant."""

    def __post_init__(self, progress: ProgressFn | None) -> None:
        self._progress = progress
        self.seed = check_seed(self.seed)  # strict: 1.5, -1 or 2**70 is refused here
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; expected one of: {', '.join(ACTIVATIONS)}"
            )
        self.standardize = check_bool(self.standardize, "standardize")
        if self.preprocess != "auto":
            check_preprocessing(self.preprocess)
            if self.isotropic_scaling and self.preprocess in ("copula", "adaptive"):
                raise ValueError(
                    f"{self.kind} estimates W1, which the {self.preprocess} map does not keep; use "
                    f"preprocess 'auto' or one of {', '.join(PREPROCESSING[:3])}"
                )
        self.last_details: dict[str, Any] = {}
        hidden = tuple(self.hidden)
        if not hidden or not all(is_positive_int(h) for h in hidden):
            raise ValueError(f"hidden must be a non-empty tuple of positive widths, got {hidden}")
        self.hidden = tuple(int(h) for h in hidden)
        for name in ("steps", "batch_size", "eval_every", "folds"):
            if not is_positive_int(getattr(self, name)):
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.patience is not None and not is_positive_int(self.patience):
            raise ValueError(f"patience must be a positive integer or None, got {self.patience!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive or None, got {self.grad_clip}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be non-negative, got {self.weight_decay}")
        if not 0 < self.holdout < 1:
            raise ValueError(f"holdout must lie in (0, 1), got {self.holdout}")
        resolve_device(self.device)

    def with_seed(self, seed: int) -> NeuralEstimator:
        """Return a copy with ``seed``, keeping the other settings and the progress callback."""
        return dataclasses.replace(self, seed=seed, progress=self._progress)

    def device_type(self) -> str:
        """Return the type of the device the critics train on (``device`` resolved)."""
        return resolve_device(self.device).type

    def sample_device(self) -> str | None:
        """Return ``"cuda"`` when training on a GPU, ``None`` on the CPU.

        On a GPU the samples are best made there, as float32 tensors, so that they never cross
        the bus. On the CPU the estimator takes float64 numpy arrays and casts them itself, so
        that CPU estimates are exactly those computed from numpy samples.
        """
        device = self.device_type()
        return None if device == "cpu" else device

    def config(self) -> dict[str, Any]:
        """Return the configuration, with ``estimate_on`` saying which data the estimate uses."""
        cfg = super().config()
        cfg["preprocess_used"] = self._preprocess_used()
        cfg["estimate_on"] = (
            f"held-out split ({self.holdout:g} of each sample; the critic never trained on it)"
            if self.folds == 1
            else f"held-out folds ({self.folds}-fold cross-fitting: every row held out once)"
        )
        return cfg

    # -- what a subclass provides -------------------------------------------------------------
    def _build(
        self, generators: Sequence[torch.Generator], dim: int
    ) -> tuple[BatchedMLP, Objective]:
        """Return E stacked critics (initialised from ``generators``) and their objective."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _offset_column(
        self, train_p: np.ndarray, train_q: np.ndarray, rng: np.random.Generator
    ) -> Callable[[np.ndarray], np.ndarray] | None:
        """Return a base fitted on the mapped training rows, or ``None`` (the default: no base).

        The critic adds the base's values to its output: they travel as an extra input column
        (``BatchedMLP(offset_input=True)``).
        """
        return None

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
        return self._fit(p, q, member_seeds(self.seed, p.shape[0], seeds))

    def _fit(self, p: np.ndarray, q: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        device = resolve_device(self.device)
        n, m = p.shape[1], q.shape[1]
        folds = int(self.folds)
        if folds == 1:
            n_ho = held_out_size(n, self.holdout, "x_p")
            m_ho = held_out_size(m, self.holdout, "x_q")
        else:
            n_ho, m_ho = fold_size(n, folds, "x_p"), fold_size(m, folds, "x_q")
        # Critics per (member, fold, critic of the split), member-major: with one critic per
        # split, critic e * folds + k holds out fold k of member e. With one fold and one critic
        # the member's own generator serves it, as before.
        hosts, splits_p, splits_q, scales = [], [], [], []
        for e, seed in enumerate(seeds):
            g = host_generator(seed)
            perm_p = torch.randperm(n, generator=g).numpy()
            perm_q = torch.randperm(m, generator=g).numpy()
            fold_gens = [g] if folds == 1 else [child_generator(g) for _ in range(folds)]
            for k, fold_gen in enumerate(fold_gens):
                tr_p, ho_p = split_rows(p[e], perm_p, k, n_ho)
                tr_q, ho_q = split_rows(q[e], perm_q, k, m_ho)
                transform = self._standardisation(np.concatenate([tr_p, tr_q]))
                base_rng = np.random.default_rng([seed, k])
                mapped = tuple(transform.apply(x) for x in (tr_p, ho_p, tr_q, ho_q))
                datasets = self._critic_datasets(mapped, base_rng)
                # One split's critics: its own generator for one, children of it for several.
                gens = [fold_gen] if len(datasets) == 1 else [
                    child_generator(fold_gen) for _ in datasets]
                for data, gen in zip(datasets, gens, strict=True):
                    column = self._offset_column(data[0], data[2], base_rng)
                    if column is not None:
                        data = tuple(np.column_stack([x, column(x)]) for x in data)
                    hosts.append(gen)
                    splits_p.append((data[0], data[1]))
                    splits_q.append((data[2], data[3]))
                    scales.append(transform.unit)
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
            weight_decay=float(self.weight_decay),
        )
        per_split = len(hosts) // (len(seeds) * folds)
        critic_seeds = [s for s in seeds for _ in range(folds * per_split)]
        result = train_critics(
            critic.to(device),
            objective,
            train,
            held_out,
            device_gens,
            config,
            self.name,
            critic_seeds,
            self._progress,
        )
        # Back to data units: 1 for the scale-invariant f-divergences, the scalar scale for W1.
        units = np.array(scales) if self.isotropic_scaling else np.ones(len(hosts))
        # Equal folds: the mean of the fold values is the objective on the pooled held-out rows
        # for the objectives that are sample means (f-GAN, NWJ, W1), a mean of DV bounds for DV.
        # The critics of one split add up (one but for ratio_critic's telescoping bridges).
        per_critic = result.best_value * units
        estimates = per_critic.reshape(len(seeds), folds, per_split).sum(axis=2).mean(axis=1)
        self.last_details = {
            "estimate_on": (
                "held-out split (at the evaluation with the best held-out criterion)"
                if folds == 1
                else f"held-out folds ({folds}-fold cross-fitting; mean of the folds' best "
                "held-out objectives)"
            ),
            "device": str(device),
            "seeds": list(seeds),
            "folds": folds,
            "critics_per_split": per_split,
            "n_train": (n - n_ho, m - m_ho),
            "n_held_out": (n_ho * folds, m_ho * folds),
            "steps_run": result.steps_run.tolist(),
            "best_step": result.best_step.tolist(),
            "train_objective": (result.train_objective * units).tolist(),
            "held_out_objective": per_critic.tolist(),
        }
        return estimates

    def _critic_datasets(
        self, split: tuple[np.ndarray, ...], rng: np.random.Generator
    ) -> list[tuple[np.ndarray, ...]]:
        """The ``(train P, held-out P, train Q, held-out Q)`` of each critic of one ``split``.

        One critic on the mapped split itself here; a subclass may train several whose held-out
        values add up (:class:`~estimators.ratio_critic.RatioCriticEstimator`'s bridges).
        """
        return [split]

    def _preprocess_used(self) -> str:
        """The map ``preprocess`` (and ``standardize``) resolve to."""
        if not self.standardize:
            return "none"
        if self.preprocess == "auto":
            return "robust" if self.isotropic_scaling else self.AUTO_PREPROCESS
        return self.preprocess

    def _standardisation(self, pooled: np.ndarray) -> Preprocessing:
        """Return the map fitted on the pooled training rows (see ``preprocess``)."""
        return fit_preprocessing(pooled, self._preprocess_used(), self.isotropic_scaling)

    def _critic(
        self, generators: Sequence[torch.Generator], dim: int, **options: Any
    ) -> BatchedMLP:
        """Build the stacked critic with this estimator's architecture and extra ``options``."""
        return BatchedMLP(generators, dim, self.hidden, self.activation, **options)
