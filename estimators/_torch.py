"""Torch plumbing shared by the neural estimators: device choice, one-time transfer, seeding."""

from __future__ import annotations

import numpy as np
import torch

DTYPE = torch.float32
"""Dtype of every critic and of the data on the device (float32: the device's native width)."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return the torch device named by ``device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device
        ``"auto"`` takes CUDA when ``torch.cuda.is_available()``, else the CPU.

    Raises
    ------
    ValueError
        If CUDA is asked for but not available, or the name is not a torch device.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"unknown device {device!r}: expected 'auto', 'cpu' or 'cuda'") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available")
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r} is not supported: expected 'auto', 'cpu' or 'cuda'")
    return resolved


def to_device(x: np.ndarray, device: torch.device) -> torch.Tensor:
    """Copy a float64 array to ``device`` as a float32 tensor (the one host-to-device transfer)."""
    return torch.as_tensor(np.ascontiguousarray(x), dtype=DTYPE).to(device)


def host_generator(seed: int) -> torch.Generator:
    """Return a CPU generator seeded with ``seed``: splits and initialisation of one member.

    Host-side draws make a member's split and initial weights the same on every device.
    """
    return torch.Generator().manual_seed(int(seed))


def device_generator(host: torch.Generator, device: torch.device) -> torch.Generator:
    """Return a generator on ``device`` seeded from the next draw of ``host``.

    It draws the member's minibatch indices on the device, so no index crosses the bus while
    training; seeding it from ``host`` keeps one seed per member as the only input.
    """
    seed = int(torch.randint(0, 2**62, (1,), generator=host))
    return torch.Generator(device=device).manual_seed(seed)
