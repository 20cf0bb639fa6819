"""Display names and units of the quantities a report shows, read from the f-divergence table.

:func:`divergence_verify.reference.quantity_label` gives ``(label, unit)`` for every table
divergence and for ``"w1"``; a user's quantity the table does not know is shown by its name,
without a unit.
"""

from __future__ import annotations


def quantity_label(name: str) -> tuple[str, str]:
    """Return ``(display name, unit)`` of ``name``; the unit is "" for unitless quantities."""
    from divergence_verify.reference import quantity_label as from_table

    try:
        return from_table(name)
    except ValueError:  # not in the table: a report of a user's own quantity still draws
        return name, ""


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
