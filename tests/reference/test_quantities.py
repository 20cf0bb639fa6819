"""Display labels and units of the quantities, read from the f-divergence table."""

from __future__ import annotations

import pytest

from divergence_verify import reference
from divergence_verify.reference import DIVERGENCES, MI, W1, quantity_label, quantity_names

# The divergences whose generator has no logarithm: ratios of masses, without a unit.
UNITLESS = {"tv", "chi2", "hellinger"}


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_every_table_entry_has_a_label_and_a_unit(name: str) -> None:
    div = DIVERGENCES[name]
    assert div.label.strip() == div.label != ""
    assert div.unit == ("" if name in UNITLESS else "nats")
    assert quantity_label(name) == (div.label, div.unit)


def test_labels_are_distinct_and_names_cover_table_w1_and_mi() -> None:
    names = quantity_names()
    assert names == (*DIVERGENCES, W1, MI)
    labels = [quantity_label(n)[0] for n in names]
    assert len(set(labels)) == len(labels)


def test_w1_is_a_distance() -> None:
    assert W1 == "w1"
    assert quantity_label(W1) == ("W1", "distance")
    assert W1 not in DIVERGENCES


def test_mi_is_in_nats() -> None:
    assert MI == "mi" and MI not in DIVERGENCES
    assert quantity_label(MI) == ("MI", "nats")


def test_unknown_quantity_lists_the_known_ones() -> None:
    with pytest.raises(ValueError,
                       match=r"unknown quantity 'kld'; expected one of: kl, .*, w1, mi"):
        quantity_label("kld")
    with pytest.raises(TypeError, match="must be a str"):
        quantity_label(None)


def test_reference_exports_resolve_lazily() -> None:
    assert set(reference.__all__) <= set(dir(reference))
    for name in reference.__all__:
        assert getattr(reference, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        reference.no_such_name  # noqa: B018
