r"""A batched MLP critic: E independent networks as one model with stacked weights.

Layer :math:`l` of member :math:`e` is :math:`h \mapsto h W_l^{(e)} + b_l^{(e)}`; the weights are
stored stacked, ``[E, d_in, d_out]``, and applied with one :func:`torch.baddbmm` per layer, so a
single forward pass evaluates every member on its own batch (``x`` of shape ``[E, B, d]``).
Nothing mixes members: one member's output, gradient and Adam update depend only on its own
weights and data, which is what makes an ensemble of E equal to E single runs with the same seeds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from divergence_verify.estimators._torch import DTYPE

ACTIVATIONS = {
    "relu": torch.relu,
    "elu": nn.functional.elu,
    "tanh": torch.tanh,
}
"""Hidden activations; each is 1-Lipschitz, so a layer-wise Lipschitz bound holds for all."""

_SN_EPS = 1e-12  # keeps the power-iteration normalisation finite for an all-zero weight


class BatchedMLP(nn.Module):
    r"""E independent MLP critics :math:`V^{(e)}: \mathbb{R}^d \to \mathbb{R}` in stacked form.

    Parameters
    ----------
    generators : sequence of torch.Generator
        One CPU generator per member; member ``e`` draws its initial weights from
        ``generators[e]`` only, so its initialisation does not depend on E.
    d_in : int
        Input dimension.
    hidden : sequence of int
        Widths of the hidden layers.
    activation : {"relu", "elu", "tanh"}
        Hidden activation.
    output_bound : float, optional
        If set, the output is :math:`b \tanh(V/b)`: a smooth clamp to :math:`(-b, b)` that keeps
        ``exp``-type conjugates finite in float32 while leaving small outputs unchanged.
    spectral_norm : bool
        Divide every weight matrix by an estimate of its largest singular value, refreshed by
        one power iteration per training step (:meth:`before_step`) with a persistent vector
        per member (Miyato et al. 2018, Sec. 2.1 and Algorithm 1).
    weight_clip : float, optional
        After every optimiser step clamp all weights and biases to ``[-c, c]`` (Arjovsky et al.
        2017, Algorithm 1).
    offset_input : bool
        The inputs carry one more column, ``d_in + 1`` in all, that is not fed to the layers
        but added to the output (before the clamp): a fixed base function the network corrects
        (``ratio_critic``'s logistic base).

    Notes
    -----
    Initialisation is PyTorch's ``nn.Linear`` default: weights and biases uniform on
    :math:`\pm 1/\sqrt{d_{in}}`.
    """

    def __init__(
        self,
        generators: Sequence[torch.Generator],
        d_in: int,
        hidden: Sequence[int],
        activation: str = "relu",
        output_bound: float | None = None,
        spectral_norm: bool = False,
        weight_clip: float | None = None,
        offset_input: bool = False,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; expected one of: {', '.join(ACTIVATIONS)}"
            )
        if output_bound is not None and not output_bound > 0:
            raise ValueError(f"output_bound must be positive, got {output_bound}")
        if weight_clip is not None and not weight_clip > 0:
            raise ValueError(f"weight_clip must be positive, got {weight_clip}")
        self.n_members = len(generators)
        self.act = ACTIVATIONS[activation]
        self.output_bound = output_bound
        self.spectral_norm = spectral_norm
        self.weight_clip = weight_clip
        self.offset_input = offset_input
        widths = [d_in, *hidden, 1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in itertools.pairwise(widths):
            k = 1.0 / math.sqrt(fan_in)
            w = torch.stack(
                [(torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * k for g in generators]
            )
            b = torch.stack([(torch.rand(1, fan_out, generator=g) * 2 - 1) * k for g in generators])
            self.weights.append(nn.Parameter(w.to(DTYPE)))
            self.biases.append(nn.Parameter(b.to(DTYPE)))
            if spectral_norm:
                u = torch.stack([torch.randn(fan_out, generator=g) for g in generators])
                u = nn.functional.normalize(u, dim=1).to(DTYPE)
                self.register_buffer(f"_sn_u{len(self.weights) - 1}", u)

    def effective_weights(self) -> list[torch.Tensor]:
        """Return the weight matrices as applied: divided by their spectral estimate under SN."""
        if not self.spectral_norm:
            return list(self.weights)
        out = []
        for w, u in zip(self.weights, self._sn_vectors(), strict=True):
            v = _unit(torch.bmm(w.detach(), u.unsqueeze(2)).squeeze(2))
            # sigma = v^T W u with u, v held fixed: the gradient of Miyato et al. (2018), eq. 12.
            sigma = torch.einsum("ei,eij,ej->e", v, w, u)
            out.append(w / sigma.clamp_min(_SN_EPS)[:, None, None])
        return out

    def _sn_vectors(self) -> list[torch.Tensor]:
        return [getattr(self, f"_sn_u{i}") for i in range(len(self.weights))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate every member on its own inputs: ``x`` [E, B, d] -> outputs [E, B]."""
        h = x[..., :-1] if self.offset_input else x
        weights = self.effective_weights()
        last = len(weights) - 1
        for i, (w, b) in enumerate(zip(weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = self.act(h)
        out = h.squeeze(2)
        if self.offset_input:
            out = out + x[..., -1]
        if self.output_bound is not None:
            out = self.output_bound * torch.tanh(out / self.output_bound)
        return out

    @torch.no_grad()
    def before_step(self) -> None:
        """Advance the spectral-norm power iteration by one step (no-op without SN)."""
        if not self.spectral_norm:
            return
        for w, u in zip(self.weights, self._sn_vectors(), strict=True):
            v = _unit(torch.bmm(w, u.unsqueeze(2)).squeeze(2))
            u.copy_(_unit(torch.bmm(w.transpose(1, 2), v.unsqueeze(2)).squeeze(2)))

    @torch.no_grad()
    def after_step(self) -> None:
        """Apply weight clipping after an optimiser step (no-op without it)."""
        if self.weight_clip is None:
            return
        for p in self.parameters():
            p.clamp_(-self.weight_clip, self.weight_clip)

    @torch.no_grad()
    def select_members(self, index: torch.Tensor) -> None:
        """Keep only the members ``index`` (a 1-D index tensor), in that order, in place.

        The weights become new parameter objects (autograd caches a leaf's shape), so an
        optimiser over the old ones must be rebuilt.
        """
        for plist in (self.weights, self.biases):
            for i, p in enumerate(plist):
                plist[i] = nn.Parameter(p.detach()[index])
        for i, u in enumerate(self._sn_vectors() if self.spectral_norm else []):
            setattr(self, f"_sn_u{i}", u[index])
        self.n_members = len(index)

    @torch.no_grad()
    def lipschitz_bound(self) -> torch.Tensor:
        r"""Return, per member, :math:`\prod_l \|W_l\|_2` of the effective weights, shape [E].

        With 1-Lipschitz activations (all of :data:`ACTIVATIONS`, and the output clamp) this is
        an upper bound on the critic's Lipschitz constant in the Euclidean norm.
        """
        bound = torch.ones(self.n_members, dtype=DTYPE, device=self.weights[0].device)
        for w in self.effective_weights():
            bound = bound * torch.linalg.matrix_norm(w, ord=2)
        return bound


def _unit(x: torch.Tensor) -> torch.Tensor:
    """Normalise each row of ``x`` [E, k] to unit Euclidean length."""
    return nn.functional.normalize(x, dim=1, eps=_SN_EPS)
