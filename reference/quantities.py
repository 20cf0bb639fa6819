"""The quantities the suite estimates, by name, with their display labels and units.

A quantity is a key of the f-divergence table (:data:`reference.DIVERGENCES`: ``"kl"``,
``"js"``, ...), :data:`W1`, the Wasserstein-1 distance, or :data:`MI`, the mutual information
I(X; Y) = KL(P_XY || P_X ⊗ P_Y) of a joint law (estimated from a joint sample split into X and
Y). Labels and units are read from the
table, so a divergence added there is named and measured everywhere (tables, figure axes) at
once.
"""

from __future__ import annotations

from divergence_verify.reference.fdivergences import DIVERGENCES, get_divergence

W1 = "w1"
"""Name of the Wasserstein-1 distance (Euclidean ground cost), the one quantity outside the
f-divergence table."""

W1_LABEL = ("W1", "distance")
"""Display label and unit of :data:`W1`: it is measured in the units of the data."""

MI = "mi"
"""Name of the mutual information I(X; Y) = KL(P_XY || P_X ⊗ P_Y), in nats."""

MI_LABEL = ("MI", "nats")
"""Display label and unit of :data:`MI`."""


def quantity_names() -> tuple[str, ...]:
    """Return every quantity name: the table's keys, in table order, then :data:`W1`, :data:`MI`."""
    return (*DIVERGENCES, W1, MI)


def quantity_label(name: str) -> tuple[str, str]:
    """Return ``(label, unit)`` for a quantity: ``"kl"`` -> ``("KL", "nats")``.

    The unit is ``"nats"`` for the logarithmic divergences, ``""`` for the unitless ones (TV,
    chi², squared Hellinger) and ``"distance"`` (the data's units) for :data:`W1`.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If ``name`` is not a key of :data:`reference.DIVERGENCES`, :data:`W1` or :data:`MI`; the
        message lists the known names.
    """
    if name == W1:
        return W1_LABEL
    if name == MI:
        return MI_LABEL
    try:
        div = get_divergence(name)
    except ValueError:
        known = ", ".join(quantity_names())
        raise ValueError(f"unknown quantity {name!r}; expected one of: {known}") from None
    return div.label, div.unit
