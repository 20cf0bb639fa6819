"""Torch plumbing shared by the neural estimators: one-time transfer to the device, seeding.

The device rule itself is :func:`estimators.devices.resolve_device` (also importable from here,
as it was before it moved there).
"""

from __future__ import annotations

import numpy as np
import torch

from divergence_verify.estimators.devices import resolve_device

__all__ = ["DTYPE", "device_generator", "host_generator", "resolve_device", "to_device"]

DTYPE = torch.float32
"""Dtype of every critic and of the data on the device (float32: the device's native width)."""


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
