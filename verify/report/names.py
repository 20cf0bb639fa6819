"""Display names and units of the quantities a report shows (KL in nats, TV unitless, W1 ...).

Read from the f-divergence table (:func:`divergence_verify.reference.quantity_label`, which
covers ``"w1"`` too) when the reference layer provides it; the table below is the fallback for
names it does not know.
"""

from __future__ import annotations

_FALLBACK = {"kl": ("KL", "nats"), "reverse_kl": ("reverse KL", "nats"),
             "jeffreys": ("Jeffreys", "nats"), "js": ("JS", "nats"), "gan": ("GAN", "nats"),
             "tv": ("TV", ""), "chi2": ("χ²", ""), "hellinger": ("squared Hellinger", ""),
             "w1": ("W1", "distance")}


def quantity_label(name: str) -> tuple[str, str]:
    """Return ``(display name, unit)`` of ``name``; the unit is "" for unitless quantities."""
    return _FALLBACK.get(name, (name, ""))


def divergence_label(name: str) -> str:
    """Return the display name of ``name`` (``"kl"`` -> ``"KL"``)."""
    return quantity_label(name)[0]


def unit_label(name: str) -> str:
    """Return the unit of ``name``: nats, distance, or "" for the unitless ones."""
    return quantity_label(name)[1]


def axis_label(what: str, name: str, scale: str = "") -> str:
    """Return ``what (unit, scale)``, leaving out what is empty (``"TV"`` has no unit)."""
    parts = [p for p in (unit_label(name), scale) if p]
    return f"{what} ({', '.join(parts)})" if parts else what
