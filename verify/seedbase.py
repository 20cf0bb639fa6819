"""The seed base of a certificate: given, from the environment, or fresh from the OS.

A certificate's seeds are ``base, base + 1, ...`` and its fresh scenario instances are drawn from
``base`` (:mod:`~divergence_verify.verify.scenarios.instances`). Drawing the base afresh for
every certificate is what keeps an estimator from memorising the answers of known seeds.
"""

from __future__ import annotations

import os
import secrets

__all__ = ["SEED_BASE_ENV", "SEED_BASE_LIMIT", "resolve_seed_base"]

SEED_BASE_ENV = "DIVERGENCE_VERIFY_SEED_BASE"
"""Environment variable that fixes the seed base of every certificate without ``seed_base=``."""
SEED_BASE_LIMIT = 2**31
"""A fresh seed base is drawn uniformly from ``[0, SEED_BASE_LIMIT)``."""


def resolve_seed_base(seed_base: int | None = None) -> int:
    """Return ``seed_base``, else ``$DIVERGENCE_VERIFY_SEED_BASE``, else a fresh random base.

    The fresh base comes from :mod:`secrets` (the operating system's randomness), never from
    a generator an estimator could have seeded.

    Raises
    ------
    ValueError
        For a negative base or an environment value that is not a non-negative integer.
    """
    if seed_base is None:
        text = os.environ.get(SEED_BASE_ENV, "").strip()
        if not text:
            return secrets.randbelow(SEED_BASE_LIMIT)
        try:
            seed_base = int(text)
        except ValueError:
            raise ValueError(f"${SEED_BASE_ENV} must be a non-negative integer, got "
                             f"{text!r}") from None
    if isinstance(seed_base, bool) or not isinstance(seed_base, int) or seed_base < 0:
        raise ValueError(f"the seed base must be a non-negative integer, got {seed_base!r}")
    return seed_base
