r"""Wasserstein-1 by a neural Kantorovich-Rubinstein critic.

:math:`W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb{E}_P[f] - \mathbb{E}_Q[f]` (Kantorovich-Rubinstein
duality; Villani 2009, Remark 6.5), with :math:`f` an MLP held (approximately) 1-Lipschitz by a
gradient penalty, spectral normalisation or weight clipping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch

from estimators.critic import BatchedMLP
from estimators.neural import NeuralEstimator
from estimators.registry import register_estimator
from estimators.training import critic_outputs

LIPSCHITZ_METHODS = ("gp", "spectral", "clip")


class W1Objective:
    r"""Kantorovich-Rubinstein objective :math:`\bar f_P - \bar f_Q` of E critics.

    Parameters
    ----------
    lipschitz : {"gp", "spectral", "clip"}
        ``"gp"`` subtracts :math:`\lambda\,\mathbb{E}[(\|\nabla f(\hat x)\| - 1)^2]` on
        interpolates :math:`\hat x = u x_P + (1-u) x_Q`, :math:`u \sim U(0,1)` (Gulrajani et al.
        2017, Algorithm 1). For ``"spectral"`` and ``"clip"`` the critic constrains itself, and
        the held-out value is divided by :meth:`BatchedMLP.lipschitz_bound`, an upper bound of
        the critic's Lipschitz constant: clipping only gives *some* Lipschitz constant K
        (Arjovsky et al. 2017, Sec. 3), and a power-iteration estimate of the spectral norm
        may fall short of it; after the division the critic is 1-Lipschitz for certain.
    gp_weight : float
        :math:`\lambda` of the gradient penalty.
    """

    def __init__(self, lipschitz: str, gp_weight: float) -> None:
        self.lipschitz = lipschitz
        self.gp_weight = gp_weight
        self.needs_uniform = lipschitz == "gp"

    def train_terms(
        self,
        critic: BatchedMLP,
        x_p: torch.Tensor,
        x_q: torch.Tensor,
        uniform: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(objective - penalty, objective)`` on a minibatch."""
        if uniform is None:
            v_p, v_q = critic(torch.cat([x_p, x_q], dim=1)).split([x_p.shape[1], x_q.shape[1]], 1)
            value = v_p.mean(1) - v_q.mean(1)
            return value, value
        x_hat = (uniform * x_p + (1.0 - uniform) * x_q).requires_grad_(True)
        v_p, v_q, v_hat = critic(torch.cat([x_p, x_q, x_hat], dim=1)).chunk(3, dim=1)
        # Rows are independent, so the gradient of the sum is each row's own input gradient.
        (grad,) = torch.autograd.grad(v_hat.sum(), x_hat, create_graph=True)
        penalty = (grad.norm(dim=2) - 1.0).square().mean(1)
        value = v_p.mean(1) - v_q.mean(1)
        return value - self.gp_weight * penalty, value

    def evaluate(self, critic: BatchedMLP, x_p: torch.Tensor, x_q: torch.Tensor) -> torch.Tensor:
        """Return the held-out objective (divided by the Lipschitz bound unless ``"gp"``)."""
        value = critic_outputs(critic, x_p).mean(1) - critic_outputs(critic, x_q).mean(1)
        if self.lipschitz == "gp":
            return value
        return value / critic.lipschitz_bound()


@register_estimator(
    "w1_critic",
    "Wasserstein-1 by a Kantorovich-Rubinstein neural critic (gradient penalty / SN / clipping)",
    ("w1",),
    neural=True,
)
@dataclasses.dataclass
class W1CriticEstimator(NeuralEstimator):
    r"""Wasserstein-1 estimator: :math:`\sup_{\|f\|_L\le1} \mathbb{E}_P[f]-\mathbb{E}_Q[f]`.

    The critic is trained on the training split; the estimate is
    :math:`\frac1{n'}\sum_P f - \frac1{m'}\sum_Q f` on the held-out split (best value over the
    evaluations). Euclidean ground metric.

    Attributes
    ----------
    divergence : str
        Must be ``"w1"``.
    lipschitz : {"gp", "spectral", "clip"}
        How the critic is kept 1-Lipschitz: gradient penalty on interpolates (WGAN-GP,
        Gulrajani et al. 2017), spectral normalisation of every layer (Miyato et al. 2018), or
        weight clipping (WGAN, Arjovsky et al. 2017). With ``"spectral"`` and ``"clip"`` the
        reported value is divided by the product of the layers' exact spectral norms, so it is
        a lower bound of W1 up to sampling error; ``"gp"`` only penalises, so its critic can be
        slightly steeper than 1 and its value can exceed W1 slightly.
    gp_weight : float
        :math:`\lambda` of the gradient penalty (10, as in Gulrajani et al. 2017).
    clip_value : float
        Clipping range :math:`c` of the weights (0.01, as in Arjovsky et al. 2017).

    Notes
    -----
    Inputs are centred and divided by one scalar (the pooled training RMS standard deviation);
    W1 is translation invariant and 1-homogeneous, so the estimate is multiplied back by it.
    """

    lipschitz: str = "gp"
    gp_weight: float = 10.0
    clip_value: float = 0.01

    kind = "w1_critic"
    isotropic_scaling = True

    def __post_init__(self, progress: object) -> None:
        super().__post_init__(progress)
        if self.divergence != "w1":
            raise ValueError(f"estimator 'w1_critic' estimates only 'w1', got {self.divergence!r}")
        if self.lipschitz not in LIPSCHITZ_METHODS:
            raise ValueError(
                f"lipschitz must be one of {', '.join(LIPSCHITZ_METHODS)}, got {self.lipschitz!r}"
            )
        if not self.gp_weight > 0:
            raise ValueError(f"gp_weight must be positive, got {self.gp_weight}")
        if not self.clip_value > 0:
            raise ValueError(f"clip_value must be positive, got {self.clip_value}")

    def _build(
        self, generators: Sequence[torch.Generator], dim: int
    ) -> tuple[BatchedMLP, W1Objective]:
        critic = self._critic(
            generators,
            dim,
            spectral_norm=self.lipschitz == "spectral",
            weight_clip=self.clip_value if self.lipschitz == "clip" else None,
        )
        return critic, W1Objective(self.lipschitz, self.gp_weight)
